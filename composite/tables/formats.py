"""Readers for decision tables: `*.table.yaml`, `*.csv` and DMN 1.1-1.5 XML (`*.dmn`).

Every problem is reported with the file and line it is on, all at once where possible. The
formats are described for rule authors in docs/tables.md.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

from composite._files import check_utf8
from composite._yaml import LineDict, LineList, load_yaml
from composite.dmn.xmlfile import XmlDocument, parse_xml  # shared with composite.dmn's whole-model reader
from composite.errors import CompositeError, Problem, ProjectError, located
from composite.tables.sfeel import (
    Equal,
    UnaryTests,
    format_literal,
    parse_output_entry,
    parse_unary_tests,
)
from composite.tables.table import (
    Decision,
    DecisionModel,
    DecisionTable,
    InputData,
    Rule,
    TableInput,
    TableOutput,
    parse_hit_policy,
)

TABLE_SUFFIXES = (".table.yaml", ".table.yml", ".csv", ".dmn")
_TYPES = ("number", "string", "boolean", "date", "datetime", "time", "duration", "years_months")


def table_name_for(path: str | Path) -> str:
    """The default table name for a file: `rules/checking_points.table.yaml` -> `checking_points`."""
    name = Path(path).name
    for suffix in (".table.yaml", ".table.yml", ".yaml", ".yml", ".csv", ".dmn"):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return Path(path).stem


def read_table(data: bytes | str, *, file: str) -> DecisionTable:
    """A `.table.yaml` or `.csv` table, chosen by the file name's suffix."""
    lowered = file.lower()
    if lowered.endswith(".csv"):
        return read_table_csv(data, file=file)
    if lowered.endswith((".yaml", ".yml")):
        return read_table_yaml(data, file=file)
    raise ProjectError(f"'{file}' is not a decision table file; use .table.yaml, .csv or .dmn",
                       code="table_format", file=file)


def load_table(path: str | Path) -> DecisionTable:
    path = Path(path)
    return read_table(path.read_bytes(), file=str(path))


def load_dmn(path: str | Path) -> DecisionModel:
    path = Path(path)
    return read_dmn(path.read_bytes(), file=str(path))


# ---------------------------------------------------------------------------------------------
# shared helpers


class _Problems:
    """Collects located problems; raises them together."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.items: list[Problem] = []

    def add(self, code: str, message: str, *, line: int | None = None, field: str | None = None,
            column: int | None = None) -> None:
        self.items.append(Problem(code, message, file=self.file, line=line, column=column, field=field))

    def extend(self, error: CompositeError, *, line: int | None, field: str | None = None,
               column: int | None = None) -> None:
        for problem in error.problems:
            moved = located(problem, file=self.file)
            self.items.append(Problem(
                moved.code, moved.message, file=self.file,
                line=line if line is not None else moved.line,
                column=(column + (moved.column or 1) - 1) if column is not None and moved.column else None,
                field=field or moved.field))

    def raise_if_any(self, what: str) -> None:
        if self.items:
            raise ProjectError(f"{what} has {len(self.items)} problem(s)", problems=self.items)


def _entry(parse: Callable[..., Any], text: str, problems: _Problems, *, line: int | None, field: str,
           column: int | None = None, single_quotes: bool = False) -> Any:
    try:
        return parse(text, single_quotes=single_quotes)
    except CompositeError as error:
        problems.extend(error, line=line, field=field, column=column)
        return None


def _cell_text(value: Any) -> str | None:
    """A YAML scalar as S-FEEL text: numbers and booleans as written, strings as they are."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return repr(value)
        return format(Decimal(repr(value)), "f")
    return str(value)


def _values_tests(value: Any, problems: _Problems, *, line: int | None, field: str,
                  single_quotes: bool = False) -> UnaryTests | None:
    """Allowed values: S-FEEL text (`'"a", "b"'`, `'[0..120]'`) or a YAML list of plain values."""
    if value is None:
        return None
    if isinstance(value, list):
        parts = []
        for item in value:
            if isinstance(item, (dict, list)):
                problems.add("table_values", "allowed values are plain values", line=line, field=field)
                return None
            parts.append(format_literal(item) if isinstance(item, str) or item is None else _cell_text(item) or "null")
        text = ", ".join(parts)
    else:
        text = _cell_text(value) or ""
    return _entry(parse_unary_tests, text, problems, line=line, field=field, single_quotes=single_quotes)


def _type(value: Any, problems: _Problems, *, line: int | None, field: str) -> str | None:
    if value is None:
        return None
    text = str(value).strip().lower()
    if text in ("integer", "int", "decimal", "float", "double"):
        return "number"
    if text in ("category", "text"):
        return "string"
    if text in ("date and time", "datetime", "date-time"):  # the concept type, or FEEL's name for it
        return "datetime"
    if text not in _TYPES:
        problems.add("table_type", f"unknown type '{value}'; use number, string, boolean, date, datetime, time, "
                     "duration or years_months", line=line, field=field)
        return None
    return text


def _policy(value: Any, aggregation: Any, problems: _Problems, *, line: int | None, field: str) -> tuple[Any, Any]:
    try:
        return parse_hit_policy(str(value), str(aggregation) if aggregation is not None else None)
    except ValueError as error:
        problems.add("table_hit_policy", str(error), line=line, field=field)
        return None, None


def _unknown_key(key: Any, known: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(str(key), known, n=1)
    hint = f"; did you mean '{close[0]}'?" if close else f"; known keys: {', '.join(known)}"
    return f"unknown key '{key}'{hint}"


# ---------------------------------------------------------------------------------------------
# .table.yaml

_TABLE_KEYS = ("table", "hit_policy", "aggregation", "description", "inputs", "outputs", "rules")
_COLUMN_KEYS = ("name", "label", "type", "values", "default", "description")
_ROW_KEYS = ("id", "annotation", "description")


def read_table_yaml(data: bytes | str, *, file: str) -> DecisionTable:
    """Read a `.table.yaml` file (see docs/tables.md)."""
    document = load_yaml(data, file=file)
    problems = _Problems(file)
    if not isinstance(document, LineDict):
        raise ProjectError("a table file is a mapping with 'inputs', 'outputs' and 'rules'",
                           code="table_format", file=file, line=1)
    for key in document:
        if key not in _TABLE_KEYS:
            problems.add("table_unknown_key", _unknown_key(key, _TABLE_KEYS), line=document.line_of(key),
                         field=str(key))
    name = str(document.get("table") or table_name_for(file))
    policy, aggregation = _policy(document.get("hit_policy", "UNIQUE"), document.get("aggregation"), problems,
                                  line=document.line_of("hit_policy"), field="hit_policy")
    inputs = [_yaml_column(item, document, "inputs", index, problems, output=False)
              for index, item in enumerate(_yaml_list(document, "inputs", problems, required=False))]
    outputs = [_yaml_column(item, document, "outputs", index, problems, output=True)
               for index, item in enumerate(_yaml_list(document, "outputs", problems, required=True))]
    rules_node = _yaml_list(document, "rules", problems, required=True)
    rules: list[Rule] = []
    if all(column is not None for column in inputs + outputs):
        for index, row in enumerate(rules_node):
            line = rules_node.line_of(index) if isinstance(rules_node, LineList) else document.line_of("rules")
            rule = _yaml_rule(row, index, line, inputs, outputs, problems)  # type: ignore[arg-type]
            if rule is not None:
                rules.append(rule)
    problems.raise_if_any(file)
    return DecisionTable(name, inputs, outputs, rules,  # type: ignore[arg-type]
                         hit_policy=policy, aggregation=aggregation, source=file, line=document.line,
                         description=document.get("description"))


def _yaml_list(document: LineDict, key: str, problems: _Problems, *, required: bool) -> list[Any]:
    value = document.get(key)
    if value is None:
        if required:
            problems.add("table_missing_key", f"missing required key '{key}'", line=document.line, field=key)
        return []
    if not isinstance(value, list):
        problems.add("table_format", f"'{key}' is a list", line=document.line_of(key), field=key)
        return []
    return value


def _yaml_column(item: Any, document: LineDict, key: str, index: int, problems: _Problems,
                 *, output: bool) -> TableInput | TableOutput | None:
    container = document[key]
    line = container.line_of(index) if isinstance(container, LineList) else document.line_of(key)
    field = f"{key}[{index}]"
    if isinstance(item, str):
        return TableOutput(item) if output else TableInput(item)
    if not isinstance(item, LineDict) or "name" not in item:
        problems.add("table_column", f"each of '{key}' is a name or a mapping with 'name'", line=line, field=field)
        return None
    for extra in item:
        allowed = _COLUMN_KEYS if output else tuple(k for k in _COLUMN_KEYS if k != "default")
        if extra not in allowed:
            problems.add("table_unknown_key", _unknown_key(extra, allowed), line=item.line_of(extra),
                         field=f"{field}.{extra}")
    values = _values_tests(item.get("values"), problems, line=item.line_of("values"), field=f"{field}.values")
    kind = _type(item.get("type"), problems, line=item.line_of("type"), field=f"{field}.type")
    label = item.get("label") or item.get("description")
    if not output:
        return TableInput(str(item["name"]), label=label, values=values, type=kind)
    default = None
    if "default" in item:
        text = _cell_text(item["default"]) or "null"
        line_value, column = item.position_of_value("default")
        default = _entry(parse_output_entry, text, problems, line=line_value, field=f"{field}.default",
                         column=column if isinstance(item["default"], str) else None)
    return TableOutput(str(item["name"]), label=label, values=values, default=default, type=kind)


def _yaml_rule(row: Any, index: int, line: int | None, inputs: list[TableInput], outputs: list[TableOutput],
               problems: _Problems) -> Rule | None:
    number = index + 1
    field = f"rules[{number}]"
    input_cells: list[tuple[Any, int | None, int | None]]
    output_cells: list[tuple[Any, int | None, int | None]]
    rule_id = annotation = None
    if isinstance(row, list):
        expected = len(inputs) + len(outputs)
        if len(row) != expected:
            problems.add("table_row_shape", f"row {number} has {len(row)} cells; this table has {len(inputs)} "
                         f"input(s) and {len(outputs)} output(s), {expected} cells", line=line, field=field)
            return None
        cells = [(value, line, None) for value in row]
        input_cells, output_cells = cells[: len(inputs)], cells[len(inputs):]
    elif isinstance(row, LineDict):
        columns = {column.name for column in inputs} | {column.name for column in outputs}
        for key in row:
            if key not in columns and key not in _ROW_KEYS:
                message = _unknown_key(key, tuple(columns) + _ROW_KEYS)
                if "did you mean" in message and not message.endswith(tuple(f"'{k}'?" for k in _ROW_KEYS)):
                    # Rows spelling a name one way and the column list another: either may be the typo.
                    message += " (or, if the row is right, correct the column's name under inputs:/outputs:)"
                problems.add("table_unknown_column", message, line=row.line_of(key), field=f"{field}.{key}")
        rule_id = row.get("id") if "id" not in columns else None
        annotation = next((row.get(k) for k in ("annotation", "description") if k not in columns and k in row), None)

        def cell(name: str, absent: Any) -> tuple[Any, int | None, int | None]:
            if name not in row:
                return absent, line, None
            value_line, column = row.position_of_value(name)
            return row[name], value_line, column if isinstance(row[name], str) else None

        input_cells = [cell(column.name, "-") for column in inputs]
        output_cells = []
        for column in outputs:
            if column.name not in row:
                problems.add("table_missing_output", f"row {number} gives no value for output '{column.name}' "
                             "(write null for none)", line=line, field=f"{field}.{column.name}")
                return None
            output_cells.append(cell(column.name, None))
    else:
        problems.add("table_row_shape", f"row {number} is a list of cells or a mapping of column names to cells",
                     line=line, field=field)
        return None
    entries = []
    for column, (value, value_line, position) in zip(inputs, input_cells):
        if value is None:
            problems.add("table_empty_entry", f"row {number}: the entry for '{column.name}' is empty; write '-' for "
                         "any value or 'null' to match a missing value", line=value_line,
                         field=f"{field}.{column.name}")
            continue
        entries.append(_entry(parse_unary_tests, _cell_text(value) or "", problems, line=value_line,
                              field=f"{field}.{column.name}", column=position))
    results = []
    for column, (value, value_line, position) in zip(outputs, output_cells):
        text = _cell_text(value)
        results.append(_entry(parse_output_entry, "null" if text is None else text, problems, line=value_line,
                              field=f"{field}.{column.name}", column=position))
    if any(entry is None for entry in entries + results) or len(entries) != len(inputs):
        return None
    return Rule(tuple(entries), tuple(results), id=str(rule_id) if rule_id is not None else None,
                annotation=str(annotation) if annotation is not None else None, line=line)


# ---------------------------------------------------------------------------------------------
# .csv

_DIRECTIVES = ("table", "hit_policy", "aggregation", "description")
_COLUMN_DIRECTIVES = ("values", "default", "type")
_DIRECTIVE = re.compile(r"^#\s*(?P<key>[A-Za-z_]+)(?:\s+(?P<column>[^:]+?))?\s*:\s*(?P<value>.*)$")
_OUTPUT_PREFIXES = ("->", "out:")


@dataclass
class _CsvColumn:
    name: str
    role: str  # input, output, annotation, id
    position: int


def _physical_lines(text: str) -> Iterator[tuple[int, str]]:
    for number, line in enumerate(io.StringIO(text), start=1):
        yield number, line


def read_table_csv(data: bytes | str, *, file: str) -> DecisionTable:
    """Read a CSV decision table (see docs/tables.md for the conventions)."""
    text = check_utf8(data, file=file).lstrip("\ufeff") if isinstance(data, bytes) else data
    problems = _Problems(file)
    settings: dict[str, tuple[str, int]] = {}
    column_settings: dict[tuple[str, str], tuple[str, int]] = {}
    records: list[tuple[int, str]] = []
    header_seen = False
    for number, line in _physical_lines(text):
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.startswith("#"):
            if header_seen:
                continue
            match = _DIRECTIVE.match(stripped)
            if match is None:
                continue
            key, column, value = match["key"].lower(), match["column"], match["value"].strip()
            if column is None and key in _DIRECTIVES:
                settings[key] = (value, number)
            elif column is not None and key in _COLUMN_DIRECTIVES:
                column_settings[(key, column.strip())] = (value, number)
            elif column is None and (close := difflib.get_close_matches(key, _DIRECTIVES, n=1, cutoff=0.75)):
                problems.add("table_unknown_directive", f"unknown directive '# {key}:'; did you mean '# {close[0]}:'?",
                             line=number, field=key)
            continue
        header_seen = True
        records.append((number, line))
    if not records:
        problems.add("table_format", "a CSV table needs a header row of column names", line=1)
        problems.raise_if_any(file)
    rows = _csv_rows(records, problems)
    header_line, header = rows[0]
    columns = _csv_header(header, header_line, problems)
    inputs_by_name: dict[str, TableInput] = {}
    outputs_by_name: dict[str, TableOutput] = {}
    for column in columns:
        values = column_settings.get(("values", column.name))
        kind = column_settings.get(("type", column.name))
        tests = _entry(parse_unary_tests, values[0], problems, line=values[1], field=f"values {column.name}",
                       single_quotes=True) if values else None
        type_name = _type(kind[0], problems, line=kind[1], field=f"type {column.name}") if kind else None
        if column.role == "input":
            inputs_by_name.setdefault(column.name, TableInput(column.name, values=tests, type=type_name))
        elif column.role == "output":
            default = column_settings.get(("default", column.name))
            entry = _entry(parse_output_entry, default[0], problems, line=default[1], field=f"default {column.name}",
                           single_quotes=True) if default else None
            outputs_by_name[column.name] = TableOutput(column.name, values=tests, default=entry, type=type_name)
    known = {column.name for column in columns}
    for (key, name), (_, number) in column_settings.items():
        if name not in known:
            problems.add("table_unknown_column", f"'# {key} {name}:' names no column of the header", line=number,
                         field=f"{key} {name}")
    input_columns = [column for column in columns if column.role == "input"]
    output_columns = [column for column in columns if column.role == "output"]
    if not output_columns:
        problems.add("table_no_outputs", "no output column; mark outputs in the header with '->' or 'out:', "
                     "e.g. 'checking_status,-> points'", line=header_line)
    rules: list[Rule] = []
    for line, cells in rows[1:]:
        number = len(rules) + 1
        field = f"row {number}"
        if len(cells) != len(columns):
            problems.add("table_row_shape", f"this row has {len(cells)} cells, the header has {len(columns)}",
                         line=line, field=field)
            continue
        entries = [_entry(parse_unary_tests, cells[column.position], problems, line=line,
                          field=column.name, single_quotes=True) for column in input_columns]
        results = []
        for column in output_columns:
            cell = cells[column.position]
            if not cell.strip():
                problems.add("table_missing_output", f"the '{column.name}' cell is empty (write null for none)",
                             line=line, field=column.name)
                results.append(None)
                continue
            results.append(_entry(parse_output_entry, cell, problems, line=line, field=column.name, single_quotes=True))
        notes = [cells[column.position].strip() for column in columns if column.role == "annotation"]
        ids = [cells[column.position].strip() for column in columns if column.role == "id"]
        if any(entry is None for entry in entries + results):
            rules.append(Rule((), ()))  # keeps row numbers aligned; the table is not built
            continue
        rules.append(Rule(tuple(entries), tuple(results), id=(ids[0] or None) if ids else None,
                          annotation="; ".join(note for note in notes if note) or None, line=line))
    problems.raise_if_any(file)
    policy_text, policy_line = settings.get("hit_policy", ("UNIQUE", 1))
    aggregation = settings.get("aggregation")
    policy, aggregate = _policy(policy_text, aggregation[0] if aggregation else None, problems,
                                line=policy_line, field="hit_policy")
    problems.raise_if_any(file)
    name = settings["table"][0] if "table" in settings else table_name_for(file)
    description = settings["description"][0] if "description" in settings else None
    return DecisionTable(name, [inputs_by_name[column.name] for column in input_columns],
                         list(outputs_by_name.values()), rules, hit_policy=policy, aggregation=aggregate,
                         source=file, line=header_line, description=description)


def _csv_rows(records: list[tuple[int, str]], problems: _Problems) -> list[tuple[int, list[str]]]:
    # Feed the csv module the non-comment lines, remembering where each record starts.
    starts: list[int] = []

    def lines() -> Iterator[str]:
        for number, line in records:
            starts.append(number)
            yield line

    reader = csv.reader(lines(), skipinitialspace=True)
    rows: list[tuple[int, list[str]]] = []
    consumed = 0
    try:
        for cells in reader:
            rows.append((starts[consumed], cells))
            consumed = len(starts)
    except csv.Error as error:
        problems.add("csv_syntax", f"CSV syntax error: {error}", line=starts[consumed] if starts else None)
        problems.raise_if_any("")
    return rows


def _csv_header(header: list[str], line: int, problems: _Problems) -> list[_CsvColumn]:
    columns: list[_CsvColumn] = []
    for position, raw in enumerate(header):
        cell = raw.strip()
        lowered = cell.lower()
        role = "input"
        for prefix in _OUTPUT_PREFIXES:
            if lowered.startswith(prefix):
                role, cell = "output", cell[len(prefix):].strip()
                break
        else:
            if lowered.startswith(("annotation:", "note:")) or lowered in ("annotation", "note"):
                role, cell = "annotation", cell.partition(":")[2].strip() or cell
            elif lowered in ("id:", "id: ") or lowered.startswith("id:"):
                role, cell = "id", "id"
        if not cell:
            problems.add("table_column", f"column {position + 1} of the header has no name", line=line)
            continue
        if role == "output" and any(c.role == "output" and c.name == cell for c in columns):
            problems.add("table_duplicate_output", f"output column '{cell}' appears twice", line=line, field=cell)
        columns.append(_CsvColumn(cell, role, position))
    return columns


# ---------------------------------------------------------------------------------------------
# DMN XML


_BUILTIN_TYPES = {
    "number": "number", "decimal": "number", "integer": "number", "int": "number", "long": "number",
    "double": "number", "float": "number", "short": "number",
    "string": "string", "boolean": "boolean",
}


@dataclass
class _ItemDefinition:
    name: str
    type_ref: str | None
    allowed: str | None
    is_collection: bool
    has_components: bool


def _local_type(type_ref: str | None) -> str | None:
    if not type_ref:
        return None
    text = type_ref.strip()
    text = text.rpartition("}")[2] if "}" in text else text
    return text.rpartition(":")[2] if ":" in text and not text.startswith("http") else text


def _resolve_type(type_ref: str | None, items: Mapping[str, _ItemDefinition]) -> tuple[str | None, str | None]:
    """(FEEL base type, allowed-values text) through a chain of item definitions."""
    allowed = None
    seen: set[str] = set()
    current = type_ref
    while current:
        local = _local_type(current)
        if local in items and local not in seen:
            seen.add(local)
            item = items[local]
            if item.is_collection or item.has_components:
                return None, allowed
            allowed = allowed or item.allowed
            current = item.type_ref
            continue
        return _BUILTIN_TYPES.get((local or "").lower()), allowed
    return None, allowed


def read_dmn(data: bytes | str, *, file: str) -> DecisionModel:
    """Read a DMN 1.1-1.5 model: its input data, item definitions and decision-table decisions."""
    doc = parse_xml(data, file=file)
    q = doc.q
    problems = _Problems(file)
    root = doc.root
    model_name = root.get("name") or table_name_for(file)
    items: dict[str, _ItemDefinition] = {}
    for element in root.iter(q("itemDefinition")):
        item_name = element.get("name")
        if not item_name:
            continue
        type_ref = doc.text(element, "typeRef")
        allowed_element = element.find(q("allowedValues"))
        items[item_name] = _ItemDefinition(
            item_name, type_ref.strip() if type_ref else None,
            doc.text(allowed_element) if allowed_element is not None else None,
            element.get("isCollection", "false").lower() == "true",
            element.find(q("itemComponent")) is not None)
    ids: dict[str, str] = {}
    inputs: dict[str, InputData] = {}
    for element in root.findall(q("inputData")):
        input_name = element.get("name")
        if not input_name:
            problems.add("dmn_format", "an <inputData> has no name", line=doc.line(element))
            continue
        variable = element.find(q("variable"))
        type_ref = variable.get("typeRef") if variable is not None else element.get("typeRef")
        kind, allowed = _resolve_type(type_ref, items)
        values = _enumeration(allowed, problems, line=doc.line(element), field=f"inputData {input_name}")
        inputs[input_name] = InputData(input_name, kind, values, doc.line(element))
        if element.get("id"):
            ids[element.get("id")] = input_name  # type: ignore[index]
    decision_elements = root.findall(q("decision"))
    decision_names = [element.get("name") or "" for element in decision_elements]
    for element in decision_elements:
        if element.get("id"):
            ids[element.get("id")] = element.get("name") or ""  # type: ignore[index]
    for duplicate in {n for n in decision_names if decision_names.count(n) > 1}:
        problems.add("dmn_duplicate", f"two decisions are named '{duplicate}'", line=None)
    for clash in set(decision_names) & set(inputs):
        problems.add("dmn_duplicate", f"'{clash}' names both an input data and a decision", line=None)
    known = set(inputs) | set(decision_names)
    decisions: list[Decision] = []
    for element in decision_elements:
        decision = _dmn_decision(doc, element, items, ids, known, problems)
        if decision is not None:
            decisions.append(decision)
    if not decision_elements:
        problems.add("dmn_format", "the model has no <decision>", line=doc.line(root))
    problems.raise_if_any(file)
    return DecisionModel(model_name, decisions, inputs, source=file)


def _enumeration(allowed: str | None, problems: _Problems, *, line: int | None, field: str) -> tuple[Any, ...] | None:
    if not allowed or not allowed.strip():
        return None
    tests = _entry(parse_unary_tests, allowed, problems, line=line, field=field)
    if tests is None or tests.negated or not tests.tests:
        return None
    if all(isinstance(test, Equal) and test.value is not None for test in tests.tests):
        return tuple(test.value for test in tests.tests)  # type: ignore[attr-defined]
    return None


def _dmn_decision(doc: XmlDocument, element: ET.Element, items: Mapping[str, _ItemDefinition], ids: Mapping[str, str],
                  known: set[str], problems: _Problems) -> Decision | None:
    q = doc.q
    name = element.get("name")
    line = doc.line(element)
    if not name:
        problems.add("dmn_format", "a <decision> has no name", line=line)
        return None
    table_element = element.find(q("decisionTable"))
    if table_element is None:
        kinds = [child.tag.rpartition("}")[2] for child in element
                 if child.tag.rpartition("}")[2] not in ("variable", "informationRequirement", "knowledgeRequirement",
                                                          "authorityRequirement", "description", "extensionElements",
                                                          "question", "allowedAnswers")]
        what = kinds[0] if kinds else "no expression"
        problems.add("dmn_unsupported", f"decision '{name}' is a {what}, which a table node does not run; give "
                     "the node 'kind: dmn' to run the whole model", line=line, field=name)
        return None
    requires = []
    for requirement in element.findall(q("informationRequirement")):
        required = requirement.find(q("requiredDecision"))
        if required is not None:
            href = (required.get("href") or "").rpartition("#")[2]
            if href in ids:
                requires.append(ids[href])
    table_line = doc.line(table_element)
    try:
        policy, aggregation = parse_hit_policy(table_element.get("hitPolicy", "UNIQUE"),
                                               table_element.get("aggregation"))
    except ValueError as error:
        problems.add("table_hit_policy", str(error), line=table_line, field=f"{name}.hitPolicy")
        return None
    inputs: list[TableInput] = []
    for position, input_element in enumerate(table_element.findall(q("input")), start=1):
        expression = input_element.find(q("inputExpression"))
        text = (doc.text(expression) or "").strip()
        input_line = doc.line(input_element)
        if not text:
            problems.add("dmn_format", f"input {position} of decision '{name}' has no input expression",
                         line=input_line, field=name)
            continue
        if text not in known:
            # Anything but a plain name is FEEL (`Violation.Actual Speed - Violation.Speed Limit` is a
            # subtraction, not a component): composite.dmn evaluates it, this S-FEEL reader never guesses.
            problems.add("dmn_unsupported", f"input expression '{text}' of decision '{name}' is not the name of an "
                         "input data or a decision, so it is FEEL, which a table node does not run; give the node "
                         "'kind: dmn' to run the whole model", line=input_line, field=name)
            continue
        kind, _ = _resolve_type(expression.get("typeRef") if expression is not None else None, items)
        values_text = doc.text(input_element.find(q("inputValues")))
        values = _entry(parse_unary_tests, values_text, problems, line=input_line, field=f"{name}.inputValues") \
            if values_text and values_text.strip() else None
        inputs.append(TableInput(text, label=input_element.get("label"), values=values, type=kind))
    outputs: list[TableOutput] = []
    output_elements = table_element.findall(q("output"))
    for position, output_element in enumerate(output_elements, start=1):
        output_line = doc.line(output_element)
        output_name = output_element.get("name")
        if len(output_elements) == 1:
            output_name = name
        elif not output_name:
            problems.add("dmn_format", f"output {position} of decision '{name}' needs a name (the table has "
                         "several outputs)", line=output_line, field=name)
            continue
        values_text = doc.text(output_element.find(q("outputValues")))
        values = _entry(parse_unary_tests, values_text, problems, line=output_line, field=f"{name}.outputValues") \
            if values_text and values_text.strip() else None
        default_text = doc.text(output_element.find(q("defaultOutputEntry")))
        default = _entry(parse_output_entry, default_text, problems, line=output_line,
                         field=f"{name}.defaultOutputEntry") if default_text and default_text.strip() else None
        kind, _ = _resolve_type(output_element.get("typeRef"), items)
        outputs.append(TableOutput(output_name, label=output_element.get("label"), values=values,
                                   default=default, type=kind))
    rules: list[Rule] = []
    ok = len(inputs) == len(table_element.findall(q("input"))) and len(outputs) == len(output_elements)
    for number, rule_element in enumerate(table_element.findall(q("rule")), start=1):
        rule_line = doc.line(rule_element)
        entries = [_entry(parse_unary_tests, doc.text(entry) or "", problems, line=doc.line(entry) or rule_line,
                          field=f"{name}.rule[{number}]") for entry in rule_element.findall(q("inputEntry"))]
        results = [_entry(parse_output_entry, doc.text(entry) or "", problems, line=doc.line(entry) or rule_line,
                          field=f"{name}.rule[{number}]") for entry in rule_element.findall(q("outputEntry"))]
        annotation = None
        annotation_entries = rule_element.findall(q("annotationEntry"))
        if annotation_entries:
            annotation = "; ".join((doc.text(entry) or "").strip() for entry in annotation_entries).strip("; ") or None
        elif rule_element.find(q("description")) is not None:
            annotation = (rule_element.find(q("description")).text or "").strip() or None  # type: ignore[union-attr]
        if any(entry is None for entry in entries + results):
            ok = False
            continue
        rules.append(Rule(tuple(entries), tuple(results), id=rule_element.get("id"), annotation=annotation,
                          line=rule_line))
    if not ok:
        return None
    try:
        table = DecisionTable(name, inputs, outputs, rules, hit_policy=policy, aggregation=aggregation,
                              source=problems.file, line=table_line)
    except ProjectError as error:
        problems.items.extend(error.problems)
        return None
    return Decision(name, table, tuple(requires), line)


__all__ = [
    "TABLE_SUFFIXES",
    "load_dmn",
    "load_table",
    "read_dmn",
    "read_table",
    "read_table_csv",
    "read_table_yaml",
    "table_name_for",
]
