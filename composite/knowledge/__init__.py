"""The domain vocabulary: concepts with types, units, ranges, meanings and influence signs.

The engine's input schema is generated from it, explanations speak its words, and models take
their monotone constraints from its influence signs.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Iterable, Literal, Mapping

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from composite._yaml import LineDict, load_yaml, pydantic_problems
from composite.errors import Problem, ProjectError, RequestError

ConceptType = Literal["number", "integer", "category", "boolean", "string"]
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
    range: tuple[float | None, float | None] | None = None
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
            if self.type not in ("number", "integer"):
                raise ValueError(f"'range' is for number and integer concepts, not {self.type}")
            lo, hi = self.range
            if lo is not None and hi is not None and lo > hi:
                raise ValueError(f"range [{lo}, {hi}] is empty: the minimum is above the maximum")
        if self.ordered and not self.values:
            raise ValueError("'ordered: true' needs the ordered 'values'")
        return self

    def sign(self, outcome: str) -> int:
        """+1 when the concept increases `outcome`, -1 when it decreases it, 0 when unknown."""
        return {"increases": 1, "decreases": -1}.get(self.influences.get(outcome, ""), 0)

    def label(self) -> str:
        return self.description or self.name

    def format(self, value: Any) -> str:
        """The value as an auditor reads it: with its unit, rounded sensibly."""
        if isinstance(value, bool):
            return "true" if value else "false"
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
        if value is None:
            if self.required:
                return None, "is null; a value is required"
            return None, None
        kind = self.type
        if kind in ("number", "integer"):
            if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
                return None, f"expected {'an integer' if kind == 'integer' else 'a number'}, got {_show(value)}"
            if isinstance(value, (float, np.floating)) and not math.isfinite(value):
                return None, f"expected a finite number, got {value}"
            if kind == "integer":
                if float(value) != int(value):
                    return None, f"expected an integer, got {value}"
                value = int(value)
            else:
                value = float(value) if isinstance(value, np.floating) else value
                value = int(value) if isinstance(value, np.integer) else value
            if self.range is not None:
                lo, hi = self.range
                if lo is not None and value < lo:
                    return None, f"is {value}, below the minimum {_num(lo)}{self._unit()}"
                if hi is not None and value > hi:
                    return None, f"is {value}, above the maximum {_num(hi)}{self._unit()}"
            if self.values is not None and value not in self.values:
                return None, f"is {value}, not one of {list(self.values)}"
            return value, None
        if kind == "boolean":
            if isinstance(value, (bool, np.bool_)):
                return bool(value), None
            return None, f"expected true or false, got {_show(value)}"
        if not isinstance(value, str):
            return None, f"expected a string, got {_show(value)}"
        if self.values is not None and value not in self.values:
            return None, f"is {value!r}, not one of {', '.join(repr(v) for v in self.values)}"
        return value, None

    def _unit(self) -> str:
        return f" {self.unit}" if self.unit else ""


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def _show(value: Any) -> str:
    return f"{type(value).__name__} {value!r}"


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

    def validate(self, request: Any) -> dict[str, Any]:
        """The request's values, normalised, or a RequestError listing every problem at once."""
        if not isinstance(request, Mapping):
            raise RequestError(
                f"a request must be a JSON object of input fields, got {type(request).__name__}",
                code="request_not_object",
            )
        problems: list[Problem] = []
        values: dict[str, Any] = {}
        for name in request:
            if name not in self._known:
                problems.append(Problem("unknown_field", f"unknown field '{name}'{self._suggest(name)}", field=str(name)))
        for name, concept in self.concepts.items():
            if name not in request:
                if name not in self._required:
                    continue
                if concept.required and concept.default is None:
                    problems.append(Problem("missing_field", f"missing required field '{name}' ({concept.label()})", field=name))
                else:
                    values[name] = concept.default
                continue
            value, error = concept.check(request[name])
            if error:
                problems.append(Problem("invalid_value", f"'{name}' {error}", field=name))
            else:
                values[name] = value
        if problems:
            raise RequestError(
                f"request rejected: {len(problems)} problem{'s' if len(problems) > 1 else ''}",
                problems=problems,
            )
        return values

    def validate_frame(self, frame: Any) -> dict[str, np.ndarray]:
        """Columns of a DataFrame checked all at once; problems name the field and the rows."""
        problems: list[Problem] = []
        columns: dict[str, np.ndarray] = {}
        size = len(frame)
        for name in frame.columns:
            if name not in self._known:
                problems.append(Problem("unknown_field", f"unknown column '{name}'{self._suggest(str(name))}", field=str(name)))
        for name, concept in self.concepts.items():
            if name not in frame.columns:
                if name not in self._required:
                    continue
                if concept.required and concept.default is None:
                    problems.append(Problem("missing_field", f"missing required column '{name}' ({concept.label()})", field=name))
                else:
                    columns[name] = np.full(size, concept.default, dtype=object)
                continue
            column, error = _check_column(concept, frame[name])
            if error:
                problems.append(Problem("invalid_value", f"'{name}' {error}", field=name))
            else:
                columns[name] = column
        if problems:
            raise RequestError(f"batch rejected: {len(problems)} problem{'s' if len(problems) > 1 else ''}", problems=problems)
        return columns

    def _suggest(self, name: str) -> str:
        import difflib

        close = difflib.get_close_matches(name, list(self.concepts), n=1)
        return f"; did you mean '{close[0]}'?" if close else ""


def _rows(mask: np.ndarray, index: Any) -> str:
    bad = np.flatnonzero(mask)
    labels = [str(index[i]) for i in bad[:5]]
    more = f" and {len(bad) - 5} more" if len(bad) > 5 else ""
    return f"row{'s' if len(bad) > 1 else ''} {', '.join(labels)}{more}"


def _check_column(concept: Concept, series: Any) -> tuple[np.ndarray | None, str | None]:
    import pandas as pd

    index = series.index
    nulls = series.isna().to_numpy()
    if nulls.any() and concept.required:
        return None, f"is null in {_rows(nulls, index)}; a value is required"
    kind = concept.type
    if kind in ("number", "integer"):
        raw = series.to_numpy()
        if raw.dtype == bool or raw.dtype == object and any(isinstance(v, (bool, str)) for v in raw[:1000]):
            bad = np.array([isinstance(v, (bool, str)) for v in raw])
            if raw.dtype == bool or bad.any():
                return None, f"expected numbers, got non-numeric values in {_rows(bad if raw.dtype != bool else ~nulls, index)}"
        numeric = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
        bad = np.isnan(numeric) & ~nulls
        if bad.any():
            return None, f"expected numbers in {_rows(bad, index)}"
        if not np.isfinite(numeric[~nulls]).all():
            return None, f"expected finite numbers in {_rows(~np.isfinite(numeric) & ~nulls, index)}"
        if kind == "integer":
            frac = (numeric != np.floor(numeric)) & ~nulls
            if frac.any():
                return None, f"expected integers in {_rows(frac, index)}"
        if concept.range is not None:
            lo, hi = concept.range
            if lo is not None and (below := (numeric < lo) & ~nulls).any():
                return None, f"is below the minimum {_num(lo)}{concept._unit()} in {_rows(below, index)}"
            if hi is not None and (above := (numeric > hi) & ~nulls).any():
                return None, f"is above the maximum {_num(hi)}{concept._unit()} in {_rows(above, index)}"
        if concept.values is not None:
            outside = ~np.isin(numeric, np.asarray(concept.values, dtype=float)) & ~nulls
            if outside.any():
                return None, f"is not one of {list(concept.values)} in {_rows(outside, index)}"
        if nulls.any():
            out = np.array([None if n else (int(v) if kind == "integer" else float(v)) for v, n in zip(numeric, nulls)], dtype=object)
            return out, None
        return (numeric.astype(np.int64) if kind == "integer" else numeric), None
    if kind == "boolean":
        raw = series.to_numpy()
        if raw.dtype == bool:
            return raw, None
        bad = np.array([not isinstance(v, (bool, np.bool_)) for v in raw]) & ~nulls
        if bad.any():
            return None, f"expected true or false in {_rows(bad, index)}"
        return (raw.astype(bool) if not nulls.any() else raw.astype(object)), None
    raw = series.to_numpy(dtype=object)
    bad = np.array([not isinstance(v, str) for v in raw]) & ~nulls
    if bad.any():
        return None, f"expected strings in {_rows(bad, index)}"
    if concept.values is not None:
        outside = ~np.isin(raw, np.asarray(concept.values, dtype=object)) & ~nulls
        if outside.any():
            first = raw[np.flatnonzero(outside)[0]]
            return None, f"has {first!r}, not one of {', '.join(repr(v) for v in concept.values)}, in {_rows(outside, index)}"
    if nulls.any():
        raw = np.where(nulls, None, raw)
    return raw, None


__all__ = ["Concept", "InputSchema", "Knowledge"]
