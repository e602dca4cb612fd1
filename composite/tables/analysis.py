"""Static checks of decision tables for `composite validate`: overlaps, gaps, dead rows.

Each input's values are cut into atoms (points and open intervals between the numbers the table
mentions, each string it names plus "any other string", true, false, null) so that every entry
accepts an atom wholly or not at all; questions about rows become set questions on atoms, which
are decided with the same S-FEEL code that evaluates the table. String comparisons (`< "m"`)
over an open set of strings cannot be cut this way: such tables are reported undecidable.
Dates, date-times, times and durations are cut like numbers, on a line of whole days (dates),
microseconds (date-times, times), seconds (durations in days and time) or months.
"""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Iterator, Mapping, Sequence

from composite.errors import Problem
from composite.tables.sfeel import Comparison, Equal, Interval, UnaryTests, format_literal, kind_of, to_feel
from composite.tables.table import Aggregation, DecisionTable, HitPolicy

_MAX_RAW_GAPS = 400
_MAX_STEPS = 200_000


@dataclass(frozen=True)
class Domain:
    """What values an input can take: a type, a finite list, or a numeric range (inclusive).

    `type` is number, integer, string or boolean; `values` are plain values.
    """

    type: str | None = None
    values: tuple[Any, ...] | None = None
    low: Any = None
    high: Any = None


@dataclass(frozen=True)
class Atom:
    """A piece of one input's values that every entry of the table accepts wholly or not at all."""

    kind: str  # point, interval, string, other_string, boolean, null, any
    rep: Any  # a value inside the atom: entries are decided on it
    low: Any = None
    high: Any = None
    low_closed: bool = False
    high_closed: bool = False


@dataclass(frozen=True)
class Overlap:
    rows: tuple[int, int]  # 1-based
    where: dict[str, str]  # input name -> S-FEEL text of the shared values


@dataclass(frozen=True)
class Gap:
    where: dict[str, str]  # input name -> S-FEEL text ("-" inputs left out)


@dataclass
class Analysis:
    """The findings for one table."""

    table: DecisionTable
    decidable: bool = True
    reason: str | None = None
    overlaps: list[Overlap] = field(default_factory=list)
    conflicts: list[Overlap] = field(default_factory=list)  # ANY rows that overlap with different outputs
    gaps: list[Gap] = field(default_factory=list)
    gaps_truncated: bool = False
    never_match: list[tuple[int, str]] = field(default_factory=list)  # (row, input name)
    unreachable: list[int] = field(default_factory=list)  # FIRST rows hidden by earlier rows

    def problems(self) -> list[Problem]:
        table = self.table
        name = f"table '{table.name}'"
        found: list[Problem] = []

        def line(row: int) -> int | None:
            return table.rules[row - 1].line if 0 < row <= len(table.rules) else table.line

        if not self.decidable:
            found.append(Problem("table_undecidable", f"{name}: overlaps and gaps not checked: {self.reason}",
                                 file=table.source, line=table.line, field=table.name, severity="warning"))
            return found
        for row, input_name in self.never_match:
            found.append(Problem("table_row_never_matches", f"{name}: row {row} can never match: its entry for "
                                 f"{input_name} accepts no value the input can take",
                                 file=table.source, line=line(row), field=f"{table.name}.rules[{row}]"))
        for overlap in self.overlaps:
            a, b = overlap.rows
            found.append(Problem("table_overlap", f"{name} is UNIQUE but rows {a} and {b} both match when "
                                 f"{_where(overlap.where)}", file=table.source, line=line(b),
                                 field=f"{table.name}.rules[{b}]"))
        for overlap in self.conflicts:
            a, b = overlap.rows
            found.append(Problem("table_any_conflict", f"{name} is ANY but rows {a} and {b} give different outputs "
                                 f"and both match when {_where(overlap.where)}", file=table.source, line=line(b),
                                 field=f"{table.name}.rules[{b}]"))
        for row in self.unreachable:
            found.append(Problem("table_row_unreachable", f"{name}: row {row} is never used: earlier rows match "
                                 "every input it matches (FIRST hit policy)", file=table.source, line=line(row),
                                 field=f"{table.name}.rules[{row}]", severity="warning"))
        for gap in self.gaps:
            found.append(Problem("table_gap", f"{name}: no row matches when {_where(gap.where)}",
                                 file=table.source, line=table.line, field=table.name, severity="warning"))
        if self.gaps_truncated:
            found.append(Problem("table_gap", f"{name}: more uncovered inputs than shown", file=table.source,
                                 line=table.line, field=table.name, severity="warning"))
        return found


def _where(where: Mapping[str, str]) -> str:
    if not where:
        return "for any input"
    return "; ".join(f"{name}: {text}" for name, text in where.items())


def analyse(table: DecisionTable, domains: Mapping[str, Domain] | None = None, *, max_gaps: int = 20) -> Analysis:
    """Overlapping UNIQUE rows, conflicting ANY rows, unreachable FIRST rows, rows that never
    match, and input combinations no row covers (for tables where no match means null).

    `domains` narrows inputs to what they can take (e.g. from knowledge/); a table input's own
    allowed values always apply. Missing (null) inputs are not reported as gaps.
    """
    result = Analysis(table)
    domains = domains or {}
    universes: list[list[Atom]] = []
    for table_input in table.inputs:
        atoms = _atoms(table, len(universes), domains.get(table_input.name))
        if atoms is None:
            result.decidable = False
            result.reason = (f"input '{table_input.name}' compares strings by order; give it a finite list of "
                             "allowed values to check it")
            return result
        universes.append(atoms)
    accepts = [[_accepted(rule.inputs[position], atoms) for position, atoms in enumerate(universes)]
               for rule in table.rules]
    full = [(1 << len(atoms)) - 1 for atoms in universes]
    non_null = [sum(1 << k for k, atom in enumerate(atoms) if atom.kind != "null") for atoms in universes]
    for row, masks in enumerate(accepts, start=1):
        for position, mask in enumerate(masks):
            if mask == 0:
                result.never_match.append((row, table.inputs[position].name))
                break
    dead = {row for row, _ in result.never_match}
    if table.hit_policy in (HitPolicy.UNIQUE, HitPolicy.ANY):
        for i in range(len(table.rules)):
            for j in range(i + 1, len(table.rules)):
                if i + 1 in dead or j + 1 in dead:
                    continue
                shared = [a & b for a, b in zip(accepts[i], accepts[j])]
                if not all(shared):
                    continue
                where = _describe(table, universes, shared, full)
                if table.hit_policy is HitPolicy.UNIQUE:
                    result.overlaps.append(Overlap((i + 1, j + 1), where))
                elif _outputs_differ(table, i, j):
                    result.conflicts.append(Overlap((i + 1, j + 1), where))
    if table.hit_policy is HitPolicy.FIRST:
        for j in range(1, len(table.rules)):
            if j + 1 in dead:
                continue
            budget = [_MAX_STEPS]
            hidden = not any(True for _ in _uncovered(accepts, list(range(j)), 0, [], accepts[j], budget))
            if hidden and budget[0] > 0:
                result.unreachable.append(j + 1)
    if _no_match_is_null(table):
        budget = [_MAX_STEPS]
        raw: list[list[int]] = []
        for region in _uncovered(accepts, list(range(len(table.rules))), 0, [], non_null, budget):
            raw.append(region)
            if len(raw) >= _MAX_RAW_GAPS:
                result.gaps_truncated = True
                break
        if budget[0] <= 0:
            result.gaps_truncated = True
        merged = _merge(raw)
        if len(merged) > max_gaps:
            result.gaps_truncated = True
        result.gaps = [Gap(_describe(table, universes, region, non_null)) for region in merged[:max_gaps]]
    return result


def _no_match_is_null(table: DecisionTable) -> bool:
    if any(output.default is not None for output in table.outputs):
        return False
    if table.aggregation is not None:
        return table.aggregation is not Aggregation.COUNT
    return table.hit_policy.single_hit


def _outputs_differ(table: DecisionTable, i: int, j: int) -> bool:
    a, b = table.rules[i].outputs, table.rules[j].outputs
    if not all(entry.is_literal for entry in a + b):
        return False  # computed outputs: not decidable here, the evaluation checks them
    from composite.tables.sfeel import feel_equal

    return any(feel_equal(x.literal, y.literal) is not True for x, y in zip(a, b))


def _uncovered(accepts: Sequence[Sequence[int]], rules: list[int], position: int, region: list[int],
               universe: Sequence[int], budget: list[int]) -> Iterator[list[int]]:
    """Regions (one atom mask per input) inside `universe` that none of `rules` covers."""
    budget[0] -= 1
    if budget[0] <= 0:
        return
    if position == len(universe):
        if not rules:
            yield list(region)
        return
    if not rules:
        yield list(region) + list(universe[position:])
        return
    groups: dict[tuple[int, ...], int] = {}
    mask = universe[position]
    atom = 0
    while mask >> atom:
        if (mask >> atom) & 1:
            key = tuple(rule for rule in rules if (accepts[rule][position] >> atom) & 1)
            groups[key] = groups.get(key, 0) | (1 << atom)
        atom += 1
    for key, atoms in groups.items():
        yield from _uncovered(accepts, list(key), position + 1, region + [atoms], universe, budget)


def _merge(regions: list[list[int]]) -> list[list[int]]:
    """Join regions that differ in one input only, until none do (fewer, wider gaps)."""
    regions = [list(region) for region in regions]
    changed = True
    while changed and len(regions) > 1:
        changed = False
        for i in range(len(regions)):
            for j in range(i + 1, len(regions)):
                a, b = regions[i], regions[j]
                differ = [k for k in range(len(a)) if a[k] != b[k]]
                if len(differ) <= 1:
                    if differ:
                        a[differ[0]] |= b[differ[0]]
                    del regions[j]
                    changed = True
                    break
            if changed:
                break
    return regions


def _accepted(entry: UnaryTests, atoms: Sequence[Atom]) -> int:
    mask = 0
    for index, atom in enumerate(atoms):
        if entry.test(atom.rep) is True:
            mask |= 1 << index
    return mask


def _atoms(table: DecisionTable, position: int, domain: Domain | None) -> list[Atom] | None:
    table_input = table.inputs[position]
    entries = [rule.inputs[position] for rule in table.rules]
    allowed = table_input.values if table_input.values is not None and table_input.values.tests else None
    literals = [value for entry in entries + ([allowed] if allowed else []) for value in entry.literals()]
    domain = domain or Domain()
    values = tuple(to_feel(v) for v in domain.values) if domain.values else None
    if values is None and allowed is not None and not allowed.negated and all(
            isinstance(test, Equal) and test.value is not None for test in allowed.tests):
        values = tuple(test.value for test in allowed.tests)  # type: ignore[attr-defined]
    declared = domain.type or table_input.type
    if declared in ("number", "integer", "string", "boolean"):
        kinds = {"string" if declared == "string" else "boolean" if declared == "boolean" else "number"}
    else:
        kinds = {kind_of(value) for value in literals + list(values or ())} & \
            ({"number", "string", "boolean"} | set(_LINES))
    integer = declared == "integer"
    atoms: list[Atom] = []
    for kind in sorted(kinds & set(_LINES)):
        found = _temporal_atoms(kind, literals, values, domain)
        if found is None:
            return None
        atoms += found
    if "number" in kinds:
        finite = [v for v in values or () if kind_of(v) == "number"]
        if values is not None:
            atoms += [Atom("point", v, v, v, True, True) for v in sorted(set(finite))]
        else:
            bounds = {v for v in literals if kind_of(v) == "number" and v.is_finite()}
            for end in (domain.low, domain.high):
                if end is not None:
                    bounds.add(to_feel(end))
            atoms += _number_atoms(sorted(bounds), integer)
            low, high = to_feel(domain.low), to_feel(domain.high)
            atoms = [atom for atom in atoms if (low is None or atom.rep >= low) and (high is None or atom.rep <= high)]
    if "string" in kinds:
        strings = [v for v in values or () if kind_of(v) == "string"]
        if values is not None:
            atoms += [Atom("string", v, v) for v in dict.fromkeys(strings)]
        else:
            ordered = any(isinstance(test, (Comparison, Interval)) and kind_of(test.literals()[0]) == "string"
                          for entry in entries + ([allowed] if allowed else []) for test in entry.tests)
            if ordered:
                return None
            named = list(dict.fromkeys(v for v in literals if kind_of(v) == "string"))
            other = "\u2063other"
            while other in named:
                other += "\u2063"
            atoms += [Atom("string", v, v) for v in named] + [Atom("other_string", other, tuple(named))]
    if "boolean" in kinds:
        atoms += [Atom("boolean", v, v) for v in (True, False) if values is None or v in values]
    if not kinds:
        atoms.append(Atom("any", Decimal(0)))
    if allowed is not None:
        atoms = [atom for atom in atoms if allowed.test(atom.rep) is True]
    atoms.append(Atom("null", None))
    return atoms


def _day_time(seconds: Decimal) -> Any:
    from composite.feel.values import DayTimeDuration

    return DayTimeDuration(seconds)


def _years_months(months: Decimal) -> Any:
    from composite.feel.values import YearMonthDuration

    return YearMonthDuration(int(months))


_EPOCH = _dt.datetime(1970, 1, 1)
_EPOCH_UTC = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)


def _micros(delta: _dt.timedelta) -> Decimal:
    return Decimal((delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds)


def _datetime_at(micros: Decimal, aware: bool) -> _dt.datetime:
    return (_EPOCH_UTC if aware else _EPOCH) + _dt.timedelta(microseconds=int(micros))


# Each ordered temporal kind as a number line: (to the line, back from it, whole steps only).
_LINES: dict[str, tuple[Any, Any, bool]] = {
    "date": (lambda d: Decimal(d.toordinal()), lambda x: _dt.date.fromordinal(int(x)), True),
    "datetime": (lambda d: _micros(d - (_EPOCH_UTC if d.tzinfo else _EPOCH)),
                 lambda x, aware=False: _datetime_at(x, aware), True),
    "time": (lambda t: _micros(_dt.datetime.combine(_dt.date(2000, 1, 1), t) - _dt.datetime(2000, 1, 1)),
             lambda x: (_dt.datetime(2000, 1, 1) + _dt.timedelta(microseconds=int(x))).time(), True),
    "DayTimeDuration": (lambda d: d.seconds, _day_time, False),
    "YearMonthDuration": (lambda d: Decimal(d.months), _years_months, True),
}
_LIMITS = {"date": (Decimal(1), Decimal(_dt.date.max.toordinal())),
           "time": (Decimal(0), Decimal(86_400_000_000 - 1))}


def _temporal_atoms(kind: str, literals: list[Any], values: tuple[Any, ...] | None,
                    domain: Domain) -> list[Atom] | None:
    """Atoms of one ordered temporal kind, cut on its number line; None when the kind mixes values
    with and without a time offset, which do not order against each other."""
    to_line, from_line, whole = _LINES[kind]
    mentioned = [v for v in literals + list(values or ()) if kind_of(v) == kind]
    if kind in ("datetime", "time"):
        offsets = {v.tzinfo is not None for v in mentioned}
        if len(offsets) > 1 or (kind == "time" and offsets == {True}):
            return None
        aware = offsets == {True}
        if kind == "datetime":
            from_line = lambda x, back=from_line: back(x, aware)  # noqa: E731
    if values is not None:
        return [Atom("point", v, v, v, True, True) for v in sorted(set(mentioned), key=to_line)]
    bounds = {to_line(v) for v in mentioned}
    ends = [to_line(end) if kind_of(end) == kind else None for end in (domain.low, domain.high)]
    bounds |= {end for end in ends if end is not None}
    lowest, highest = _LIMITS.get(kind, (None, None))
    atoms = []
    for atom in _number_atoms(sorted(bounds), whole):
        rep = atom.rep
        if (ends[0] is not None and rep < ends[0]) or (ends[1] is not None and rep > ends[1]) \
                or (lowest is not None and rep < lowest) or (highest is not None and rep > highest):
            continue
        try:
            atoms.append(Atom(atom.kind, from_line(rep), None if atom.low is None else from_line(atom.low),
                              None if atom.high is None else from_line(atom.high), atom.low_closed, atom.high_closed))
        except (ValueError, OverflowError):  # past the calendar's ends: no value lives there
            continue
    return atoms


def _number_atoms(bounds: list[Decimal], integer: bool) -> list[Atom]:
    atoms: list[Atom] = []
    if not bounds:
        return [Atom("interval", Decimal(0), None, None)]

    def interval(low: Decimal | None, high: Decimal | None) -> Atom | None:
        if integer:
            if low is not None:
                rep = Decimal(math.floor(low)) + 1
            else:
                rep = Decimal(math.ceil(high)) - 1  # type: ignore[arg-type]
            if high is not None and rep >= high:
                return None
        elif low is None:
            rep = high - 1  # type: ignore[operator]
        elif high is None:
            rep = low + 1
        else:
            rep = (low + high) / 2
        return Atom("interval", rep, low, high)

    previous: Decimal | None = None
    for bound in bounds:
        gap = interval(previous, bound)
        if gap is not None:
            atoms.append(gap)
        if not integer or bound == bound.to_integral_value():
            atoms.append(Atom("point", bound, bound, bound, True, True))
        previous = bound
    last = interval(previous, None)
    if last is not None:
        atoms.append(last)
    return atoms


def _describe(table: DecisionTable, universes: Sequence[Sequence[Atom]], region: Sequence[int],
              universe: Sequence[int]) -> dict[str, str]:
    where: dict[str, str] = {}
    for position, (atoms, mask) in enumerate(zip(universes, region)):
        if mask == universe[position]:
            continue
        chosen = [atom for index, atom in enumerate(atoms) if (mask >> index) & 1]
        where[table.inputs[position].name] = render_atoms(chosen, atoms)
    return where


def render_atoms(chosen: Sequence[Atom], atoms: Sequence[Atom]) -> str:
    """Atoms of one input as S-FEEL-like text: `< 18`, `[18..65)`, `"gold", "silver"`, `null`."""
    parts: list[str] = []
    numbers = [atom for atom in atoms if atom.kind in ("point", "interval")]  # temporal atoms too, in order
    picked = {id(atom) for atom in chosen}
    run: list[Atom] = []
    for atom in numbers + [None]:  # type: ignore[list-item]
        if atom is not None and id(atom) in picked:
            run.append(atom)
            continue
        if run:
            parts.append(_segment(run[0], run[-1]))
            run = []
    strings = [atom for atom in chosen if atom.kind == "string"]
    if any(atom.kind == "other_string" for atom in chosen):
        excluded = [atom.rep for atom in atoms if atom.kind == "string" and id(atom) not in picked]
        parts.append(f"not({', '.join(format_literal(v) for v in excluded)})" if excluded else "any string")
    else:
        parts += [format_literal(atom.rep) for atom in strings]
    parts += [format_literal(atom.rep) for atom in chosen if atom.kind == "boolean"]
    if any(atom.kind == "any" for atom in chosen):
        parts.append("any value")
    if any(atom.kind == "null" for atom in chosen):
        parts.append("null")
    return ", ".join(parts)


def _segment(first: Atom, last: Atom) -> str:
    if first is last and first.kind == "point":
        return format_literal(first.rep)
    low, low_closed = first.low, first.low_closed
    high, high_closed = last.high, last.high_closed
    if low is None and high is None:
        return "any number"
    if low is None:
        return f"{'<=' if high_closed else '<'} {format_literal(high)}"
    if high is None:
        return f"{'>=' if low_closed else '>'} {format_literal(low)}"
    return f"{'[' if low_closed else '('}{format_literal(low)}..{format_literal(high)}{']' if high_closed else ')'}"


__all__ = ["Analysis", "Atom", "Domain", "Gap", "Overlap", "analyse", "render_atoms"]
