"""Dates, times and durations: one set of values across knowledge/, expressions, tables, rules and the store.

`loss_date - policy_start < duration("P90D")` must mean the same in an expression node, a rule and a
table, on one decision and on a batch, and read back from the store as the same values.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from composite import CompositeEngine
from composite.errors import EvaluationError, ExpressionSyntaxError, ProjectError, RequestError
from composite.expr import parse
from composite.expr._types import DATE, DURATION, infer, of_concept
from composite.feel.values import DayTimeDuration, YearMonthDuration
from composite.knowledge import Concept, InputSchema, Knowledge
from composite.rules import load_ruleset
from composite.rules.analysis import why_not
from composite.rules.durable import engine_for
from composite.store._codec import dumps, loads, restore_temporal
from composite.tables import analyse, parse_unary_tests, read_table_yaml, to_feel
from composite.tables.analysis import Domain
from tests.conftest import REPO

EXAMPLE = REPO / "examples" / "claims_dates"


def days(n: int) -> DayTimeDuration:
    return DayTimeDuration(Decimal(n * 86400))


# -- knowledge/: concepts of type date, datetime, time, duration ---------------------------------


def test_a_date_concept_takes_iso_text_and_refuses_other_spellings():
    loss = Concept(name="loss_date", type="date")
    assert loss.check("2026-03-01") == (dt.date(2026, 3, 1), None)
    assert loss.check(dt.date(2026, 3, 1)) == (dt.date(2026, 3, 1), None)  # a YAML scenario's date
    assert loss.check("03/01/2026") == (None, "expected a date like 2026-03-01, got str '03/01/2026'")
    assert loss.check("20260301")[1] == "expected a date like 2026-03-01, got str '20260301'"
    assert loss.check("2026-02-30")[1] == ("expected a date like 2026-03-01; day is out of range for month, "
                                           "got str '2026-02-30'")
    assert loss.check(20260301)[1] == "expected a date like 2026-03-01, got int 20260301"


def test_a_request_with_a_bad_date_names_the_field_and_stores_nothing():
    knowledge = Knowledge({"loss_date": Concept(name="loss_date", type="date"),
                           "amount": Concept(name="amount", type="number")})
    schema = InputSchema(knowledge, ["loss_date", "amount"])
    with pytest.raises(RequestError) as info:
        schema.validate({"loss_date": "03/01/2026", "amount": "x"})
    messages = [p.message for p in info.value.problems]
    assert messages == ["'loss_date' expected a date like 2026-03-01, got str '03/01/2026'",
                        "'amount' expected a number, got str 'x'"]
    assert [p.field for p in info.value.problems] == ["loss_date", "amount"]


def test_date_time_and_duration_concepts():
    at = Concept(name="reported_at", type="datetime")
    assert at.check("2026-03-02T09:15:00") == (dt.datetime(2026, 3, 2, 9, 15), None)
    assert at.check("2026-03-02T09:15Z") == (dt.datetime(2026, 3, 2, 9, 15, tzinfo=dt.timezone.utc), None)
    assert at.check("2026-03-02")[1].startswith("expected a date and time like 2026-03-01T14:30:00")
    assert Concept(name="t", type="time").check("14:30") == (dt.time(14, 30), None)
    age = Concept(name="policy_age", type="duration")
    assert age.check("P90D") == (days(90), None)
    assert age.check("P1Y")[1] == "expected a duration in days and time like P90D or PT36H, got str 'P1Y'"
    term = Concept(name="term", type="years_months")
    assert term.check("P1Y6M") == (YearMonthDuration(18), None)


def test_a_date_range_is_read_from_yaml_dates_or_text_and_checked():
    knowledge = Knowledge.load(Path("."), [("knowledge/c.yaml", b"concepts:\n"
                                            b"  start: {type: date, range: [2000-01-01, '2100-12-31']}\n"
                                            b"  age: {type: duration, range: [P0D, null]}\n")])
    start, age = knowledge["start"], knowledge["age"]
    assert start.range == (dt.date(2000, 1, 1), dt.date(2100, 12, 31))
    assert start.check("1999-12-31")[1] == "is 1999-12-31, before the minimum 2000-01-01"
    assert start.check("2101-01-01")[1] == "is 2101-01-01, after the maximum 2100-12-31"
    assert age.check("-P1D")[1] == "is -P1D, before the minimum PT0S"
    assert start.model_dump(mode="json")["range"] == ["2000-01-01", "2100-12-31"]


def test_a_bad_date_range_is_a_load_error_at_its_line():
    with pytest.raises(ProjectError) as info:
        Knowledge.load(Path("."), [("knowledge/c.yaml", b"concepts:\n  start: {type: date, range: [2000-13-01, null]}\n"
                                   b"  end: {type: date, range: [2020-01-01, 2000-01-01]}\n")])
    problems = info.value.problems
    assert [(p.file, p.line) for p in problems] == [("knowledge/c.yaml", 2), ("knowledge/c.yaml", 3)]
    assert "range bound '2000-13-01': expected a date like 2026-03-01" in problems[0].message
    assert "range [2020-01-01, 2000-01-01] is empty" in problems[1].message


def test_batch_validation_agrees_with_one_request_on_dates():
    knowledge = Knowledge({"d": Concept(name="d", type="date", range=("2000-01-01", None)),
                           "at": Concept(name="at", type="datetime", required=False)})
    schema = InputSchema(knowledge, ["d"])
    frame = pd.DataFrame({"d": ["2026-01-01", "1999-01-01", "2026/01/01", "2026-02-01"],
                          "at": ["2026-01-01T10:00:00", None, "x", "2026-01-01T10:00:00+02:00"]})
    checked = schema.check_frame(frame)
    for i, row in enumerate(frame.to_dict("records")):
        row = {k: v for k, v in row.items() if not pd.isna(v)}  # an empty cell is a field left out
        try:
            one = schema.validate(row)
        except RequestError as exc:
            expected = sorted(p.message for p in exc.problems)
            assert sorted(m for r, _, _, m in checked.problems if r == i) == expected
        else:
            assert i not in checked.rows
            assert checked.columns["d"][i] == one["d"]
    assert checked.rows == [1, 2]
    # numpy and pandas dates are dates too
    typed = schema.validate_frame(pd.DataFrame({"d": pd.to_datetime(["2026-01-01", "2026-03-01"])}))
    assert typed["d"].tolist() == [dt.date(2026, 1, 1), dt.date(2026, 3, 1)]


# -- the expression language ---------------------------------------------------------------------

ROW = {"loss_date": dt.date(2026, 3, 1), "policy_start": dt.date(2026, 1, 10),
       "reported_at": dt.datetime(2026, 3, 2, 9, 15)}


@pytest.mark.parametrize("text, value", [
    ('loss_date - policy_start < duration("P90D")', True),
    ("loss_date - policy_start", days(50)),
    ("days(loss_date - policy_start)", 50),
    ('days(reported_at - datetime(loss_date))', 1.3854166666666667),
    ('policy_start + duration("P90D")', dt.date(2026, 4, 10)),
    ('date("2026-01-31") + duration("P1M")', dt.date(2026, 2, 28)),  # no February 31st: its last day
    ('loss_date - duration("P1Y")', dt.date(2025, 3, 1)),
    ('loss_date - duration("PT1H")', dt.date(2026, 2, 28)),  # midnight minus an hour is the day before
    ('duration("P1D") * 2.5', DayTimeDuration(Decimal(216000))),
    ('year(loss_date) * 100 + month(loss_date)', 202603),
    ("day(date(reported_at))", 2),
    ('time(reported_at) < time("12:00")', True),
    ('loss_date == date("2026-03-01")', True),
    ('loss_date == datetime("2026-03-01T00:00:00")', False),  # a date is not a date and time
    ('loss_date in [date("2026-03-01"), date("2026-03-02")]', True),
    ('coalesce(null, loss_date) > policy_start', True),
])
def test_date_arithmetic_and_comparisons(text, value):
    expression = parse(text)
    assert expression.evaluate(ROW) == value
    columns = {k: np.array([v, v], dtype=object) for k, v in ROW.items()}
    assert expression.evaluate_columns(columns, 2).tolist() == [value, value]


@pytest.mark.parametrize("text, message", [
    ("loss_date + policy_start", "'+' takes a date, date-time or time plus a duration, or two durations; got "
                                 "date 2026-03-01 and date 2026-01-10"),
    ("loss_date < 3", "'<' compares two dates, two date-times, two times or two durations of one kind, got date "
                      "2026-03-01 and number 3"),
    ("loss_date < reported_at", "'<' compares two dates, two date-times, two times or two durations of one kind, "
                                "got date 2026-03-01 and date and time 2026-03-02T09:15:00"),
    ("days(loss_date)", "days() needs a duration in days and time (such as a date minus a date), got date "
                        "2026-03-01"),
    ('duration("P1D") < duration("P1M")', "'<' compares two dates, two date-times, two times or two durations "
                                          "of one kind, got duration P1D and years-and-months duration P1M"),
])
def test_date_type_errors_name_the_values(text, message):
    with pytest.raises(EvaluationError) as info:
        parse(text).evaluate(ROW)
    assert info.value.message.endswith(message) and info.value.code == "expression_type"


def test_a_null_date_is_the_language_null_error():
    with pytest.raises(EvaluationError) as info:
        parse("days(loss_date - policy_start)").evaluate({**ROW, "policy_start": None})
    assert info.value.code == "expression_null"
    assert "'policy_start' is null" in info.value.message


def test_an_impossible_date_literal_is_an_error_when_the_expression_loads():
    with pytest.raises(ExpressionSyntaxError) as info:
        parse('x < date("2026-02-30")', source="composite.yaml", line=7, column=5)
    assert info.value.line == 7 and info.value.column == 5 + len("x < date(")
    assert info.value.message == "date() expected a date like 2026-03-01; day is out of range for month, found " \
                                 "'2026-02-30'"
    with pytest.raises(ExpressionSyntaxError, match=r"duration\(\) expected a duration like P90D"):
        parse('duration("90 days")')


def test_the_type_pass_sees_date_mistakes_before_a_run():
    env = {"loss_date": of_concept(Concept(name="loss_date", type="date")),
           "policy_start": of_concept(Concept(name="policy_start", type="date"))}
    kind, issues = infer(parse('loss_date - policy_start < duration("P90D")').ast, env)
    assert kind.kind == "boolean" and issues == []
    assert infer(parse("loss_date - policy_start").ast, env)[0].kind == DURATION
    assert infer(parse('policy_start + duration("P1D")').ast, env)[0].kind == DATE
    _, issues = infer(parse("loss_date + policy_start").ast, env)
    assert [(i.message, i.fix) for i in issues] == [
        ("'+' cannot take a date and a date: loss_date is a date, policy_start is a date",
         "subtract them for the time between: loss_date - policy_start")]
    _, issues = infer(parse("loss_date - policy_start < 90").ast, env)
    assert issues[0].fix == 'count its days: days(loss_date - policy_start), or compare with a duration such as ' \
                            'duration("P90D")'
    _, issues = infer(parse("loss_date + 90").ast, env)
    assert issues[0].fix == 'write loss_date + duration("P90D") for days'


def test_the_type_pass_warns_of_a_date_outside_the_range():
    env = {"loss_date": of_concept(Concept(name="loss_date", type="date", range=("1990-01-01", None),
                                           file="knowledge/c.yaml", line=3))}
    _, issues = infer(parse('loss_date < date("1980-01-01")').ast, env)
    assert [(i.code, i.severity, i.message) for i in issues] == [
        ("type.outside_range", "warning", 'loss_date < date("1980-01-01") is never true: 1980-01-01 lies outside '
                                          "the range [1990-01-01, ...] of loss_date (knowledge/c.yaml:3)")]
    assert infer(parse('loss_date >= date("1990-01-01")').ast, env)[1] == []


dates = st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2100, 12, 31))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(dates, dates, st.one_of(st.none(), st.integers(-400, 400))), min_size=1, max_size=20))
def test_rows_and_columns_agree_on_dates(rows):  # noqa: D103
    expression = parse('if loss - start < duration("P90D") then days(loss - start) '
                       'else coalesce(extra, 0) + year(start + duration("P1M"))')
    columns = {"loss": np.array([r[0] for r in rows], dtype="datetime64[D]"),
               "start": np.array([r[1] for r in rows], dtype=object),
               "extra": np.array([r[2] for r in rows], dtype=object)}
    by_row = [expression.evaluate({"loss": r[0], "start": r[1], "extra": r[2]}) for r in rows]
    assert expression.evaluate_columns(columns, len(rows)).tolist() == by_row


all_dates = st.one_of(st.none(), st.dates(), st.sampled_from([dt.date.min, dt.date.max]))
shifts = st.one_of(st.none(), st.integers(-3_000_000, 3_000_000).map(lambda n: DayTimeDuration(Decimal(n) / 7)),
                   st.integers(-400, 400).map(days))


def _outcome(run):
    try:
        value = run()
    except EvaluationError as exc:
        return ("error", exc.code)
    return ("value", value)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(all_dates, all_dates, shifts), min_size=1, max_size=25),
       st.sampled_from(['a - b', 'a + s', 's + a', 'a - s', 'a - b < s', 'a - b >= duration("P30D")',
                        'a == b', 'a < b', 'if a != null and b != null then a - b else s',
                        'if s == null then null else (if a - s > b then a else b)']))
def test_the_numpy_date_path_gives_what_each_row_gives(rows, text):
    # null, calendar ends, fractions of a second and mixed columns: the numpy path, or its fall back
    # to value by value, answers exactly as the row evaluator does, errors included.
    expression = parse(text)
    single = [_outcome(lambda r=r: expression.evaluate({"a": r[0], "b": r[1], "s": r[2]})) for r in rows]
    columns = {name: np.array([r[i] for r in rows], dtype=object) for i, name in enumerate("abs")}
    batch = _outcome(lambda: expression.evaluate_columns(columns, len(rows)).tolist())
    errors = [o for o in single if o[0] == "error"]
    if errors:
        assert batch[0] == "error" and batch[1] in {code for _, code in errors}
    else:
        assert batch == ("value", [value for _, value in single])


# -- decision tables -----------------------------------------------------------------------------


def test_table_entries_with_dates_and_durations():
    before = parse_unary_tests('< date("2020-01-01")')
    assert [before.test(v) for v in (dt.date(2019, 12, 31), dt.date(2020, 1, 1), to_feel(5), None)] == \
        [True, False, None, None]
    assert before.describe("policy_start") == 'policy_start < date("2020-01-01")'
    within = parse_unary_tests('[duration("P0D")..duration("P90D"))')
    assert [within.test(days(n)) for n in (-1, 0, 89, 90)] == [False, True, True, False]
    moment = parse_unary_tests('date and time("2026-03-01T12:00:00"), time("08:00")')
    assert moment.test(dt.datetime(2026, 3, 1, 12)) is True and moment.test(dt.time(8)) is True
    csv_cell = parse_unary_tests("> date('2026-01-01')", single_quotes=True)
    assert csv_cell.test(dt.date(2026, 1, 2)) is True
    with pytest.raises(ExpressionSyntaxError, match=r"date\(\) expected a date like 2026-03-01; month must be in "
                                                    r"1\.\.12, found \"2026-13-01\""):
        parse_unary_tests('< date("2026-13-01")')


TABLE = """\
table: band
hit_policy: UNIQUE
inputs: [{name: start}, {name: age}]
outputs: [band]
rules:
  - {start: '< date("2020-01-01")', age: '-', band: '"legacy"'}
  - {start: '>= date("2020-01-01")', age: '< duration("P90D")', band: '"new"'}
  - {start: '>= date("2020-01-01")', age: '[duration("P90D")..duration("P730D")]', band: '"recent"'}
"""


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(dates, st.integers(-10, 1000)), min_size=1, max_size=30))
def test_a_date_table_gives_the_same_rows_one_by_one_indexed_or_not_and_in_a_batch(rows):
    table = read_table_yaml(TABLE, file="band.table.yaml")
    starts = np.array([r[0] for r in rows], dtype="datetime64[D]")
    ages = np.array([days(r[1]) for r in rows], dtype=object)
    batch = table.evaluate_batch({"start": starts, "age": ages}, len(rows))
    for i, (start, age) in enumerate(rows):
        one = table.evaluate({"start": start, "age": days(age)})
        assert one.matched == table.evaluate({"start": start, "age": days(age)}, indexed=False).matched
        assert batch.row(i).matched == one.matched
        expected = "legacy" if start < dt.date(2020, 1, 1) else "new" if age < 90 else \
            "recent" if age <= 730 else None
        assert one.value == expected


ENTRIES = ['< date("2020-01-01")', '[date("2020-01-01")..date("2020-12-31")]', 'date("2021-06-15")',
           '!= date("2021-06-15")', 'not(date("2019-01-01"), > date("2024-01-01"))',
           '(date("2022-01-01")..date("2023-01-01")]',
           '>= date("2025-02-28"), null', '-', '"2021-06-15"', '< 5']


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(ENTRIES), min_size=1, max_size=12),
       st.lists(st.one_of(st.none(), st.dates(min_value=dt.date(2018, 1, 1), max_value=dt.date(2026, 1, 1)),
                          st.sampled_from([dt.date(2020, 1, 1), dt.date(2021, 6, 15), dt.date(2023, 1, 1)])),
                min_size=1, max_size=20))
def test_the_date_index_matches_what_testing_every_row_matches(entries, values):
    rows = "\n".join(f"  - {{d: '{entry}', out: {i}}}" for i, entry in enumerate(entries))
    table = read_table_yaml(f"table: t\nhit_policy: COLLECT\ninputs: [{{name: d}}]\noutputs: [out]\nrules:\n{rows}\n",
                            file="t.table.yaml")
    batch = table.evaluate_batch({"d": np.array(values, dtype=object)}, len(values))
    for i, value in enumerate(values):
        expected = tuple(k for k, entry in enumerate(entries) if parse_unary_tests(entry).test(value) is True)
        assert table.evaluate({"d": value}).matched == expected
        assert table.evaluate({"d": value}, indexed=False).matched == expected
        assert batch.row(i).matched == expected


def test_table_analysis_finds_gaps_and_overlaps_on_dates():
    table = read_table_yaml(TABLE, file="band.table.yaml")
    analysis = analyse(table, {"start": Domain(low=dt.date(2000, 1, 1))})
    assert analysis.decidable and analysis.overlaps == []
    assert [gap.where for gap in analysis.gaps] == [{"start": '>= date("2020-01-01")', "age": '> duration("P730D")'}]
    overlapping = read_table_yaml(TABLE.replace('< date("2020-01-01")', '<= date("2020-01-01")'), file="b.table.yaml")
    found = analyse(overlapping)
    assert [o.rows for o in found.overlaps] == [(1, 2), (1, 3)]
    assert found.overlaps[0].where == {"start": 'date("2020-01-01")', "age": '< duration("P90D")'}


# -- rules ---------------------------------------------------------------------------------------

RULES = """\
ruleset: r
defaults: {route: standard}
rules:
  - {name: recent_loss, when: 'loss_date >= date("2026-01-01") and policy_age < duration("P90D")',
     then: {route: investigate}}
"""


def test_a_rule_compares_a_date_and_a_duration_with_constants():
    ruleset = load_ruleset(RULES, file="r.rules.yaml")
    engine = engine_for(ruleset)
    assert engine.decide({"loss_date": dt.date(2026, 3, 1), "policy_age": days(50)}).values == {"route": "investigate"}
    assert engine.decide({"loss_date": dt.date(2026, 3, 1), "policy_age": days(90)}).values == {"route": "standard"}
    assert engine.decide({"loss_date": dt.date(2025, 12, 31), "policy_age": days(5)}).values == {"route": "standard"}
    assert str(why_not(ruleset, "recent_loss", {"loss_date": dt.date(2025, 12, 31), "policy_age": days(5)})) == (
        "rule 'recent_loss' (line 4) did not fire:\n"
        '  `loss_date >= date("2026-01-01")` (line 4) is false: loss_date = date("2025-12-31")')


# -- a project: single and batch decisions, the store, replay, explain ---------------------------

CLAIM = {"policy_start": "2026-01-10", "loss_date": "2026-03-01", "reported_at": "2026-03-02T09:15:00",
         "claim_amount": 25000}


def test_the_example_decides_the_90_day_rule_and_stores_dates_as_they_were(tmp_path):
    engine = CompositeEngine.from_path(EXAMPLE, store=f"sqlite:///{tmp_path / 'd.db'}")
    decision = engine.decide(CLAIM)
    assert decision.outputs == {"route": "investigate", "policy_band": "new",
                                "reason": "a large loss less than 90 days after the policy started"}
    assert decision.inputs["loss_date"] == dt.date(2026, 3, 1)
    stored = engine.get(decision.id)
    assert stored.inputs == decision.inputs  # dates, not their text
    assert stored.trace.node("timing").wrote == {"policy_age": days(50), "early_claim": True,
                                                 "days_to_report": 1.3854166666666667}
    document = stored.model_dump(mode="json")
    assert document["inputs"]["loss_date"] == "2026-03-01"
    assert document["trace"]["nodes"][0]["wrote"]["policy_age"] == "P50D"
    from composite.explain import explain_text
    from composite.replay import replay

    snapshot = engine.store.project(stored.project_hash)
    assert "policy_age = P50D" in explain_text(stored, snapshot)
    assert replay(engine.store, decision.id).status == "identical"


def test_stored_json_holds_iso_text_and_reads_back_by_concept():
    paris = dt.timezone(dt.timedelta(hours=1))
    text = dumps({"d": dt.date(2026, 3, 1), "at": dt.datetime(2026, 3, 1, 9, 0, 0, 5), "t": dt.time(8, 30),
                  "age": days(90), "term": YearMonthDuration(14), "zoned": dt.datetime(2026, 3, 1, 9, tzinfo=paris)})
    assert loads(text) == {"d": "2026-03-01", "at": "2026-03-01T09:00:00.000005", "t": "08:30:00", "age": "P90D",
                           "term": "P1Y2M", "zoned": "2026-03-01T09:00:00+01:00"}
    snapshot = {"concepts": {"d": {"type": "date"}, "at": {"type": "datetime"}, "t": {"type": "time"},
                             "age": {"type": "duration"}, "term": {"type": "years_months"},
                             "zoned": {"type": "datetime"}}}
    assert restore_temporal(loads(text), snapshot) == {"d": dt.date(2026, 3, 1),
                                                       "at": dt.datetime(2026, 3, 1, 9, 0, 0, 5),
                                                       "t": dt.time(8, 30), "age": days(90),
                                                       "term": YearMonthDuration(14),
                                                       "zoned": dt.datetime(2026, 3, 1, 9, tzinfo=paris)}


claims = st.fixed_dictionaries({
    "policy_start": dates.map(dt.date.isoformat),
    "loss_date": dates,
    "reported_at": st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2100, 12, 31)).map(
        lambda d: d.replace(microsecond=0).isoformat()),
    "claim_amount": st.integers(0, 100000),
})


@pytest.fixture(scope="module")
def example() -> CompositeEngine:
    return CompositeEngine.from_path(EXAMPLE, store="memory")


@settings(max_examples=25, deadline=None)
@given(st.lists(claims, min_size=1, max_size=12))
def test_single_and_batch_decisions_agree_on_dates(example, rows):
    batch = example.decide_batch(pd.DataFrame(rows))
    for i, row in enumerate(rows):
        single = example.decide(row, record=False)
        assert {k: batch[k].iloc[i] for k in single.outputs} == single.outputs
        stored = example.get(batch["decision_id"].iloc[i])
        for one, many in zip(single.trace.nodes, stored.trace.nodes):
            assert (one.name, one.read, one.wrote) == (many.name, many.read, many.wrote)


def test_a_batch_file_reads_date_columns_and_writes_dates_as_iso_text(tmp_path):
    import shutil

    from tests.test_cli import run

    project = tmp_path / "claims"
    shutil.copytree(EXAMPLE, project)
    config = (project / "composite.yaml").read_text()
    (project / "composite.yaml").write_text(config.replace("outputs: [route, reason, policy_band]",
                                                           "outputs: [route, policy_age, reported]").replace(
        "      policy_age: loss_date - policy_start\n",
        "      policy_age: loss_date - policy_start\n      reported: reported_at\n"))
    with open(project / "knowledge" / "claims.yaml", "a") as file:
        file.write("  reported: {type: datetime}\n")
    source = tmp_path / "claims.csv"
    source.write_text("policy_start,loss_date,reported_at,claim_amount\n"
                      "2026-01-10,2026-03-01,2026-03-02T09:15:00,25000\n"
                      "2023-01-01,03/01/2026,2026-03-01T12:00:00,1500\n")
    for suffix in ("csv", "jsonl"):
        out, rejects = tmp_path / f"out.{suffix}", tmp_path / f"rejects.{suffix}"
        result = run("batch", "--input", str(source), "--project", str(project), "--store", "memory",
                     "--output", str(out), "--rejects", str(rejects), "--quiet")
        assert result.returncode == 1, result.stderr  # one row rejected
        text = out.read_text()
        assert "P50D" in text and "2026-03-02T09:15:00" in text and "2026-03-02 09:15:00" not in text
        assert "'loss_date' expected a date like 2026-03-01, got str '03/01/2026'" in rejects.read_text()


@pytest.mark.parametrize("store", ["memory", "sqlite"])
def test_a_derived_duration_without_a_concept_reads_back_as_a_duration(tmp_path, store):
    (tmp_path / "knowledge").mkdir()
    (tmp_path / "composite.yaml").write_text(
        "name: z\noutputs: [n]\nnodes:\n"
        "  - {name: a, kind: expression, writes: {gap: loss_date - policy_start}}\n"
        "  - {name: b, kind: expression, writes: {n: days(gap)}}\n")
    (tmp_path / "knowledge" / "c.yaml").write_text(
        "concepts:\n  loss_date: {type: date}\n  policy_start: {type: date}\n  n: {type: number}\n")
    url = "memory" if store == "memory" else f"sqlite:///{tmp_path / 'z.db'}"
    engine = CompositeEngine.from_path(tmp_path, store=url)
    single = engine.decide({"loss_date": "2026-03-01", "policy_start": "2026-01-01"})
    batch = engine.decide_batch(pd.DataFrame({"loss_date": ["2026-03-01"], "policy_start": ["2026-01-01"]}))
    for decision_id in (single.id, batch["decision_id"].iloc[0]):
        stored = engine.get(decision_id)
        assert stored.trace.node("a").wrote == {"gap": days(59)}  # the record names its kind: no concept needed
        assert stored.trace.note is None and stored.outputs == {"n": 59.0}
    from composite.replay import replay

    assert replay(engine.store, single.id).status == "identical"
