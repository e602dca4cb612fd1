"""Scenarios: the expected outcomes rule authors write in scenarios/*.yaml and scenarios/*.csv.

`load_scenarios` reads them (a YAML file's `given:` background merged into each of its cases, a CSV
grid's rows typed by knowledge/), `check_scenarios` checks them against a project without deciding
anything (for `composite validate`), and `run_scenarios` decides each one and compares; its
`Report` prints, or is written as JSON or JUnit XML. The format is documented in docs/scenarios.md.
"""

from __future__ import annotations

import csv
import difflib
import fnmatch
import io
import json
import math
import re
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError

from composite import temporal
from composite._files import check_utf8
from composite._yaml import LineDict, LineList, load_yaml, pydantic_problems
from composite.errors import CompositeError, Problem, ProjectError, RequestError

# Where one key of a scenario was written: (line, column of the key, line, column of the value).
Place = tuple[int | None, int | None, int | None, int | None]


class Approx(BaseModel):
    model_config = ConfigDict(extra="forbid")
    approx: float
    tol: float = 1e-6


class Scenario(BaseModel):
    """One case: the inputs, the outputs expected, optionally the rules or rows expected to fire.

    `inputs` already holds the file's `given:` background; `places` says where each key was written
    ("inputs.age", "expect.decision", "fired.0"), for the problems `check_scenarios` reports, and
    `given` which inputs came from the background.
    """

    model_config = ConfigDict(extra="forbid")

    name: str
    description: str | None = None
    inputs: dict[str, Any]
    expect: dict[str, Any] = Field(default_factory=dict)
    fired: list[str] = Field(default_factory=list)
    rejected: bool = False  # the request is expected to be refused (by the input schema or a failing node)
    file: str = Field(default="", exclude=True)
    line: int | None = Field(default=None, exclude=True)
    # Private, so they are no part of the file format (nor of its JSON Schema): set by the loaders.
    _places: dict[str, Place] = PrivateAttr(default_factory=dict)
    _given: frozenset[str] = PrivateAttr(default_factory=frozenset)  # input names taken from `given:`

    @property
    def places(self) -> dict[str, Place]:
        return self._places

    @property
    def given(self) -> frozenset[str]:
        return self._given

    @classmethod
    def located(cls, fields: Mapping[str, Any], places: Mapping[str, Place],
                given: Iterable[str] = ()) -> "Scenario":
        scenario = cls.model_validate(fields)
        scenario._places = dict(places)
        scenario._given = frozenset(given)
        return scenario


class _ScenarioFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    given: dict[str, Any] = Field(default_factory=dict)
    scenarios: list[dict[str, Any]]


# -- loading ------------------------------------------------------------------------------------


def load_scenarios(root: Path, *, knowledge: Any = None) -> list[Scenario]:
    """Every scenario under root/scenarios (*.yaml, *.yml, *.csv), each knowing its file and line.

    A CSV grid's cells are typed by the concepts of `knowledge` (a `Knowledge`; by default the one
    in root/knowledge/). Every problem of every file is reported at once, as one ProjectError.
    """
    root = Path(root)
    scenarios: list[Scenario] = []
    problems: list[Problem] = []
    folder = root / "scenarios"
    paths = sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml", ".csv")) if folder.is_dir() else []
    for path in paths:
        relative = path.relative_to(root).as_posix()
        try:
            if path.suffix == ".csv":
                if knowledge is None:
                    knowledge = _knowledge_of(root)
                found, trouble = _load_grid(check_utf8(path.read_bytes(), file=relative).lstrip("\ufeff"),
                                            file=relative, knowledge=knowledge)
            else:
                found, trouble = _load_yaml_file(path.read_bytes(), file=relative)
        except ProjectError as error:
            problems.extend(error.problems)
            continue
        scenarios += found
        problems += trouble
    if problems:
        raise ProjectError("scenarios/ has errors", problems=problems)
    return scenarios


def _knowledge_of(root: Path) -> Any:
    from composite.knowledge import Knowledge

    files = [(p.relative_to(root).as_posix(), p.read_bytes()) for p in sorted((root / "knowledge").glob("*.y*ml"))]
    return Knowledge.load(root, files)


def _load_yaml_file(data: bytes, *, file: str) -> tuple[list[Scenario], list[Problem]]:
    document = load_yaml(data, file=file)
    text = data.decode("utf-8", errors="replace").lstrip("\ufeff").splitlines()
    try:
        _ScenarioFile.model_validate(document)
    except ValidationError as exc:
        return [], pydantic_problems(exc, document, file=file)
    given = document.get("given") or LineDict()
    given_places = {f"inputs.{name}": _place(given, name, text) for name in given}
    scenarios, problems = [], []
    items = document["scenarios"]
    for index, item in enumerate(items):
        line = items.line_of(index) if isinstance(items, LineList) else None
        own = item.get("inputs")
        places = dict(given_places)
        if isinstance(own, Mapping):
            places["inputs"] = _place(item, "inputs", text)
            places.update({f"inputs.{name}": _place(own, name, text) for name in own})
            inputs: Any = {**given, **own}  # shallow: a scenario's value replaces the given one whole
        elif own is None and "given" in document:
            inputs = dict(given)
        else:
            inputs = own  # missing or not a mapping: the model names the problem
        expect = item.get("expect")
        if isinstance(expect, Mapping):
            places.update({f"expect.{name}": _place(expect, name, text) for name in expect})
        fired = item.get("fired")
        if isinstance(fired, LineList):
            for position, name in enumerate(fired):
                at = fired.line_of(position)
                places[f"fired.{position}"] = (at, _column(text, at, str(name)), at, _column(text, at, str(name)))
        given_names = frozenset(given) - (frozenset(own) if isinstance(own, Mapping) else frozenset())
        fields = {**item, "inputs": inputs, "file": file, "line": line}
        if inputs is None:
            fields.pop("inputs")
        try:
            scenarios.append(Scenario.located(fields, places, given_names))
        except ValidationError as exc:
            problems.extend(pydantic_problems(exc, item, file=file, prefix=("scenarios", index)))
    return scenarios, problems


def _place(mapping: Any, key: Any, text: list[str]) -> Place:
    if not isinstance(mapping, LineDict):
        return (None, None, None, None)
    key_line = mapping.line_of(key)
    value_line, value_column = mapping.position_of_value(key)
    # The loader keeps no key columns: find the key's text on its line, before its value if that
    # is on the same line (so `months` is not found inside `term_months: ..., months: ...`).
    end = value_column - 1 if value_column is not None and value_line == key_line else None
    return (key_line, _column(text, key_line, str(key), end=end), value_line, value_column)


def _column(text: list[str], line: int | None, needle: str, *, end: int | None = None) -> int | None:
    if line is None or not 0 < line <= len(text):
        return None
    source = text[line - 1]
    found = -1
    for match in re.finditer(re.escape(needle), source[:end] if end is not None else source):
        before = source[match.start() - 1] if match.start() else " "
        after = source[match.end()] if match.end() < len(source) else " "
        if not (before.isalnum() or before == "_") and not (after.isalnum() or after == "_"):
            found = match.start()  # the last whole-word match before the value
    return found + 1 if found >= 0 else None


# -- the CSV grid -------------------------------------------------------------------------------

_EXPECT = "expect."
_META = {"name", "description", "rejected", "fired"}
_NUMBER = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$")  # no "1_000", "inf" or "nan"
_INTEGER = re.compile(r"^[+-]?\d+$")


@dataclass(frozen=True)
class _Column:
    header: str
    kind: str  # "name", "description", "rejected", "fired", "input" or "expect"
    target: str = ""  # the input or output name
    tol: float | None = None  # `expect.NAME~TOL`: expected within TOL


def _load_grid(text: str, *, file: str, knowledge: Any) -> tuple[list[Scenario], list[Problem]]:
    """A CSV grid: one scenario a row. Columns: input concepts by name, `expect.NAME` (and
    `expect.NAME~TOL` for a tolerance), and optionally `name`, `description`, `rejected`, `fired`."""
    lines = text.splitlines()
    reader = csv.reader(io.StringIO(text, newline=""))
    problems: list[Problem] = []
    try:
        header = next(reader)
    except StopIteration:
        return [], [Problem("scenario.empty_grid", "the CSV grid is empty; its first line names the columns "
                            "(inputs by concept name, expected outputs as expect.NAME)", file=file, line=1)]
    except csv.Error as exc:
        return [], [Problem("scenario.csv_syntax", f"CSV syntax error: {exc}", file=file, line=reader.line_num)]
    heads = starts = _cell_columns(lines[0] if lines else "")
    columns: list[_Column] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(header):
        column, trouble = _header(raw.strip())
        where = {"file": file, "line": 1, "column": starts[index] if index < len(starts) else None,
                 "field": raw.strip() or f"column {index + 1}"}
        if trouble:
            problems.append(Problem("scenario.bad_column", trouble, **where))
        elif column.header in seen:
            problems.append(Problem("scenario.duplicate_column", f"column '{column.header}' appears twice "
                                    f"(also column {seen[column.header] + 1}); keep one", **where))
        seen.setdefault(column.header, index)
        columns.append(column)
    if problems:
        return [], problems
    scenarios: list[Scenario] = []
    stem = Path(file).name
    previous_end = reader.line_num
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(Problem("scenario.csv_syntax", f"CSV syntax error: {exc}", file=file, line=reader.line_num))
            break
        line, previous_end = previous_end + 1, reader.line_num
        if not any(cell.strip() for cell in row):
            continue  # a blank line separates groups of cases
        starts = _cell_columns(lines[line - 1]) if line == reader.line_num and line <= len(lines) else []
        if len(row) != len(columns):
            problems.append(Problem("scenario.row_length", f"this row has {len(row)} cells, the header {len(columns)}; "
                                    "every row needs a cell for each column (leave it blank: not given, not checked)",
                                    file=file, line=line))
            continue
        fields: dict[str, Any] = {"name": f"{stem}:line {line}", "inputs": {}, "expect": {}, "file": file, "line": line}
        places: dict[str, Place] = {}
        for index, (column, cell) in enumerate(zip(columns, row)):
            cell = cell.strip()
            if not cell:
                continue  # blank: input not given, output not checked
            at = starts[index] if index < len(starts) else None
            head = heads[index] if index < len(heads) else None  # a name's problem is its column's, at the header
            where = {"file": file, "line": line, "column": at, "field": column.header}
            if column.kind in ("name", "description"):
                fields[column.kind] = cell
            elif column.kind == "rejected":
                if cell.lower() not in ("true", "false"):
                    problems.append(Problem("scenario.bad_cell", f"'rejected' is true or false, not '{cell}'", **where))
                fields["rejected"] = cell.lower() == "true"
            elif column.kind == "fired":
                names = [name.strip() for name in cell.split(";") if name.strip()]
                fields["fired"] = names
                places.update({f"fired.{i}": (line, at, line, at) for i in range(len(names))})
            elif column.kind == "input":
                fields["inputs"][column.target] = _typed(cell, knowledge.get(column.target) if knowledge else None)
                places[f"inputs.{column.target}"] = (1, head, line, at)
            else:
                value = _typed(cell, knowledge.get(column.target) if knowledge else None)
                if column.tol is not None:
                    if not isinstance(value, (int, float)) or isinstance(value, bool):
                        problems.append(Problem("scenario.bad_cell", f"'{column.header}' expects a number within "
                                                f"{column.tol:g}; '{cell}' is not a number", **where))
                        continue
                    value = {"approx": value, "tol": column.tol}
                fields["expect"][column.target] = value
                places[f"expect.{column.target}"] = (1, head, line, at)
        scenarios.append(Scenario.located(fields, places))
    return scenarios, problems


def _header(raw: str) -> tuple[_Column, str | None]:
    if raw in _META:
        return _Column(raw, raw), None
    if not raw:
        return _Column(raw, "input"), "a column without a name; name it after an input, or expect.OUTPUT"
    if raw.startswith("="):
        return _Column(raw, "input"), f"'{raw}': an expected output is written expect.{raw[1:]}"
    if not raw.startswith(_EXPECT):
        return _Column(raw, "input", raw), None
    target, _, tol = raw[len(_EXPECT):].partition("~")
    target = target.strip()
    if not target:
        return _Column(raw, "expect"), f"'{raw}' names no output; write expect.OUTPUT"
    if not tol:
        return _Column(raw, "expect", target), None if "~" not in raw else (
            f"'{raw}' has no tolerance after '~'; write e.g. expect.{target}~0.01")
    tol = tol.strip()
    if not _NUMBER.match(tol) or float(tol) < 0:
        return _Column(raw, "expect", target), f"'{raw}': the tolerance after '~' must be a number >= 0, not '{tol}'"
    return _Column(raw, "expect", target, float(tol)), None


def _typed(cell: str, concept: Any) -> Any:
    """A cell's value as its concept's type; as a number, boolean or text when it has no concept.

    A cell that does not read as its concept's type stays text, so the input schema (or
    `composite validate`) names the problem with the cell's place, as it would in YAML.
    """
    kind = getattr(concept, "type", None)
    if kind in ("category", "string"):
        if kind == "category" and concept.values and all(isinstance(v, int) and not isinstance(v, bool)
                                                           for v in concept.values) and _INTEGER.match(cell):
            return int(cell)
        return cell
    if kind == "boolean" or kind is None:
        if cell in ("true", "True", "TRUE"):
            return True
        if cell in ("false", "False", "FALSE"):
            return False
        if kind == "boolean":
            return cell
    if _INTEGER.match(cell) and kind in ("integer", "number", None):
        return int(cell)  # exact; a `number` concept takes an int as it is
    if _NUMBER.match(cell) and kind in ("integer", "number", None):
        number = float(cell)
        return int(number) if kind == "integer" and number.is_integer() else number
    return cell


def _cell_columns(line: str) -> list[int]:
    """The 1-based column where each cell of one physical CSV line starts (quotes respected)."""
    starts, quoted, at_start, closed = [1], False, True, False
    for position, char in enumerate(line):
        if quoted:
            if char == '"':
                quoted, closed = False, True
            continue
        if char == '"' and (at_start or closed):  # an opening quote, or the second of a doubled one
            quoted, at_start, closed = True, False, False
            continue
        closed = False
        if char == ",":
            starts.append(position + 2)
            at_start = True
            continue
        at_start = False
    return starts


# -- static checks, for `composite validate` -------------------------------------------------------


def check_scenarios(project: Any) -> list[Problem]:
    """Every problem `composite test` would only meet at run time, found without deciding anything.

    Inputs: unknown names (with a did-you-mean), values of the wrong type, outside a concept's range
    or allowed values, required inputs missing; outputs in `expect` that the project does not have,
    expected values outside what their concept allows; names in `fired` that are no rule or table
    row. Each problem is located at the key or value in the scenario file.
    """
    try:
        scenarios = load_scenarios(project.root, knowledge=project.knowledge)
    except ProjectError as error:
        return list(error.problems)
    schema = project.input_schema
    writer: Mapping[str, str] = project.graph.writer
    outputs = set(writer) | set(schema.concepts)
    fired_names = _fired_names(_coverage_items(project.nodes))
    problems: list[Problem] = []
    names: dict[str, Scenario] = {}
    for scenario in scenarios:
        if scenario.name in names:
            other = names[scenario.name]
            problems.append(_at(scenario, None, "scenario.duplicate_name",
                                f"scenario name '{scenario.name}' is also used at {other.file}:{other.line}; "
                                "give each scenario its own name (reports and --filter go by name)", "warning"))
        names.setdefault(scenario.name, scenario)
        problems += _check_inputs(scenario, schema, writer)
        if scenario.rejected:
            if scenario.expect or scenario.fired:
                problems.append(_at(scenario, None, "scenario.rejected_expects",
                                    f"scenario '{scenario.name}' is expected to be rejected, so its expect: and "
                                    "fired: are never checked; remove them or remove rejected: true", "warning"))
            continue
        for name, expected in scenario.expect.items():
            problems += _check_expected(scenario, name, expected, outputs, project.knowledge)
        for index, name in enumerate(scenario.fired):
            if name not in fired_names:
                problems.append(_at(scenario, f"fired.{index}", "scenario.unknown_fired",
                                    f"scenario '{scenario.name}': '{name}' is no rule or table row of the project"
                                    f"{_suggest(name, fired_names)}", field="fired"))
    unique = list(dict.fromkeys(problems))  # a `given:` problem is found once per scenario sharing it
    return sorted(unique, key=lambda p: (p.file or "", p.line or 0, p.column or 0))


def _check_inputs(scenario: Scenario, schema: Any, writer: Mapping[str, str]) -> list[Problem]:
    try:
        schema.validate(scenario.inputs)
    except RequestError as error:
        found = error.problems
    else:
        found = []
    if scenario.rejected:
        if found:
            return []
        return [_at(scenario, None, "scenario.not_rejected",
                    f"scenario '{scenario.name}' is expected to be rejected, but its inputs pass the input schema: "
                    "it passes only if a node fails on them", "warning")]
    # A misspelt input is also a missing one: name the typo, with its fix, and not the absence too.
    meant = {_closest(p.field, schema.concepts) for p in found if p.code == "unknown_field" and p.field}
    problems = []
    for problem in found:
        name = problem.field or ""
        if problem.code == "missing_field" and name in meant:
            continue
        owner = _owner(scenario, name)
        key = f"inputs.{name}"
        if problem.code == "unknown_field" and name in writer:
            problems.append(_at(scenario, key, "scenario.input_is_output",
                                f"'{name}' in {owner} is written by node '{writer[name]}', not an input; "
                                "check it under expect:", field=key))
        elif problem.code == "unknown_field":
            hint = problem.message.partition(";")[2]
            problems.append(_at(scenario, key, "scenario.unknown_input",
                                f"unknown input '{name}' in {owner}{';' + hint if hint else ''}", field=key))
        elif problem.code == "missing_field":
            problems.append(_at(scenario, "inputs", "scenario.missing_input",
                                f"scenario '{scenario.name}': {problem.message}; give it in inputs: (or the "
                                "file's given:), or mark the scenario rejected: true", field=key))
        else:
            owner = "given:" if name in scenario.given else f"scenario '{scenario.name}'"  # a value is the row's
            problems.append(_at(scenario, key, "scenario.bad_input", f"{owner}: {problem.message}", field=key,
                                value=True))
    return problems


def _check_expected(scenario: Scenario, name: str, expected: Any, outputs: set[str],
                    knowledge: Any) -> list[Problem]:
    key = f"expect.{name}"
    if name not in outputs:
        return [_at(scenario, key, "scenario.unknown_output",
                    f"{_owner(scenario, name, 'expect.')} expects '{name}', which no node writes and no input is"
                    f"{_suggest(name, outputs)}", field=key)]
    concept = knowledge.get(name) if knowledge is not None else None
    if isinstance(expected, Mapping) and "approx" in expected:
        extra = sorted(set(expected) - {"approx", "tol"})
        if extra:
            return [_at(scenario, key, "scenario.bad_approx", f"'{name}': unknown key '{extra[0]}' in an approx "
                        "expectation; write {approx: VALUE, tol: TOLERANCE}", field=key, value=True)]
        bad = [part for part in ("approx", "tol") if part in expected and (
            isinstance(expected[part], bool) or not isinstance(expected[part], (int, float)))]
        if bad:
            return [_at(scenario, key, "scenario.bad_approx", f"'{name}': {bad[0]} must be a number, got "
                        f"{expected[bad[0]]!r}", field=key, value=True)]
        if expected.get("tol", 0) < 0:
            return [_at(scenario, key, "scenario.bad_approx", f"'{name}': tol must be >= 0", field=key, value=True)]
        if concept is not None and concept.type not in ("number", "integer"):
            return [_at(scenario, key, "scenario.bad_approx", f"'{name}' is a {concept.type}, not a number: "
                        "approx does not apply; expect the value itself", field=key, value=True)]
        return []
    if concept is None or expected is None:
        return []
    _, error = concept.model_copy(update={"required": False}).check_value(expected)
    if error:
        return [_at(scenario, key, "scenario.bad_expected", f"scenario '{scenario.name}': expected '{name}' "
                    f"{error[1]}, so the scenario can never pass", field=key, value=True)]
    return []


def _owner(scenario: Scenario, name: str, prefix: str = "") -> str:
    """Who wrote a name: the file's `given:`, a grid's column (reported once, at the header), or a scenario."""
    if name in scenario.given:
        return "given:"
    if scenario.file.endswith(".csv"):
        return f"the grid's column '{prefix}{name}'" if prefix else "the grid's header"
    return f"scenario '{scenario.name}'"


def _at(scenario: Scenario, key: str | None, code: str, message: str, severity: str = "error", *,
        field: str | None = None, value: bool = False) -> Problem:
    line, column = scenario.line, None
    if key is not None and key in scenario.places:
        key_line, key_column, value_line, value_column = scenario.places[key]
        line, column = (value_line, value_column) if value else (key_line, key_column)
        line = line if line is not None else scenario.line
    return Problem(code, message, file=scenario.file, line=line, column=column, field=field, severity=severity)


def _closest(name: str, candidates: Iterable[str]) -> str | None:
    if len(name) > 200:  # difflib is quadratic in the length: no suggestion for a long name
        return None
    close = difflib.get_close_matches(name, sorted(candidates), n=1)
    return close[0] if close else None


def _suggest(name: str, candidates: Iterable[str]) -> str:
    close = _closest(name, candidates)
    return f"; did you mean '{close}'?" if close else ""


# -- running --------------------------------------------------------------------------------------


@dataclass
class Outcome:
    scenario: Scenario
    passed: bool
    differences: list[str] = field(default_factory=list)
    decision_id: str | None = None
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.scenario.name, "file": self.scenario.file, "line": self.scenario.line,
                "passed": self.passed, "differences": list(self.differences), "seconds": round(self.seconds, 6)}


@dataclass
class Report:
    outcomes: list[Outcome]
    uncovered: list[str]
    total_items: int
    selected: bool = False  # a name filter chose the scenarios: coverage is of those alone

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.passed]

    @property
    def passed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.passed]

    def to_dict(self) -> dict[str, Any]:
        """Per scenario: name, file, line, passed, differences; totals; coverage of rules and rows."""
        return {
            "scenarios": [outcome.to_dict() for outcome in self.outcomes],
            "totals": {"scenarios": len(self.outcomes), "passed": len(self.passed), "failed": len(self.failed)},
            "coverage": {"items": self.total_items, "exercised": self.total_items - len(self.uncovered),
                         "not_exercised": list(self.uncovered), "filtered": self.selected},
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)


_TABLE_ROW = re.compile(r"^(.+?) row (\d+)(?: \((.+)\))?$")  # "<table> row <n> (<id>)", see DecisionTableNode


def _coverage_items(nodes: Iterable[Any]) -> list[str]:
    items: list[str] = []
    for node in nodes:
        of = getattr(node, "coverage_items", None)
        if callable(of):
            items += list(of())
    return items


def _fired_names(items: Iterable[str]) -> set[str]:
    """Every name a scenario's `fired:` may use for these coverage items: `node:rule`, `rule`,
    `node:table row 2 (id)`, `table row 2 (id)`, and a row's id alone or as `table:id`."""
    names: set[str] = set()
    for item in items:
        names |= {item, item.split(":", 1)[-1]}
        row = _TABLE_ROW.match(item.split(":", 1)[-1])
        if row and row.group(3):
            names |= {row.group(3), f"{row.group(1)}:{row.group(3)}"}
    return names


def select_scenarios(scenarios: Iterable[Scenario], patterns: str | Iterable[str] | None) -> list[Scenario]:
    """The scenarios whose name matches any pattern: a glob (`*`, `?`, `[...]`) matches the whole
    name, other text anywhere in it; both ignore case. No pattern selects every scenario."""
    if patterns is None:
        return list(scenarios)
    wanted = [patterns] if isinstance(patterns, str) else list(patterns)
    if not wanted:
        return list(scenarios)

    def matches(name: str) -> bool:
        lowered = name.lower()
        for pattern in wanted:
            pattern = pattern.lower()
            if any(ch in pattern for ch in "*?["):
                if fnmatch.fnmatchcase(lowered, pattern):
                    return True
            elif pattern in lowered:
                return True
        return False

    return [s for s in scenarios if matches(s.name)]


def _matches(expected: Any, actual: Any) -> bool:
    if isinstance(expected, dict) and set(expected) <= {"approx", "tol"} and "approx" in expected:
        return isinstance(actual, (int, float)) and math.isclose(actual, expected["approx"], rel_tol=0,
                                                                 abs_tol=expected.get("tol", 1e-6))
    if isinstance(expected, float) and isinstance(actual, (int, float)):
        return math.isclose(actual, expected, rel_tol=1e-9, abs_tol=1e-12)
    kind = temporal.kind_of(actual)
    if kind is not None and isinstance(expected, str):  # a date or duration expected as its ISO text
        try:
            return bool(temporal.parse(kind, expected) == actual)
        except ValueError:
            return False
    return bool(expected == actual)


def run_scenarios(engine: Any, scenarios: list[Scenario], *, name_filter: str | Iterable[str] | None = None) -> Report:
    """Decide each scenario (nothing stored) and compare; collect what the decisions exercised.

    `name_filter` runs only the scenarios `select_scenarios` picks with it.
    """
    if name_filter is not None:
        scenarios = select_scenarios(scenarios, name_filter)
    nodes = {node.name: node for node in engine.project.nodes}
    all_items = _coverage_items(nodes.values())
    covered: set[str] = set()
    outcomes = []
    for scenario in scenarios:
        started = time.perf_counter()
        outcome = _run_one(engine, nodes, scenario, covered)
        outcome.seconds = time.perf_counter() - started
        outcomes.append(outcome)
    uncovered = [item for item in all_items if item not in covered]
    return Report(outcomes, uncovered, len(all_items), selected=name_filter is not None)


def _run_one(engine: Any, nodes: Mapping[str, Any], scenario: Scenario, covered: set[str]) -> Outcome:
    try:
        decision = engine.decide(scenario.inputs, record=False)
    except CompositeError as error:
        if scenario.rejected:
            return Outcome(scenario, True)
        return Outcome(scenario, False, [f"the decision failed: {error}"])
    if scenario.rejected:
        return Outcome(scenario, False, ["expected the request to be rejected, but it was decided"])
    values = {**decision.inputs, **{k: v for step in decision.trace.nodes for k, v in step.wrote.items()}}
    hit: set[str] = set()
    for step in decision.trace.nodes:
        items_of = getattr(nodes.get(step.name), "covered_items", None)
        if callable(items_of):
            hit.update(items_of(step.evidence))
    covered |= hit
    differences = []
    for name, expected in scenario.expect.items():
        if name not in values:
            differences.append(f"{name}: expected {expected!r}, but the decision has no value named '{name}'")
        elif not _matches(expected, values[name]):
            differences.append(f"{name}: expected {_show(expected)}, got {_show(values[name])}")
    names = _fired_names(hit)
    for name in scenario.fired:
        if name not in names:
            differences.append(f"expected '{name}' to fire; fired: {sorted(hit) or 'nothing'}")
    return Outcome(scenario, not differences, differences, decision.id)


def _show(value: Any) -> str:
    if isinstance(value, dict) and "approx" in value:
        return f"{value['approx']} ± {value.get('tol', 1e-6)}"
    if temporal.is_temporal(value):
        return temporal.iso(value)  # P50D, 2026-03-01: as a scenario writes it
    return repr(value)


# -- JUnit XML ------------------------------------------------------------------------------------


def write_junit(report: Report, path: str | Path, *, suite: str = "composite") -> None:
    """The report as JUnit XML, for CI: one <testsuite> per scenario file, one <testcase> per
    scenario (classname: the file), a <failure> whose message lists the differences."""
    root = ET.Element("testsuites", name=suite, tests=str(len(report.outcomes)), failures=str(len(report.failed)),
                      errors="0", time=f"{sum(o.seconds for o in report.outcomes):.6f}")
    by_file: dict[str, list[Outcome]] = {}
    for outcome in report.outcomes:
        by_file.setdefault(outcome.scenario.file, []).append(outcome)
    for file, outcomes in by_file.items():
        failures = sum(1 for o in outcomes if not o.passed)
        element = ET.SubElement(root, "testsuite", name=file, tests=str(len(outcomes)), failures=str(failures),
                                errors="0", skipped="0", time=f"{sum(o.seconds for o in outcomes):.6f}")
        for outcome in outcomes:
            case = ET.SubElement(element, "testcase", name=outcome.scenario.name, classname=file, file=file,
                                 time=f"{outcome.seconds:.6f}")
            if outcome.scenario.line is not None:
                case.set("line", str(outcome.scenario.line))
            if not outcome.passed:
                failure = ET.SubElement(case, "failure", message="; ".join(outcome.differences), type="ScenarioFailed")
                failure.text = "\n".join(outcome.differences)
    ET.indent(root)
    Path(path).write_bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n")
