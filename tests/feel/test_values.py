"""FEEL values as DMN 1.5 defines them: decimals, temporals with zones, both durations, ranges, equality and order.

Expected values come from the spec's examples and the DMN TCK's level-3 cases (copied here, not read from disk).
"""

from __future__ import annotations

import datetime
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest

from composite.feel.values import (
    DayTimeDuration,
    FeelFunction,
    FeelRuntimeError,
    Range,
    YearMonthDuration,
    feel_add,
    feel_compare,
    feel_divide,
    feel_equal,
    feel_is,
    feel_multiply,
    feel_negate,
    feel_power,
    feel_string,
    feel_subtract,
    from_feel,
    instance_of,
    parse_date,
    parse_date_and_time,
    parse_duration,
    parse_temporal,
    parse_time,
    temporal_property,
    to_feel,
    type_name,
)

UTC = datetime.timezone.utc
at = parse_temporal


# --------------------------------------------------------------------------- durations


@pytest.mark.parametrize(("text", "written"), [
    ("P1D", "P1D"), ("PT2H", "PT2H"), ("PT3M", "PT3M"), ("PT4S", "PT4S"), ("PT0.999S", "PT0.999S"),
    ("P1DT2H3M4.123456789S", "P1DT2H3M4.123456789S"), ("PT0S", "PT0S"), ("PT0.000S", "PT0S"), ("PT0.S", "PT0S"),
    ("P0D", "PT0S"), ("-PT1H2M", "-PT1H2M"), ("PT1000M", "PT16H40M"), ("PT24H", "P1D"), ("PT240H", "P10D"),
    ("P2DT100M", "P2DT1H40M"), ("PT3600S", "PT1H"), ("-PT0.5S", "-PT0.5S"),
    ("P1Y2M", "P1Y2M"), ("P1Y", "P1Y"), ("P0Y", "P0M"), ("P0M", "P0M"), ("-P1Y", "-P1Y"), ("P26M", "P2Y2M"),
    ("P1Y27M", "P3Y3M"), ("-P100M", "-P8Y4M"), ("P999999999M", "P83333333Y3M"),
])
def test_durations_read_and_write_as_iso_8601_normalised(text: str, written: str) -> None:
    assert parse_duration(text).iso() == written
    assert feel_string(parse_duration(text)) == written


@pytest.mark.parametrize("text", ["", "P", "P0", "1Y", "1D", "P1H", "P1S", "PT", "P1Y2D", "2012T-12-2511:00:00Z"])
def test_a_malformed_duration_is_an_error(text: str) -> None:
    with pytest.raises(FeelRuntimeError):
        parse_duration(text)


def test_the_two_duration_kinds_are_kept_apart() -> None:
    assert parse_duration("P1D") == DayTimeDuration(D(86400))
    assert parse_duration("P14M") == YearMonthDuration(14)
    assert feel_equal(parse_duration("P0Y"), parse_duration("P0D")) is None
    assert feel_compare(parse_duration("P1Y"), parse_duration("P365D")) is None


def test_duration_arithmetic_with_numbers_and_each_other() -> None:
    assert feel_add(parse_duration("P1DT1H"), parse_duration("PT23H")) == parse_duration("P2D")
    assert feel_multiply(parse_duration("PT1H"), D("1.5")) == parse_duration("PT1H30M")
    assert feel_multiply(D(2), parse_duration("P1Y1M")) == parse_duration("P2Y2M")
    assert feel_divide(parse_duration("P1D"), D(4)) == parse_duration("PT6H")
    assert feel_divide(parse_duration("P1D"), parse_duration("PT6H")) == D(4)
    assert feel_divide(parse_duration("P1Y"), parse_duration("P3M")) == D(4)
    assert feel_negate(parse_duration("P1D")) == parse_duration("-P1D")
    with pytest.raises(FeelRuntimeError):
        feel_divide(parse_duration("P1D"), D(0))
    with pytest.raises(FeelRuntimeError):
        feel_add(parse_duration("P1D"), parse_duration("P1M"))


@pytest.mark.parametrize(("text", "fields"), [
    ("P1DT2H3M4.5S", {"days": 1, "hours": 2, "minutes": 3, "seconds": 4}),
    ("-P1DT2H3M4S", {"days": -1, "hours": -2, "minutes": -3, "seconds": -4}),
    ("PT49H", {"days": 2, "hours": 1, "minutes": 0, "seconds": 0}),
    ("P1Y14M", {"years": 2, "months": 2}),
    ("-P14M", {"years": -1, "months": -2}),
])
def test_duration_properties_are_signed_fields(text: str, fields: dict[str, int]) -> None:
    value = parse_duration(text)
    assert {name: temporal_property(value, name) for name in fields} == {k: D(v) for k, v in fields.items()}


# --------------------------------------------------------------------------- dates, times, zones


@pytest.mark.parametrize(("text", "written"), [
    ("2017-12-31", "2017-12-31"), ("2020-02-29", "2020-02-29"), ("0001-01-01", "0001-01-01"),
])
def test_dates_read_and_write_iso(text: str, written: str) -> None:
    assert feel_string(parse_date(text)) == written


@pytest.mark.parametrize("text", ["2012-12-25T", "", "2012/12/25", "2017-13-10", "2017-12-32", "998-12-31",
                                  "01211-12-31", "+2012-12-02", "2019-02-29", "9999999999-12-25"])
def test_an_impossible_or_malformed_date_is_an_error(text: str) -> None:
    with pytest.raises(FeelRuntimeError):
        parse_date(text)


@pytest.mark.parametrize(("text", "written"), [
    ("01:02:03", "01:02:03"), ("11:22:33.444", "11:22:33.444"), ("23:59:00Z", "23:59:00Z"),
    ("13:20:00+02:00", "13:20:00+02:00"), ("13:20:00-05:00", "13:20:00-05:00"), ("11:22:33-00:00", "11:22:33Z"),
    ("11:22:33+00:00", "11:22:33Z"), ("00:01:00@Etc/UTC", "00:01:00@Etc/UTC"),
    ("00:01:00@Europe/Paris", "00:01:00@Europe/Paris"), ("10:00:00+02:45:55", "10:00:00+02:45:55"),
])
def test_times_keep_their_offset_or_zone_when_written(text: str, written: str) -> None:
    assert feel_string(parse_time(text)) == written


@pytest.mark.parametrize("text", ["23:59:60", "24:00:01", "25:00:00", "00:60:00", "7:00:00", "07:1:00",
                                  "13:20:00@xyz/abc", "13:20:00+19:00", "13:20:00+5:00", "13:20:00+02:00@Europe/Paris",
                                  "11:30:00T"])
def test_a_malformed_time_is_an_error(text: str) -> None:
    with pytest.raises(FeelRuntimeError):
        parse_time(text)


def test_date_and_time_reads_zones_offsets_a_bare_date_and_the_end_of_day() -> None:
    paris = parse_date_and_time("2018-12-10T10:30:00@Europe/Paris")
    assert paris.tzinfo == ZoneInfo("Europe/Paris")
    assert feel_string(paris) == "2018-12-10T10:30:00@Europe/Paris"
    assert feel_string(parse_date_and_time("2018-12-10T10:30:00.5+01:00")) == "2018-12-10T10:30:00.5+01:00"
    assert parse_date_and_time("2018-12-08") == datetime.datetime(2018, 12, 8)
    assert parse_date_and_time("2021-01-01T24:00:00") == datetime.datetime(2021, 1, 2)


def test_at_literals_take_their_kind_from_their_shape() -> None:
    assert at("2019-03-31") == datetime.date(2019, 3, 31)
    assert at("10:30:00") == datetime.time(10, 30)
    assert at("2019-03-31T10:30:00Z") == datetime.datetime(2019, 3, 31, 10, 30, tzinfo=UTC)
    assert at("P1D") == DayTimeDuration(D(86400))
    assert at("P1Y") == YearMonthDuration(12)
    with pytest.raises(FeelRuntimeError):
        at("yesterday")


@pytest.mark.parametrize(("left", "right", "equal"), [
    ('2018-12-08T10:30:00', '2018-12-08T10:30:00', True),
    ('2018-12-08T00:00:00@Europe/Paris', '2018-12-08T00:00:00@Asia/Dhaka', False),
    ('2018-10-08T00:00:00+02:00', '2018-10-08T00:00:00@Europe/Paris', True),  # summer time
    ('2018-02-08T00:00:00+01:00', '2018-02-08T00:00:00@Europe/Paris', True),
    ('2002-04-02T12:00:00@Australia/Melbourne', '2002-04-02T12:00:00@Australia/Sydney', True),
    ('2018-12-08T00:00:00+00:00', '2018-12-08T00:00:00@Etc/UTC', True),
    ('2002-04-02T12:00:00-01:00', '2002-04-02T17:00:00+04:00', True),
    ('2002-04-02T23:00:00-04:00', '2002-04-03T02:00:00-01:00', True),
    ('2018-12-08T00:00:00.0001', '2018-12-08T00:00:00.0000', True),  # valuedt counts whole seconds
    ('2018-12-08T00:00:00', '2018-12-08T00:00:00@Asia/Dhaka', False),  # local against zoned
])
def test_date_times_are_equal_when_they_are_the_same_instant(left: str, right: str, equal: bool) -> None:
    assert feel_equal(parse_date_and_time(left), parse_date_and_time(right)) is equal


@pytest.mark.parametrize(("left", "right", "equal"), [
    ("10:30:00", "10:30:00", True), ("10:30:00.0001", "10:30:00.0002", True), ("10:31:00", "10:30:00", False),
    ("10:30:00Z", "10:30:00+00:00", True), ("10:30:00+02:00", "10:30:00+01:00", False),
    ("11:30:00+02:00", "10:30:00+01:00", True), ("10:30:00", "10:30:00Z", False),
])
def test_times_compare_by_their_offset(left: str, right: str, equal: bool) -> None:
    assert feel_equal(parse_time(left), parse_time(right)) is equal


def test_local_and_zoned_date_times_have_no_order() -> None:
    assert feel_compare(at("2018-12-08T10:00:00"), at("2018-12-08T11:00:00Z")) is None
    assert feel_compare(at("2018-12-08T10:00:00+01:00"), at("2018-12-08T09:30:00Z")) == -1  # 09:00Z


@pytest.mark.parametrize(("left", "right", "same"), [
    ("2012-12-25", "2012-12-25", True), ("2012-12-25", "2012-12-25T00:00:00Z", False),
    ("23:00:50Z", "23:00:50+00:00", True), ("23:00:50", "23:00:50Z", False),
    ("23:00:50@Australia/Melbourne", "23:00:50+10:00", False), ("23:00:50@Etc/GMT", "23:00:50Z", False),
    ("20:00:50+00:00", "21:00:50+01:00", False),
    ("2002-04-02T12:00:00-01:00", "2002-04-02T17:00:00+04:00", False),
    ("2021-04-02T23:00:00@Australia/Melbourne", "2021-04-02T23:00:00+11:00", False),
    ("P1D", "PT24H", True), ("P1Y", "P12M", True), ("P0Y", "P0D", False),
])
def test_is_asks_for_the_same_value_in_the_same_zone(left: str, right: str, same: bool) -> None:
    assert feel_is(at(left), at(right)) is same


# --------------------------------------------------------------------------- years beyond Python's


@pytest.mark.parametrize("text", ["-2017-12-31", "-2017-01-01", "999999999-12-31", "-999999999-12-31", "0000-02-29",
                                  "-0004-02-29", "10000-01-01"])
def test_dates_in_any_feel_year_read_and_write_back(text: str) -> None:
    value = parse_date(text)
    assert type_name(value) == "date"
    assert feel_string(value) == text
    assert feel_equal(value, parse_date(text)) is True


def test_far_years_keep_the_calendar() -> None:
    assert temporal_property(at("-2017-12-31"), "year") == D(-2017)
    assert temporal_property(at("-2017-12-31"), "weekday") == D(6)  # the 400-year cycle keeps weekdays
    with pytest.raises(FeelRuntimeError):
        parse_date("-0001-02-29")  # 2 BC is no leap year
    assert feel_compare(at("-2021-01-01"), at("2021-01-01")) == -1
    assert feel_compare(at("999999999-12-31"), at("9999-12-31")) == 1
    assert feel_string(feel_subtract(at("2021-01-02"), at("-2021-01-01"))) == "P1476312D"


@pytest.mark.parametrize(("start", "duration", "result"), [
    ("9999-12-31", "P1D", "10000-01-01"),  # out of Python's years and back
    ("0001-01-01", "-P1D", "0000-12-31"),
    ("-0001-01-31", "P1M", "-0001-02-28"),
    ("-2021-01-01T10:10:10+11:00", "P1Y", "-2020-01-01T10:10:10+11:00"),
    ("-2021-01-01T10:10:10+11:00", "-P1M", "-2022-12-01T10:10:10+11:00"),
    ("-2021-01-01T10:10:10@Australia/Melbourne", "-PT1H", "-2021-01-01T09:10:10@Australia/Melbourne"),
    ("-2021-01-01T10:10:10@Australia/Melbourne", "-P1D", "-2022-12-31T10:10:10@Australia/Melbourne"),
    ("-2021-01-01T10:10:10", "P146097D", "-1621-01-01T10:10:10"),  # one whole 400-year cycle
])
def test_arithmetic_in_far_years(start: str, duration: str, result: str) -> None:
    assert feel_string(feel_add(at(start), at(duration))) == result


# --------------------------------------------------------------------------- temporal arithmetic


@pytest.mark.parametrize(("start", "duration", "result"), [
    ("2021-01-31", "P1M", "2021-02-28"),  # the day is clamped to the month's end
    ("2020-01-31", "P1M", "2020-02-29"),  # leap year
    ("2020-02-29", "P1Y", "2021-02-28"),
    ("2021-03-31", "-P1M", "2021-02-28"),
    ("2012-12-24", "P1D", "2012-12-25"),
    ("2012-12-24", "PT25H", "2012-12-25"),  # date + duration is a date (DMN 1.4+)
    ("2021-01-01T10:10:10+11:00", "P1Y", "2022-01-01T10:10:10+11:00"),
    ("2021-01-01T10:10:10", "PT1H", "2021-01-01T11:10:10"),
    ("2021-01-01T24:00:00", "PT1S", "2021-01-02T00:00:01"),
    ("23:00:00", "PT2H", "01:00:00"),  # times wrap at midnight
    ("10:00:00+02:00", "-PT11H", "23:00:00+02:00"),
    # summer time starts in Paris at 02:00 on 2021-03-28: an hour elapsed reads as 03:30
    ("2021-03-28T01:30:00@Europe/Paris", "PT1H", "2021-03-28T03:30:00@Europe/Paris"),
])
def test_adding_a_duration(start: str, duration: str, result: str) -> None:
    assert feel_string(feel_add(at(start), at(duration))) == result
    assert feel_string(feel_add(at(duration), at(start))) == result


@pytest.mark.parametrize(("left", "right", "difference"), [
    ("2021-01-02T10:10:10", "2021-01-01T10:10:10", "P1D"),
    ("2021-01-02T10:10:10@Europe/Paris", "2021-01-01T10:10:10@Asia/Dhaka", "P1DT5H"),
    ("2021-01-02T10:10:10+01:00", "2021-01-01T10:10:10@Europe/Paris", "P1D"),
    ("2021-01-02T00:00:00Z", "2021-01-02", "PT0S"),
    ("2021-01-02T10:10:10@Europe/Paris", "2021-01-01", "P1DT9H10M10S"),  # a date is its midnight UTC
    ("2021-01-02", "2021-01-01T10:10:10+11:00", "P1DT49M50S"),
    ("2021-01-02", "1995-01-01", "P9498D"),
    ("2020-03-01", "2020-02-01", "P29D"),
    ("10:00:00", "08:30:00", "PT1H30M"),
    ("10:00:00+02:00", "10:00:00Z", "-PT2H"),
])
def test_subtracting_temporals_gives_a_days_and_time_duration(left: str, right: str, difference: str) -> None:
    assert feel_string(feel_subtract(at(left), at(right))) == difference


@pytest.mark.parametrize(("left", "right"), [
    ("2021-01-02T10:10:10@Europe/Paris", "2021-01-01T10:10:10"),
    ("2021-01-01T00:00:00", "2021-01-02"),
    ("2021-01-02", "2021-01-01T10:10:10"),
    ("10:00:00", "10:00:00Z"),
])
def test_subtracting_a_local_from_a_zoned_temporal_is_an_error(left: str, right: str) -> None:
    with pytest.raises(FeelRuntimeError):
        feel_subtract(at(left), at(right))


# --------------------------------------------------------------------------- numbers, equality, order


def test_numbers_are_decimal128() -> None:
    assert feel_equal(D("1"), D("1.0")) is True
    assert feel_add(D("0.1"), D("0.2")) == D("0.3")
    assert feel_divide(D(1), D(3)) == D("0.3333333333333333333333333333333333")
    assert feel_power(D(2), D(10)) == D(1024)
    assert feel_add(D("1E+34"), D(1)) == D("1.000000000000000000000000000000000E+34")
    with pytest.raises(FeelRuntimeError):
        feel_divide(D(1), D(0))


def test_equality_is_three_valued_and_deep() -> None:
    assert feel_equal(None, None) is True
    assert feel_equal(D(1), None) is False
    assert feel_equal(D(1), "1") is None
    assert feel_equal(True, D(1)) is None
    assert feel_equal([D(1), [D(2), "a"]], [D("1.0"), [D("2.00"), "a"]]) is True
    assert feel_equal([D(1)], [D(1), D(2)]) is False
    assert feel_equal({"a": D(1), "b": [None]}, {"b": [None], "a": D("1.0")}) is True
    assert feel_equal({"a": D(1)}, {"a": D(1), "b": D(2)}) is False
    assert feel_equal([D(1)], ["1"]) is None


def test_order_exists_within_a_type_only() -> None:
    assert feel_compare(D(2), D("10")) == -1
    assert feel_compare("b", "a") == 1
    assert feel_compare(at("2020-01-01"), at("2019-12-31")) == 1
    assert feel_compare(at("PT1H"), at("PT60M")) == 0
    assert feel_compare(D(1), "1") is None
    assert feel_compare(None, D(1)) is None
    assert feel_compare(at("2020-01-01"), at("2020-01-01T00:00:00")) is None


def test_strings_concatenate_and_other_mixtures_are_errors() -> None:
    assert feel_add("foo", "bar") == "foobar"
    assert feel_add(None, D(1)) is None
    with pytest.raises(FeelRuntimeError):
        feel_add("1", D(1))
    with pytest.raises(FeelRuntimeError):
        feel_subtract(at("2020-01-01"), D(1))


# --------------------------------------------------------------------------- ranges, functions, types


def test_ranges_contain_and_compare() -> None:
    r = Range(D(1), D(10), True, False)
    assert (r.contains(D(1)), r.contains(D(10)), r.contains(D("9.99")), r.contains("a")) == (True, False, True, None)
    assert Range(None, D(10), False, False).contains(D(-1000)) is True
    assert feel_equal(Range(D(1), D(10)), Range(D("1.0"), D(10))) is True
    # DMN 1.5: a unary comparison's range is not the `..` range with the same endpoints
    assert feel_equal(Range.comparison("<", D(10)), Range(None, D(10), False, False)) is False
    assert feel_equal(Range.comparison("=", D(10)), Range.comparison("=", D(10))) is True
    assert Range.comparison("!=", D(10)).contains(D(10)) is False
    assert Range.comparison("!=", D(10)).contains(D(11)) is True
    assert [feel_string(v) for v in (Range(D(1), D(10), False, True), Range.comparison(">=", D(5)))] == [
        "(1..10]", ">= 5"]
    assert temporal_property(Range.comparison("<=", D(10)), "start included") is False
    assert temporal_property(Range.comparison("<=", D(10)), "end") == D(10)


def test_functions_bind_positional_and_named_arguments() -> None:
    f = FeelFunction(("a", "b"), lambda a, b=D(0): a - b, name="minus", required=1)
    assert f.call([D(5), D(3)]) == D(2)
    assert f.call([D(5)]) == D(5)
    assert f.call(None, {"b": D(3), "a": D(5)}) == D(2)
    assert f.call(None, {"a": D(5)}) == D(5)  # an optional parameter left out is absent
    with pytest.raises(FeelRuntimeError, match="no parameter named c"):
        f.call(None, {"c": D(1)})
    with pytest.raises(FeelRuntimeError, match="given 3 arguments"):
        f.call([D(1), D(2), D(3)])
    variadic = FeelFunction(("first", "rest"), lambda first, rest: [first, rest], variadic=True, required=1)
    assert variadic.call([D(1), D(2), D(3)]) == [D(1), [D(2), D(3)]]
    assert variadic.accepts(5) and not f.accepts(3)


@pytest.mark.parametrize(("value", "type_text", "expected"), [
    (D("123.01"), "number", True), (D(1), "Any", True), (None, "Any", False), (None, "number", False),
    (None, "Null", True), ("foo", "string", True), (True, "boolean", True), (at("2018-12-08"), "date", True),
    (at("2018-12-08"), "date and time", False), (at("2018-12-08T10:30:00"), "date and time", True),
    (at("10:30:00"), "time", True), (at("P1D"), "days and time duration", True),
    (at("P1Y"), "years and months duration", True), (at("P1Y"), "days and time duration", False),
    ([D(1), D(2)], "list<number>", True), ([D(1), "2"], "list<number>", False), ([], "list<string>", True),
    ([D(1)], "list<Any>", True), ({"a": D(1), "b": "x"}, "context<a: number>", True),
    ({"a": "1"}, "context<a: number>", False), ({"b": D(1)}, "context<a: number>", False),
    ({}, "context<>", True), (Range(D(1), D(2)), "range<number>", True), (Range("a", "b"), "range<number>", False),
    (FeelFunction(("x",), lambda x: x), "function<Any> -> Any", True), (D(1), "function<>->Any", False),
])
def test_instance_of_follows_the_type_grammar(value: object, type_text: str, expected: bool) -> None:
    assert instance_of(value, type_text) is expected


def test_instance_of_asks_the_model_for_its_own_types() -> None:
    def resolve(name: str):
        return (lambda v: type_name(v) == "number" and v > 255) if name == "t255" else None

    assert instance_of(D(256), "t255", resolve) is True
    assert instance_of([D(256), D(1)], "list<t255>", resolve) is False
    with pytest.raises(FeelRuntimeError, match="unknown type"):
        instance_of(D(1), "tUnknown", resolve)


@pytest.mark.parametrize(("value", "name"), [
    (None, "Null"), (True, "boolean"), (D(1), "number"), ("s", "string"), (at("2020-01-01"), "date"),
    (at("10:00:00"), "time"), (at("2020-01-01T10:00:00"), "date and time"), (at("P1D"), "days and time duration"),
    (at("P1M"), "years and months duration"), ([], "list"), ({}, "context"), (Range(D(1), D(2)), "range"),
    (FeelFunction((), lambda: None), "function"),
])
def test_type_names(value: object, name: str) -> None:
    assert type_name(value) == name


def test_temporal_properties() -> None:
    moment = at("2018-12-10T10:30:01+05:00")
    assert [temporal_property(moment, p) for p in ("year", "month", "day", "weekday", "hour", "minute", "second")] \
        == [D(2018), D(12), D(10), D(1), D(10), D(30), D(1)]
    assert temporal_property(moment, "time offset") == parse_duration("PT5H")
    assert temporal_property(moment, "timezone") is None
    assert temporal_property(at("2018-12-10T10:30:01@Europe/Paris"), "timezone") == "Europe/Paris"
    assert temporal_property(at("10:30:01"), "time offset") is None
    with pytest.raises(FeelRuntimeError, match="no property 'hour'"):
        temporal_property(at("2018-12-10"), "hour")


# --------------------------------------------------------------------------- string() and Python


@pytest.mark.parametrize(("value", "text"), [
    (D("1.1"), "1.1"), (D("1E+2"), "100"), (D("-0.5"), "-0.5"), (True, "true"), (None, "null"),
    ([D(1), "a", None], '[1, "a", null]'), ({"a": D(1), "b c": [True]}, "{a: 1, b c: [true]}"),
    (at("2018-12-10T10:30:00.25Z"), "2018-12-10T10:30:00.25Z"),
])
def test_string_of_every_value(value: object, text: str) -> None:
    assert feel_string(value) == text


def test_python_values_convert_both_ways() -> None:
    assert to_feel({"n": 3, "x": 0.1, "l": [1, "2"], "d": datetime.date(2020, 1, 1), "s": "2020-01-01"}) == {
        "n": D(3), "x": D("0.1"), "l": [D(1), "2"], "d": datetime.date(2020, 1, 1), "s": "2020-01-01"}
    assert type(to_feel(3)) is D and to_feel(float("nan")) is None and to_feel(True) is True
    assert from_feel({"a": D("3.0"), "b": D("0.5"), "c": [at("P1DT2H"), at("2020-01-01")], "d": None}) == {
        "a": 3, "b": 0.5, "c": ["P1DT2H", "2020-01-01"], "d": None}


def test_numpy_and_pandas_values_convert_like_python_ones() -> None:
    np = pytest.importorskip("numpy")
    pd = pytest.importorskip("pandas")
    assert to_feel([np.int64(3), np.float64(0.5), np.bool_(True), np.float64("nan")]) == [D(3), D("0.5"), True, None]
    stamp = to_feel(pd.Timestamp("2020-01-02 03:04:05", tz="Europe/Paris"))
    assert type(stamp) is datetime.datetime and feel_string(stamp) == "2020-01-02T03:04:05@Europe/Paris"
    assert to_feel(pd.NaT) is None
    assert to_feel(pd.Timedelta("1D")) == parse_duration("P1D")


@pytest.mark.parametrize("module", ["composite.feel.values", "composite.feel.builtins"])
def test_public_names_are_listed_sorted_and_exist(module: str) -> None:
    import importlib

    loaded = importlib.import_module(module)
    assert loaded.__all__ == sorted(loaded.__all__)
    assert all(hasattr(loaded, name) for name in loaded.__all__)


def test_negation_keeps_all_34_digits_of_decimal128():
    from decimal import Decimal

    from composite.feel.values import feel_negate

    assert feel_negate(Decimal("1234567890123456789012345678901234")) == Decimal("-1234567890123456789012345678901234")
