"""Bounded work for any request: limits on strings, fields and nesting; short messages; nothing stored."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from composite import CompositeEngine, Limits, RequestError
from composite.limits import parse_json_request
from tests.conftest import GOOD_LOAN


def _rejected(engine, request, field):
    with pytest.raises(RequestError) as caught:
        engine.decide(request)
    assert field in {p.field for p in caught.value.problems}, caught.value.problems
    assert len(str(caught.value)) < 2_000  # a value is shown cut short, never in full
    assert engine.store.count() == 0
    return caught.value


@pytest.mark.parametrize("value", [10**400, 2**64, -(2**64), 2**63])
def test_integers_beyond_int64_are_refused_before_any_float_conversion(loan_project, value):
    engine = CompositeEngine.from_path(loan_project, store="memory")
    error = _rejected(engine, {**GOOD_LOAN, "amount": value}, "amount")
    assert "outside the 64-bit integer range" in str(error)
    error = _rejected(engine, {**GOOD_LOAN, "months": value}, "months")
    assert "outside the 64-bit integer range" in str(error)


def test_a_long_string_is_refused_and_shown_short(loan_project):
    engine = CompositeEngine.from_path(loan_project, store="memory")
    error = _rejected(engine, {**GOOD_LOAN, "housing": "x" * 10_000_000}, "housing")
    assert "10,000,000 characters, longer than the limit 10,000 (Limits.max_string_length)" in str(error)
    error = _rejected(engine, {**GOOD_LOAN, "amount": "9" * 100_000}, "amount")
    error = _rejected(engine, {**GOOD_LOAN, "z" * 1_000_000: 1}, "z" * 200)
    assert "unknown field" in str(error)


def test_limits_are_configurable(loan_project):
    engine = CompositeEngine.from_path(loan_project, store="memory", limits=Limits(max_string_length=3, max_fields=5))
    _rejected(engine, {**GOOD_LOAN, "housing": "rent"}, "housing")
    with pytest.raises(RequestError, match="6 fields, more than the limit 5"):
        engine.decide({**GOOD_LOAN, "housing": "own", "extra": 1})
    assert engine.decide({**GOOD_LOAN, "housing": "own"}).outputs["decision"] == "approve"
    with pytest.raises(ValueError):
        Limits(max_depth=0)


def test_too_many_fields_is_refused_before_each_is_looked_at(loan_project):
    engine = CompositeEngine.from_path(loan_project, store="memory")
    with pytest.raises(RequestError, match="100,004 fields, more than the limit 1,000") as caught:
        engine.decide({**GOOD_LOAN, **{f"f{i}": i for i in range(100_000)}})
    assert len(str(caught.value)) < 500


def test_deep_and_odd_values_end_in_a_request_error_naming_the_field(loan_project):
    engine = CompositeEngine.from_path(loan_project, store="memory")
    deep: list = []
    for _ in range(100_000):
        deep = [deep]
    _rejected(engine, {**GOOD_LOAN, "age": deep}, "age")
    _rejected(engine, {**GOOD_LOAN, "age": {"a": [1] * 1_000_000}}, "age")
    error = _rejected(engine, {**GOOD_LOAN, 7: 1, (1, 2): 2}, "7")
    assert "field names must be strings, got int 7" in str(error)


def test_batches_keep_the_same_limits(loan_project):
    engine = CompositeEngine.from_path(loan_project, store="memory")
    with pytest.raises(RequestError, match="'housing' is longer than 10,000 characters .* in row 1"):
        engine.decide_batch([{**GOOD_LOAN, "housing": "own"}, {**GOOD_LOAN, "housing": "x" * 20_000}])
    with pytest.raises(RequestError, match="outside the 64-bit integer range in row 0"):
        engine.decide_batch([{**GOOD_LOAN, "amount": 10**400}])
    with pytest.raises(RequestError, match="column names must be strings"):
        engine.decide_batch(pd.DataFrame({**{k: [v] for k, v in GOOD_LOAN.items()}, 3: [1]}))
    assert engine.store.count() == 0


@pytest.mark.parametrize("text, code", [
    ('{"age": 1, "age": 2}', "duplicate_key"),
    ("[" * 100_000 + "]" * 100_000, "request_too_deep"),
    ('{"a": ' + "1" * 5_000 + "}", "input_not_json"),
    ("{not json", "input_not_json"),
    (b'{"a": "\xff"}', "input_not_utf8"),
    ("[1, 2, 3]", "request_not_object"),
    ('"amount"', "request_not_object"),
    ("null", "request_not_object"),
    ("true", "request_not_object"),
    ("5", "request_not_object"),
])
def test_json_requests_are_parsed_within_bounds(text, code):
    with pytest.raises(RequestError) as caught:
        parse_json_request(text, where="req.json")
    assert caught.value.code == code and caught.value.file == "req.json"
    assert len(str(caught.value)) < 500
    with pytest.raises(RequestError, match="more than the limit 10"):
        parse_json_request('{"a": 12345}', limits=Limits(max_request_bytes=10))
    assert parse_json_request('{"a": [[1]], "b": "[["}') == {"a": [[1]], "b": "[["}


def test_cli_refuses_duplicate_keys_and_deep_json_with_exit_1_and_stores_nothing(loan_project, tmp_path):
    store = f"sqlite:///{tmp_path / 'd.db'}"
    for text in ('{"amount": 6000, "amount": 1, "months": 24, "income": 2000, "age": 40}', "[" * 100_000):
        done = subprocess.run([sys.executable, "-m", "composite", "decide", "--project", str(loan_project),
                               "--store", store, "--input", "-"], input=text, capture_output=True, text=True)
        assert done.returncode == 1, done.stderr
        assert "Traceback" not in done.stderr and "standard input" in done.stderr
    history = subprocess.run([sys.executable, "-m", "composite", "history", "--project", str(loan_project),
                              "--store", store], capture_output=True, text=True)
    assert history.stdout.strip() == "no decisions yet"
    assert json.loads(json.dumps(GOOD_LOAN)) == GOOD_LOAN
