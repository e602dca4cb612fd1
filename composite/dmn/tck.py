"""The DMN TCK runner: every test case of a TCK folder, per test in the TCK's tck_results.csv format.

`python -m composite.dmn.tck DIR [--csv tck_results.csv] [--causes]` prints the totals per compliance level."""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import re
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Callable, Iterator

TEST_NS = "{http://www.omg.org/spec/DMN/20160719/testcase}"
XSI = "{http://www.w3.org/2001/XMLSchema-instance}"


@dataclass
class ResultNode:
    name: str
    expected: Any
    error: bool  # errorResult="true": the spec's answer is an error, which a FEEL engine returns as null


@dataclass
class TestCase:
    folder: str
    file: str
    id: str
    model: Path
    kind: str  # decision, bkm or decisionService
    invocable: str | None
    inputs: dict[str, Any]
    results: list[ResultNode]


@dataclass
class Outcome:
    case: TestCase
    result: str  # SUCCESS, FAILURE or ERROR, as in the TCK's TestResults/*/tck_results.csv
    message: str = ""
    cause: str = ""


@dataclass
class Totals:
    counts: Counter[str] = field(default_factory=Counter)
    causes: Counter[str] = field(default_factory=Counter)


# ---------------------------------------------------------------------------------------------
# Reading test files

_DURATION = re.compile(r"^(-)?P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$")


def _scalar(kind: str, text: str) -> Any:
    try:
        return _typed(kind, text)
    except Exception:  # a value Python's dates cannot hold (year -2017, 24:00:00) stays text: it fails, visibly
        return text


def _typed(kind: str, text: str) -> Any:
    try:
        from composite.feel import values as fv
    except ImportError:  # the runner reads test files before composite.feel exists
        fv = None  # type: ignore[assignment]

    text = text.strip() if kind != "string" else text
    if kind in ("decimal", "integer", "int", "long", "double", "float", "short"):
        try:
            return Decimal(text)
        except InvalidOperation:
            return text
    if kind == "boolean":
        return text == "true"
    if kind == "date":
        return fv.parse_date(text) if hasattr(fv, "parse_date") else dt.date.fromisoformat(text)
    if kind == "time":
        return fv.parse_time(text) if hasattr(fv, "parse_time") else dt.time.fromisoformat(text)
    if kind == "dateTime":
        return fv.parse_date_and_time(text) if hasattr(fv, "parse_date_and_time") else dt.datetime.fromisoformat(text)
    if kind == "duration":
        if fv is not None:
            return fv.parse_duration(text)
        match = _DURATION.match(text)
        if not match:
            return text
        sign = -1 if match.group(1) else 1
        years, months, days, hours, minutes = (int(g or 0) for g in match.groups()[1:6])
        seconds = Decimal(match.group(7) or 0)
        if (years or months) and not (days or hours or minutes or seconds):
            return fv.YearMonthDuration(sign * (years * 12 + months))
        return fv.DayTimeDuration(sign * (((days * 24 + hours) * 60 + minutes) * 60 + seconds))
    return text


def read_value(element: ET.Element) -> Any:
    """A TCK value holder (inputNode, expected, component, item): a value, components or a list."""
    value = element.find(f"{TEST_NS}value")
    if value is not None:
        if value.get(f"{XSI}nil") == "true":
            return None
        kind = (value.get(f"{XSI}type") or "xsd:string").rpartition(":")[2]
        if value.get(f"{XSI}type") is None and len(value) == 0 and value.text is None:
            return None
        return _scalar(kind, value.text or "")
    components = element.findall(f"{TEST_NS}component")
    if components:
        return {component.get("name"): read_value(component) for component in components}
    items = element.find(f"{TEST_NS}list")
    if items is not None:
        if items.get(f"{XSI}nil") == "true":
            return None
        return [read_value(item) for item in items.findall(f"{TEST_NS}item")]
    if element.get(f"{XSI}nil") == "true":
        return None
    return None


def read_cases(directory: Path) -> Iterator[TestCase]:
    """Every test case under `directory` (a TCK root, a level folder or one case folder), in name order."""
    for test_file in sorted(directory.rglob("*-test-*.xml")):
        root = ET.parse(test_file).getroot()
        model_name = root.findtext(f"{TEST_NS}modelName") or ""
        model = test_file.parent / model_name
        for number, element in enumerate(root.findall(f"{TEST_NS}testCase"), start=1):
            inputs = {node.get("name") or "": read_value(node) for node in element.findall(f"{TEST_NS}inputNode")}
            results = []
            for node in element.findall(f"{TEST_NS}resultNode"):
                expected = node.find(f"{TEST_NS}expected")
                results.append(ResultNode(node.get("name") or "",
                                          read_value(expected) if expected is not None else None,
                                          node.get("errorResult") == "true"))
            yield TestCase(test_file.parent.name, test_file.name, element.get("id") or str(number), model,
                           element.get("type") or "decision", element.get("invocableName"), inputs, results)


# ---------------------------------------------------------------------------------------------
# Comparing


def same(expected: Any, actual: Any) -> bool:
    """TCK equality: numbers as decimals (to FEEL's 34 digits), lists in order, contexts by key."""
    if expected is None or actual is None:
        return expected is None and actual is None
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected is actual
    if isinstance(expected, Decimal):
        if not isinstance(actual, (Decimal, int)) or isinstance(actual, bool):
            return False
        actual = Decimal(actual)
        if expected == actual:
            return True
        scale = max(abs(expected), abs(actual))
        if abs(expected - actual) <= scale * Decimal("1e-32"):
            return True
        # An expected value written with 13 or more significant digits was computed in binary floating
        # point (a double's pow and division), where FEEL computes in decimal128: they agree to 1e-12.
        digits = len(expected.normalize().as_tuple().digits)
        if digits >= 13 and abs(expected - actual) <= scale * Decimal("1e-12"):
            return True
        # An expected value written with 8 or more decimal places is an irrational cut short (exp(4),
        # log(4), cos(123)), rounded or truncated: it matches the result to within a unit of its last place.
        places = -expected.as_tuple().exponent  # type: ignore[operator]
        return places >= 8 and abs(expected - actual) < Decimal(1).scaleb(-places)
    if isinstance(expected, dict):
        return isinstance(actual, dict) and set(expected) == set(actual) and all(
            same(expected[key], actual[key]) for key in expected)
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return len(expected) == 1 and same(expected[0], actual)
        return len(expected) == len(actual) and all(same(e, a) for e, a in zip(expected, actual))
    if isinstance(expected, dt.datetime) or isinstance(expected, dt.time):
        return type(actual) is type(expected) and expected == actual and expected.utcoffset() == actual.utcoffset() \
            and str(expected.tzinfo) == str(actual.tzinfo) if expected.tzinfo else type(actual) is type(expected) \
            and expected == actual
    if type(expected) is not type(actual):
        return False
    return bool(expected == actual)


def _show(value: Any) -> str:
    try:
        from composite.feel.values import to_text  # type: ignore[attr-defined]

        return str(to_text(value))
    except Exception:  # the FEEL text form is a courtesy in a message
        return repr(value)


# ---------------------------------------------------------------------------------------------
# Running

Evaluator = Callable[[TestCase, list[str]], dict[str, Any]]


_MODELS: dict[Path, Any] = {}  # model file -> DmnModel, or the error reading it gave (read once per run)


def evaluate_with_composite(case: TestCase, notes: list[str]) -> dict[str, Any]:
    """Evaluate a test case with composite.dmn: a decision's results, or a BKM's / service's result."""
    from composite.dmn import load_model

    _cache = _MODELS
    model = _cache.get(case.model)
    if model is None:
        try:
            # Not strict: one bad expression makes its decision null, as a TCK runner counts per test.
            model = load_model(case.model, strict=False)
        except Exception as error:  # remembered, so a model that does not load is read once
            model = error
        _cache[case.model] = model
    if isinstance(model, Exception):
        raise model
    for problem in model.problems:  # a load problem of a decision under test explains its null
        if problem.severity != "warning" and any(f"'{r.name}'" in problem.message for r in case.results):
            notes.append(f"load: {problem.message} [{problem.code}]")
    if case.kind in ("bkm", "decisionService") and case.invocable:
        value = model.invoke(case.invocable, case.inputs, notes=notes)
        names = [result.name for result in case.results]
        if isinstance(value, dict) and len(names) > 1 and all(name in value for name in names):
            return value  # a decision service with several output decisions: one result node each
        return {name: value for name in names} | {case.invocable: value}
    return model.evaluate(case.inputs, notes=notes, only=[r.name for r in case.results if r.name in model.decisions]
                          or None)


def run_case(case: TestCase, evaluate: Evaluator) -> Outcome:
    notes: list[str] = []
    try:
        actual = evaluate(case, notes)
    except Exception as error:  # a model the runner cannot load or evaluate is the test's ERROR
        cause = getattr(error, "code", None) or type(error).__name__
        return Outcome(case, "ERROR", str(error).splitlines()[0][:300] if str(error) else cause, str(cause))
    wrong = []
    for result in case.results:
        value = actual.get(result.name)
        expected = None if result.error else result.expected
        if not same(expected, value):
            wrong.append(f"{result.name}: expected {_show(expected)}, got {_show(value)}")
    if wrong:
        return Outcome(case, "FAILURE", "; ".join(wrong + notes[:2])[:500], cause_of(notes))
    return Outcome(case, "SUCCESS")


_UNKNOWN = re.compile(r"no value named '([^']*)'")


def cause_of(notes: list[str]) -> str:
    """A failure's cause, from the notes evaluation left: the first unknown name, or the first note's kind."""
    for note in notes:
        match = _UNKNOWN.search(note)
        if match:
            return f"unknown name or built-in '{match.group(1)}'"
    for note in notes:
        if note.startswith("load: ") and note.endswith("[feel_syntax]"):
            return "FEEL text that does not parse"
        if "Java" in note or "PMML" in note:
            return "external (Java/PMML) functions"
        if "outside the years" in note:
            return "a date outside years 1 to 9999 (Python's dates)"
        if "instance of" in note and "unknown type" in note:
            return "'instance of' an item definition (FEEL has no model types yet)"
    if notes:
        return "wrong value, with notes: " + re.sub(r"'[^']*'|\"[^\"]*\"|\d+(\.\d+)?", "_", notes[0])[:80]
    return "wrong value"


def run(directory: Path, evaluate: Evaluator = evaluate_with_composite) -> list[Outcome]:
    return [run_case(case, evaluate) for case in read_cases(directory)]


def level_of(outcome: Outcome) -> str:
    parts = outcome.case.model.parts
    return next((part for part in parts if part.startswith("compliance-level")), "")


def write_csv(outcomes: list[Outcome], path: Path) -> None:
    """Rows as in the TCK's TestResults/*/tck_results.csv: level/case folder, test file (no .xml), test
    case id, SUCCESS/FAILURE/ERROR, message; every field quoted."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL, lineterminator="\n")
        for outcome in outcomes:
            case = outcome.case
            level = level_of(outcome)
            folder = f"{level}/{case.folder}" if level else case.folder
            writer.writerow([folder, Path(case.file).stem, case.id, outcome.result, outcome.message])


def totals(outcomes: list[Outcome]) -> dict[str, Totals]:
    by_level: dict[str, Totals] = {}
    for outcome in outcomes:
        level = by_level.setdefault(level_of(outcome) or "tests", Totals())
        level.counts[outcome.result] += 1
        if outcome.result != "SUCCESS":
            level.causes[outcome.cause] += 1
    return by_level


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m composite.dmn.tck",
                                     description="Run the DMN TCK test cases under DIR with composite.")
    parser.add_argument("directory", type=Path, help="a TCK root, a compliance-level folder or one case folder")
    parser.add_argument("--csv", type=Path, help="write per-test results here (the TCK's tck_results.csv format)")
    parser.add_argument("--causes", action="store_true", help="list the failures by cause")
    arguments = parser.parse_args(argv)
    if not arguments.directory.is_dir():
        print(f"error: '{arguments.directory}' is not a folder; give the TCK's TestCases folder or a level in it",
              file=sys.stderr)
        return 2
    outcomes = run(arguments.directory)
    if arguments.csv:
        write_csv(outcomes, arguments.csv)
    for level, total in sorted(totals(outcomes).items()):
        count = sum(total.counts.values())
        print(f"{level}: {total.counts['SUCCESS']} of {count} pass "
              f"({total.counts['FAILURE']} failures, {total.counts['ERROR']} errors)")
        if arguments.causes:
            for cause, number in total.causes.most_common():
                print(f"    {number:5d}  {cause}")
    return 0


__all__ = ["Outcome", "ResultNode", "TestCase", "Totals", "cause_of", "evaluate_with_composite", "main", "read_cases",
           "read_value", "run", "run_case", "same", "totals", "write_csv"]


if __name__ == "__main__":
    sys.exit(main())

