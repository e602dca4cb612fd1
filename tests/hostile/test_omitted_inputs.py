"""A row that leaves an input out is decided as `decide` decides the same request.

`decide` gives a left-out input its concept's `default` (or null when it has none); a null given
explicitly stays null. `decide_batch` must do the same for rows given as mappings, whichever of
them leave a key out (once a left-out optional input with a default became a null cell).
"""

from __future__ import annotations

import math
from itertools import product
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from composite import CompositeEngine, CompositeError
from tests.conftest import write_project
from tests.hostile.bounds import bounded

COMPOSITE_YAML = """\
name: omitted
version: 1.0.0
outputs: [total, tag, kind_out, remark]
nodes:
  - name: calc
    kind: expression
    writes:
      total: amount + level * 10 + coalesce(bonus, 0)
      tag: coalesce(note, "none")
      kind_out: kind
      remark: if coalesce(urgent, false) then "urgent" else "normal"
"""

CONCEPTS_YAML = """\
concepts:
  amount: {type: number, description: Amount}
  level: {type: number, range: [0, 10], required: false, default: 5, description: "Optional, with a default"}
  bonus: {type: integer, required: false, description: "Optional, no default"}
  note: {type: string, required: false, description: "Optional text, no default"}
  kind: {type: category, values: [x, y, z], default: y, description: "Required, with a default"}
  urgent: {type: boolean, required: false, default: true, description: Optional boolean with a default}
  extra: {type: string, required: false, description: Read by no node}
  total: {type: number, description: Total}
  tag: {type: string, description: Tag}
  kind_out: {type: category, values: [x, y, z], description: Kind}
  remark: {type: category, values: [urgent, normal], description: Remark}
"""

# an optional input's value when a row gives it (None: an explicit null)
GIVEN = {"level": [2.5, None], "bonus": [7, None], "note": ["hello", None], "kind": ["z"], "urgent": [False, None],
         "extra": ["more", None]}
OPTIONAL = sorted(GIVEN)


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> CompositeEngine:
    root = write_project(tmp_path_factory.mktemp("omitted") / "project", COMPOSITE_YAML, CONCEPTS_YAML)
    with CompositeEngine.from_path(root, store="memory") as opened:
        yield opened


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b and (a is None) == (b is None)


def _single(engine: CompositeEngine, row: dict[str, Any]) -> Any:
    try:
        return engine.decide(row, record=False).outputs
    except CompositeError as exc:
        return type(exc)


def _assert_agree(engine: CompositeEngine, rows: list[dict[str, Any]]) -> None:
    singles = [_single(engine, row) for row in rows]
    with bounded():
        outcome = engine.decide_batch(rows, on_error="collect")
    rejected = set(outcome.rejected["row"])
    assert rejected == {i for i, s in enumerate(singles) if not isinstance(s, dict)}, (rows, outcome.rejected)
    decided = outcome.decided
    for i, single in enumerate(singles):
        if i in rejected:
            continue
        batch = decided.loc[i, list(single)].to_dict()
        assert all(_same(single[k], batch[k]) for k in single), (rows[i], single, batch)
    # all or nothing: the same rows, the same answers
    if not rejected:
        with bounded():
            plain = engine.decide_batch(rows, record=True)
        for i, single in enumerate(singles):
            assert all(_same(single[k], plain.loc[i, k]) for k in single)
            stored = engine.get(plain.loc[i, "decision_id"])
            assert all(_same(single[k], stored.outputs[k]) for k in single)
            given = engine.decide(rows[i], record=False).inputs
            assert all(_same(given[k], stored.inputs.get(k)) for k in given), (given, stored.inputs)


BASE = {"amount": 100.0}


@pytest.mark.parametrize("left_out", OPTIONAL, ids=lambda name: f"without-{name}")
def test_a_row_that_leaves_out_one_input_is_decided_as_decide_decides_it(engine, left_out):
    full = {**BASE, **{name: values[0] for name, values in GIVEN.items()}}
    without = {k: v for k, v in full.items() if k != left_out}
    _assert_agree(engine, [full, without, full])
    _assert_agree(engine, [without, full])
    _assert_agree(engine, [without])  # every row leaves it out: the column is absent


def test_the_defaults_spelled_out(engine):
    """The expected values themselves: the defaults of knowledge/ apply in both."""
    single = engine.decide(BASE, record=False).outputs
    assert single == {"total": 150.0, "tag": "none", "kind_out": "y", "remark": "urgent"}
    batch = engine.decide_batch([{**BASE, "note": "n", "level": 1.0, "kind": "x", "urgent": False}, BASE], record=False)
    assert batch.iloc[1][list(single)].to_dict() == single
    assert batch.iloc[0][list(single)].to_dict() == {"total": 110.0, "tag": "n", "kind_out": "x", "remark": "normal"}


_ROW = st.fixed_dictionaries(
    {"amount": st.sampled_from([0.0, 100.0, 2.5])},
    optional={name: st.sampled_from(values) for name, values in GIVEN.items()},
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(rows=st.lists(_ROW, min_size=1, max_size=8))
def test_any_rows_leaving_out_any_optional_inputs_agree_with_decide(engine, rows):
    _assert_agree(engine, rows)


@pytest.mark.parametrize("pattern", list(product([True, False], repeat=3)), ids=str)
def test_left_out_and_explicit_null_differ_alike(engine, pattern):
    """Left out: the default; given as null: null (here an error for `level`, read by arithmetic)."""
    rows = [({**BASE, "level": None} if null else dict(BASE)) for null in pattern]
    _assert_agree(engine, rows)
