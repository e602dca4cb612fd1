"""What-if: stored decisions decided again by a candidate version of the default project."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from composite.engine import CompositeEngine
from composite.whatif import sample_decisions, stored_values, what_if

ROOT = Path(__file__).resolve().parents[1]


def candidate_project(tmp_path: Path) -> Path:
    """The default project with the age table's 25-30 row worth 0 points instead of 4 and the
    approve threshold at 1/5 instead of 1/6."""
    target = tmp_path / "candidate"
    target.mkdir()
    for name in ("composite.yaml",):
        shutil.copy(ROOT / name, target / name)
    for folder in ("knowledge", "rules", "models", "data"):
        shutil.copytree(ROOT / folder, target / folder)
    table = target / "rules/scorecard/age.table.yaml"
    text = table.read_text()
    assert "age_points: 4, id: under_30" in text
    table.write_text(text.replace("age_points: 4, id: under_30", "age_points: 0, id: under_30"))
    config = target / "composite.yaml"
    text = config.read_text()
    assert text.count("probability_of_default < 1 / 6") == 2
    config.write_text(text.replace("probability_of_default < 1 / 6", "probability_of_default < 1 / 5"))
    return target


@pytest.fixture(scope="module")
def stored() -> tuple[CompositeEngine, list]:
    engine = CompositeEngine.from_path(ROOT, store="memory")
    frame = pd.read_csv(ROOT / "data/german_credit.csv").drop(columns=["default"]).sample(400, random_state=7)
    decided = engine.decide_batch(frame.reset_index(drop=True))
    return engine, [engine.store.get(i) for i in decided["decision_id"]]


def test_whatif_counts_exactly_the_decisions_the_candidate_decides_otherwise(stored, tmp_path):
    engine, decisions = stored
    candidate = candidate_project(tmp_path)
    report = what_if(engine, candidate, decisions)

    direct = CompositeEngine.from_path(candidate, store="memory").decide_batch(
        [d.inputs for d in decisions], record=False)
    outputs = list(engine.project.outputs)
    expected = [d.id for d, (_, row) in zip(decisions, direct.iterrows())
                if any(d.outputs[name] != row[name] for name in outputs)]
    assert report.compared == len(decisions)
    assert report.changed == len(expected) > 0
    assert sorted(report.changed_ids) == sorted(expected)
    for name in outputs:
        assert report.per_output[name] == sum(d.outputs[name] != row[name]
                                              for d, (_, row) in zip(decisions, direct.iterrows()))


def test_whatif_transition_matrix_sums_to_the_decisions_compared(stored, tmp_path):
    engine, decisions = stored
    report = what_if(engine, candidate_project(tmp_path), decisions)
    matrix = report.transitions["decision"]
    assert sum(matrix.values()) == report.compared
    # a stricter score and a looser approve threshold: some approvals are made, some referrals too
    assert any(before != after for before, after in matrix)
    assert "expert_score" in report.numeric and report.numeric["expert_score"]["mean_shift"] < 0


def test_whatif_first_diverging_node_is_the_edited_table_or_the_edited_threshold(stored, tmp_path):
    engine, decisions = stored
    report = what_if(engine, candidate_project(tmp_path), decisions)
    changed = {d.id: d for d in decisions if d.id in set(report.changed_ids)}
    in_edited_row = sum(25 <= d.inputs["age"] < 30 for d in changed.values())
    assert in_edited_row > 0
    assert report.first_node.get("age_score") == in_edited_row
    assert report.first_node.get("outcome") == report.changed - in_edited_row
    assert set(report.first_node) <= {"age_score", "outcome"}
    example = report.examples[0]
    assert example["changes"] and set(example["inputs"]) <= set(engine.inputs)
    if example["first_node"] == "age_score":
        assert set(example["inputs"]) == {"age"}


def test_whatif_report_renders_as_json_text_and_html(stored, tmp_path):
    engine, decisions = stored
    report = what_if(engine, candidate_project(tmp_path), decisions[:50])
    data = json.loads(report.to_json())
    assert data["compared"] == 50 and data["changed"] == report.changed
    assert "decisions compared" in report.to_text()
    html = report.to_html()
    assert html.startswith("<!DOCTYPE html>") and "<svg" in html and "Transitions of decision" in html


def test_whatif_reads_the_store_when_no_decisions_are_given(stored, tmp_path):
    engine, decisions = stored
    report = what_if(engine.store, candidate_project(tmp_path))
    assert report.compared == engine.store.count()


def test_stored_values_fall_back_to_the_trace_for_an_eager_decision():
    engine = CompositeEngine.from_path(ROOT, store="memory", evidence="eager")
    request = json.loads((ROOT / "data/sample_application.json").read_text())
    decision = engine.store.get(engine.decide(request).id)
    values = stored_values(decision)
    assert values["expert_score"] == decision.outputs["expert_score"] and "age_points" in values


def test_sample_decisions_is_seeded_and_keeps_order(stored):
    _, decisions = stored
    first = sample_decisions(decisions, 20, seed=3)
    assert first == sample_decisions(decisions, 20, seed=3) and len(first) == 20
    positions = [decisions.index(d) for d in first]
    assert positions == sorted(positions)


def test_whatif_command_reads_a_batch_of_the_store(tmp_path, capsys):
    from composite.cli import main

    url = f"sqlite:///{tmp_path / 'decisions.db'}"
    engine = CompositeEngine.from_path(ROOT, store=url)
    data = pd.read_csv(ROOT / "data/german_credit.csv").drop(columns=["default"])
    engine.decide_batch(data.iloc[:100])
    batch = engine.decide_batch(data.iloc[100:250]).attrs["batch_id"]
    engine.store.close()
    candidate = candidate_project(tmp_path)
    html = tmp_path / "whatif.html"
    code = main(["whatif", "--project", str(ROOT), "--store", url, "--candidate", str(candidate), "--batch", batch,
                 "--json", "--html", str(html)])
    report = json.loads(capsys.readouterr().out)
    assert code == 0 and report["compared"] == 150 and report["changed"] > 0
    assert sum(t["count"] for t in report["transitions"]["decision"]) == 150
    assert "<svg" in html.read_text()
    code = main(["whatif", "--project", str(ROOT), "--store", url, "--candidate", str(candidate), "--sample", "30"])
    assert code == 0 and "30 decisions compared" in capsys.readouterr().out
