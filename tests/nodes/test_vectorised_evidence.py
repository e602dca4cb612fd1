"""The evidence built from columns equals the row-by-row reference, value for value and string for string.

Issue 10 item 2: reasons (`batch_reasons` vs `reasons_for`), the training-domain check
(`TrainingDomain.check` vs `check_reference`, built on `_check_entry`) and the combiners'
`evaluate_batch` (vs `evaluate_batch_reference`, the single path per row). Compared by `repr`, so
1, 1.0 and True, or 0.0 and -0.0, are told apart as the stored evidence and `explain` tell them apart.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from composite.ml.domain import TrainingDomain
from composite.ml.features import FeatureEncoder, FeatureEncoding
from composite.ml.predict import batch_reasons, evidence_rows, evidence_rows_reference, reasons_for
from composite.nodes.base import typed_column
from composite.nodes.combiners import (FallbackNode, FallbackOptions, GuardNode, GuardOptions, ReviewNode,
                                       ReviewOptions, _floats)

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _same(a: Any, b: Any) -> None:
    assert repr(a) == repr(b)


def _same_batch(batch: Any, reference: Any) -> None:
    assert batch.outputs.keys() == reference.outputs.keys()
    for key in batch.outputs:
        mine, theirs = np.asarray(batch.outputs[key]), np.asarray(reference.outputs[key])
        assert mine.dtype == theirs.dtype, key
        _same(mine.tolist(), theirs.tolist())
    _same(list(batch.evidence), list(reference.evidence))


# -- reasons ------------------------------------------------------------------------------------


class _Concept:
    def __init__(self, description: str | None, unit: str | None = None) -> None:
        self.description, self.unit = description, unit

    def format(self, value: Any) -> str:
        if isinstance(value, str) and value.startswith("x"):
            raise ValueError("cannot format")  # format_value falls back to the plain value
        if isinstance(value, float):
            text = f"{value:.3g}"
        else:
            text = str(value)
        return f"{text} {self.unit}" if self.unit and isinstance(value, (int, float)) else text


class _Knowledge:
    def __init__(self) -> None:
        self.concepts = {"amount": _Concept("Credit amount asked: in EUR", "EUR"), "grade": _Concept("Internal grade"),
                         "flag": _Concept("")}

    def get(self, name: str) -> Any:
        return self.concepts.get(name)


FEATURES = ("amount", "grade", "flag", "plain_name", "other")
VALUES = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.sampled_from([0.0, -0.0, 1.0, 2.5, 1e7, -1.5]),
                   st.sampled_from(["A", "B", "x1", ""]))
CONTRIBUTIONS = st.sampled_from([0.0, -0.0, 0.5, -0.5, 1.0, -1.0, 0.25, -2.0, 1e-12, math.nan])


@st.composite
def _reason_inputs(draw: Any) -> tuple[Any, ...]:
    width = draw(st.integers(1, len(FEATURES)))
    rows = draw(st.integers(0, 30))
    matrix = np.array([[draw(CONTRIBUTIONS) for _ in range(width)] for _ in range(rows)], dtype=np.float64)
    matrix = matrix.reshape(rows, width)
    values = [[draw(VALUES) for _ in range(rows)] for _ in range(width)]
    return FEATURES[:width], values, matrix, draw(st.integers(0, 4))


@SETTINGS
@given(_reason_inputs())
def test_batch_reasons_equal_reasons_for_row_by_row(case):
    features, values, matrix, per_direction = case
    knowledge = _Knowledge()
    expected = [reasons_for(features, [column[i] for column in values], matrix[i], knowledge, per_direction)
                for i in range(len(matrix))]
    _same(batch_reasons(features, values, matrix, knowledge, per_direction), expected)
    _same(batch_reasons(features, values, matrix, None, per_direction), [
        reasons_for(features, [column[i] for column in values], matrix[i], None, per_direction)
        for i in range(len(matrix))])


# -- the domain check ---------------------------------------------------------------------------


ENCODER = FeatureEncoder([
    FeatureEncoding("amount", "number"),
    FeatureEncoding("grade", "categorical", values=("A", "B", "C", "D")),
    FeatureEncoding("owner", "boolean"),
    FeatureEncoding("level", "ordinal", values=(1, 2, 3)),
])
SUMMARY = {
    "rows": 100,
    "features": [
        {"name": "amount", "kind": "number", "missing": 0, "min": 100, "max": 5000.5, "mean": 1000.0, "sd": 400.0},
        {"name": "grade", "kind": "categorical", "missing": 0, "seen": {"A": 10, "B": 50, "C": 40}},
        {"name": "owner", "kind": "boolean", "missing": 3, "seen": {"false": 40, "true": 57}},
        {"name": "level", "kind": "ordinal", "missing": 0, "seen": {"1": 30, "2": 70}},
    ],
    "inputs": [
        {"name": "age", "kind": "number", "missing": 2, "min": 18, "max": 70, "mean": 40.0, "sd": 0.0},
        {"name": "housing", "kind": "category", "missing": 0, "seen": {"rent": 50, "own": 50}},
        {"name": "sector", "kind": "category", "missing": 4, "seen": {"1": 50, "2.0": 50, "true": 1}},
    ],
}

AMOUNTS = st.one_of(st.none(), st.sampled_from([50, 100, 99.5, 5000.5, 5001, 2500, -0.0, math.nan]))
GRADES = st.sampled_from([None, "A", "B", "C", "D", "Z", math.nan])
OWNERS = st.sampled_from([None, True, False])
LEVELS = st.sampled_from([1, 2, 3])
AGES = st.sampled_from([None, 17, 18, 45, 70, 71.5, math.nan])
HOUSING = st.sampled_from([None, "rent", "own", "free", "tent"])
SECTORS = st.sampled_from([None, 1, 2.0, 2, True, "1", "x", 0.0, -0.0, math.nan])


def _column(values: list[Any], style: str) -> np.ndarray:
    """The column as the engine may hand it over: typed where it can be, or object."""
    if style == "typed":
        return typed_column(values)
    if style == "pandas":  # what a DataFrame gives: strings as object, numbers with NaN for None
        return pd.Series(values).to_numpy()
    column = np.empty(len(values), dtype=object)
    column[:] = values
    return column


@st.composite
def _domain_columns(draw: Any) -> tuple[dict[str, np.ndarray], int]:
    rows = draw(st.integers(0, 60))
    style = draw(st.sampled_from(["typed", "object", "pandas"]))
    plain = {
        "amount": [draw(AMOUNTS) for _ in range(rows)],
        "grade": [draw(GRADES) for _ in range(rows)],
        "owner": [draw(OWNERS) for _ in range(rows)],
        "level": [draw(LEVELS) for _ in range(rows)],
        "age": [draw(AGES) for _ in range(rows)],
        "housing": [draw(HOUSING) for _ in range(rows)],
        "sector": [draw(SECTORS) for _ in range(rows)],
    }
    if draw(st.booleans()):  # the common case: strings only, no missing value
        plain["grade"] = [draw(st.sampled_from(["A", "B", "C", "D"])) for _ in range(rows)]
        plain["housing"] = [draw(st.sampled_from(["rent", "own", "free"])) for _ in range(rows)]
        plain["owner"] = [draw(st.booleans()) for _ in range(rows)]
    if draw(st.booleans()):  # a boolean as 0 and 1, a category as numbers
        plain["owner"] = [draw(st.sampled_from([0, 1])) for _ in range(rows)]
        plain["sector"] = [draw(st.sampled_from([1, 2, 3])) for _ in range(rows)]
    columns = {name: _column(values, style) for name, values in plain.items()}
    if draw(st.booleans()):
        columns["housing"] = np.array(plain["housing"] if None not in plain["housing"] else ["own"] * rows,
                                      dtype=str).reshape(rows)
    return columns, rows


@SETTINGS
@given(_domain_columns())
def test_the_domain_check_equals_the_value_by_value_reference(case):
    columns, size = case
    domain = TrainingDomain(SUMMARY)
    check = domain.check(ENCODER, columns, size)
    reference = domain.check_reference(ENCODER, columns, size)
    assert check.inside.dtype == bool and check.inside.tolist() == reference.inside.tolist()
    _same(check.issues, reference.issues)
    _same(check.rows(), [reference.row(i) for i in range(size)])


def test_the_trained_model_evidence_equals_the_row_by_row_reference(tmp_path):
    """A trained model (with the distance check) on rows in and out of its domain."""
    from composite.ml import load_training_project, read_model_spec, train_model, training_data
    from tests.ml.conftest import write_ml_project

    root = write_ml_project(tmp_path / "p")
    project = load_training_project(root)
    spec = read_model_spec(root, "models/risk.model.yaml")
    data = training_data(project, spec)
    model = train_model(spec, data, project.knowledge, validate=False)
    frame = pd.concat([data.frame] * 2, ignore_index=True)
    frame.loc[::7, "income"] = frame["income"].max() * 3
    frame.loc[::11, "region"] = "islands"
    frame.loc[::13, "burden"] = -50.0
    for rows in (frame, frame.iloc[:3]):
        columns = {name: rows[name].to_numpy() for name in rows.columns}
        prediction = model.predict(columns)
        assert not prediction.domain.inside.all()
        reference = model.domain.check_reference(model.encoder, columns, len(rows))
        assert prediction.domain.inside.tolist() == reference.inside.tolist()
        _same(prediction.domain.issues, reference.issues)
        for per_direction in (0, 1, 3):
            _same(evidence_rows(model, prediction, columns, artifact="sha256:x", knowledge=project.knowledge,
                                reasons=per_direction),
                  evidence_rows_reference(model, prediction, columns, artifact="sha256:x",
                                          knowledge=project.knowledge, reasons=per_direction))


# -- combiners ----------------------------------------------------------------------------------


ANY = st.one_of(st.none(), st.booleans(), st.integers(-2, 2), st.sampled_from([0.0, 0.2, 0.9, -0.0, math.nan]),
                st.sampled_from(["none", "refer", "decline", "approve", ""]))
SCORES = st.one_of(st.sampled_from([0.0, 0.1, 0.5, 0.95, 1.0, -0.0, math.nan]), st.integers(0, 1), st.none(),
                   st.booleans(), st.just("high"))
OUTCOMES = st.sampled_from(["approve", "refer", "decline", None, 1, True])


@st.composite
def _table(draw: Any, names: dict[str, Any]) -> tuple[dict[str, np.ndarray], int]:
    rows = draw(st.integers(0, 40))
    style = draw(st.sampled_from(["typed", "object"]))
    columns = {}
    for name, strategy in names.items():
        if draw(st.booleans()):  # a homogeneous column, as most columns are
            one = draw(strategy)
            values = [draw(st.sampled_from([one, one])) if not isinstance(one, float) else
                      draw(st.sampled_from([0.1, 0.6, 0.0, 1.0])) for _ in range(rows)]
        else:
            values = [draw(strategy) for _ in range(rows)]
        columns[name] = _column(values, style)
    return columns, rows


@SETTINGS
@given(_table({"knockout": ANY, "knockout_reason": ANY, "scored": ANY, "scored_reason": ANY}),
       st.sampled_from([["none", None], ["none"], [], [0, "refer"], [math.nan, True]]),
       st.sampled_from([(True, True, True), (True, False, True), (False, True, True), (False, False, False)]))
def test_guard_batch_equals_the_row_path(case, passes, reasons):
    columns, size = case
    override_reason, otherwise_reason, output_reason = reasons
    node = GuardNode("g", GuardOptions(override="knockout", override_reason="knockout_reason" if override_reason else None,
                                       passes=passes, otherwise="scored",
                                       otherwise_reason="scored_reason" if otherwise_reason else None,
                                       output="decision", output_reason="reason" if output_reason else None))
    read = {name: columns[name] for name in node.reads}
    _same_batch(node.evaluate_batch(read, size), node.evaluate_batch_reference(read, size))


@SETTINGS
@given(_table({"inside": st.one_of(st.booleans(), ANY), "model_p": SCORES, "expert_p": SCORES}), st.booleans())
def test_fallback_batch_equals_the_row_path(case, source):
    columns, size = case
    node = FallbackNode("f", FallbackOptions(in_domain="inside", primary="model_p", fallback="expert_p", output="p",
                                             output_source="path" if source else None))
    _same_batch(node.evaluate_batch(columns, size), node.evaluate_batch_reference(columns, size))


@SETTINGS
@given(_table({"expert_p": SCORES, "model_p": SCORES, "outcome": OUTCOMES, "why": ANY}),
       st.sampled_from([[], ["decline"], ["decline", None], [1]]), st.booleans(), st.sampled_from([0.3, 0.05, 0.5]))
def test_review_batch_equals_the_row_path(case, keep, reasons, threshold):
    columns, size = case
    node = ReviewNode("r", ReviewOptions(compare=("expert_p", "model_p"), threshold=threshold, outcome="outcome",
                                         outcome_reason="why" if reasons else None, output="reviewed",
                                         output_reason="reviewed_reason" if reasons else None, keep=keep))
    read = {name: columns[name] for name in node.reads}
    _same_batch(node.evaluate_batch(read, size), node.evaluate_batch_reference(read, size))


@SETTINGS
@given(st.lists(st.one_of(st.none(), st.floats(allow_nan=True), st.integers(-10**6, 10**6), st.booleans()),
                max_size=20), st.sampled_from(["typed", "object"]))
def test_blend_reads_scores_as_the_row_loop_did(values, style):
    column = _column(values, style)
    expected = np.array([math.nan if v is None else v for v in np.asarray(column).tolist()],
                        dtype=np.float64).reshape(len(values))
    _same(_floats(column, len(values)).tolist(), expected.tolist())
