"""The domain vocabulary: concepts with types, units, ranges, meanings and influence signs.

The engine's input schema is generated from it, explanations speak its words, and models take
their monotone constraints from its influence signs.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Iterable, Literal, Mapping

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_serializer, model_validator

from composite import temporal
from composite._yaml import LineDict, load_yaml, pydantic_problems
from composite.errors import Problem, ProjectError, RequestError
from composite.limits import DEFAULT_LIMITS, INT64_MAX, INT64_MIN, Limits, short, show

ConceptType = Literal["number", "integer", "category", "boolean", "string", "date", "datetime", "time", "duration",
                      "years_months", "context", "list", "any"]
Influence = Literal["increases", "decreases"]


class Concept(BaseModel):
    """One named thing of the domain: an input, a derived value or an outcome.

    `protected` (default false) marks a characteristic that the law or policy forbids deciding
    on: no model may read it (a model file listing it as a feature does not load), and the
    knowledge-free baselines of `composite.ml.evaluation` exclude it. The data may still hold it,
    for fairness analysis.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = ""
    type: ConceptType = "number"
    unit: str | None = None
    # Numbers for a number or an integer; ISO text (or YAML dates) for a date, time or duration,
    # turned into values by `_check`. Left to right, so that a number stays a number.
    range: tuple[float | None, float | None] | tuple[Any, Any] | None = Field(default=None, union_mode="left_to_right")
    values: tuple[Any, ...] | None = None
    ordered: bool = False
    description: str | None = None
    source: str | None = None
    influences: dict[str, Influence] = Field(default_factory=dict)
    required: bool = True
    default: Any = None
    protected: bool = False
    file: str | None = Field(default=None, exclude=True)
    line: int | None = Field(default=None, exclude=True)

    @model_validator(mode="after")
    def _check(self) -> "Concept":
        if self.values is not None and self.type not in ("category", "integer", "string"):
            raise ValueError(f"'values' is for category concepts, not {self.type}")
        if self.range is not None:
            if self.type in temporal.KINDS:
                object.__setattr__(self, "range", self._temporal_range())
            elif self.type not in ("number", "integer"):
                raise ValueError(f"'range' is for number, integer, date, time and duration concepts, not {self.type}")
            elif not all(bound is None or isinstance(bound, float) for bound in self.range):
                raise ValueError(f"the range of a {self.type} concept holds numbers, got {short(list(self.range))}")
            lo, hi = self.range
            if lo is not None and hi is not None and lo > hi:
                raise ValueError(f"range [{lo}, {hi}] is empty: the minimum is above the maximum")
        if self.type in temporal.KINDS and self.default is not None:
            # a default given as ISO text (or a YAML date) is the value a request leaving it out gets
            try:
                object.__setattr__(self, "default", temporal.coerce(self.type, self.default))
            except ValueError as exc:
                raise ValueError(f"default {short(self.default)}: {exc}") from None
        if self.ordered and not self.values:
            raise ValueError("'ordered: true' needs the ordered 'values'")
        return self

    def _temporal_range(self) -> tuple[Any, Any]:
        bounds = []
        for bound in self.range or ():
            if bound is None:
                bounds.append(None)
                continue
            if isinstance(bound, float) and bound.is_integer():
                bound = str(int(bound))  # what the left-to-right union made of a bare year
            try:
                bounds.append(temporal.coerce(self.type, bound))
            except ValueError as exc:
                raise ValueError(f"range bound {short(bound)}: {exc}") from None
        lo, hi = bounds
        if lo is not None and hi is not None:
            try:
                empty = temporal.order(lo, hi) > 0
            except TypeError:  # a naive and an offset date-time
                raise ValueError("the range mixes date-times with and without an offset") from None
            if empty:
                raise ValueError(f"range [{temporal.iso(lo)}, {temporal.iso(hi)}] is empty: the minimum is above "
                                 "the maximum")
        return lo, hi

    @field_serializer("range", when_used="json")
    def _range_text(self, bounds: Any) -> Any:
        # A date or duration bound is written as the ISO text it was read from.
        if bounds is None:
            return None
        return [temporal.iso(b) if temporal.is_temporal(b) else b for b in bounds]

    @field_serializer("default", when_used="json")
    def _default_text(self, value: Any) -> Any:
        return temporal.iso(value) if temporal.is_temporal(value) else value

    def sign(self, outcome: str) -> int:
        """+1 when the concept increases `outcome`, -1 when it decreases it, 0 when unknown."""
        return {"increases": 1, "decreases": -1}.get(self.influences.get(outcome, ""), 0)

    def label(self) -> str:
        return self.description or self.name

    def format(self, value: Any) -> str:
        """The value as an auditor reads it: with its unit, rounded sensibly."""
        if isinstance(value, bool):
            return "true" if value else "false"
        if self.type in temporal.KINDS and temporal.is_temporal(value):
            return temporal.iso(value)
        if isinstance(value, float):
            text = f"{value:.4g}" if abs(value) < 1e6 else f"{value:,.0f}"
        else:
            text = str(value) if not isinstance(value, str) else value
        if self.unit and isinstance(value, (int, float)) and not isinstance(value, bool):
            return f"{text} {self.unit}"
        return text

    # -- request validation, one value ---------------------------------------------------------

    def check(self, value: Any) -> tuple[Any, str | None]:
        """(the value, normalised) or (None, what is wrong with it)."""
        value, problem = self.check_value(value)
        return value, (problem[1] if problem else None)

    def check_value(self, value: Any) -> tuple[Any, tuple[str, str] | None]:
        """(the value, normalised, None) or (None, (why, without the value; why, with it)).

        Never coerces: a string is not a number, a boolean is not an integer, and an integer stays
        exact (one a 64-bit integer cannot hold is refused, and so is one that a `number`, a 64-bit
        float, would round). The batch path (`validate_frame`) agrees with this row for row.
        """
        if value is None:
            if self.required:
                return None, ("is null; a value is required",) * 2
            return None, None
        kind = self.type
        if kind in ("number", "integer"):
            expected = "an integer" if kind == "integer" else "a number"
            if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
                return None, (f"expected {expected}", f"expected {expected}, got {show(value)}")
            if isinstance(value, (int, np.integer)):
                value = int(value)
                if not INT64_MIN <= value <= INT64_MAX:
                    return None, ("is outside the 64-bit integer range",
                                  f"is {short(value)}, outside the 64-bit integer range [-2**63, 2**63 - 1]")
                if kind == "number" and not -_EXACT <= value <= _EXACT and int(float(value)) != value:
                    return None, ("cannot be held exactly by a number (a 64-bit float)",
                                  f"is {value}, which a number (a 64-bit float) cannot hold exactly; send it as a "
                                  "float, or make the concept an integer")
            else:
                value = float(value)
                if not math.isfinite(value):
                    return None, ("expected a finite number", f"expected a finite number, got {value}")
                if kind == "integer":
                    if not value.is_integer():
                        return None, ("expected an integer", f"expected an integer, got {value}")
                    if not -_TWO63 <= value < _TWO63:
                        return None, ("is outside the 64-bit integer range",
                                      f"is {value}, outside the 64-bit integer range [-2**63, 2**63 - 1]")
                    value = int(value)
            if self.range is not None:
                lo, hi = self.range
                if lo is not None and value < lo:
                    return None, (f"is below the minimum {_num(lo)}{self._unit()}",
                                  f"is {value}, below the minimum {_num(lo)}{self._unit()}")
                if hi is not None and value > hi:
                    return None, (f"is above the maximum {_num(hi)}{self._unit()}",
                                  f"is {value}, above the maximum {_num(hi)}{self._unit()}")
            if self.values is not None and value not in self.values:
                return None, (f"is not one of {short(list(self.values))}", f"is {value}, not one of {short(list(self.values))}")
            return value, None
        if kind == "boolean":
            if isinstance(value, (bool, np.bool_)):
                return bool(value), None
            return None, ("expected true or false", f"expected true or false, got {show(value)}")
        if kind in temporal.KINDS:
            return self._check_temporal(value)
        if kind in ("context", "list", "any"):
            # Structured inputs of a whole DMN model (JSON objects and arrays), which checks their item types.
            if kind == "context" and not isinstance(value, Mapping):
                return None, ("expected an object", f"expected an object (a DMN context), got {show(value)}")
            if kind == "list" and not isinstance(value, (list, tuple)):
                return None, ("expected a list", f"expected a list, got {show(value)}")
            return (list(value) if isinstance(value, tuple) else value), None
        if not isinstance(value, str):
            return None, ("expected a string", f"expected a string, got {show(value)}")
        if not value.isascii() and not _is_unicode(value):
            return None, (_NOT_UNICODE, f"{_NOT_UNICODE}: {short(value)}")
        if self.values is not None and value not in self.values:
            allowed = ", ".join(short(v) for v in self.values[:20]) + (", ..." if len(self.values) > 20 else "")
            return None, (f"is not one of {allowed}", f"is {short(value)}, not one of {allowed}")
        return value, None

    def _check_temporal(self, value: Any) -> tuple[Any, tuple[str, str] | None]:
        """ISO text (or the value itself, from Python or a YAML scenario) of a date, time or duration."""
        if isinstance(value, np.datetime64):
            value = temporal.from_datetime64(value)
            if value is None:  # NaT: numpy's missing date
                return self.check_value(None)
        try:
            value = temporal.coerce(self.type, value)
        except ValueError as exc:
            return None, (str(exc), f"{exc}, got {show(value)}")
        if self.range is not None:
            lo, hi = self.range
            try:
                if lo is not None and temporal.order(value, lo) < 0:
                    return None, (f"is before the minimum {temporal.iso(lo)}",
                                  f"is {temporal.iso(value)}, before the minimum {temporal.iso(lo)}")
                if hi is not None and temporal.order(value, hi) > 0:
                    return None, (f"is after the maximum {temporal.iso(hi)}",
                                  f"is {temporal.iso(value)}, after the maximum {temporal.iso(hi)}")
            except TypeError:  # Python cannot order a naive date-time against one with an offset
                with_offset = "with" if getattr(value, "tzinfo", None) is not None else "without"
                return None, ("cannot be compared with the range's bounds (one has an offset, the other not)",
                              f"is {temporal.iso(value)}, {with_offset} an offset, unlike the range's bounds")
        return value, None

    def _unit(self) -> str:
        return f" {self.unit}" if self.unit else ""


_NOT_UNICODE = "is not valid Unicode text (it holds a lone surrogate, which no JSON or UTF-8 store can hold)"


def _is_unicode(text: str) -> bool:
    """True when `text` is a sequence of Unicode scalar values (no lone surrogate): UTF-8 encodes it."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


_EXACT = 2**53  # every integer up to this is exactly a 64-bit float
_TWO63 = 2.0**63


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def _show(value: Any) -> str:
    return show(value)


class _KnowledgeFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    concepts: dict[str, dict[str, Any]] = Field(default_factory=dict)


class Knowledge:
    """All concepts of a project, by name."""

    def __init__(self, concepts: Mapping[str, Concept] | None = None) -> None:
        self.concepts: dict[str, Concept] = dict(concepts or {})

    def __contains__(self, name: object) -> bool:
        return name in self.concepts

    def get(self, name: str) -> Concept | None:
        return self.concepts.get(name)

    def __getitem__(self, name: str) -> Concept:
        return self.concepts[name]

    def closest(self, name: str, *, also: Iterable[str] = ()) -> str | None:
        """The concept name (or one of `also`, e.g. names nodes write) that `name` is most likely a
        typo of, or None when nothing is close: the "did you mean" of load errors.

        >>> Knowledge({"debt_ratio": Concept(name="debt_ratio")}).closest("dept_ratio")
        'debt_ratio'
        """
        import difflib

        if len(name) > 200:  # difflib is quadratic in the length: no suggestion for a long name
            return None
        candidates = sorted(set(self.concepts) | set(also))
        close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.75)
        if close:
            return close[0]
        # A case slip (`Claim_Amount`) is always close, however short the name.
        folded = [c for c in candidates if c.lower() == name.lower()]
        return folded[0] if folded else None

    def value_meant(self, concept: str, word: str) -> Any | None:
        """The allowed value of `concept` that a bare `word` in an expression stands for (the same
        text, or a near miss of it), or None: `claim_type == auto` meant the text "auto"."""
        import difflib

        found = self.concepts.get(concept)
        if found is None or not found.values:
            return None
        texts = [value for value in found.values if isinstance(value, str)]
        if word in texts:
            return word
        close = difflib.get_close_matches(word, texts, n=1, cutoff=0.75)
        return close[0] if close else None

    @classmethod
    def from_mapping(cls, concepts: Mapping[str, Mapping[str, Any]], *, file: str) -> "Knowledge":
        knowledge = cls()
        knowledge._add(concepts, file=file)
        return knowledge

    @classmethod
    def load(cls, root: Path, files: Iterable[tuple[str, bytes]]) -> "Knowledge":
        """Concepts from knowledge/*.yaml files, given as (relative path, content) pairs."""
        knowledge = cls()
        problems: list[Problem] = []
        for relative, data in files:
            document = load_yaml(data, file=relative)
            if document is None:
                continue
            try:
                _KnowledgeFile.model_validate(document)
            except ValidationError as exc:
                problems.extend(pydantic_problems(exc, document, file=relative))
                continue
            try:
                knowledge._add(document.get("concepts") or {}, file=relative)
            except ProjectError as exc:
                problems.extend(exc.problems)
        if problems:
            raise ProjectError("knowledge/ has errors", problems=problems)
        return knowledge

    def _add(self, concepts: Mapping[str, Any], *, file: str) -> None:
        problems: list[Problem] = []
        for name, entry in concepts.items():
            line = concepts.line_of(name) if isinstance(concepts, LineDict) else None
            if name in self.concepts:
                other = self.concepts[name]
                problems.append(
                    Problem(
                        "duplicate_concept",
                        f"concept '{name}' is also defined in {other.file}:{other.line}",
                        file=file,
                        line=line,
                        field=f"concepts.{name}",
                    )
                )
                continue
            if not isinstance(entry, Mapping):
                problems.append(
                    Problem("schema", "a concept must be a mapping of its properties", file=file, line=line, field=f"concepts.{name}")
                )
                continue
            try:
                concept = Concept.model_validate({**entry, "name": name, "file": file, "line": line})
            except ValidationError as exc:
                problems.extend(pydantic_problems(exc, entry, file=file, prefix=("concepts", name)))
                continue
            self.concepts[name] = concept
        if problems:
            raise ProjectError(problems=problems)


class InputSchema:
    """What a request must hold: the graph's inputs, each checked against its concept."""

    def __init__(self, knowledge: Knowledge, inputs: Iterable[str], *, derived: Iterable[str] = ()) -> None:
        # The graph's inputs follow their concepts; other concepts that no node writes (context,
        # outcomes such as a known label) may be given too: checked, kept, never required.
        self.names: tuple[str, ...] = tuple(inputs)
        self.concepts: dict[str, Concept] = {}
        for name in self.names:
            concept = knowledge.get(name)
            self.concepts[name] = concept if concept is not None else Concept(name=name)
        written = set(derived)
        for name, concept in knowledge.concepts.items():
            if name not in self.concepts and name not in written:
                self.concepts[name] = concept.model_copy(update={"required": False})
        self._known = frozenset(self.concepts)
        self._required = frozenset(self.names)
        # What `validate` puts in place of an input the request leaves out (when not None).
        self.defaults: dict[str, Any] = {name: self.concepts[name].default for name in self.names
                                         if self.concepts[name].default is not None}

    def validate(self, request: Any, *, limits: Limits = DEFAULT_LIMITS) -> dict[str, Any]:
        """The request's values, normalised, or a RequestError listing every problem at once.

        Besides each field's concept, `limits` bounds the number of fields and the length of every
        string; values are shown cut short in every message.
        """
        if not isinstance(request, Mapping):
            raise RequestError(
                f"a request must be a JSON object of input fields, got {type(request).__name__}",
                code="request_not_object",
            )
        if len(request) > limits.max_fields:
            raise RequestError(f"the request has {len(request):,} fields, more than the limit {limits.max_fields:,} "
                               "(Limits.max_fields)", code="too_many_fields")
        problems: list[Problem] = []
        values: dict[str, Any] = {}
        for name in request:
            if name not in self._known:
                problems.append(self._unknown(name, "field", limits))
        for name, concept in self.concepts.items():
            if name not in request:
                if name not in self._required:
                    continue
                if concept.required and concept.default is None:
                    problems.append(Problem("missing_field", f"missing required field '{name}' ({concept.label()})", field=name))
                else:
                    values[name] = concept.default
                continue
            value = request[name]
            if isinstance(value, str) and len(value) > limits.max_string_length:
                problems.append(Problem("value_too_long", f"'{name}' {_too_long(len(value), limits)}", field=name))
                continue
            value, error = concept.check_value(value)
            if error:
                problems.append(Problem("invalid_value", f"'{name}' {error[1]}", field=name))
            else:
                values[name] = value
        if problems:
            raise RequestError(
                f"request rejected: {len(problems)} problem{'s' if len(problems) > 1 else ''}",
                problems=problems,
            )
        return values

    def validate_frame(self, frame: Any, *, limits: Limits = DEFAULT_LIMITS) -> dict[str, np.ndarray]:
        """Columns of a DataFrame, every row checked as `validate` checks one request.

        A RequestError names each field and its bad rows (by index label); `check_frame` gives
        the bad rows one by one instead.
        """
        checked = self.check_frame(frame, limits=limits)
        if checked.problems:
            raise RequestError(f"batch rejected: {len(checked.rows)} bad row{'s' if len(checked.rows) > 1 else ''}",
                               problems=checked.summary(frame.index))
        return checked.columns

    def check_frame(self, frame: Any, *, limits: Limits = DEFAULT_LIMITS) -> "FrameCheck":
        """Every row of a DataFrame checked; problems of the frame as a whole raise RequestError.

        A column the schema does not know, a required column that is absent, a column name given
        twice or more columns than `limits.max_fields` make every row bad alike: they raise. Each
        bad value is a row problem, with the same message `validate` gives for that value alone.
        Vectorised by dtype; an object column is checked per value only when a fast pass over its
        value types finds more than one kind of value.
        """
        problems: list[Problem] = []
        columns: dict[str, np.ndarray] = {}
        size = len(frame)
        names = list(frame.columns)
        if len(names) > limits.max_fields:
            raise RequestError(f"the batch has {len(names):,} columns, more than the limit {limits.max_fields:,} "
                               "(Limits.max_fields)", code="too_many_fields")
        seen: set[Any] = set()
        for name in names:
            if name in seen:
                problems.append(Problem("duplicate_field", f"column {short(name)} appears twice", field=str(name)[:200]))
            seen.add(name)
            if name not in self._known:
                problems.append(self._unknown(name, "column", limits))
        for name, concept in self.concepts.items():
            if name not in frame.columns and name not in self._required:
                continue
            if name not in frame.columns and concept.required and concept.default is None:
                problems.append(Problem("missing_field", f"missing required column '{name}' ({concept.label()})", field=name))
        if problems:
            raise RequestError(f"batch rejected: {len(problems)} problem{'s' if len(problems) > 1 else ''}", problems=problems)
        bad_cells: list[tuple[str, np.ndarray]] = []
        # Rows given as mappings (`AS_GIVEN`) reach the check as `validate` gets a request: a float
        # NaN there is a value (refused as `validate` refuses it), not pandas' missing value.
        as_given = bool(getattr(frame, "attrs", {}).get(AS_GIVEN))
        for name, concept in self.concepts.items():
            if name not in frame.columns:
                if name in self._required:
                    columns[name] = np.full(size, concept.default, dtype=object)
                continue
            column, bad = _check_column(concept, frame[name], limits)
            if as_given:
                bad = bad | _nan_given(frame[name])
            columns[name] = column
            if bad.any():
                bad_cells.append((name, bad))
        return FrameCheck(self, frame, columns, bad_cells, limits, as_given=as_given)

    def _unknown(self, name: Any, what: str, limits: Limits) -> Problem:
        if not isinstance(name, str):
            return Problem("unknown_field", f"{what} names must be strings, got {show(name)}", field=short(name))
        if len(name) > limits.max_string_length:
            return Problem("unknown_field", f"unknown {what} {short(name)} ({len(name):,} characters)", field=name[:200])
        return Problem("unknown_field", f"unknown {what} '{name}'{self._suggest(name)}", field=name)

    def _suggest(self, name: str) -> str:
        import difflib

        if len(name) > 200:  # difflib is quadratic in the length: no suggestion for a long name
            return ""
        close = difflib.get_close_matches(name, list(self.concepts), n=1)
        return f"; did you mean '{close[0]}'?" if close else ""


class FrameCheck:
    """A DataFrame checked row by row: its columns, and each bad row's problems.

    `problems` lists (position, field, code, message) for every bad value, with the message
    `validate` gives for it; `rows` holds the positions of the bad rows, sorted.
    """

    def __init__(self, schema: InputSchema, frame: Any, columns: dict[str, np.ndarray],
                 bad_cells: list[tuple[str, np.ndarray]], limits: Limits, *, as_given: bool = False) -> None:
        self.columns = columns
        self.problems: list[tuple[int, str, str, str]] = []
        self._groups: list[tuple[str, str, str, list[int]]] = []
        groups: dict[tuple[str, str, str], list[int]] = {}
        for name, bad in bad_cells:
            concept = schema.concepts[name]
            series = frame[name]
            nulls = series.isna().to_numpy()
            if as_given:
                nulls = nulls & ~_nan_given(series)
            for i in np.flatnonzero(bad).tolist():
                value = None if nulls[i] else series.iat[i]
                code, why, detail = _why(concept, value, limits)
                self.problems.append((i, name, code, f"'{name}' {detail}"))
                groups.setdefault((name, code, why), []).append(i)
        self.problems.sort(key=lambda p: p[0])
        self.rows = sorted({p[0] for p in self.problems})
        self._groups = [(name, code, why, rows) for (name, code, why), rows in groups.items()]

    def summary(self, index: Any) -> list[Problem]:
        """One problem per field and kind of fault, naming its rows by index label."""
        return [Problem(code, f"'{name}' {why} in {_rows(rows, index)}", field=name) for name, code, why, rows in self._groups]


def _too_long(length: int, limits: Limits) -> str:
    return f"is a string of {length:,} characters, longer than the limit {limits.max_string_length:,} (Limits.max_string_length)"


def _why(concept: Concept, value: Any, limits: Limits) -> tuple[str, str, str]:
    """(code, why without the value, why with it) for a value the column check refused."""
    if isinstance(value, str) and len(value) > limits.max_string_length:
        return "value_too_long", f"is longer than {limits.max_string_length:,} characters (Limits.max_string_length)", \
            _too_long(len(value), limits)
    _, problem = concept.check_value(value)
    if problem is None:  # the vectorised check and the one-value check disagree: a bug, said plainly
        return "invalid_value", "was refused by the batch check only", f"is {short(value)}, refused by the batch check only"
    return "invalid_value", problem[0], problem[1]


def _rows(rows: list[int], index: Any) -> str:
    labels = [str(index[i]) for i in rows[:5]]
    more = f" and {len(rows) - 5} more" if len(rows) > 5 else ""
    return f"row{'s' if len(rows) > 1 else ''} {', '.join(labels)}{more}"


# the DataFrame attribute `CompositeEngine.decide_batch` sets on rows it was given as mappings
AS_GIVEN = "composite_rows_as_given"


def _nan_given(series: Any) -> np.ndarray:
    """The cells of an object column holding a float NaN given as a value."""
    if series.dtype != object:
        return np.zeros(len(series), dtype=bool)
    return np.fromiter((type(v) is float and v != v for v in series.to_numpy(dtype=object)), dtype=bool,
                       count=len(series))


# -- one column, vectorised ---------------------------------------------------------------------

_NONE = type(None)
_NUMBER_TYPES = (int, float, np.integer, np.floating)


def _check_column(concept: Concept, series: Any, limits: Limits) -> tuple[np.ndarray, np.ndarray]:
    """(the column's values, normalised as `Concept.check_value` would, the mask of bad rows).

    Values in bad rows are placeholders. Typed numpy columns are checked with array operations;
    an object column is scanned once for the types of its values and checked with array
    operations too when they are all one plain type, else value by value with `check_value`.
    """
    size = len(series)
    nulls = series.isna().to_numpy()
    kind = concept.type
    if kind in temporal.KINDS:  # ISO text parsed as `check_value` parses it, once per distinct text
        return _temporal_column(concept, series, nulls, limits)
    if kind == "category" and series.dtype != object and size:
        # A few distinct values in many rows: one Python object per distinct value, not one per row
        # (a string column of pandas 3 would make a new str per row: most of a batch's memory).
        import pandas as pd  # a frame is being checked: pandas is loaded already

        codes, uniques = pd.factorize(series, use_na_sentinel=True)
        distinct = np.empty(len(uniques) + 1, dtype=object)
        distinct[:-1] = list(uniques)
        distinct[-1] = None
        raw = distinct[codes]  # the sentinel -1 picks the trailing None
    else:
        raw = series.to_numpy() if kind != "string" and kind != "category" else series.to_numpy(dtype=object)
    if raw.dtype.kind == "O":
        types = set(map(type, raw[~nulls])) if nulls.any() else set(map(type, raw))
        if kind in ("number", "integer"):
            if types <= {float}:
                raw = np.where(nulls, np.nan, raw).astype(np.float64)
            elif types <= {int} and not nulls.any():
                try:
                    raw = np.array(raw.tolist(), dtype=np.int64)
                except OverflowError:
                    return _per_value(concept, series, nulls, limits)
            elif types:
                return _per_value(concept, series, nulls, limits)
            else:  # every value is null
                return _finish_nulls(concept, np.zeros(size, dtype=np.float64), np.zeros(size, dtype=bool), nulls)
        elif kind == "boolean":
            if not types <= {bool, np.bool_}:
                return _per_value(concept, series, nulls, limits)
            bad = np.zeros(size, dtype=bool)
            if nulls.any():
                return _finish_nulls(concept, np.where(nulls, False, raw).astype(bool), bad, nulls)
            return raw.astype(bool), bad
        else:
            if not types <= {str}:
                return _per_value(concept, series, nulls, limits)
            return _strings(concept, raw, nulls, limits)
    if kind in ("number", "integer"):
        if raw.dtype.kind in "iu":
            return _integers(concept, raw, nulls)
        if raw.dtype.kind == "f":
            return _floats(concept, raw.astype(np.float64, copy=False), nulls)
        if raw.dtype.kind == "b":  # a boolean is not a number
            return raw.astype(np.float64), ~nulls | bool(concept.required) & nulls
        return _per_value(concept, series, nulls, limits)
    if kind == "boolean":
        if raw.dtype.kind == "b":
            return raw, np.zeros(size, dtype=bool)
        return _per_value(concept, series, nulls, limits)
    return _per_value(concept, series, nulls, limits)


def _in_range(concept: Concept, numeric: np.ndarray, bad: np.ndarray) -> None:
    """Mark the values outside the concept's range or values; exact for int64 columns too."""
    if concept.range is not None:
        for bound, outside in ((concept.range[0], np.less), (concept.range[1], np.greater)):
            if bound is None:
                continue
            if numeric.dtype.kind == "i" and float(bound).is_integer() and -_TWO63 <= bound < _TWO63:
                bound = np.int64(int(bound))  # int64 against int64: no rounding near 2**63
            bad |= outside(numeric, bound)
    if concept.values is not None:
        allowed = [v for v in concept.values if isinstance(v, (int, float)) and not isinstance(v, bool)]
        bad |= ~np.isin(numeric, np.asarray(allowed, dtype=numeric.dtype if numeric.dtype.kind == "f" or
                                             all(isinstance(v, int) for v in allowed) else np.float64))


def _integers(concept: Concept, raw: np.ndarray, nulls: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    bad = np.zeros(len(raw), dtype=bool)
    if raw.dtype == np.uint64:
        bad |= raw > np.uint64(INT64_MAX)
        raw = np.where(bad, 0, raw).astype(np.int64)
    else:
        raw = raw.astype(np.int64, copy=False)
    if concept.type == "number":
        large = np.flatnonzero((raw > _EXACT) | (raw < -_EXACT))
        for i in large.tolist():
            value = int(raw[i])
            if int(float(value)) != value:
                bad[i] = True
        _in_range(concept, raw, bad)
        return raw.astype(np.float64), bad
    _in_range(concept, raw, bad)
    return raw, bad


def _floats(concept: Concept, raw: np.ndarray, nulls: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    finite = np.isfinite(raw)
    bad = ~finite & ~nulls
    if concept.type == "integer":
        bad |= finite & ((raw != np.floor(raw)) | (raw < -_TWO63) | (raw >= _TWO63))
        safe = np.where(bad | nulls, 0.0, raw)
        _in_range(concept, safe, bad)
        bad &= ~nulls
        return _finish_nulls(concept, safe.astype(np.int64), bad, nulls)
    with np.errstate(invalid="ignore"):
        _in_range(concept, raw, bad)
    bad &= ~nulls
    return _finish_nulls(concept, raw, bad, nulls)


def _strings(concept: Concept, raw: np.ndarray, nulls: np.ndarray, limits: Limits) -> tuple[np.ndarray, np.ndarray]:
    import pandas as pd

    size = len(raw)
    bad = np.zeros(size, dtype=bool)
    present = raw if not nulls.any() else np.where(nulls, "", raw)
    lengths = np.fromiter(map(len, present), dtype=np.int64, count=size)
    bad |= lengths > limits.max_string_length
    joined = "".join(present)  # one pass in C: ASCII text is known at once, other text is encoded once
    if not joined.isascii() and not _is_unicode(joined):
        bad |= np.fromiter((not s.isascii() and not _is_unicode(s) for s in present), dtype=bool, count=size)
    if concept.values is not None:
        bad |= ~pd.Series(present, dtype=object).isin(list(concept.values)).to_numpy() & ~nulls
    return _finish_nulls(concept, raw, bad, nulls)


def _finish_nulls(concept: Concept, values: np.ndarray, bad: np.ndarray,
                  nulls: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Null rows: bad when the concept is required, else None in an object column."""
    if not nulls.any():
        return values, bad
    if concept.required:
        return values, bad | nulls
    out = values.astype(object)
    if values.dtype.kind in "if":  # Python numbers, as `check_value` gives them
        out = np.array(values.tolist(), dtype=object)
    out[nulls] = None
    return out, bad


def _temporal_column(concept: Concept, series: Any, nulls: np.ndarray, limits: Limits) -> tuple[np.ndarray, np.ndarray]:
    """A column of dates, times or durations given as text: each distinct text checked once (a date
    column repeats its days); any other column (dates as values, mixed types) value by value."""
    import pandas as pd

    raw = series.to_numpy(dtype=object)
    present = raw[~nulls] if nulls.any() else raw
    if not set(map(type, present.tolist())) <= {str}:
        return _per_value(concept, series, nulls, limits)
    codes, uniques = pd.factorize(np.where(nulls, None, raw))
    values = np.empty(len(uniques) + 1, dtype=object)  # the last slot: null (code -1)
    bad = np.zeros(len(uniques) + 1, dtype=bool)
    for position, text in enumerate([*uniques.tolist(), None]):
        if text is not None and len(text) > limits.max_string_length:
            bad[position] = True
            continue
        value, problem = concept.check_value(text)
        bad[position] = problem is not None
        values[position] = None if problem is not None else value
    return values[codes], bad[codes]


def _per_value(concept: Concept, series: Any, nulls: np.ndarray, limits: Limits) -> tuple[np.ndarray, np.ndarray]:
    """The slow path, for a column of mixed value types: `check_value` on every value."""
    size = len(series)
    raw = series.to_numpy(dtype=object)
    out = np.empty(size, dtype=object)
    bad = np.zeros(size, dtype=bool)
    longest = limits.max_string_length
    check = concept.check_value
    for i, value in enumerate(raw.tolist()):
        if nulls[i]:
            value = None
        elif isinstance(value, str) and len(value) > longest:
            bad[i] = True
            continue
        value, problem = check(value)
        if problem is not None:
            bad[i] = True
        else:
            out[i] = value
    if bad.any():
        return out, bad
    if nulls.any():
        if concept.type == "number":  # the batch's numbers are floats, as its typed columns are
            out = np.array([v if v is None else float(v) for v in out.tolist()], dtype=object)
        return out, bad
    if concept.type == "number":
        return out.astype(np.float64), bad
    if concept.type == "integer":
        return out.astype(np.int64), bad
    if concept.type == "boolean":
        return out.astype(bool), bad
    return out, bad


__all__ = ["Concept", "FrameCheck", "InputSchema", "Knowledge"]
