"""decide_batch(on_error="collect"): good rows decided and stored, bad rows returned with every problem."""

from __future__ import annotations

import pandas as pd
import pytest

from composite import BatchOutcome, CompositeEngine, RequestError
from tests.conftest import GOOD_LOAN, write_project


def _url(tmp_path):
    return f"sqlite:///{tmp_path / 'd.db'}"


def test_good_rows_are_decided_and_stored_bad_rows_listed_with_row_label_field_and_message(loan_project, tmp_path):
    engine = CompositeEngine.from_path(loan_project, store=_url(tmp_path))
    frame = pd.DataFrame(
        [GOOD_LOAN, {**GOOD_LOAN, "age": -1, "amount": "lots"}, {**GOOD_LOAN, "months": 10}, {**GOOD_LOAN, "age": 200}],
        index=["a", "b", "c", "d"])
    outcome = engine.decide_batch(frame, on_error="collect")
    assert isinstance(outcome, BatchOutcome)
    decided, rejected = outcome
    assert list(decided.index) == ["a", "c"]
    assert list(decided.columns) == ["decision_id", "decision", "ratio"]
    assert list(decided["decision"]) == [engine.decide(GOOD_LOAN, record=False).outputs["decision"],
                                          engine.decide({**GOOD_LOAN, "months": 10}, record=False).outputs["decision"]]
    assert list(rejected.columns) == ["row", "label", "field", "code", "message"]
    assert [tuple(r) for r in rejected[["row", "label", "field", "code"]].itertuples(index=False)] == [
        (1, "b", "amount", "invalid_value"), (1, "b", "age", "invalid_value"), (3, "d", "age", "invalid_value")]
    messages = list(rejected["message"])
    assert messages[0] == "'amount' expected a number, got str 'lots'"
    assert messages[1] == "'age' is -1, below the minimum 0 years"
    assert messages[2] == "'age' is 200, above the maximum 120 years"
    # the same messages decide gives for those rows
    with pytest.raises(RequestError) as caught:
        engine.decide(frame.loc["b"].to_dict())
    assert sorted(p.message for p in caught.value.problems) == sorted(messages[:2])
    # stored: exactly the good rows, in one batch
    assert engine.store.count() == 2
    stored = [engine.get(i) for i in decided["decision_id"]]
    assert {s.batch_id for s in stored} == {decided.attrs["batch_id"]}
    assert [s.inputs["months"] for s in stored] == [24, 10]


def test_a_batch_with_no_bad_row_has_an_empty_rejected_frame(loan_project):
    engine = CompositeEngine.from_path(loan_project, store="memory")
    decided, rejected = engine.decide_batch([GOOD_LOAN, GOOD_LOAN], on_error="collect")
    assert len(decided) == 2 and rejected.empty
    assert list(rejected.columns) == ["row", "label", "field", "code", "message"]


def test_all_bad_rows_store_nothing_and_the_default_stays_all_or_nothing(loan_project):
    engine = CompositeEngine.from_path(loan_project, store="memory")
    decided, rejected = engine.decide_batch([{**GOOD_LOAN, "age": "x"}, {**GOOD_LOAN, "age": None}], on_error="collect")
    assert decided.empty and list(rejected["row"]) == [0, 1]
    assert rejected["message"].iloc[1] == "'age' is null; a value is required"
    assert engine.store.count() == 0
    with pytest.raises(RequestError, match="row 1"):
        engine.decide_batch([GOOD_LOAN, {**GOOD_LOAN, "age": "x"}])
    assert engine.store.count() == 0


def test_a_row_a_node_cannot_decide_is_rejected_with_the_nodes_error(tmp_path):
    root = write_project(tmp_path / "p", """
        name: p
        nodes:
          - {name: ratio, kind: expression, writes: {r: a / b}}
    """, """
        concepts:
          a: {type: number}
          b: {type: number}
    """)
    engine = CompositeEngine.from_path(root, store=_url(tmp_path))
    decided, rejected = engine.decide_batch([{"a": 1, "b": 2}, {"a": 1, "b": 0}, {"a": 3, "b": 4}], on_error="collect")
    assert list(decided["r"]) == [0.5, 0.75] and list(decided.index) == [0, 2]
    assert list(rejected["row"]) == [1] and "ratio" in rejected["message"].iloc[0]
    assert engine.store.count() == 2


def test_a_frame_wide_problem_raises_in_both_modes(loan_project):
    engine = CompositeEngine.from_path(loan_project, store="memory")
    with pytest.raises(RequestError, match="unknown column 'agee'"):
        engine.decide_batch([{**GOOD_LOAN, "agee": 1}], on_error="collect")
    with pytest.raises(RequestError, match="on_error"):
        engine.decide_batch([GOOD_LOAN], on_error="skip")
    assert engine.store.count() == 0
