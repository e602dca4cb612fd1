"""What a fuzzy step records for each decision, and how an explanation words it.

The evidence is plain JSON (validated by `FuzzyEvidence`); `render` needs nothing else, so a
decision can be explained after its rule base has changed.
"""

from __future__ import annotations

import math
from typing import Any, Literal, Mapping

from pydantic import BaseModel, ConfigDict

__all__ = ["FuzzyEvidence", "render"]

MAX_RULES_SHOWN = 12


class InputEvidence(BaseModel):
    model_config = ConfigDict(extra="forbid")

    value: float  # the value the rules saw (clipped into the range when it was outside)
    given: float  # the value the request carried
    clipped: bool
    memberships: dict[str, float]  # term -> degree


class RuleEvidence(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    strength: float  # firing strength after the rule's weight


class OutputEvidence(BaseModel):
    model_config = ConfigDict(extra="forbid")

    value: float | None  # None when no rule fired and the default is nan
    default_used: bool
    support: tuple[float, float] | None  # where the aggregated fuzzy set is above zero
    peak: float  # its height (Takagi-Sugeno: the strongest activation)
    term: str | None  # the output term that best describes the value
    term_membership: float | None


class FuzzyEvidence(BaseModel):
    """Evidence of one fuzzy inference: memberships, rule strengths, the aggregated outputs."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["mamdani", "takagi_sugeno", "hybrid"]
    numerics: Literal["skfuzzy", "fuzzylite"]
    inputs: dict[str, InputEvidence]
    rules: list[RuleEvidence]
    outputs: dict[str, OutputEvidence]


def _number(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "nan"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{value:.4g}" if abs(value) < 1e6 else f"{value:,.0f}"
    return str(value)


def _concept(knowledge: Any, name: str) -> Any:
    if knowledge is None:
        return None
    try:
        getter = getattr(knowledge, "get", None)
        if callable(getter):
            return getter(name)
        concepts = getattr(knowledge, "concepts", None)
        if isinstance(concepts, Mapping):
            return concepts.get(name)
    except (KeyError, LookupError, TypeError):
        return None
    return None


def _with_unit(value: Any, concept: Any) -> str:
    unit = getattr(concept, "unit", None) if concept is not None else None
    text = _number(value)
    if unit and text != "nan":
        return f"{text} {unit}"
    return text


def render(evidence: Mapping[str, Any], *, read: Mapping[str, Any], wrote: Mapping[str, Any],
           knowledge: Any) -> list[str]:
    """The evidence in an expert's words, one line per input, fired rule and output.

    >>> render({"inputs": {"x": {"value": 3.6, "given": 3.6, "clipped": False,
    ...                          "memberships": {"low": 0.0, "high": 0.8}}},
    ...         "rules": [{"name": "strained", "strength": 0.8}],
    ...         "outputs": {"y": {"value": 31.2, "default_used": False, "term": "poor"}}},
    ...        read={}, wrote={}, knowledge=None)
    ['x 3.6 is high (0.80) and low (0.00)', "rule 'strained' fired at 0.80", 'y = 31.2 (poor)']
    """
    lines: list[str] = []
    for name, entry in (evidence.get("inputs") or {}).items():
        concept = _concept(knowledge, name)
        memberships = sorted((entry.get("memberships") or {}).items(), key=lambda kv: -kv[1])
        degrees = " and ".join(f"{term} ({degree:.2f})" for term, degree in memberships)
        value = _with_unit(entry.get("value"), concept)
        line = f"{name} {value} is {degrees}" if degrees else f"{name} {value}"
        if entry.get("clipped"):
            line += f" (given {_with_unit(entry.get('given'), concept)}, outside the range: clipped)"
        lines.append(line)
    fired = [r for r in evidence.get("rules") or [] if (r.get("strength") or 0.0) > 0.0]
    fired.sort(key=lambda r: -r["strength"])
    for rule in fired[:MAX_RULES_SHOWN]:
        strength = rule["strength"]
        shown = f"{strength:.2f}" if strength >= 0.005 else f"{strength:.1e}"
        lines.append(f"rule '{rule['name']}' fired at {shown}")
    if len(fired) > MAX_RULES_SHOWN:
        lines.append(f"... and {len(fired) - MAX_RULES_SHOWN} more rules fired, more weakly")
    if not fired and evidence.get("rules") is not None:
        lines.append("no rule fired")
    for name, entry in (evidence.get("outputs") or {}).items():
        concept = _concept(knowledge, name)
        value = entry.get("value")
        text = f"{name} = {_with_unit(value, concept)}"
        if entry.get("default_used"):
            text += " (the default: no rule fired)" if value is not None else " (no rule fired and there is no default)"
        elif entry.get("term"):
            text += f" ({entry['term']})"
        lines.append(text)
    return lines
