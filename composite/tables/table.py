"""Decision tables with DMN hit policies, evaluated for one decision or for columns of many.

`DecisionTable` is one table; `DecisionModel` is several tables (a DMN model's decisions) run in
the order their inputs require. Both give the same answers row by row and column-wise.

>>> from composite.tables.sfeel import parse_unary_tests as t, parse_output_entry as o
>>> table = DecisionTable(
...     "points", [TableInput("status")], [TableOutput("points")],
...     [Rule((t('"overdrawn"'),), (o("0"),)), Rule((t("-"),), (o("4"),))],
...     hit_policy=HitPolicy.FIRST)
>>> table.evaluate({"status": "overdrawn"}).value
Decimal('0')
"""

from __future__ import annotations

import functools

import enum
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from composite.errors import EvaluationError, Problem, ProjectError
from composite.tables.index import ColumnIndex, rows_of
from composite.tables.sfeel import (
    FEEL_CONTEXT,
    Categorical,
    ColumnView,
    OutputEntry,
    UnaryTests,
    feel_equal,
    format_literal,
    kind_of,
    parse_unary_tests,
    to_feel,
)


class HitPolicy(str, enum.Enum):
    UNIQUE = "UNIQUE"
    ANY = "ANY"
    PRIORITY = "PRIORITY"
    FIRST = "FIRST"
    RULE_ORDER = "RULE ORDER"
    OUTPUT_ORDER = "OUTPUT ORDER"
    COLLECT = "COLLECT"

    @property
    def single_hit(self) -> bool:
        return self in (HitPolicy.UNIQUE, HitPolicy.ANY, HitPolicy.PRIORITY, HitPolicy.FIRST)


class Aggregation(str, enum.Enum):
    SUM = "SUM"
    MIN = "MIN"
    MAX = "MAX"
    COUNT = "COUNT"


_POLICY_NAMES = {
    "U": (HitPolicy.UNIQUE, None), "UNIQUE": (HitPolicy.UNIQUE, None),
    "A": (HitPolicy.ANY, None), "ANY": (HitPolicy.ANY, None),
    "P": (HitPolicy.PRIORITY, None), "PRIORITY": (HitPolicy.PRIORITY, None),
    "F": (HitPolicy.FIRST, None), "FIRST": (HitPolicy.FIRST, None),
    "R": (HitPolicy.RULE_ORDER, None), "RULE ORDER": (HitPolicy.RULE_ORDER, None),
    "O": (HitPolicy.OUTPUT_ORDER, None), "OUTPUT ORDER": (HitPolicy.OUTPUT_ORDER, None),
    "C": (HitPolicy.COLLECT, None), "COLLECT": (HitPolicy.COLLECT, None),
    "C+": (HitPolicy.COLLECT, Aggregation.SUM), "COLLECT SUM": (HitPolicy.COLLECT, Aggregation.SUM),
    "C<": (HitPolicy.COLLECT, Aggregation.MIN), "COLLECT MIN": (HitPolicy.COLLECT, Aggregation.MIN),
    "C>": (HitPolicy.COLLECT, Aggregation.MAX), "COLLECT MAX": (HitPolicy.COLLECT, Aggregation.MAX),
    "C#": (HitPolicy.COLLECT, Aggregation.COUNT), "COLLECT COUNT": (HitPolicy.COLLECT, Aggregation.COUNT),
}

HIT_POLICY_NAMES = ("UNIQUE", "ANY", "PRIORITY", "FIRST", "RULE ORDER", "OUTPUT ORDER", "COLLECT",
                    "COLLECT SUM", "COLLECT MIN", "COLLECT MAX", "COLLECT COUNT")


def parse_hit_policy(text: str, aggregation: str | None = None) -> tuple[HitPolicy, Aggregation | None]:
    """`"FIRST"`, `"F"`, `"C+"`, `"COLLECT SUM"`, or `"COLLECT"` with aggregation `"SUM"`.

    Raises ValueError with the accepted spellings.

    >>> parse_hit_policy("C#")
    (<HitPolicy.COLLECT: 'COLLECT'>, <Aggregation.COUNT: 'COUNT'>)
    """
    key = " ".join(str(text).replace("_", " ").split()).upper()
    if key not in _POLICY_NAMES:
        raise ValueError(f"unknown hit policy '{text}'; use one of {', '.join(HIT_POLICY_NAMES)} "
                         "(or U, A, P, F, R, O, C, C+, C<, C>, C#)")
    policy, aggregate = _POLICY_NAMES[key]
    if aggregation:
        try:
            extra = Aggregation(str(aggregation).strip().upper())
        except ValueError:
            raise ValueError(f"unknown aggregation '{aggregation}'; use SUM, MIN, MAX or COUNT") from None
        if policy is not HitPolicy.COLLECT:
            raise ValueError(f"aggregation {extra.value} needs the COLLECT hit policy, not {policy.value}")
        if aggregate is not None and aggregate is not extra:
            raise ValueError(f"hit policy '{text}' and aggregation '{aggregation}' disagree")
        aggregate = extra
    return policy, aggregate


@dataclass(frozen=True)
class TableInput:
    """An input column: the name it reads, and optionally its allowed values (`inputValues`)."""

    name: str
    label: str | None = None
    values: UnaryTests | None = None
    type: str | None = None


@dataclass(frozen=True)
class TableOutput:
    """An output column: its name, allowed values in priority order, default when no row matches."""

    name: str
    label: str | None = None
    values: UnaryTests | None = None
    default: OutputEntry | None = None
    type: str | None = None


@dataclass(frozen=True)
class Rule:
    """One row: an input entry per input, an output entry per output."""

    inputs: tuple[UnaryTests, ...]
    outputs: tuple[OutputEntry, ...]
    id: str | None = None
    annotation: str | None = None
    line: int | None = None


@dataclass(frozen=True, slots=True)
class TableResult:
    """What a table decided for one row.

    `matched`: rule positions (0-based) that matched, in rule order. `selected`: the positions
    whose outputs make the result, in result order. `value`: the DMN result (a value for one
    output, a dict for several; a list of those for COLLECT, RULE ORDER and OUTPUT ORDER; the
    aggregate for C+ C< C> C#). `outputs`: the same per output column (a list per column for the
    list policies). `defaulted`: no rule matched and the outputs' defaults were used.
    """

    matched: tuple[int, ...]
    selected: tuple[int, ...]
    value: Any
    outputs: Mapping[str, Any]
    defaulted: bool = False


@dataclass(frozen=True, slots=True)
class TableBatch:
    """Results for many rows: `results[index[row]]` is the row's result (rows share results)."""

    results: Sequence[TableResult]
    index: np.ndarray

    def __len__(self) -> int:
        return int(self.index.shape[0])

    def row(self, row: int) -> TableResult:
        return self.results[int(self.index[row])]

    def values(self) -> Categorical:
        return Categorical([result.value for result in self.results], self.index)

    def output(self, name: str) -> Categorical:
        return Categorical([result.outputs[name] for result in self.results], self.index)


_NULL_TEST = parse_unary_tests("null")
_ERROR_ROWS_SHOWN = 10


class DecisionTable:
    """A DMN decision table: inputs, outputs, rules and a hit policy.

    Construction checks the table's shape and the output entries that can be checked without
    data (allowed output values, aggregations over literals); problems raise ProjectError with
    the file and line of the offending row.
    """

    def __init__(
        self,
        name: str,
        inputs: Sequence[TableInput],
        outputs: Sequence[TableOutput],
        rules: Sequence[Rule],
        *,
        hit_policy: HitPolicy = HitPolicy.UNIQUE,
        aggregation: Aggregation | None = None,
        source: str | None = None,
        line: int | None = None,
        description: str | None = None,
    ) -> None:
        self.name = name
        self.inputs = tuple(inputs)
        self.outputs = tuple(outputs)
        self.rules = tuple(rules)
        self.hit_policy = HitPolicy(hit_policy)
        self.aggregation = Aggregation(aggregation) if aggregation is not None else None
        self.source = source
        self.line = line
        self.description = description
        self._check()
        self._compile()

    # -- description ---------------------------------------------------------------------------

    @property
    def label(self) -> str:
        """The hit policy as DMN names it: `FIRST`, `COLLECT SUM`, ..."""
        if self.aggregation is not None:
            return f"COLLECT {self.aggregation.value}"
        return self.hit_policy.value

    @property
    def summary(self) -> str:
        return f"{self.label}, {len(self.rules)} row{'s' if len(self.rules) != 1 else ''}"

    @property
    def output_names(self) -> tuple[str, ...]:
        return tuple(output.name for output in self.outputs)

    @property
    def returns_list(self) -> bool:
        return not self.hit_policy.single_hit and self.aggregation is None

    @functools.cached_property
    def reads(self) -> tuple[str, ...]:
        """Input names, then names the output entries compute with (computed once: a table never changes)."""
        names: list[str] = []
        for table_input in self.inputs:
            if table_input.name not in names:
                names.append(table_input.name)
        entries = [entry for rule in self.rules for entry in rule.outputs]
        entries += [output.default for output in self.outputs if output.default is not None]
        for entry in entries:
            for used in sorted(entry.names):
                if used not in names:
                    names.append(used)
        return tuple(names)

    def conditions(self, position: int) -> list[str]:
        """The row's input entries as conditions: `['age >= 18', 'status = "gold"']`."""
        return list(self._conditions[position])

    @functools.cached_property
    def _conditions(self) -> tuple[tuple[str, ...], ...]:
        # Rendered once: evidence quotes them on every decision.
        return tuple(
            tuple(entry.describe(table_input.name) for table_input, entry in zip(self.inputs, rule.inputs)
                  if not entry.is_any)
            for rule in self.rules)

    def __repr__(self) -> str:
        return f"DecisionTable({self.name!r}, {self.summary})"

    # -- checks --------------------------------------------------------------------------------

    def _problem(self, code: str, message: str, *, line: int | None = None, field: str | None = None) -> Problem:
        return Problem(code, f"table '{self.name}': {message}", file=self.source,
                       line=line if line is not None else self.line, field=field)

    def _check(self) -> None:
        problems: list[Problem] = []
        if not self.outputs:
            problems.append(self._problem("table_no_outputs", "a decision table needs at least one output"))
        seen: set[str] = set()
        for output in self.outputs:
            if output.name in seen:
                problems.append(self._problem("table_duplicate_output", f"output '{output.name}' appears twice"))
            seen.add(output.name)
        if self.aggregation is not None:
            if self.hit_policy is not HitPolicy.COLLECT:
                problems.append(self._problem("table_aggregation", "an aggregation needs the COLLECT hit policy"))
            if len(self.outputs) != 1:
                problems.append(self._problem(
                    "table_aggregation", f"COLLECT {self.aggregation.value} needs exactly one output, "
                    f"this table has {len(self.outputs)}"))
        if self.hit_policy in (HitPolicy.PRIORITY, HitPolicy.OUTPUT_ORDER) and not any(
                output.values is not None and output.values.tests for output in self.outputs):
            problems.append(self._problem(
                "table_priority_values", f"a {self.hit_policy.value} table ranks rows by the order of an output's "
                "allowed values; give at least one output its values, highest priority first"))
        for number, rule in enumerate(self.rules, start=1):
            where = f"rules[{number}]"
            if len(rule.inputs) != len(self.inputs):
                problems.append(self._problem(
                    "table_row_shape", f"row {number} has {len(rule.inputs)} input entries, the table has "
                    f"{len(self.inputs)} inputs", line=rule.line, field=where))
            if len(rule.outputs) != len(self.outputs):
                problems.append(self._problem(
                    "table_row_shape", f"row {number} has {len(rule.outputs)} output entries, the table has "
                    f"{len(self.outputs)} outputs", line=rule.line, field=where))
                continue
            for output, entry in zip(self.outputs, rule.outputs):
                if not entry.is_literal or entry.literal is None:
                    continue
                if output.values is not None and output.values.test(entry.literal) is not True:
                    problems.append(self._problem(
                        "table_output_not_allowed", f"row {number} gives {output.name} = {entry.text}, which is not "
                        f"one of its allowed values {output.values.text}", line=rule.line,
                        field=f"{where}.{output.name}"))
                if self.aggregation in (Aggregation.SUM,) and kind_of(entry.literal) != "number":
                    problems.append(self._problem(
                        "table_aggregation",
                        f"row {number}: COLLECT SUM adds numbers, but {output.name} = {entry.text}",
                        line=rule.line, field=f"{where}.{output.name}"))
        if self.aggregation in (Aggregation.MIN, Aggregation.MAX):
            kinds = {kind_of(entry.literal) for rule in self.rules for entry in rule.outputs[:1]
                     if entry.is_literal and entry.literal is not None}
            if len(kinds) > 1 or kinds - {"number", "string"}:
                problems.append(self._problem(
                    "table_aggregation", f"COLLECT {self.aggregation.value} compares outputs of one ordered type "
                    f"(numbers or strings), this table mixes {', '.join(sorted(kinds))}"))
        if problems:
            raise ProjectError(f"table '{self.name}' is invalid", problems=problems)

    def _compile(self) -> None:
        # Distinct entries per input, so an entry written on many rows is tested once per decision.
        self._input_names = tuple(table_input.name for table_input in self.inputs)
        self._distinct: list[list[UnaryTests]] = [[] for _ in self.inputs]
        # Entry text -> its index in `_distinct`, per input: a hash lookup, so loading stays linear
        # in the rows (a scan of the entries seen so far made 10,000 rows take a minute).
        indexes: list[dict[str, int]] = [{} for _ in self.inputs]
        refs: list[tuple[tuple[int, int], ...]] = []
        # Per input, each row's distinct entry (-1 for `-`): what the column indexes are built from.
        self._row_entries: list[list[int]] = [[-1] * len(self.rules) for _ in self.inputs]
        for number, rule in enumerate(self.rules):
            rule_refs = []
            for position, entry in enumerate(rule.inputs):
                if entry.is_any:
                    continue
                known = self._distinct[position]
                index = indexes[position].setdefault(entry.text, len(known))
                if index == len(known):
                    known.append(entry)
                rule_refs.append((position, index))
                self._row_entries[position][number] = index
            refs.append(tuple(rule_refs))
        self._refs = refs
        self._all_rows = (1 << len(self.rules)) - 1
        self._literal = all(entry.is_literal for rule in self.rules for entry in rule.outputs) and all(
            output.default is None or output.default.is_literal for output in self.outputs)
        self._records = ([tuple(entry.literal for entry in rule.outputs) for rule in self.rules]
                         if self._literal else None)
        self._checked_inputs = [(position, table_input) for position, table_input in enumerate(self.inputs)
                                if table_input.values is not None and table_input.values.tests]

    # -- one decision --------------------------------------------------------------------------

    @functools.cached_property
    def _indexes(self) -> tuple[tuple[int, ColumnIndex], ...]:
        # Built on the first decision, one per input with an entry other than `-`.
        return tuple((position, ColumnIndex(entries, self._row_entries[position]))
                     for position, entries in enumerate(self._distinct) if entries)

    def evaluate(self, values: Mapping[str, Any], *, indexed: bool = True) -> TableResult:
        """Decide one row; `values` maps names to values (absent names are null).

        Raises EvaluationError for a UNIQUE table with several matching rows, an ANY table
        whose matching rows disagree, or an input outside its allowed values. `indexed=False`
        tests every entry of every row instead of using the column indexes (same answers; kept
        as the reference the index is tested against).
        """
        feel = [to_feel(values.get(name)) for name in self._input_names]
        for position, table_input in self._checked_inputs:
            value = feel[position]
            if value is not None and table_input.values.test(value) is not True:  # type: ignore[union-attr]
                raise self._not_allowed(table_input, value)
        if indexed:
            # AND the columns' candidate rows; stop as soon as none is left.
            bits = self._all_rows
            for position, column in self._indexes:
                bits &= column.bits(feel[position])
                if not bits:
                    break
            return self._resolve(rows_of(bits) if bits else (), values)
        answers = [[entry.test(feel[position]) is True for entry in entries]
                   for position, entries in enumerate(self._distinct)]
        matched = [number for number, refs in enumerate(self._refs)
                   if all(answers[position][index] for position, index in refs)]
        return self._resolve(matched, values)

    def _not_allowed(self, table_input: TableInput, value: Any) -> EvaluationError:
        return EvaluationError(
            f"table '{self.name}': input {table_input.name} = {format_literal(value)} is not one of its allowed "
            f"values {table_input.values.text}",  # type: ignore[union-attr]
            code="table_input_not_allowed", file=self.source, line=self.line, field=table_input.name)

    def _record(self, position: int, values: Mapping[str, Any]) -> tuple[Any, ...]:
        if self._records is not None:
            return self._records[position]
        return tuple(entry.evaluate(values) for entry in self.rules[position].outputs)

    def _defaults(self, values: Mapping[str, Any]) -> tuple[Any, ...] | None:
        if not any(output.default is not None for output in self.outputs):
            return None
        return tuple(output.default.evaluate(values) if output.default is not None else None
                     for output in self.outputs)

    def _shape(self, record: tuple[Any, ...]) -> Any:
        if len(self.outputs) == 1:
            return record[0]
        return {output.name: value for output, value in zip(self.outputs, record)}

    def _resolve_patterns(self, matches: list[np.ndarray], index: np.ndarray) -> TableBatch:
        """One resolution per distinct set of matched rows (`index` maps each batch row to its set);
        a hit-policy error names every batch row whose set raised it."""
        results: list[TableResult] = []
        failures: list[tuple[EvaluationError, np.ndarray]] = []
        for code, matched in enumerate(matches):
            try:
                results.append(self._resolve(matched, {}))
            except EvaluationError as error:
                failures.append((error, np.flatnonzero(index == code)))
                results.append(None)  # type: ignore[arg-type]
        if failures:
            raise _batch_error(failures)
        return TableBatch(results, index)

    def _resolve_rows(self, matched_of: Callable[[int], Sequence[int]], columns: Mapping[str, Any],
                      size: int) -> TableBatch:
        """One resolution per batch row, with the row's values (outputs that compute from inputs);
        `matched_of(row)` gives the table rows that row matched. Errors name their batch rows."""
        results: list[TableResult] = []
        failures: list[tuple[EvaluationError, np.ndarray]] = []
        arrays = {name: _materialize(columns.get(name)) for name in self.reads}
        for row in range(size):
            values = {name: (array[row] if array is not None else None) for name, array in arrays.items()}
            try:
                results.append(self._resolve(matched_of(row), values))
            except EvaluationError as error:
                failures.append((error, np.array([row])))
                results.append(None)  # type: ignore[arg-type]
        if failures:
            raise _batch_error(failures)
        return TableBatch(results, np.arange(size, dtype=np.intp))

    def _resolve(self, matched: Sequence[int], values: Mapping[str, Any]) -> TableResult:
        matched = tuple(int(number) for number in matched)
        names = self.output_names
        if not matched:
            defaults = self._defaults(values)
            if self.hit_policy.single_hit:
                if defaults is None:
                    return TableResult((), (), None, {name: None for name in names})
                return TableResult((), (), self._shape(defaults), dict(zip(names, defaults)), True)
            if self.aggregation is not None:
                if defaults is not None:
                    return TableResult((), (), defaults[0], {names[0]: defaults[0]}, True)
                empty = Decimal(0) if self.aggregation is Aggregation.COUNT else None
                return TableResult((), (), empty, {names[0]: empty})
            if defaults is not None:
                return TableResult((), (), [self._shape(defaults)], {n: [v] for n, v in zip(names, defaults)}, True)
            return TableResult((), (), [], {name: [] for name in names})
        records = [self._record(number, values) for number in matched]
        policy = self.hit_policy
        if policy is HitPolicy.UNIQUE:
            if len(matched) > 1:
                raise self._violation(matched, "unique_violation",
                                      "a UNIQUE table allows at most one matching row")
            order = [0]
        elif policy is HitPolicy.ANY:
            first = records[0]
            if any(not _records_equal(first, other) for other in records[1:]):
                raise self._violation(matched, "any_conflict",
                                      "an ANY table's matching rows must give equal outputs, these differ")
            order = [0]
        elif policy is HitPolicy.FIRST:
            order = [0]
        elif policy is HitPolicy.PRIORITY:
            order = [min(range(len(records)), key=lambda k: (self._priority(records[k]), k))]
        elif policy is HitPolicy.OUTPUT_ORDER:
            order = sorted(range(len(records)), key=lambda k: (self._priority(records[k]), k))
        elif self.aggregation is None:  # RULE ORDER, COLLECT
            order = list(range(len(records)))
        else:
            return self._aggregate(matched, records)
        selected = tuple(matched[k] for k in order)
        chosen = [records[k] for k in order]
        if policy.single_hit:
            record = chosen[0]
            return TableResult(matched, selected, self._shape(record), dict(zip(names, record)))
        return TableResult(matched, selected, [self._shape(record) for record in chosen],
                           {name: [record[k] for record in chosen] for k, name in enumerate(names)})

    def _priority(self, record: tuple[Any, ...]) -> tuple[int, ...]:
        # Rank by each output's allowed values, first output first; values not listed rank last.
        key = []
        for output, value in zip(self.outputs, record):
            if output.values is None or not output.values.tests or output.values.negated:
                continue
            tests = output.values.tests
            key.append(next((k for k, test in enumerate(tests) if test.test(value) is True), len(tests)))
        return tuple(key)

    def _aggregate(self, matched: tuple[int, ...], records: list[tuple[Any, ...]]) -> TableResult:
        name = self.outputs[0].name
        items = [record[0] for record in records]
        selected = matched
        if self.aggregation is Aggregation.COUNT:
            result: Any = Decimal(len({(kind_of(v), v) if _hashable(v) else (kind_of(v), repr(v)) for v in items}))
        elif any(item is None for item in items):
            result = None  # FEEL's sum/min/max of a list holding null is null
        elif self.aggregation is Aggregation.SUM:
            if all(kind_of(item) == "number" for item in items):
                result = Decimal(0)
                for item in items:
                    result = FEEL_CONTEXT.add(result, item)
            else:
                result = None
        else:
            kinds = {kind_of(item) for item in items}
            if len(kinds) == 1 and kinds <= {"number", "string"}:
                pick = min if self.aggregation is Aggregation.MIN else max
                result = pick(items)
                selected = (matched[next(k for k, item in enumerate(items) if item == result)],)
            else:
                result = None
        return TableResult(matched, selected, result, {name: result})

    def _violation(self, matched: tuple[int, ...], code: str, why: str) -> EvaluationError:
        rows = ", ".join(self._row_label(number) for number in matched)
        error = EvaluationError(
            f"table '{self.name}' ({self.label}): rows {rows} matched; {why}",
            code=code, file=self.source, line=self.rules[matched[0]].line, field=self.name)
        error.rules = [number + 1 for number in matched]  # type: ignore[attr-defined]
        error.rows = []  # type: ignore[attr-defined]
        return error

    def _row_label(self, position: int) -> str:
        rule = self.rules[position]
        details = []
        if rule.id:
            details.append(f"id {rule.id}")
        if rule.line:
            details.append(f"line {rule.line}")
        return f"{position + 1}" + (f" ({', '.join(details)})" if details else "")

    # -- many decisions ------------------------------------------------------------------------

    def _views(self, columns: Mapping[str, Any], size: int) -> dict[str, ColumnView]:
        views: dict[str, ColumnView] = {}
        for name in self._input_names:
            if name not in views:
                views[name] = ColumnView.of(columns.get(name), size)
        for position, table_input in self._checked_inputs:
            view = views[table_input.name]
            bad = ~(table_input.values.mask(view) | _NULL_TEST.mask(view))  # type: ignore[union-attr]
            if bad.any():
                rows = np.flatnonzero(bad)
                error = self._not_allowed(table_input, view.value(int(rows[0])))
                raise _at_rows(error, rows)
        return views

    def match_matrix(self, columns: Mapping[str, Any], size: int) -> np.ndarray:
        """A (size, rules) boolean matrix: which rows match which rules. Checks allowed inputs."""
        views = self._views(columns, size)
        masks = [[entry.mask(views[self._input_names[position]]) for entry in entries]
                 for position, entries in enumerate(self._distinct)]
        matrix = np.ones((size, len(self.rules)), dtype=bool)
        for number, refs in enumerate(self._refs):
            column = matrix[:, number]
            for position, index in refs:
                column &= masks[position][index]
        return matrix

    def evaluate_batch(self, columns: Mapping[str, Any], size: int, *, indexed: bool = True) -> TableBatch:
        """Decide `size` rows given as columns (numpy arrays, or `Categorical`s); absent = null.

        Rows that match the same rules share one result, computed once by the same code as
        `evaluate`; so both paths agree row for row. Errors name every offending row.
        `indexed=False` builds the (size, rules) match matrix instead of using the column
        indexes (same answers, kept as the reference).
        """
        if size == 0:
            return TableBatch([], np.zeros(0, dtype=np.intp))
        if indexed:
            return self._indexed_batch(columns, size)
        matrix = self.match_matrix(columns, size)
        if self._literal:
            if matrix.shape[1] == 0:
                patterns, index = np.zeros((1, 0), dtype=bool), np.zeros(size, dtype=np.intp)
            else:
                packed = np.packbits(matrix, axis=1)
                unique, index = np.unique(packed, axis=0, return_inverse=True)
                index = index.reshape(-1).astype(np.intp)
                patterns = np.unpackbits(unique, axis=1, count=matrix.shape[1]).astype(bool)
            return self._resolve_patterns([np.flatnonzero(pattern) for pattern in patterns], index)
        return self._resolve_rows(lambda row: np.flatnonzero(matrix[row]), columns, size)

    def _indexed_batch(self, columns: Mapping[str, Any], size: int) -> TableBatch:
        # Each column becomes a code per batch row (its segment, by binary search over the whole
        # column); rows with the same codes in every column match the same table rows, so each
        # distinct combination is matched once, by ANDing the columns' bitsets.
        views = self._views(columns, size)
        key = np.zeros(size, dtype=np.int64)
        span = 1
        coded: list[tuple[ColumnIndex, np.ndarray, list[Any]]] = []
        for position, column in self._indexes:
            view = views[self._input_names[position]]
            extra: list[Any] = []
            codes = column.float_codes(view.numbers, view.missing) if view.numbers is not None else None
            if codes is None:
                uniques, unique_codes = view.factorized()
                per_unique = np.array([column.code(value, extra) for value in uniques], dtype=np.int64)
                codes = per_unique[unique_codes]
            codes = codes.astype(np.int64, copy=False)
            coded.append((column, codes, extra))
            width = int(codes.max()) + 1
            if span * width >= 1 << 62:
                key = np.unique(key, return_inverse=True)[1].reshape(-1).astype(np.int64)
                span = int(key.max()) + 1
            key = key * width + codes
            span *= width
        _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
        inverse = inverse.reshape(-1)
        # Distinct matches, ordered as the match matrix's packed rows sort (results come out in
        # the same order as the unindexed path's).
        found: dict[int, int] = {}
        combo_bits: list[int] = []
        firsts = [(column, codes[first].tolist(), extra) for column, codes, extra in coded]
        for combo in range(len(first)):
            bits = self._all_rows
            for column, codes, extra in firsts:
                bits &= column.bits_of_code(codes[combo], extra)
                if not bits:
                    break
            combo_bits.append(bits)
            found.setdefault(bits, len(found))
        patterns = [(rows_of(bits), bits) for bits in found]
        patterns.sort(key=lambda pattern: [-number for number in pattern[0]])
        order = {bits: code for code, (_, bits) in enumerate(patterns)}
        combo_pattern = np.array([order[bits] for bits in combo_bits], dtype=np.intp)
        index = combo_pattern[inverse]
        if self._literal:
            return self._resolve_patterns([matched for matched, _ in patterns], index)
        return self._resolve_rows(lambda row: patterns[index[row]][0], columns, size)


def _materialize(column: Any) -> Any:
    if column is None:
        return None
    if isinstance(column, Categorical):
        return column.to_array()
    return column


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _records_equal(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    return all(feel_equal(x, y) is True for x, y in zip(a, b))


def _at_rows(error: EvaluationError, rows: np.ndarray) -> EvaluationError:
    shown = ", ".join(str(int(row)) for row in rows[:_ERROR_ROWS_SHOWN])
    more = f" and {len(rows) - _ERROR_ROWS_SHOWN} more" if len(rows) > _ERROR_ROWS_SHOWN else ""
    problem = error.problems[0]
    located = Problem(problem.code, f"{problem.message} (batch rows {shown}{more})", file=problem.file,
                      line=problem.line, column=problem.column, field=problem.field)
    result = EvaluationError(located.message, problems=[located], code=problem.code)
    result.rules = getattr(error, "rules", [])  # type: ignore[attr-defined]
    result.rows = [int(row) for row in rows]  # type: ignore[attr-defined]
    return result


def _batch_error(failures: list[tuple[EvaluationError, np.ndarray]]) -> EvaluationError:
    located = [_at_rows(error, rows) for error, rows in failures]
    if len(located) == 1:
        return located[0]
    rows = sorted(row for error in located for row in error.rows)  # type: ignore[attr-defined]
    problems = [error.problems[0] for error in located]
    result = EvaluationError(f"{len(rows)} rows failed in {len(problems)} ways", problems=problems,
                             code=problems[0].code)
    result.rows = rows  # type: ignore[attr-defined]
    result.rules = [error.rules for error in located]  # type: ignore[attr-defined]
    return result


# ---------------------------------------------------------------------------------------------
# several tables


@dataclass(frozen=True)
class InputData:
    """A DMN input: its name, FEEL type (number, string, boolean) and allowed values if listed."""

    name: str
    type: str | None = None
    values: tuple[Any, ...] | None = None
    line: int | None = None


@dataclass(frozen=True)
class Decision:
    """A named decision made by one table; its value is known to later tables by `name`."""

    name: str
    table: DecisionTable
    requires: tuple[str, ...] = ()
    line: int | None = None


@dataclass
class DecisionModel:
    """Decisions evaluated in dependency order: a DMN model, or a single table.

    A table input named after a decision reads that decision's value; `Decision.Component`
    reads one output of a multi-output decision.
    """

    name: str
    decisions: list[Decision]
    inputs: dict[str, InputData] = field(default_factory=dict)
    source: str | None = None

    def __post_init__(self) -> None:
        self.decisions = _in_order(self.decisions, source=self.source)
        names = {decision.name for decision in self.decisions}
        reads: list[str] = list(self.inputs)
        for decision in self.decisions:
            for used in decision.table.reads:
                root = _resolve_root(used, names | set(self.inputs))
                if root not in names and root not in reads:
                    reads.append(root)
        self.reads: tuple[str, ...] = tuple(reads)
        self.writes: tuple[str, ...] = tuple(decision.name for decision in self.decisions)

    def decision(self, name: str) -> Decision:
        return next(decision for decision in self.decisions if decision.name == name)

    def evaluate(self, values: Mapping[str, Any]) -> dict[str, TableResult]:
        """Each decision's result, in evaluation order; later tables see earlier values."""
        env = dict(values)
        results: dict[str, TableResult] = {}
        for decision in self.decisions:
            table = decision.table
            local = {name: _lookup(env, name) for name in table.reads}
            result = table.evaluate(local)
            results[decision.name] = result
            env[decision.name] = result.value
        return results

    def evaluate_batch(self, columns: Mapping[str, Any], size: int) -> dict[str, TableBatch]:
        env: dict[str, Any] = dict(columns)
        results: dict[str, TableBatch] = {}
        for decision in self.decisions:
            table = decision.table
            local = {name: _lookup_column(env, name, size) for name in table.reads}
            batch = table.evaluate_batch(local, size)
            results[decision.name] = batch
            env[decision.name] = batch.values()
        return results


def _resolve_root(name: str, known: set[str]) -> str:
    if name in known:
        return name
    position = name.find(".")
    while position != -1:
        if name[:position].strip() in known:
            return name[:position].strip()
        position = name.find(".", position + 1)
    return name


def _path(value: Any, parts: Sequence[str]) -> Any:
    for part in parts:
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _split(env: Mapping[str, Any], name: str) -> tuple[str, list[str]] | None:
    if name in env:
        return name, []
    root = _resolve_root(name, set(env))
    if root == name or root not in env:
        return None
    return root, [part.strip() for part in name[len(root) + 1:].split(".")]


def _lookup(env: Mapping[str, Any], name: str) -> Any:
    found = _split(env, name)
    if found is None:
        return None
    root, parts = found
    return _path(env[root], parts) if parts else env[root]


def _lookup_column(env: Mapping[str, Any], name: str, size: int) -> Any:
    found = _split(env, name)
    if found is None:
        return None
    root, parts = found
    column = env[root]
    if not parts:
        return column
    if isinstance(column, Categorical):
        return Categorical([_path(value, parts) for value in column.uniques], column.codes)
    items = np.empty(size, dtype=object)
    for row, value in enumerate(np.asarray(column, dtype=object)):
        items[row] = _path(value, parts)
    return items


def _in_order(decisions: Sequence[Decision], *, source: str | None) -> list[Decision]:
    by_name = {decision.name: decision for decision in decisions}
    needs: dict[str, set[str]] = {}
    for decision in decisions:
        wanted = set(decision.requires)
        for used in decision.table.reads:
            root = _resolve_root(used, set(by_name))
            if root in by_name:
                wanted.add(root)
        needs[decision.name] = {name for name in wanted if name in by_name}
    ordered: list[Decision] = []
    done: set[str] = set()
    visiting: list[str] = []

    def visit(name: str) -> None:
        if name in done:
            return
        if name in visiting:
            cycle = visiting[visiting.index(name):] + [name]
            raise ProjectError(f"decisions depend on each other in a cycle: {' -> '.join(cycle)}",
                               code="table_cycle", file=source, line=by_name[name].line)
        visiting.append(name)
        for required in sorted(needs[name]):
            visit(required)
        visiting.pop()
        done.add(name)
        ordered.append(by_name[name])

    for decision in decisions:
        visit(decision.name)
    return ordered


__all__ = [
    "Aggregation",
    "Decision",
    "DecisionModel",
    "DecisionTable",
    "HIT_POLICY_NAMES",
    "HitPolicy",
    "InputData",
    "Rule",
    "TableBatch",
    "TableInput",
    "TableOutput",
    "TableResult",
    "parse_hit_policy",
]
