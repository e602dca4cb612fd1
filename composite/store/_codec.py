"""Decisions to and from their stored JSON form: one record per decision.

The artifact hashes live once per project version (in its snapshot), not in every record.
JSON has no inf or NaN: an output or derived value that is one is written as null and named in
the record's `nonfinite` entry ({"outputs": {"y": "inf"}, "derived": {...}}), so it reads back
exactly as it was returned.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import json
import math
import sys
from typing import Any

from composite.schemas import Decision, NodeTrace, Trace

try:  # orjson is a dependency, but keep the store usable if a vendor build lacks it
    import orjson

    def dumps(value: Any) -> str:
        return orjson.dumps(value, default=_default, option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS).decode()

    def loads(text: str | bytes) -> Any:
        return orjson.loads(text)

except ImportError:  # pragma: no cover
    def dumps(value: Any) -> str:
        return json.dumps(value, default=_default, separators=(",", ":"), allow_nan=True)

    def loads(text: str | bytes) -> Any:
        return json.loads(text)


def _default(value: Any) -> Any:
    np = sys.modules.get("numpy")  # a numpy value exists only once numpy is imported: reading needs none
    if np is not None and isinstance(value, np.generic):
        return value.item()
    if np is not None and isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (_dt.datetime, _dt.date)):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"cannot store a value of type {type(value).__name__}: {value!r}")


_NONFINITE = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


def nonfinite_name(value: float) -> str:
    """How a non-finite float is named in a record's `nonfinite` entry."""
    return "nan" if value != value else ("inf" if value > 0 else "-inf")


def _nonfinite(values: dict[str, Any]) -> dict[str, str]:
    np = sys.modules.get("numpy")
    floats = (float, np.floating) if np is not None else float
    return {key: nonfinite_name(v) for key, v in values.items() if isinstance(v, floats) and not math.isfinite(v)}


def restore_nonfinite(values: dict[str, Any], names: dict[str, str] | None) -> dict[str, Any]:
    """`values` with the non-finite floats its record names put back."""
    if not names:
        return values
    return {**values, **{key: _NONFINITE[name] for key, name in names.items()}}


def decision_record(decision: Decision) -> dict[str, Any]:
    """The JSON-ready record of a decision, in the compact stored form.

    What each step read and wrote is not repeated per step: the record keeps every value once
    (`inputs` and `derived`) and the project snapshot, saved once per project version, knows
    which names each node reads and writes.
    """
    derived: dict[str, Any] = {}
    nodes = []
    for step in decision.trace.nodes:
        derived.update(step.wrote)
        entry: dict[str, Any] = {"name": step.name, "duration_us": step.duration_us}
        if step.evidence:
            entry["evidence"] = step.evidence
        nodes.append(entry)
    record = {
        "id": decision.id,
        "created_at": decision.created_at.isoformat(),
        "project": decision.project,
        "project_version": decision.project_version,
        "project_hash": decision.project_hash,
        "batch_id": decision.batch_id,
        "duration_us": decision.duration_us,
        "schema_version": decision.schema_version,
        "inputs": decision.inputs,
        "outputs": decision.outputs,
        "derived": derived,
        "nodes": nodes,
    }
    nonfinite = {part: names for part in ("outputs", "derived") if (names := _nonfinite(record[part]))}
    if nonfinite:
        record["nonfinite"] = nonfinite
    return record


def record_decision(record: dict[str, Any], snapshot: dict[str, Any]) -> Decision:
    """A stored record back into a validated Decision, with the snapshot of its project version."""
    described = {node["name"]: node for node in snapshot.get("nodes", [])}
    nonfinite = record.get("nonfinite") or {}
    derived = restore_nonfinite(record.get("derived", {}), nonfinite.get("derived"))
    values = {**record["inputs"], **derived}
    steps = []
    for entry in record["nodes"]:
        node = described.get(entry["name"], {})
        steps.append(NodeTrace(
            name=entry["name"],
            kind=entry.get("kind") or node.get("kind", "unknown"),
            read=entry["read"] if "read" in entry else {k: values.get(k) for k in node.get("reads", [])},
            wrote=entry["wrote"] if "wrote" in entry else {k: values.get(k) for k in node.get("writes", [])},
            evidence=entry.get("evidence") or {},
            duration_us=entry.get("duration_us", 0.0),
        ))
    return Decision(
        id=record["id"],
        created_at=record["created_at"],
        project=record["project"],
        project_version=record["project_version"],
        project_hash=record.get("project_hash", ""),
        batch_id=record.get("batch_id"),
        duration_us=record.get("duration_us", 0.0),
        schema_version=record.get("schema_version", 1),
        inputs=record["inputs"],
        outputs=restore_nonfinite(record["outputs"], nonfinite.get("outputs")),
        trace=Trace(nodes=steps, artifacts=snapshot.get("artifacts", {})),
    )


def jsonable(value: Any) -> Any:
    """A value as it will read back from the store (numpy scalars to Python, tuples to lists)."""
    return loads(dumps(value))
