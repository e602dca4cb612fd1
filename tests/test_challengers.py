"""Champion/challenger: challengers decide every recorded request in the shadow of the champion.

The champion is the default project (german-credit); a challenger is a copy of it with the youngest
applicants' scorecard points changed and another version.
"""

from __future__ import annotations

import logging
import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from composite import CompositeEngine, ProjectError
from composite.compare import compare
from composite.monitor import rank_auc, wilson

ROOT = Path(__file__).resolve().parents[1]
ROWS = 300


def copy_project(target: Path, *, version: str, age_row: tuple[str, str] | None = None,
                 drop_row: str | None = None) -> Path:
    target.mkdir(parents=True)
    shutil.copy(ROOT / "composite.yaml", target / "composite.yaml")
    for folder in ("knowledge", "models", "rules"):
        shutil.copytree(ROOT / folder, target / folder)
    config = target / "composite.yaml"
    text = config.read_text()
    assert "\nversion: 0.1.0\n" in text
    config.write_text(text.replace("\nversion: 0.1.0\n", f"\nversion: {version}\n"))
    table = target / "rules" / "scorecard" / "age.table.yaml"
    lines = table.read_text().splitlines(keepends=True)
    if age_row is not None:
        old, new = age_row
        assert sum(old in line for line in lines) == 1
        lines = [line.replace(old, new) for line in lines]
    if drop_row is not None:
        assert sum(drop_row in line for line in lines) == 1
        lines = [line for line in lines if drop_row not in line]
    table.write_text("".join(lines))
    return target


@pytest.fixture(scope="module")
def projects(tmp_path_factory):
    base = tmp_path_factory.mktemp("challengers")
    challenger = copy_project(base / "challenger", version="0.2.0-young",
                              age_row=("age_points: 0, id: under_25", "age_points: 8, id: under_25"))
    # no row for applicants of 45 and over: the scorecard fails on their null points
    broken = copy_project(base / "broken", version="0.3.0-broken", drop_row="id: from_45")
    return base, challenger, broken


@pytest.fixture(scope="module")
def data():
    frame = pd.read_csv(ROOT / "data" / "german_credit.csv").head(ROWS)
    outcome = frame.pop("default")
    return frame, outcome


@pytest.fixture(scope="module")
def decided(projects, data):
    """The champion with the challenger, one SQLite store: half the rows singly, half as a batch."""
    base, challenger, _ = projects
    frame, _ = data
    engine = CompositeEngine.from_path(ROOT, store=f"sqlite:///{base / 'decisions.db'}", challengers=[challenger])
    half = ROWS // 2
    singles = [engine.decide(row) for row in frame.iloc[:half].to_dict("records")]
    batch = engine.decide_batch(frame.iloc[half:])
    yield engine, singles, batch
    engine.close()


def without_ids(outputs: pd.DataFrame) -> pd.DataFrame:
    return outputs.drop(columns=["decision_id"]).reset_index(drop=True)


def test_the_champion_answers_as_it_would_alone(decided, data):
    engine, singles, batch = decided
    frame, _ = data
    alone = CompositeEngine.from_path(ROOT, store="memory")
    half = ROWS // 2
    assert [d.outputs for d in singles] == [alone.decide(r, record=False).outputs
                                           for r in frame.iloc[:half].to_dict("records")]
    pd.testing.assert_frame_equal(without_ids(batch), without_ids(alone.decide_batch(frame.iloc[half:], record=False)))
    assert all(d.project_version == "0.1.0" for d in singles)
    assert engine.challenger_failures == {}


def test_every_champion_decision_has_exactly_one_linked_shadow(decided):
    engine, singles, batch = decided
    champions = [d.id for d in singles] + list(batch["decision_id"])
    shadows = list(engine.store.records(shadows=True))
    assert sorted(r["shadow_of"] for r in shadows) == sorted(champions)
    assert {(r["challenger"], r["project_version"]) for r in shadows} == {("german-credit", "0.2.0-young")}
    assert not set(r["id"] for r in shadows) & set(champions)


def test_history_and_select_show_only_the_champion_decisions(decided):
    engine, singles, batch = decided
    champions = [d.id for d in singles] + list(batch["decision_id"])
    assert [d.id for d in engine.store.select()] == champions
    assert [s.id for s in engine.history(1000)] == list(reversed(champions))
    assert {s.project_version for s in engine.history(1000)} == {"0.1.0"}
    assert engine.store.count() == 2 * ROWS  # count counts every stored record


def test_a_shadow_holds_what_the_challenger_project_decides_alone(decided, projects):
    engine, _, _ = decided
    _, challenger, _ = projects
    own = CompositeEngine.from_path(challenger, store="memory")
    shadows = list(engine.store.select(shadows=True))
    assert len(shadows) == ROWS
    for shadow in shadows:
        assert shadow.outputs == own.decide(shadow.inputs, record=False).outputs
    # and the change shows where it should: the youngest applicants' expert score moved
    by_champion = {r["shadow_of"]: r["outputs"] for r in engine.store.records(shadows=True)}
    champions = list(engine.store.select())
    young = [d for d in champions if d.inputs["age"] < 25]
    assert young and all(by_champion[d.id]["expert_score"] != d.outputs["expert_score"] for d in young)
    assert all(by_champion[d.id]["expert_score"] == d.outputs["expert_score"]
               for d in champions if d.inputs["age"] >= 25)


def test_a_shadow_is_explained_like_any_stored_decision(decided):
    engine, _, _ = decided
    shadow = next(engine.store.records(shadows=True))
    assert "0.2.0-young" in engine.explain(shadow["id"])


def test_a_failing_challenger_never_fails_the_champion(projects, data, caplog):
    base, challenger, broken = projects
    frame, _ = data
    engine = CompositeEngine.from_path(ROOT, store="memory", challengers=[broken, challenger])
    alone = CompositeEngine.from_path(ROOT, store="memory")
    rows = frame.iloc[:40]
    old = int((rows["age"] >= 45).sum())
    assert 0 < old < len(rows)
    with caplog.at_level(logging.WARNING, logger="composite.challengers"):
        singles = [engine.decide(r) for r in rows.to_dict("records")]
        batch = engine.decide_batch(rows)
    assert [d.outputs for d in singles] == [alone.decide(r, record=False).outputs for r in rows.to_dict("records")]
    pd.testing.assert_frame_equal(without_ids(batch), without_ids(alone.decide_batch(rows, record=False)))
    # singly, the rows it can decide are shadowed; a batch fails whole (one transaction) and is counted once
    assert engine.challenger_failures == {"german-credit 0.3.0-broken": old + 1}
    shadows = list(engine.store.records(shadows=True))
    broken_ones = [r for r in shadows if r["project_version"] == "0.3.0-broken"]
    assert len(broken_ones) == len(rows) - old
    assert len([r for r in shadows if r["project_version"] == "0.2.0-young"]) == 2 * len(rows)  # the other goes on
    assert "challenger german-credit 0.3.0-broken failed" in caplog.text


def test_a_challenger_needing_an_input_the_champion_lacks_is_refused_at_load(projects, tmp_path):
    _, challenger, _ = projects
    other = tmp_path / "other"
    shutil.copytree(challenger, other)
    concepts = other / "knowledge"
    config = other / "composite.yaml"
    config.write_text(config.read_text().replace(
        "      monthly_instalment: credit_amount / duration_months",
        "      monthly_instalment: credit_amount / duration_months + bureau_score * 0"))
    (concepts / "bureau.yaml").write_text("concepts:\n  bureau_score: {type: number, description: From a bureau}\n")
    with pytest.raises(ProjectError, match=r"needs input\(s\) \['bureau_score'\] that the champion") as caught:
        CompositeEngine.from_path(ROOT, store="memory", challengers=[other])
    assert caught.value.code == "challenger_inputs"


def test_challengers_named_in_composite_yaml_are_loaded_relative_to_the_project(projects, tmp_path):
    _, challenger, _ = projects
    champion = copy_project(tmp_path / "champion", version="0.1.0")
    shutil.copytree(challenger, champion / "challengers" / "young")
    config = champion / "composite.yaml"
    config.write_text(config.read_text() + "\nchallengers: [challengers/young]\n")
    engine = CompositeEngine.from_path(champion, store="memory")
    assert [c.project.version for c in engine.challengers] == ["0.2.0-young"]
    decision = engine.decide({**pd.read_csv(ROOT / "data" / "german_credit.csv").drop(columns=["default"])
                              .iloc[1].to_dict()})
    assert [r["shadow_of"] for r in engine.store.records(shadows=True)] == [decision.id]
    config.write_text(config.read_text().replace("challengers/young", "challengers/missing"))
    with pytest.raises(ProjectError, match="challenger") as caught:
        CompositeEngine.from_path(champion, store="memory")
    assert "challengers[0]" in str(caught.value.problems[0]) or caught.value.code == "challenger_invalid"


def test_compare_counts_what_the_store_holds(decided):
    engine, _, _ = decided
    report = compare(engine.store)
    assert report.champions == ROWS and len(report.challengers) == 1
    c = report.challengers[0]
    assert (c.challenger, c.version, c.champions, c.shadowed) == ("german-credit", "0.2.0-young", ROWS, ROWS)
    champions = {d.id: d.outputs for d in engine.store.select()}
    pairs = [(champions[r["shadow_of"]], r["outputs"]) for r in engine.store.records(shadows=True)]
    by_name = {a.output: a for a in c.outputs}
    for name in ("decision", "expert_score", "probability_of_default"):
        agree = sum(a[name] == b[name] for a, b in pairs)
        assert (by_name[name].agree, by_name[name].n) == (agree, ROWS)
        assert by_name[name].interval == pytest.approx(wilson(agree, ROWS))
    assert by_name["decision"].kind == "category" and by_name["reason"].kind == "text"
    expected: dict[str, dict[str, int]] = {}
    for a, b in pairs:
        row = expected.setdefault(a["decision"], {})
        row[b["decision"]] = row.get(b["decision"], 0) + 1
    assert by_name["decision"].transitions == expected
    assert c.with_outcomes == 0 and c.scores == [] and any("no outcomes" in note for note in c.notes)


def test_with_outcomes_compare_reports_auc_and_brier_of_both(decided, data):
    engine, singles, batch = decided
    _, outcome = data
    champions = [d.id for d in singles] + list(batch["decision_id"])
    for decision_id, value in zip(champions, outcome):
        engine.record_outcome(decision_id, int(value))
    report = compare(engine.store, seed=3)
    c = report.challengers[0]
    assert c.with_outcomes == ROWS
    scores = {s.output: s for s in c.scores}
    assert {"probability_of_default", "expert_probability", "default_probability"} <= set(scores)
    y = outcome.to_numpy()
    stored = {d.id: d.outputs for d in engine.store.select()}
    shadow = {r["shadow_of"]: r["outputs"] for r in engine.store.records(shadows=True)}
    p = scores["expert_probability"]
    mine = np.array([stored[i]["expert_probability"] for i in champions])
    theirs = np.array([shadow[i]["expert_probability"] for i in champions])
    assert p.champion_auc == pytest.approx(rank_auc(y, mine))
    assert p.challenger_auc == pytest.approx(rank_auc(y, theirs))
    assert p.champion_brier == pytest.approx(float(np.mean((mine - y) ** 2)))
    assert p.challenger_brier == pytest.approx(float(np.mean((theirs - y) ** 2)))
    assert p.auc_interval[0] <= p.auc_difference <= p.auc_interval[1]
    assert p.n == ROWS and p.positives == int(y.sum())
    assert compare(engine.store, seed=3).to_dict() == report.to_dict()  # seeded: the same intervals
    (accuracy,) = c.accuracy
    assert accuracy.output == "decision" and "refer not counted" in accuracy.mapping
    assert accuracy.champion[1] == sum(stored[i]["decision"] != "refer" for i in champions)
    assert not math.isnan(accuracy.challenger[2])
    assert "AUC champion" in report.to_text()


def test_compare_window_and_command(decided, capsys):
    from composite.cli import main

    engine, _, _ = decided
    assert compare(engine.store, since="2999-01-01").champions == 0
    assert compare(engine.store, since="2999-01-01").challengers == []
    assert main(["compare", "--store", engine.store.url, "--json"]) == 0
    out = capsys.readouterr().out
    assert '"shadowed": 300' in out
