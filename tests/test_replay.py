"""Replay: a stored decision decided again with its own project version comes out bit for bit."""

from __future__ import annotations

import math
import shutil
import sqlite3

import pandas as pd
import pytest

from composite import CompositeEngine, DecisionNotFound
from composite.cli import main
from composite.replay import replay_many, same
from composite.store._codec import derived_names
from tests.conftest import REPO
from tests.nodes.test_conformance import _projects, _sample_rows


def _rows(engine: CompositeEngine, root) -> list[dict]:
    known = set(engine.project.input_schema.concepts)
    return [{k: v for k, v in row.items() if k in known} for row in _sample_rows(root)]


@pytest.mark.parametrize("root", _projects(), ids=lambda p: p.name if p != REPO else "default")
def test_every_scenario_of_every_project_replays_bit_for_bit_single_and_batch(root, tmp_path):
    url = f"sqlite:///{tmp_path / 'd.db'}"
    engine = CompositeEngine.from_path(root, store=url)
    rows = _rows(engine, root)
    singles = [engine.decide(row).id for row in rows]
    batch = engine.decide_batch(pd.DataFrame(rows))
    engine.close()
    # a new process's view: the store alone, the project loaded from the stored snapshot
    engine = CompositeEngine.from_path(root, store=url)
    results = {r.decision_id: r for r in replay_many(engine.store)}
    assert len(results) == 2 * len(rows)
    assert [r for r in results.values() if not r.identical] == []
    assert engine.replay(singles[0]).identical
    assert all(results[i].identical for i in batch["decision_id"])
    engine.close()


def _copy_default(tmp_path):
    project = tmp_path / "project"
    shutil.copytree(REPO, project, ignore=shutil.ignore_patterns(".composite", ".git", ".venv", "tests", "docs",
                                                                 "benchmarks", "examples", "*.egg-info"))
    return project


def test_a_tampered_stored_derived_value_is_a_difference_at_the_node_that_wrote_it(tmp_path):
    url = f"sqlite:///{tmp_path / 'd.db'}"
    engine = CompositeEngine.from_path(REPO, store=url)
    row = _rows(engine, REPO)[0]
    decision = engine.decide(row)
    snapshot = engine.store.project(decision.project_hash)
    names = derived_names(snapshot["nodes"], decision.inputs, decision.outputs)
    at = names.index("duration_points")
    stored = engine.get(decision.id).trace.node("duration_score").wrote["duration_points"]
    engine.close()
    with sqlite3.connect(tmp_path / "d.db") as db:
        db.execute(f"UPDATE decisions SET record = json_set(record, '$.derived[{at}]', 999) WHERE id = ?",
                   (decision.id,))
    engine = CompositeEngine.from_path(REPO, store=url)
    result = engine.replay(decision.id)
    assert not result.identical and result.first_node == "duration_score"
    assert [(d.node, d.key, d.stored, d.replayed) for d in result.differences] == [
        ("duration_score", "duration_points", 999, stored)]
    assert "duration_score: duration_points: stored 999" in "\n".join(result.lines())
    engine.close()


def test_replay_uses_the_decisions_own_project_version_not_the_files_now(tmp_path):
    project = _copy_default(tmp_path)
    engine = CompositeEngine.from_path(project, store="memory")
    row = _rows(engine, REPO)[0]
    decision = engine.decide(row)
    store = engine.store
    table = project / "rules" / "scorecard" / "duration.table.yaml"
    text = table.read_text()
    table.write_text(text.replace("duration_points: 20", "duration_points: 25").replace("duration_points: 12",
                                                                                        "duration_points: 15"))
    changed = CompositeEngine(__import__("composite.project", fromlist=["load_project"]).load_project(project), store)
    assert changed.project.hash != decision.project_hash
    assert changed.replay(decision.id).identical
    text = changed.explain(decision.id)
    assert "The project files differ from the ones this decision was made with" in text
    assert "  changed  rules/scorecard/duration.table.yaml" in text
    assert "project files differ" not in engine.explain(decision.id)


def test_same_is_bit_for_bit_as_the_store_keeps_values():
    assert same(math.nan, math.nan) and same(1.5, 1.5) and same([1, "a"], (1, "a"))
    assert not same(1, 1.0) and not same(0.0, -0.0) and not same(0.1, 0.1 + 1e-17 * 2)
    assert same(__import__("numpy").float64(0.25), 0.25)


def test_cli_replay_prints_identical_or_the_diff_and_counts_many(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'd.db'}"
    engine = CompositeEngine.from_path(REPO, store=url)
    rows = _rows(engine, REPO)[:5]
    first = engine.decide(rows[0]).id
    out = engine.decide_batch(pd.DataFrame(rows))
    engine.close()
    assert main(["replay", first, "--store", url, "--project", str(REPO)]) == 0
    assert capsys.readouterr().out == f"{first}: identical\n"
    assert main(["replay", "--batch", out.attrs["batch_id"], "--store", url]) == 0
    assert capsys.readouterr().out.endswith("5 replayed: 5 identical, 0 different, 0 failed\n")
    assert main(["replay", "--all", "--sample", "3", "--store", url]) == 0
    assert "3 replayed: 3 identical" in capsys.readouterr().out
    assert main(["replay", "--since", "2000-01-01", "--until", "2000-01-02", "--store", url]) == 0
    assert "0 replayed" in capsys.readouterr().out
    with sqlite3.connect(tmp_path / "d.db") as db:
        db.execute("UPDATE decisions SET outputs = json_set(outputs, '$.decision', 'approve-ish') WHERE id = ?",
                   (out["decision_id"][1],))
    assert main(["replay", "--all", "--store", url]) == 1
    text = capsys.readouterr().out
    assert f"{out['decision_id'][1]}: different" in text and "6 replayed: 5 identical, 1 different, 0 failed" in text
    assert main(["replay", "--store", url]) == 2
    with pytest.raises(DecisionNotFound):
        CompositeEngine.from_path(REPO, store=url).replay("nope")


def test_a_decision_stored_with_its_evidence_replays_too(tmp_path):
    url = f"sqlite:///{tmp_path / 'd.db'}"
    engine = CompositeEngine.from_path(REPO, store=url, evidence="eager")
    rows = _rows(engine, REPO)[:20]
    ids = [engine.decide(row).id for row in rows] + list(engine.decide_batch(pd.DataFrame(rows))["decision_id"])
    assert all(engine.replay(i).identical for i in ids)
    engine.close()
