"""FEEL's built-in functions (DMN 1.5 10.3.4), called as the evaluator calls them: positional or by name.

Expected values: the spec's examples and the DMN TCK's level-3 answers, copied here.
"""

from __future__ import annotations

import datetime
import itertools
from decimal import Decimal
from typing import Any

import pytest

from composite.feel.builtins import BUILTINS, call_builtin, clock
from composite.feel.values import (
    DayTimeDuration,
    FeelFunction,
    FeelRuntimeError,
    Range,
    YearMonthDuration,
    feel_compare,
    feel_string,
    parse_temporal,
)

at = parse_temporal


def D(text: str | int) -> Decimal:
    return Decimal(str(text))


def N(*numbers: str | int) -> list[Decimal]:
    return [D(n) for n in numbers]


def fn(body: Any, params: tuple[str, ...] = ("x", "y")) -> FeelFunction:
    return FeelFunction(params, body)


def call(name: str, *args: Any, **named: Any) -> Any:
    return call_builtin(name, *args, **named)


# --------------------------------------------------------------------------- answers

CASES: list[tuple[str, tuple[Any, ...], Any]] = [
    # conversion
    ("date", ("2012-12-25",), datetime.date(2012, 12, 25)),
    ("date", (at("2017-08-14T14:25:00"),), datetime.date(2017, 8, 14)),
    ("date", (at("2017-09-03T09:45:30@Europe/Paris"),), datetime.date(2017, 9, 3)),
    ("date", (D(2017), D(1), D(1)), datetime.date(2017, 1, 1)),
    ("date", (D(-2017), D(12), D(31)), at("-2017-12-31")),
    ("date", (at("-2017-08-14T14:25:00"),), at("-2017-08-14")),
    ("years and months duration", (at("-2016-01-30T09:05:00"), at("-2017-02-28T02:02:02")), YearMonthDuration(-11)),
    ("years and months duration", (at("2014-12-31T23:59:59"), at("-2019-10-01T12:32:59")),
     YearMonthDuration(-(4033 * 12 + 2))),
    ("day of week", (at("-2017-12-31"),), "Saturday"),
    ("date and time", ("2012-12-24T23:59:00",), datetime.datetime(2012, 12, 24, 23, 59)),
    ("date and time", ("2012-12-24",), datetime.datetime(2012, 12, 24)),
    ("date and time", (at("2012-12-24"), at("23:59:00Z")),
     datetime.datetime(2012, 12, 24, 23, 59, tzinfo=datetime.timezone.utc)),
    ("date and time", (at("2017-08-10T10:20:00"), at("23:59:01")), datetime.datetime(2017, 8, 10, 23, 59, 1)),
    ("time", ("23:59:00z",), datetime.time(23, 59, tzinfo=datetime.timezone.utc)),
    ("time", (D(23), D(59), D(0), at("-PT5H")), at("23:59:00-05:00")),
    ("time", (D(11), D(59), D(45), None), datetime.time(11, 59, 45)),
    ("time", (D(11), D(59), D("45.5")), datetime.time(11, 59, 45, 500000)),
    ("time", (at("2017-08-10T10:20:00+01:00"),), at("10:20:00+01:00")),
    ("time", (at("2017-08-10"),), at("00:00:00Z")),
    ("number", ("1 000,0", " ", ","), D("1000.0")),
    ("number", ("1.000.000,01", ".", ","), D("1000000.01")),
    ("number", ("1,000,000.01", ",", "."), D("1000000.01")),
    ("number", ("1000000.01", None, "."), D("1000000.01")),
    ("number", ("1,000,000", ",", None), D("1000000")),
    ("number", ("-12.5e2",), D("-1250")),
    ("string", (D("1.1"),), "1.1"),
    ("string", (None,), None),
    ("string", (at("2018-12-10T10:30:00@Europe/Paris"),), "2018-12-10T10:30:00@Europe/Paris"),
    ("string", (at("P1DT2H"),), "P1DT2H"),
    ("string", ([D(1), "a"],), '[1, "a"]'),
    ("duration", ("P2DT20H14M",), DayTimeDuration(D(2 * 86400 + 20 * 3600 + 14 * 60))),
    ("duration", ("P2Y2M",), YearMonthDuration(26)),
    ("years and months duration", (at("2011-12-22"), at("2013-08-24")), YearMonthDuration(20)),
    ("years and months duration", (at("2013-08-24"), at("2011-12-22")), YearMonthDuration(-20)),
    ("years and months duration", (at("2016-09-30T23:25:00"), at("2017-12-28T12:12:12")), YearMonthDuration(14)),
    ("years and months duration", (at("2014-12-31T23:59:59"), at("2016-12-31T00:00:01")), YearMonthDuration(24)),
    ("years and months duration", (at("2017-02-28T23:59:59"), at("2019-07-23")), YearMonthDuration(28)),
    ("range", ("[18..21)",), Range(D(18), D(21), True, False)),
    ("range", ("]18..21]",), Range(D(18), D(21), False, True)),
    ("range", (' [ "a" .. "c" ] ',), Range("a", "c")),
    ("range", ('[@"1970-01-01"..date("1970-01-02")]',), Range(at("1970-01-01"), at("1970-01-02"))),
    ("range", ('[duration("P1D")..@"P2D"]',), Range(at("P1D"), at("P2D"))),
    # boolean
    ("not", (True,), False),
    ("not", (None,), None),
    ("is", (D(1), D("1.0")), True),
    ("is", (at("2012-12-25"), at("2012-12-25T00:00:00Z")), False),
    # strings
    ("substring", ("foobar", D(3)), "obar"),
    ("substring", ("foobar", D(-2), D(1)), "a"),
    ("substring", ("foobar", D(3), D("3.8")), "oba"),
    ("substring", ("foo\U0001F40Ebar", D(4), D(1)), "\U0001F40E"),  # characters are code points
    ("string length", ("tes",), D(3)),
    ("string length", ("\U0001F40E",), D(1)),
    ("upper case", ("aBc4",), "ABC4"),
    ("lower case", ("aBc4",), "abc4"),
    ("substring before", ("foobar", "bar"), "foo"),
    ("substring before", ("foobar", "xyz"), ""),
    ("substring after", ("foobar", "ob"), "ar"),
    ("substring after", ("", "a"), ""),
    ("substring after", ("abc", ""), "abc"),
    ("replace", ("abcd", "(ab)|(a)", "[1=$1][2=$2]"), "[1=ab][2=]cd"),
    ("replace", ("abracadabra", "a(.)", "a$1$1"), "abbraccaddabbra"),
    ("replace", ("abracadabra", "a.*?a", "*"), "*c*bra"),
    ("replace", ("darted", "^(.*?)d(.*)$", "$1c$2"), "carted"),
    ("replace", ("0123456789", r"(\d{3})(\d{3})(\d{4})", "($1) $2-$3"), "(012) 345-6789"),
    ("replace", ("facetiously", "[iouy]", "[$0]"), "facet[i][o][u]sl[y]"),
    ("replace", ("abc", "[A-Z]", "#", "i"), "###"),
    ("replace", ("a b c d ", "[a-z]", "#", "x"), "# # # # "),
    ("replace", ("a.b", ".", "$", "q"), "a$b"),
    ("replace", ("price", "p", r"\$"), "$rice"),
    ("contains", ("foobar", "of"), False),
    ("contains", ("abc", ""), True),
    ("starts with", ("foobar", "fo"), True),
    ("ends with", ("foobar", "r"), True),
    ("matches", ("foobar", "^fo*b"), True),
    ("matches", ("abracadabra", "bra", None), True),
    ("matches", ("\nabcd\ndefg\n", "^$", "m"), True),
    ("matches", ("Mary\rJones", "Mary.Jones"), False),
    ("matches", ("Mary\rJones", "Mary.Jones", "s"), True),
    ("matches", ("abc\n", "abc$"), False),  # XPath's $ is the end of the input only
    ("matches", ("\u212a", "k", "i"), True),
    ("matches", ("x", "[A-Z-[OI]]", "i"), True),
    ("matches", ("i", "[A-Z-[OI]]", "i"), False),
    ("matches", ("hello world", r"hello\ sworld", "x"), True),
    ("matches", ("hello world", r"\p{ I s B a s i c L a t i n }+", "x"), True),
    ("matches", ("Ünïcödé", r"^\p{L}+$"), True),
    ("matches", ("abc1", r"^\p{L}+$"), False),
    ("matches", ("aA", r"(a)\1", "i"), True),
    ("matches", ("a ", "a[^b]"), True),
    ("matches", ("ab1", r"^\w+$"), True),
    ("matches", ("a_b", r"^\w+$"), False),  # XPath's \w has no punctuation, not even _
    ("split", ("John Doe", r"\s"), ["John", "Doe"]),
    ("split", ("a;b;c;;", ";"), ["a", "b", "c", "", ""]),
    ("string join", (["a", "b", "c"], "_and_"), "a_and_b_and_c"),
    ("string join", (["a", None, "c"],), "ac"),
    ("string join", ([], "X"), ""),
    ("string join", ("a", "X"), "a"),
    ("string join", (["a", "b"], None), "ab"),
    # lists
    ("list contains", ([D(1), D(2), D(3)], D(2)), True),
    ("list contains", ([D(1), None], None), True),
    ("list contains", ([D("1.0")], D(1)), True),
    ("count", ([D(1), D(2), D(3)],), D(3)),
    ("count", ([],), D(0)),
    ("min", ([D(1), D(2), D(3)],), D(1)),
    ("min", (D(1),), D(1)),
    ("min", ([],), None),
    ("max", (D(1), D(2), D(3)), D(3)),
    ("max", (["a", "c", "b"],), "c"),
    ("max", ([at("2020-01-01"), at("2021-01-01")],), at("2021-01-01")),
    ("sum", ([D(1), D(2), D(3)],), D(6)),
    ("sum", (D(1), D(2), D(3)), D(6)),
    ("sum", (D(1),), D(1)),
    ("sum", ([],), None),
    ("mean", ([D(1), D(2), D(3)],), D(2)),
    ("mean", (D(1), D(2), D(3)), D(2)),
    ("mean", ([],), None),
    ("all", ([False, None, True],), False),
    ("all", ([True, None, True],), None),
    ("all", (True,), True),
    ("all", ([],), True),
    ("all", (True, True, True), True),
    ("any", ([False, None, True],), True),
    ("any", ([False, None],), None),
    ("any", ([],), False),
    ("any", (False, False), False),
    ("sublist", (N(4, 5, 6), D(1), D(2)), N(4, 5)),
    ("sublist", (N(4, 5, 6), D(-2)), N(5, 6)),
    ("append", (N(1), D(2), D(3)), N(1, 2, 3)),
    ("append", (["w", "x"], ["t"]), ["w", "x", ["t"]]),
    ("concatenate", (N(1, 2), N(3)), N(1, 2, 3)),
    ("concatenate", ([], [D(1)], [[D(2)]]), [D(1), [D(2)]]),
    ("insert before", (N(1, 3), D(1), D(2)), N(2, 1, 3)),
    ("insert before", (N(1, 3), D(-1), D(2)), N(1, 2, 3)),
    ("remove", (N(1, 2, 3), D(2)), N(1, 3)),
    ("reverse", (N(1, 2, 3),), N(3, 2, 1)),
    ("index of", (N(1, 2, 3, 2), D(2)), N(2, 4)),
    ("union", (N(1, 2), N(2, 3)), N(1, 2, 3)),
    ("distinct values", (N(1, 2, 3, 2, 1),), N(1, 2, 3)),
    ("distinct values", ([D(1), D("1.0"), "1"],), [D(1), "1"]),
    ("flatten", ([[D(1), D(2)], [[D(3)]], D(4)],), N(1, 2, 3, 4)),
    ("product", (N(2, 3, 4),), D(24)),
    ("product", (D(2), D(3), D(4)), D(24)),
    ("product", (N("2.5", 1, "2.5", 3),), D("18.75")),
    ("median", (N(8, 2, 5, 3, 4),), D(4)),
    ("median", (N(6, 1, 2, 3),), D("2.5")),
    ("median", ([],), None),
    ("stddev", (N(2, 4, 7, 5),), D("2.081665999466132735282297706979931")),
    ("mode", (N(6, 3, 9, 6, 6),), N(6)),
    ("mode", (N(6, 1, 9, 6, 1),), N(1, 6)),
    ("mode", ([],), []),
    ("mode", (D(6),), N(6)),
    ("sort", (N(3, 1, 4, 5, 2), fn(lambda x, y: x > y)), N(5, 4, 3, 2, 1)),
    ("sort", (["b", "a", "c"],), ["a", "b", "c"]),
    ("list replace", (N(2, 4, 7, 8), D(3), D(6)), N(2, 4, 6, 8)),
    ("list replace", (N(1, 2, 3), D(-1), D(4)), N(1, 2, 4)),
    ("list replace", (N(1, 2, 3), D("2.5"), D(4)), N(1, 4, 3)),
    ("list replace", (N(1, 2, 3), D(3), None), [D(1), D(2), None]),
    ("list replace", (N(2, 4, 7, 8), fn(lambda item, new: item < new, ("item", "newItem")), D(5)), N(5, 5, 7, 8)),
    ("list replace", (D(1), D(1), D(5)), N(5)),
    # numbers
    ("decimal", (D(1) / D(3), D(2)), D("0.33")),
    ("decimal", (D("1.5"), D(0)), D(2)),
    ("decimal", (D("2.5"), D(0)), D(2)),
    ("decimal", (D("0.515"), D(2)), D("0.52")),
    ("decimal", (D(1) / D(3), D("2.5")), D("0.33")),
    ("floor", (D("1.5"),), D(1)),
    ("floor", (D("-1.5"),), D(-2)),
    ("floor", (D("-1.56"), D(1)), D("-1.6")),
    ("ceiling", (D("1.5"),), D(2)),
    ("ceiling", (D("-1.5"),), D(-1)),
    ("ceiling", (D("-1.56"), D(1)), D("-1.5")),
    ("round up", (D("5.5"), D(0)), D(6)),
    ("round up", (D("-5.5"), D(0)), D(-6)),
    ("round up", (D("1.121"), D(2)), D("1.13")),
    ("round up", (D("-1.126"), D(2)), D("-1.13")),
    ("round down", (D("5.5"), D(0)), D(5)),
    ("round down", (D("-5.5"), D(0)), D(-5)),
    ("round down", (D("-1.126"), D(2)), D("-1.12")),
    ("round down", (D("5.5"), D(6176)), D("5.5")),
    ("round half up", (D("5.5"), D(0)), D(6)),
    ("round half up", (D("-5.5"), D(0)), D(-6)),
    ("round half up", (D("1.121"), D(2)), D("1.12")),
    ("round half up", (D("-1.126"), D(2)), D("-1.13")),
    ("round half down", (D("5.5"), D(0)), D(5)),
    ("round half down", (D("-5.5"), D(0)), D(-5)),
    ("round half down", (D("-1.126"), D(2)), D("-1.13")),
    ("round half down", (D("1250"), D(-2)), D("1.2E+3")),
    ("ceiling", (D("-0.5"),), D(0)),  # FEEL has no negative zero
    ("number", ("-0",), D(0)),
    ("abs", (D(10),), D(10)),
    ("abs", (D(-10),), D(10)),
    ("abs", (at("-PT5H"),), at("PT5H")),
    ("abs", (at("-P1Y"),), at("P1Y")),
    ("modulo", (D(12), D(5)), D(2)),
    ("modulo", (D(-12), D(5)), D(3)),
    ("modulo", (D(12), D(-5)), D(-3)),
    ("modulo", (D(-12), D(-5)), D(-2)),
    ("modulo", (D("10.1"), D("4.5")), D("1.1")),
    ("modulo", (D("-10.1"), D("4.5")), D("3.4")),
    ("modulo", (D("10.1"), D("-4.5")), D("-3.4")),
    ("sqrt", (D(16),), D(4)),
    ("sqrt", (D(2),), D("1.414213562373095048801688724209698")),
    ("log", (D(10),), D("2.302585092994045684017991454684364")),
    ("exp", (D(5),), D("148.4131591025766034211155800405523")),
    ("exp", (D(0),), D(1)),
    ("odd", (D(5),), True),
    ("odd", (D(2),), False),
    ("even", (D(-2),), True),
    ("even", (D(5),), False),
    ("even", (D("2.5"),), False),
    # dates and times
    ("day of year", (at("2019-09-17"),), D(260)),
    ("day of year", (at("2020-12-31T10:10:10"),), D(366)),
    ("day of week", (at("2019-09-17"),), "Tuesday"),
    ("month of year", (at("2019-09-17"),), "September"),
    ("week of year", (at("2019-09-17"),), D(38)),
    ("week of year", (at("2003-12-29"),), D(1)),
    ("week of year", (at("2004-01-04"),), D(1)),
    ("week of year", (at("2005-01-03"),), D(1)),
    ("week of year", (at("2005-01-01"),), D(53)),
    # contexts
    ("get value", ({"a": D(1)}, "a"), D(1)),
    ("get value", ({"a": D(1)}, "b"), None),
    ("get value", ({"a": {"b": D(2)}}, ["a", "b"]), D(2)),
    ("get entries", ({"a": D(1), "b": D(2)},), [{"key": "a", "value": D(1)}, {"key": "b", "value": D(2)}]),
    ("get entries", ({},), []),
    ("context", ([{"key": "a", "value": D(1)}, {"key": "b", "value": D(2)}],), {"a": D(1), "b": D(2)}),
    ("context", ({"key": "a", "value": None},), {"a": None}),
    ("context", ([{"key": "a", "value": D(1), "ignored": "x"}],), {"a": D(1)}),
    ("context put", ({"x": D(1)}, "y", D(2)), {"x": D(1), "y": D(2)}),
    ("context put", ({"x": D(1), "y": D(0)}, "x", D(2)), {"x": D(2), "y": D(0)}),
    ("context put", ({"x": D(1), "y": {"a": D(0)}}, ["y", "a"], D(2)), {"x": D(1), "y": {"a": D(2)}}),
    ("context put", ({"x": D(1), "y": {"a": D(0)}}, ["y", "b"], D(2)), {"x": D(1), "y": {"a": D(0), "b": D(2)}}),
    ("context merge", ([{"x": D(1)}, {"y": D(2)}],), {"x": D(1), "y": D(2)}),
    ("context merge", ([{"x": D(1), "y": D(0)}, {"y": D(2)}],), {"x": D(1), "y": D(2)}),
]


@pytest.mark.parametrize(("name", "args", "expected"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_builtin_answers(name: str, args: tuple[Any, ...], expected: Any) -> None:
    actual = call(name, *args)
    assert actual == expected
    assert type(actual) is type(expected)  # 1 is a Decimal, a date is not a date and time


RANGE_CASES: list[tuple[str, Any, Any, bool]] = [
    ("before", D(1), D(10), True), ("before", D(10), D(1), False),
    ("before", D(1), Range(D(2), D(5)), True), ("before", D(1), Range(D(1), D(5), False, True), True),
    ("before", D(1), Range(D(1), D(5)), False), ("before", Range(D(1), D(5)), D(10), True),
    ("before", Range(D(1), D(10), True, False), D(10), True), ("before", Range(D(1), D(10)), D(10), False),
    ("before", Range(D(1), D(5)), Range(D(6), D(8)), True), ("before", Range(D(1), D(5)), Range(D(5), D(8)), False),
    ("before", Range(D(1), D(5), True, False), Range(D(5), D(8)), True),
    ("before", Range(D(1), D(10)), Range(D(10), D(20), False, True), True),
    ("after", D(10), D(5), True), ("after", D(12), Range(D(2), D(5)), True),
    ("after", D(10), Range(D(1), D(10), True, False), True), ("after", D(10), Range(D(1), D(10)), False),
    ("after", Range(D(11), D(20)), D(12), False), ("after", Range(D(11), D(20), False, True), D(11), True),
    ("after", Range(D(6), D(8)), Range(D(1), D(5)), True), ("after", Range(D(11), D(20)), Range(D(1), D(11)), False),
    ("after", Range(D(11), D(20), False, True), Range(D(1), D(11)), True),
    ("meets", Range(D(1), D(5)), Range(D(5), D(10)), True),
    ("meets", Range(D(1), D(5), True, False), Range(D(5), D(10)), False),
    ("meets", Range(D(1), D(5)), Range(D(6), D(10)), False),
    ("met by", Range(D(5), D(10)), Range(D(1), D(5)), True),
    ("met by", Range(D(5), D(10), False, True), Range(D(1), D(5)), False),
    ("overlaps", Range(D(1), D(5)), Range(D(3), D(8)), True), ("overlaps", Range(D(3), D(8)), Range(D(1), D(5)), True),
    ("overlaps", Range(D(1), D(8)), Range(D(3), D(5)), True), ("overlaps", Range(D(3), D(5)), Range(D(1), D(8)), True),
    ("overlaps", Range(D(1), D(5)), Range(D(6), D(8)), False), ("overlaps", Range(D(1), D(5)), Range(D(5), D(8)), True),
    ("overlaps", Range(D(1), D(5)), Range(D(5), D(8), False, True), False),
    ("overlaps", Range(D(1), D(5), True, False), Range(D(5), D(8)), False),
    ("overlaps before", Range(D(1), D(5)), Range(D(3), D(8)), True),
    ("overlaps before", Range(D(1), D(5)), Range(D(6), D(8)), False),
    ("overlaps before", Range(D(1), D(5)), Range(D(5), D(8)), True),
    ("overlaps before", Range(D(1), D(5)), Range(D(5), D(8), False, True), False),
    ("overlaps before", Range(D(1), D(5), True, False), Range(D(1), D(5), False, True), True),
    ("overlaps before", Range(D(1), D(5)), Range(D(1), D(5)), False),
    ("overlaps after", Range(D(3), D(8)), Range(D(1), D(5)), True),
    ("overlaps after", Range(D(6), D(8)), Range(D(1), D(5)), False),
    ("overlaps after", Range(D(1), D(5), False, True), Range(D(1), D(5), True, False), True),
    ("overlaps after", Range(D(1), D(5)), Range(D(1), D(5)), False),
    ("finishes", D(10), Range(D(1), D(10)), True), ("finishes", D(10), Range(D(1), D(10), True, False), False),
    ("finishes", Range(D(5), D(10)), Range(D(1), D(10)), True),
    ("finishes", Range(D(5), D(10), True, False), Range(D(1), D(10)), False),
    ("finishes", Range(D(1), D(10)), Range(D(1), D(10)), True),
    ("finishes", Range(D(1), D(10), False, True), Range(D(1), D(10)), True),
    ("finished by", Range(D(1), D(10)), D(10), True),
    ("finished by", Range(D(1), D(10)), Range(D(5), D(10)), True),
    ("finished by", Range(D(1), D(10)), Range(D(1), D(10), False, True), True),
    ("finished by", Range(D(1), D(10), False, True), Range(D(1), D(10)), False),
    ("includes", Range(D(1), D(10)), D(5), True), ("includes", Range(D(1), D(10)), D(12), False),
    ("includes", Range(D(1), D(10), False, True), D(1), False),
    ("includes", Range(D(1), D(10)), Range(D(4), D(6)), True),
    ("includes", Range(D(1), D(10)), Range(D(1), D(10), False, False), True),
    ("includes", Range(D(1), D(10), False, True), Range(D(1), D(5)), False),
    ("during", D(5), Range(D(1), D(10)), True), ("during", D(1), Range(D(1), D(10), False, True), False),
    ("during", Range(D(4), D(6)), Range(D(1), D(10)), True),
    ("during", Range(D(1), D(10)), Range(D(1), D(10), True, False), False),
    ("starts", D(1), Range(D(1), D(10)), True), ("starts", D(1), Range(D(1), D(10), False, True), False),
    ("starts", Range(D(1), D(5)), Range(D(1), D(10)), True),
    ("starts", Range(D(1), D(5), False, True), Range(D(1), D(10)), False),
    ("starts", Range(D(1), D(10)), Range(D(1), D(10)), True),
    ("started by", Range(D(1), D(10)), D(1), True),
    ("started by", Range(D(1), D(10)), Range(D(1), D(5)), True),
    ("started by", Range(D(1), D(10)), Range(D(1), D(10), True, False), True),
    ("started by", Range(D(1), D(10), True, False), Range(D(1), D(10)), False),
    ("coincides", D(5), D(5), True), ("coincides", D(3), D(4), False),
    ("coincides", Range(D(1), D(5)), Range(D(1), D(5)), True),
    ("coincides", Range(D(1), D(5), False, False), Range(D(1), D(5)), False),
    # open-ended ranges (from unary comparisons) reach forever on their open side
    ("before", D(1), Range.comparison(">", D(1)), True),
    ("includes", Range.comparison("<", D(10)), D(-10**6), True),
    ("includes", Range.comparison(">=", D(10)), Range(D(20), D(30)), True),
    ("overlaps", Range.comparison("<", D(5)), Range.comparison(">", D(4)), True),
    ("before", at("2020-01-01"), Range(at("2020-02-01"), at("2020-03-01")), True),
]


@pytest.mark.parametrize(("name", "a", "b", "expected"), RANGE_CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(RANGE_CASES)])
def test_range_functions(name: str, a: Any, b: Any, expected: bool) -> None:
    assert call(name, a, b) is expected


# --------------------------------------------------------------------------- named invocation


@pytest.mark.parametrize(("name", "named", "expected"), [
    ("substring", {"string": "foobar", "start position": D(3)}, "obar"),
    ("substring", {"start position": D(3), "length": D(2), "string": "foobar"}, "ob"),
    ("date", {"from": "2012-12-25"}, datetime.date(2012, 12, 25)),
    ("date", {"year": D(2017), "month": D(8), "day": D(30)}, datetime.date(2017, 8, 30)),
    ("time", {"hour": D(11), "minute": D(59), "second": D(0), "offset": at("PT2H1M")}, at("11:59:00+02:01")),
    ("number", {"from": "1.000.000,01", "decimal separator": ",", "grouping separator": "."}, D("1000000.01")),
    ("round half up", {"n": D("5.5"), "scale": D(0)}, D(6)),
    ("floor", {"n": D("1.56")}, D(1)),
    ("string join", {"delimiter": "X", "list": ["a", "c"]}, "aXc"),
    ("list replace", {"position": D(2), "newItem": D(4), "list": N(1, 2, 3)}, N(1, 4, 3)),
    ("list replace", {"match": fn(lambda item, new: item == D(2), ("item", "newItem")), "newItem": D(4),
                      "list": N(1, 2, 3)}, N(1, 4, 3)),
    ("before", {"point": D(1), "range": Range(D(2), D(5))}, True),
    ("before", {"range1": Range(D(1), D(5)), "range2": Range(D(6), D(8))}, True),
    ("is", {"value1": at("2021-02-13")}, False),  # a named parameter left out is null
    ("context put", {"context": {}, "key": "a", "value": D(1)}, {"a": D(1)}),
    ("context put", {"context": {"y": {"a": D(0)}}, "keys": ["y", "a"], "value": D(2)}, {"y": {"a": D(2)}}),
    ("get entries", {"m": {"a": "foo"}}, [{"key": "a", "value": "foo"}]),
    ("years and months duration", {"from": at("2011-12-22"), "to": at("2013-08-24")}, YearMonthDuration(20)),
    ("sort", {"list": N(2, 1), "precedes": fn(lambda x, y: x < y)}, N(1, 2)),
    ("abs", {"n": D(-1)}, D(1)),
    ("sqrt", {"number": D(4)}, D(2)),
    ("modulo", {"dividend": D(10), "divisor": D(4)}, D(2)),
    ("all", {"list": [True, None]}, None),
    ("mode", {"list": N(6, 3, 6)}, N(6)),
    ("day of year", {"date": at("2019-09-17")}, D(260)),
    ("range", {"from": "[1..3]"}, Range(D(1), D(3))),
])
def test_named_invocation_uses_the_spec_parameter_names(name: str, named: dict[str, Any], expected: Any) -> None:
    assert BUILTINS[name].call(None, named) == expected


# --------------------------------------------------------------------------- errors


ERRORS: list[tuple[str, tuple[Any, ...]]] = [
    ("date", (None,)), ("date", ()), ("date", ("2017-13-10",)), ("date", (D(2017), D(13), D(31))),
    ("date", (D(1),)), ("date", ([],)), ("date", (D(2017), D(1), None)), ("date", (D(-1000999999), D(12), D(1))),
    ("date", ("9999999999-12-25",)),
    ("time", ("24:01:00",)), ("time", (D(24), D(59), D(45), None)), ("time", (D(12), None, D(45), None)),
    ("time", (D(2017),)),
    ("date and time", ("2012-12-24T23:59",)), ("date and time", (at("2012-12-24"), "23:59:00")),
    ("number", ("1,000,000.01", " ", ".")), ("number", ("1,000,000.01", ":", ".")),
    ("number", ("1,000,000.01", D(123), ".")), ("number", ("1,000,000.00", ",", ",")),
    ("number", (None, ".", ".")), ("number", (D(123), ".", ".")), ("number", ("foo,bar.001", ".", ",")),
    ("number", ("1.000.000,01", ".")), ("number", ("1.000.000,01", ".", ",", ",")),
    ("duration", ("",)), ("duration", (D(2017),)), ("duration", (None,)), ("duration", ()),
    ("years and months duration", (at("2017-08-11"), None)), ("years and months duration", (D(2017),)),
    ("range", ("[..2]",)), ("range", ("[1..]",)), ("range", (">=10",)), ("range", ("",)), ("range", ("[3..1]",)),
    ("range", ('[1.."b"]',)), ("range", ("[null..null]",)), ("range", ('[@"1970-01-01"..@"1970-01-02T00:00:00"]',)),
    ("range", ("[date(x)..date(\"1970-01-02\")]",)), ("range", (Range(D(1), D(3)),)), ("range", ("[1..3]", "foo")),
    ("not", (D(1),)),
    ("substring", ("foobar", D(0))), ("substring", (None, D(1))), ("substring", ("foobar", "1")),
    ("string length", (D(1),)), ("upper case", (None,)),
    ("contains", (None, "bar")), ("contains", ("bar", None)),
    ("replace", ("abc", "x*", "#")),  # a pattern matching the empty string
    ("replace", ("abc", "b", "$")), ("replace", ("abc", "b", "\\x")),
    ("matches", (None, "pattern")), ("matches", ("input", None)), ("matches", ("abracadabra", "bra", "p")),
    ("matches", ("input", "pattern", " ")), ("matches", ("input", [])), ("matches", ("input",)),
    ("matches", ("hello world", r"\p{ IsBasicLatin}+")), ("matches", ("h", r"(.)\2")), ("matches", ("h", r"\3")),
    ("matches", ("abcd", r"(asd)[\1]")), ("matches", ("abcd", r"1[asd\0]")), ("matches", ("abcd", "[a")),
    ("split", ("a", "")), ("string join", (None,)), ("string join", ([D(1), D(2)], "X")),
    ("string join", (["a", "c"], "X", "foo")), ("string join", ()),
    ("count", (None,)), ("min", ([D(1), "a"],)), ("min", ([D(1), None],)), ("min", ()),
    ("sum", ([D(1), "a"],)), ("sum", (None,)), ("mean", (["a"],)),
    ("all", (None,)), ("all", ([True, D(123)],)), ("all", (D(123),)), ("all", ()), ("any", ([D(123), False],)),
    ("sublist", (N(1, 2), D(3))), ("sublist", (N(1, 2), D(1), D(3))), ("sublist", (N(1, 2), D(0))),
    ("insert before", (N(1), D(0), D(2))), ("remove", (N(1), D(2))), ("remove", (None, D(1))),
    ("concatenate", (N(1), D(2))), ("flatten", (None,)),
    ("product", ([],)), ("product", ([D(1), None],)), ("product", (["foo"],)), ("product", ()),
    ("stddev", ([D(47)],)), ("stddev", ([],)), ("stddev", (D(47),)), ("stddev", ([D(1), "foo"],)),
    ("mode", (None,)), ("mode", ([D(1), "foo"],)), ("median", (["a"],)),
    ("sort", ([D(1), "a"],)), ("sort", (N(1, 2), fn(lambda x, y: None))),
    ("sort", (N(1, 2), fn(lambda x, y, z: True, ("x", "y", "z")))),
    ("list replace", (N(1, 2, 3), D(0), D(4))), ("list replace", (N(1, 2, 3), D(4), D(4))),
    ("list replace", (N(1, 2, 3), D(-4), D(4))), ("list replace", (None, D(1), D(4))),
    ("list replace", (N(1, 2, 3), None, D(4))), ("list replace", (N(1, 2, 3), "2", D(4))),
    ("list replace", (N(2, 4), fn(lambda item, new: item, ("item", "newItem")), D(5))),
    ("list replace", (N(2, 4), fn(lambda item: True, ("item",)), D(5))),
    ("decimal", (D(1), None)), ("decimal", ("1", D(1))), ("floor", ()), ("floor", (D("1.5"), D(1), D(2))),
    ("floor", ("1.5",)), ("floor", (D("1.5"), "1")), ("round down", (D("5.5"), D(-6112))),
    ("round down", (D("5.5"), D(6177))), ("round up", (D("5.5"),)),
    ("abs", (None,)), ("abs", ("-1",)), ("abs", (True,)), ("abs", (at("2018-12-06"),)),
    ("modulo", (D(10), D(0))), ("modulo", (at("P10D"), D(4))), ("modulo", (D(10), None)),
    ("sqrt", (D(-1),)), ("sqrt", (at("P4D"),)), ("log", (D(0),)), ("log", (D(-1),)), ("exp", ("4",)),
    ("odd", (None,)), ("even", (True,)),
    ("day of year", ("foo",)), ("day of week", (None,)), ("month of year", (at("10:00:00"),)),
    ("week of year", (D(1),)), ("now", (D(123),)), ("today", (D(123),)),
    ("get value", (None, "a")), ("get value", ({"a": D(1)}, D(1))), ("get entries", ([D(1)],)),
    ("get entries", ({"a": D(1)}, {"b": D(2)})), ("get entries", (None,)),
    ("context", ([{"key": "a", "value": D(1)}, {"key": "a", "value": D(2)}],)), ("context", ({"value": D(1)},)),
    ("context", ({"key": None, "value": D(1)},)), ("context", ({"key": "a"},)), ("context", (None,)),
    ("context", ("foo",)),
    ("context put", ({}, None, D(1))), ("context put", (None, "a", D(1))), ("context put", ({}, "a")),
    ("context put", ([], "a", D(1))), ("context put", ({}, D(1), D(1))),
    ("context put", ({"y": {}}, ["y", None], D(2))),
    ("context put", ({"y": {}}, [], D(2))), ("context put", ({"y": {"a": D(0)}}, ["y", "a", "b", "c"], D(2))),
    ("context merge", ([{"a": D(1)}, D(2)],)),
    ("before", (D(1), "a")), ("before", (None, D(1))), ("meets", (D(1), D(2))),
    ("includes", (D(1), Range(D(1), D(2)))), ("overlaps", (Range(D(1), D(2)), Range("a", "b"))),
    ("not", (True, False)),
]


@pytest.mark.parametrize(("name", "args"), ERRORS, ids=[f"{e[0]}-{i}" for i, e in enumerate(ERRORS)])
def test_wrong_arguments_raise_a_message_for_the_trace(name: str, args: tuple[Any, ...]) -> None:
    with pytest.raises(FeelRuntimeError) as error:
        call(name, *args)
    assert str(error.value)  # the evaluator puts this message in the trace


@pytest.mark.parametrize(("name", "named"), [
    ("floor", {"n": D("1.5"), "scal": D(1)}),
    ("abs", {"number": D(-1)}),
    ("string join", {"list": ["a"], "delimitr": "X"}),
    ("context put", {"context": {"y": {"a": D(0)}}, "key": ["y", "a"], "value": D(2)}),
    ("range", {"fron": "[1..3]"}),
    ("is", {"value1": D(1), "value2": D(1), "value3": D(1)}),
])
def test_named_invocation_with_a_name_the_spec_does_not_give_is_an_error(name: str, named: dict[str, Any]) -> None:
    with pytest.raises(FeelRuntimeError):
        BUILTINS[name].call(None, named)


def test_results_have_no_negative_zero() -> None:
    results = [call("ceiling", D("-0.5")), call("round down", D("-0.001"), D(2)), call("product", N(-1, 0)),
               call("decimal", D("-0.001"), D(2)), call("number", "-0.0")]
    assert [feel_string(r) for r in results] == ["0", "0.00", "0", "0.00", "0.0"]


def test_messages_name_the_function_and_the_parameter() -> None:
    with pytest.raises(FeelRuntimeError, match=r"^substring: start position must be a number, not a string$"):
        call("substring", "foobar", "1")
    with pytest.raises(FeelRuntimeError, match=r"^floor was given 3 arguments; it takes 1 or 2$"):
        call("floor", D(1), D(1), D(1))


# --------------------------------------------------------------------------- the whole library


SPEC_NAMES = """date, date and time, time, number, string, duration, years and months duration, range, not, is,
substring, string length, upper case, lower case, substring before, substring after, replace, contains,
starts with, ends with, matches, split, string join, list contains, count, min, max, sum, mean, all, any,
sublist, append, concatenate, insert before, remove, reverse, index of, union, distinct values, flatten,
product, median, stddev, mode, sort, list replace, decimal, floor, ceiling, round up, round down,
round half up, round half down, abs, modulo, sqrt, log, exp, odd, even, day of year, day of week,
month of year, week of year, now, today, before, after, meets, met by, overlaps, overlaps before,
overlaps after, finishes, finished by, includes, during, starts, started by, coincides, get value,
get entries, context, context put, context merge"""


def test_every_builtin_of_the_spec_is_there() -> None:
    expected = {name.strip() for name in SPEC_NAMES.replace("\n", " ").split(",")}
    assert expected <= set(BUILTINS)
    assert all(function.name == name for name, function in BUILTINS.items())


def test_now_and_today_are_the_current_moment_and_date() -> None:
    moment = call("now")
    assert type(moment) is datetime.datetime and moment.tzinfo is not None
    assert type(call("today")) is datetime.date
    # today's date is now's date in the same zone, unless midnight passes between the two calls
    assert feel_compare(call("today"), moment.date()) in (0, 1)


def test_a_fixed_clock_gives_now_and_today_for_replays() -> None:
    moment = at("2020-02-29T23:30:00+01:00")
    with clock(moment):
        assert (call("now"), call("today")) == (moment, datetime.date(2020, 2, 29))
    assert call("now") != moment


def test_builtins_are_function_values() -> None:
    assert feel_string(BUILTINS["string length"]) == "function(string)"
    assert BUILTINS["sum"].call([N(1, 2)]) == D(3)


SAMPLES: list[Any] = [
    None, True, D(0), D("-2.5"), D("1E+40"), "", "a", "[1..3]", "2020-01-01", "P1D", at("2020-01-31"), at("10:00:00"),
    at("10:00:00@Europe/Paris"), at("2020-01-01T10:00:00"), at("2020-01-01T10:00:00Z"), at("-PT5S"), at("P1Y1M"),
    [], N(1, 2), ["a", None], [N(1)], {}, {"key": "a", "value": D(1)}, {"a": {"b": D(1)}}, Range(D(1), D(5)),
    Range.comparison("<", D(5)), Range("a", "b"), fn(lambda x, y: True), fn(lambda x: None, ("x",)),
]


@pytest.mark.parametrize("name", sorted(BUILTINS))
def test_any_arguments_give_an_answer_or_a_feel_error_never_a_python_one(name: str) -> None:
    # the evaluator turns FeelRuntimeError into null plus a note; anything else would be a bug here
    function = BUILTINS[name]
    for count in range(3):
        for args in itertools.product(SAMPLES, repeat=count):
            try:
                function.call(list(args))
            except FeelRuntimeError:
                pass
