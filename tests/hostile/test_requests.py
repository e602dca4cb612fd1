"""Hostile requests in process: `decide` and `decide_batch` (both modes) on the known-nasty values
and on generated wrong values per concept type, on the small project and the default one.

For each: the project's own error type, the field it concerns, a short message, nothing stored in
the real SQLite store, and the case finishes (`bounded`).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from composite import CompositeEngine, CompositeError, RequestError
from tests.conftest import REPO
from tests.hostile.bounds import bounded
from tests.hostile.corpus import NASTY_VALUES, NOT_A_REQUEST, BadValue, field_names
from tests.hostile.project import CONCEPTS_YAML, FIELD_TYPES, GOOD, REQUIRED, stored

# Batch rows give every optional input too (rows that leave some out: test_omitted_inputs.py, and
# test_a_row_that_omits_an_optional_input_is_decided_as_decide_decides_it below).
FULL = {**GOOD, "level": 5.0, "note": "fine"}

SHORT = 2_000  # characters: an error message never carries a big value in full


def _cases(cases: list[BadValue]) -> list[Any]:
    return [pytest.param(c, id=c.id, marks=pytest.mark.xfail(strict=True, reason=c.known_defect))
            if c.known_defect else pytest.param(c, id=c.id) for c in cases]


def _refused(engine: CompositeEngine, db: Path, error: type[CompositeError], call: Any) -> CompositeError:
    before = stored(db)
    with bounded(), pytest.raises(CompositeError) as caught:
        call()
    assert isinstance(caught.value, error), repr(caught.value)[:SHORT]
    assert len(str(caught.value)) < SHORT
    assert stored(db) == before
    return caught.value


@pytest.mark.parametrize("case", _cases(NASTY_VALUES))
def test_decide_refuses_a_nasty_value_naming_its_field(engine, hostile, case: BadValue):
    error = _refused(engine, hostile[1], case.error, lambda: engine.decide(case.request()))
    assert case.reported in field_names(error), error.problems


@pytest.mark.parametrize("case", _cases(NASTY_VALUES))
def test_decide_batch_refuses_the_row_whole_naming_its_field(engine, hostile, case: BadValue):
    rows = [FULL, FULL, {**FULL, case.field: case.make()}, FULL]
    error = _refused(engine, hostile[1], case.error, lambda: engine.decide_batch(rows))
    assert case.reported in field_names(error), error.problems


@pytest.mark.parametrize("case", _cases(NASTY_VALUES))
def test_decide_batch_collect_stores_the_good_rows_and_returns_the_bad_one(engine, hostile, case: BadValue):
    rows = [FULL, FULL, {**FULL, case.field: case.make()}, FULL]
    db = hostile[1]
    before = stored(db)
    if case.field not in FIELD_TYPES:  # a column nobody knows: every row is bad alike, so it raises
        error = _refused(engine, db, RequestError, lambda: engine.decide_batch(rows, on_error="collect"))
        assert case.reported in field_names(error), error.problems
        return
    with bounded():
        outcome = engine.decide_batch(rows, on_error="collect")
    assert list(outcome.decided.index) == [0, 1, 3]
    assert set(outcome.rejected["row"]) == {2} and case.reported in set(outcome.rejected["field"])
    assert all(len(m) < SHORT for m in outcome.rejected["message"])
    assert stored(db) == before + 3


@pytest.mark.parametrize("make", [m for _, m in NOT_A_REQUEST], ids=[i for i, _ in NOT_A_REQUEST])
def test_a_request_that_is_not_a_mapping_of_fields_is_refused(engine, hostile, make):
    request = make()
    error = _refused(engine, hostile[1], RequestError, lambda: engine.decide(request))
    assert error.problems and all(p.code for p in error.problems)
    if isinstance(request, dict) and not request:
        assert set(REQUIRED) <= field_names(error)


def test_a_bad_row_deep_in_a_large_batch_is_found_in_both_modes(engine, hostile):
    """The issue's example: a "5" and a True at row 1,500 (the check once stopped at row 1,000)."""
    db = hostile[1]
    frame = pd.DataFrame([FULL] * 2_000).astype({"amount": object, "count": object})
    frame.loc[1_500, "amount"] = "5"
    frame.loc[1_750, "count"] = True
    error = _refused(engine, db, RequestError, lambda: engine.decide_batch(frame))
    assert {"amount", "count"} <= field_names(error)
    assert "row 1500" in str(error) and "row 1750" in str(error)
    before = stored(db)
    with bounded():
        outcome = engine.decide_batch(frame, on_error="collect")
    assert sorted(outcome.rejected["row"]) == [1_500, 1_750]
    assert set(outcome.rejected["field"]) == {"amount", "count"}
    assert len(outcome.decided) == 1_998 and stored(db) == before + 1_998


def test_a_row_that_omits_an_optional_input_is_decided_as_decide_decides_it(engine):
    single = engine.decide(GOOD, record=False).outputs
    with bounded():
        batch = engine.decide_batch([GOOD, {**GOOD, "level": 3.0}], record=False)
    assert batch.iloc[0][list(single)].to_dict() == single


@pytest.mark.parametrize("columns", [
    pytest.param(lambda f: f.set_axis(["amount", "amount", "grade", "flag", "level", "note"], axis=1), id="column-twice"),
    pytest.param(lambda f: pd.concat([f, pd.DataFrame({f"c{i}": 0 for i in range(1_001)}, index=f.index)], axis=1), id="too-many-columns"),
    pytest.param(lambda f: f.drop(columns=["flag"]), id="missing-column"),
    pytest.param(lambda f: f.rename(columns={"count": 3}), id="int-column-name"),
    pytest.param(lambda f: f.assign(amount=pd.array([1, None, 3], dtype="Int64")), id="pd-NA-required"),
    pytest.param(lambda f: f.assign(count=[2**63, 1, 1]).astype({"count": "uint64"}), id="uint64-beyond-int64"),
    pytest.param(lambda f: f.assign(amount=[math.inf, 1.0, 2.0]), id="inf-in-float-column"),
    pytest.param(lambda f: f.assign(grade=pd.Categorical(["a", "z", "b"])), id="categorical-unknown-value"),
    pytest.param(lambda f: f.assign(flag=[1, 0, 1]), id="int-column-for-boolean"),
    pytest.param(lambda f: f.assign(count=[1.5, 2.0, 3.0]), id="fraction-in-integer-column"),
])
def test_a_bad_frame_is_refused_with_its_column(engine, hostile, columns):
    frame = columns(pd.DataFrame([FULL] * 3))
    error = _refused(engine, hostile[1], RequestError, lambda: engine.decide_batch(frame))
    # located at its column, or a problem of the frame's width (no one column is to blame)
    assert field_names(error) or {p.code for p in error.problems} == {"too_many_fields"}, error.problems


# -- generated: a wrong value for each concept type ----------------------------------------------

_NOT_SURROGATE = st.characters(blacklist_categories=("Cs",))
_ANY_TEXT = st.text(_NOT_SURROGATE, max_size=20)
_NON_FINITE = st.sampled_from([math.inf, -math.inf, math.nan])
_BEYOND_INT64 = st.integers(min_value=2**63) | st.integers(max_value=-(2**63) - 1)
_CONTAINERS = st.lists(st.integers(), max_size=3) | st.dictionaries(_ANY_TEXT, st.integers(), max_size=2)

WRONG = {
    # amount: number in [0, 1e6]
    "number": _ANY_TEXT | st.booleans() | _CONTAINERS | _NON_FINITE | _BEYOND_INT64 | st.none()
    | st.floats(min_value=1_000_000, exclude_min=True, allow_infinity=False)
    | st.floats(max_value=0, exclude_max=True, allow_infinity=False) | st.integers(min_value=1_000_001)
    | st.integers(max_value=-1),
    # count: integer in [0, 100]
    "integer": _ANY_TEXT | st.booleans() | _CONTAINERS | _NON_FINITE | _BEYOND_INT64 | st.none()
    | st.floats(0, 100).filter(lambda x: not x.is_integer()) | st.integers(min_value=101) | st.integers(max_value=-1),
    # grade: category a, b, c
    "category": _ANY_TEXT.filter(lambda s: s not in ("a", "b", "c")) | st.integers() | st.floats() | st.booleans()
    | _CONTAINERS | st.none(),
    # flag: boolean
    "boolean": st.integers() | st.floats() | _ANY_TEXT | _CONTAINERS | st.none(),
    # note: optional string (null is fine, so not drawn)
    "string": st.integers() | st.floats() | st.booleans() | st.binary(max_size=5) | _CONTAINERS,
}
_FIELD_OF_TYPE = {"number": "amount", "integer": "count", "category": "grade", "boolean": "flag", "string": "note"}
_KNOWN = set(FIELD_TYPES) | {"score", "label", "band_points", "comfort"}
PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                           HealthCheck.too_slow])


@PROPERTY
@given(data=st.data(), kind=st.sampled_from(sorted(WRONG)))
def test_any_wrong_value_for_a_concept_type_is_refused_alike_in_decide_and_batch(engine, hostile, data, kind):
    name = _FIELD_OF_TYPE[kind]
    value = data.draw(WRONG[kind], label=f"{name} ({kind})")
    request = {**FULL, name: value}
    error = _refused(engine, hostile[1], RequestError, lambda: engine.decide(request))
    assert name in field_names(error)
    error = _refused(engine, hostile[1], RequestError, lambda: engine.decide_batch([FULL, request]))
    assert name in field_names(error)


@PROPERTY
@given(name=st.text(_NOT_SURROGATE, min_size=1, max_size=300).filter(lambda s: s not in _KNOWN)
       | st.integers() | st.floats(allow_nan=False) | st.tuples(st.integers()),
       value=st.integers() | _ANY_TEXT | st.none())
def test_any_unknown_or_non_string_field_is_refused_naming_it(engine, hostile, name, value):
    error = _refused(engine, hostile[1], RequestError, lambda: engine.decide({**GOOD, name: value}))
    assert str(name)[:200] in field_names(error)


@PROPERTY
@given(data=st.data())
def test_generated_bad_rows_in_a_batch_are_rejected_exactly_in_collect_mode(engine, hostile, data):
    size = data.draw(st.integers(1, 40), label="rows")
    bad = data.draw(st.dictionaries(st.integers(0, size - 1), st.sampled_from(sorted(WRONG)), max_size=size),
                    label="bad rows")
    rows = []
    for i in range(size):
        row = dict(FULL)
        if i in bad:
            name = _FIELD_OF_TYPE[bad[i]]
            row[name] = data.draw(WRONG[bad[i]].filter(lambda v: v is not None or name != "note"))
        rows.append(row)
    db = hostile[1]
    before = stored(db)
    with bounded():
        outcome = engine.decide_batch(rows, on_error="collect")
    assert set(outcome.rejected["row"]) == set(bad)
    assert list(outcome.decided.index) == [i for i in range(size) if i not in bad]
    assert stored(db) == before + size - len(bad)


# -- the default project at the repository root ---------------------------------------------------


def _wrong_for(concept: Any) -> list[Any]:
    """Values of the wrong type (or outside what is allowed) for one concept of knowledge/."""
    if concept.type == "number" or concept.type == "integer":
        # (NaN is null in a batch, as documented: wrong only where a value is required)
        wrong = ["5", True, 10**400, math.inf, "1e400", [1], math.nan if concept.required else "x" * 20_000]
        if concept.type == "integer":
            wrong.append(1.5)
        return wrong
    if concept.type == "boolean":
        return [1, "true", 0.0, None if concept.required else [True]]
    return [1, True, "no-such-value-" + "x" * 20_000, ["a"], {"a": 1}, None if concept.required else 2.5]


@pytest.fixture(scope="module")
def default_engine(tmp_path_factory: pytest.TempPathFactory):
    import json

    db = tmp_path_factory.mktemp("default") / "decisions.db"
    engine = CompositeEngine.from_path(REPO, store=f"sqlite:///{db}")  # the store is outside the project
    sample = json.loads((REPO / "data" / "sample_application.json").read_text())
    engine.decide(sample)
    yield engine, db, sample
    engine.close()


def test_every_input_of_the_default_project_refuses_values_of_the_wrong_type(default_engine):
    engine, db, sample = default_engine
    schema = engine.project.input_schema
    cases = 0
    for name, concept in schema.concepts.items():
        if name not in schema._known:
            continue
        for value in _wrong_for(concept):
            request = {**sample, name: value}
            error = _refused(engine, db, RequestError, lambda: engine.decide(request))
            assert name in field_names(error), (name, value)
            error = _refused(engine, db, RequestError, lambda: engine.decide_batch([sample, request]))
            assert name in field_names(error), (name, value)
            cases += 1
    assert cases > 100
    assert stored(db) == 1


def test_the_concepts_file_of_the_small_project_covers_every_type():
    assert {"number", "integer", "category", "boolean", "string"} <= set(FIELD_TYPES.values())
    assert all(f"type: {kind}" in CONCEPTS_YAML for kind in FIELD_TYPES.values())


_SURROGATE = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)


@PROPERTY
@given(before=st.text(max_size=10), surrogate=_SURROGATE, after=st.text(max_size=10))
def test_text_with_a_lone_surrogate_is_refused_alike_in_decide_and_batch(engine, hostile, before, surrogate, after):
    """No store can hold a lone surrogate (orjson refuses it): the schema refuses it, naming the field."""
    request = {**FULL, "note": before + surrogate + after}
    error = _refused(engine, hostile[1], RequestError, lambda: engine.decide(request))
    assert "note" in field_names(error)
    error = _refused(engine, hostile[1], RequestError, lambda: engine.decide_batch([FULL, request, {**FULL, "note": "é"}]))
    assert "note" in field_names(error) and "row 1" in str(error)


@PROPERTY
@given(note=st.text(_NOT_SURROGATE, max_size=30))
def test_any_unicode_text_is_accepted_alike_in_decide_and_batch(engine, note):
    request = {**FULL, "note": note}
    assert engine.decide(request, record=False).inputs["note"] == note
    engine.decide_batch([FULL, request], record=False)


@pytest.mark.parametrize("field", ["note", "amount", "flag", "grade", "level"])
def test_a_nan_given_in_a_row_of_mappings_is_refused_as_decide_refuses_it(engine, field):
    """Found by the property above: rows given as mappings reach the check as given, so a float NaN
    is a value there (refused, with decide's message), not pandas' missing value."""
    row = dict(FULL, **{field: float("nan")})
    with pytest.raises(RequestError) as single:
        engine.decide(row, record=False)
    outcome = engine.decide_batch([row, dict(FULL)], on_error="collect", record=False)
    assert outcome.rejected[["row", "field", "code"]].values.tolist() == [[0, field, "invalid_value"]]
    assert outcome.rejected["message"][0] == single.value.problems[0].message
    assert len(outcome.decided) == 1
