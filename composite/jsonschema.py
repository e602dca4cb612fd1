"""JSON Schema of a project's requests and outputs, generated from its knowledge/ concepts.

What `composite schema` prints, `GET /schema` serves and the service's OpenAPI document is built
from: one property per input with its type, unit, range, allowed values, meaning and default.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from composite import temporal
from composite.limits import DEFAULT_LIMITS, Limits

if TYPE_CHECKING:
    from composite.knowledge import Concept
    from composite.project import Project

DIALECT = "https://json-schema.org/draft/2020-12/schema"

_TYPES = {"number": "number", "integer": "integer", "boolean": "boolean", "string": "string", "context": "object",
          "list": "array"}


# Each temporal concept type: its JSON Schema format and the pattern of the ISO text it accepts.
_TIME = r"\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?"
_TEMPORAL = {
    "date": ("date", r"^\d{4}-\d{2}-\d{2}$"),
    "datetime": ("date-time", r"^\d{4}-\d{2}-\d{2}T" + _TIME + "$"),
    "time": ("time", "^" + _TIME + "$"),
    "duration": ("duration", r"^-?P(?!$)(\d+D)?(T(?!$)(\d+H)?(\d+M)?(\d+(\.\d*)?S)?)?$"),
    "years_months": ("duration", r"^-?P(?!$)(\d+Y)?(\d+M)?$"),
}


def concept_schema(concept: "Concept", *, nullable: bool = False, limits: Limits | None = None) -> dict[str, Any]:
    """One concept as a JSON Schema: type, enum, minimum/maximum, unit (`x-unit`), description.

    `nullable` adds "null" to the type: a value that may be given as null (an optional input, an
    output a node could not give). `limits` (for a request) bounds a free string's length.

    Examples
    --------
    >>> from composite.knowledge import Concept
    >>> concept_schema(Concept(name="months", type="integer", unit="months", range=(1, 120)))
    {'type': 'integer', 'minimum': 1, 'maximum': 120, 'x-unit': 'months'}
    """
    schema: dict[str, Any] = {}
    kind = _TYPES.get(concept.type)
    if concept.type == "category":
        kind = _common_type(concept.values or ())
    if kind is not None:
        schema["type"] = [kind, "null"] if nullable else kind
    if concept.values is not None:
        schema["enum"] = list(concept.values) + ([None] if nullable else [])
    if concept.type in _TEMPORAL:
        # ISO text; `format` is an annotation in 2020-12, the pattern says exactly what is accepted
        form, pattern = _TEMPORAL[concept.type]
        schema["type"] = ["string", "null"] if nullable else "string"
        schema["format"] = form
        schema["pattern"] = pattern
        if concept.type in ("duration", "years_months"):
            schema["x-duration"] = "days and time" if concept.type == "duration" else "years and months"
    if concept.range is not None and concept.type in _TEMPORAL:
        lo, hi = concept.range
        if lo is not None:  # as ajv-formats and OpenAPI tools read it
            schema["formatMinimum"] = temporal.iso(lo)
        if hi is not None:
            schema["formatMaximum"] = temporal.iso(hi)
    elif concept.range is not None:
        lo, hi = concept.range
        if lo is not None:
            schema["minimum"] = _number(lo)
        if hi is not None:
            schema["maximum"] = _number(hi)
    if limits is not None and kind == "string" and concept.values is None:
        schema["maxLength"] = limits.max_string_length
    if concept.unit:
        schema["x-unit"] = concept.unit
    if concept.description:
        schema["description"] = concept.description
    if concept.default is not None:
        schema["default"] = temporal.iso(concept.default) if temporal.is_temporal(concept.default) else concept.default
    if concept.ordered:
        schema["x-ordered"] = True
    return schema


def request_schema(project: "Project", *, limits: Limits = DEFAULT_LIMITS) -> dict[str, Any]:
    """The JSON Schema a request to `decide` must meet, as `InputSchema.validate` checks it.

    Required: the graph's inputs whose concept is required and has no default. Other concepts no
    node writes (context, a known label) may be given too. Unknown fields are refused.
    """
    schema = project.input_schema
    properties: dict[str, Any] = {}
    required: list[str] = []
    for name, concept in schema.concepts.items():
        properties[name] = concept_schema(concept, nullable=not concept.required, limits=limits)
        if name in schema.names and concept.required and concept.default is None:
            required.append(name)
        elif name not in schema.names:
            properties[name]["x-composite-context"] = True  # accepted and stored, read by no node
    description = f"A request to the decision project '{project.name}' {project.version}"
    if project.config.description:
        description += f": {project.config.description}"
    return {
        "$schema": DIALECT,
        "title": f"{project.name} request",
        "description": description,
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
        "maxProperties": limits.max_fields,
        "x-composite-project": {"name": project.name, "version": project.version, "hash": project.hash},
    }


def outputs_schema(project: "Project") -> dict[str, Any]:
    """The JSON Schema of a decision's outputs; each may be null (a value a node could not give)."""
    knowledge = project.knowledge
    properties: dict[str, Any] = {}
    for name in project.outputs:
        concept = knowledge.get(name)
        properties[name] = concept_schema(concept, nullable=True) if concept is not None else {}
        if concept is None:
            writer = project.graph.writer.get(name)
            properties[name]["description"] = f"'{name}', written by node '{writer}'" if writer else name
    return {
        "$schema": DIALECT,
        "title": f"{project.name} outputs",
        "type": "object",
        "properties": properties,
        "required": list(project.outputs),
        "additionalProperties": False,
    }


def _common_type(values: Any) -> str | None:
    """The JSON type all of a category's values share, None when they are of several types."""
    kinds = {("boolean" if isinstance(v, bool) else "integer" if isinstance(v, int)
              else "number" if isinstance(v, float) else "string" if isinstance(v, str) else "other") for v in values}
    if kinds == {"integer", "number"}:
        return "number"
    return kinds.pop() if len(kinds) == 1 and "other" not in kinds else None


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


__all__ = ["DIALECT", "concept_schema", "outputs_schema", "request_schema"]
