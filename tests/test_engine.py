"""The engine end to end on a small expression project: decide, batch, store, explain, reload."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from composite import CompositeEngine, ProjectError, RequestError
from composite.ids import id_time
from tests.conftest import GOOD_LOAN


def test_decide_runs_nodes_in_graph_order_and_returns_outputs(loan_project):
    engine = CompositeEngine.from_path(loan_project, store="memory")
    decision = engine.decide(GOOD_LOAN)
    assert decision.outputs == {"decision": "approve", "ratio": pytest.approx(0.125)}
    assert [step.name for step in decision.trace.nodes] == ["burden", "screen"]
    burden = decision.trace.node("burden")
    assert burden.read == {"amount": 6000, "months": 24, "income": 2000}
    assert burden.wrote == {"instalment": 250.0, "ratio": 0.125}
    screen = decision.trace.node("screen")
    assert screen.read == {"age": 40, "ratio": 0.125}
    assert decision.project == "loan" and decision.project_version == "1.2.0"
    assert set(decision.trace.artifacts) == {"composite.yaml", "knowledge/concepts.yaml"}
    assert all(h.startswith("sha256:") for h in decision.trace.artifacts.values())


def test_each_node_gets_only_what_it_declared(loan_project):
    engine = CompositeEngine.from_path(loan_project, store="memory")
    decision = engine.decide(GOOD_LOAN)
    assert "age" not in decision.trace.node("burden").read
    assert "amount" not in decision.trace.node("screen").read


def test_decision_ids_are_time_ordered_and_unique(loan_project):
    engine = CompositeEngine.from_path(loan_project, store="memory")
    ids = [engine.decide(GOOD_LOAN).id for _ in range(50)]
    assert ids == sorted(ids) and len(set(ids)) == 50
    assert abs((id_time(ids[0]) - engine.get(ids[0]).created_at).total_seconds()) < 1


def test_bad_request_lists_every_problem_and_stores_nothing(loan_project):
    engine = CompositeEngine.from_path(loan_project, store="memory")
    with pytest.raises(RequestError) as caught:
        engine.decide({"amount": "lots", "months": 24.5, "income": -3, "agee": 40, "housing": "castle"})
    fields = {p.field: p for p in caught.value.problems}
    assert set(fields) == {"amount", "months", "income", "age", "agee", "housing"}
    assert "expected a number" in fields["amount"].message
    assert "expected an integer" in fields["months"].message
    assert "below the minimum 1 EUR" in fields["income"].message
    assert fields["age"].code == "missing_field"
    assert fields["agee"].code == "unknown_field" and "did you mean 'age'" in fields["agee"].message
    assert "not one of" in fields["housing"].message
    assert engine.store.count() == 0


def test_optional_context_fields_are_checked_and_kept(loan_project):
    engine = CompositeEngine.from_path(loan_project, store="memory")
    decision = engine.decide({**GOOD_LOAN, "housing": "own"})
    assert decision.inputs["housing"] == "own"


def test_integral_floats_are_accepted_as_integers(loan_project):
    engine = CompositeEngine.from_path(loan_project, store="memory")
    decision = engine.decide({**GOOD_LOAN, "months": 24.0})
    assert decision.inputs["months"] == 24 and isinstance(decision.inputs["months"], int)


def test_decide_batch_agrees_with_decide_row_for_row(loan_project):
    engine = CompositeEngine.from_path(loan_project, store="memory")
    rows = [
        {"amount": 6000, "months": 24, "income": 2000, "age": 40},
        {"amount": 9000, "months": 10, "income": 2000, "age": 40},
        {"amount": 9000, "months": 24, "income": 1200, "age": 30},
        {"amount": 500, "months": 6, "income": 900, "age": 17},
    ]
    frame = engine.decide_batch(pd.DataFrame(rows))
    assert list(frame["decision"]) == [engine.decide(r, record=False).outputs["decision"] for r in rows]
    assert list(frame["decision"]) == ["approve", "decline", "refer", "decline"]
    for i, row in enumerate(rows):
        single = engine.decide(row, record=False)
        stored = engine.get(frame["decision_id"].iloc[i])
        assert math.isclose(frame["ratio"].iloc[i], single.outputs["ratio"])
        assert stored.outputs == single.outputs
        assert [(s.name, s.read, s.wrote) for s in stored.trace.nodes] == [
            (s.name, s.read, s.wrote) for s in single.trace.nodes
        ]
        assert stored.batch_id == frame.attrs["batch_id"]


def test_bad_batch_names_fields_and_rows_and_stores_nothing(loan_project):
    engine = CompositeEngine.from_path(loan_project, store="memory")
    frame = pd.DataFrame([GOOD_LOAN, {**GOOD_LOAN, "age": -1}, {**GOOD_LOAN, "age": 200}])
    with pytest.raises(RequestError) as caught:
        engine.decide_batch(frame)
    assert "below the minimum 0 years in row 1" in str(caught.value)
    assert engine.store.count() == 0


def test_division_by_zero_is_an_evaluation_error_naming_the_node(tmp_path):
    from tests.conftest import write_project
    from composite import EvaluationError

    root = write_project(tmp_path / "p", """
        name: p
        nodes:
          - {name: ratio, kind: expression, writes: {r: a / b}}
    """, """
        concepts:
          a: {type: number}
          b: {type: number}
    """)
    engine = CompositeEngine.from_path(root, store="memory")
    with pytest.raises(EvaluationError, match="node 'ratio'"):
        engine.decide({"a": 1, "b": 0})
    assert engine.store.count() == 0


def test_explain_renders_the_stored_chain_in_the_words_of_knowledge(loan_project):
    engine = CompositeEngine.from_path(loan_project, store="memory")
    decision = engine.decide(GOOD_LOAN)
    text = engine.explain(decision.id, full=True)
    assert f"Decision {decision.id}" in text
    assert "decision = approve  (Outcome)" in text
    assert "amount  6000 EUR  (Amount requested)" in text
    assert "1. burden (expression): Monthly burden" in text
    assert "wrote  instalment = 250 " in text and "[amount / months]" in text
    assert "composite.yaml  sha256:" in text


def test_reload_picks_up_a_changed_file_and_keeps_a_good_version_on_error(loan_project):
    engine = CompositeEngine.from_path(loan_project, store="memory")
    before = engine.decide(GOOD_LOAN)
    path = loan_project / "composite.yaml"
    text = path.read_text()
    path.write_text(text.replace("ratio > 0.25", "ratio > 0.1"))
    assert engine.reload() is True
    after = engine.decide(GOOD_LOAN)
    assert after.outputs["decision"] == "refer"
    assert after.project_hash != before.project_hash
    # the first decision still explains with the formulas of its own version
    assert "ratio > 0.25" in engine.explain(before.id, full=True)
    assert "ratio > 0.1" in engine.explain(after.id, full=True)
    assert engine.get(before.id).trace.artifacts["composite.yaml"] != after.trace.artifacts["composite.yaml"]
    path.write_text("name: [broken")
    with pytest.raises(ProjectError, match="YAML syntax error"):
        engine.reload()
    assert engine.decide(GOOD_LOAN).outputs["decision"] == "refer"


def test_sqlite_is_the_default_store_under_dot_composite(loan_project, monkeypatch):
    monkeypatch.delenv("COMPOSITE_STORE_URL", raising=False)
    engine = CompositeEngine.from_path(loan_project)
    decision = engine.decide(GOOD_LOAN)
    assert (loan_project / ".composite" / "decisions.db").is_file()
    engine.close()
    again = CompositeEngine.from_path(loan_project)
    assert again.get(decision.id).outputs == decision.outputs


def test_store_url_comes_from_the_environment(loan_project, tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    monkeypatch.setenv("COMPOSITE_STORE_URL", url)
    engine = CompositeEngine.from_path(loan_project)
    engine.decide(GOOD_LOAN)
    assert (tmp_path / "elsewhere.db").is_file()
    assert not (loan_project / ".composite").exists()


def test_the_decision_built_on_the_fast_path_validates_as_its_schema(loan_project):
    from composite import Decision

    engine = CompositeEngine.from_path(loan_project, store="memory")
    decision = engine.decide(GOOD_LOAN)
    again = Decision.model_validate(decision.model_dump())
    assert again == decision
    assert again.model_dump_json() == decision.model_dump_json()
