"""Decisions to and from their stored JSON form: one record per decision.

The artifact hashes live once per project version (in its snapshot), not in every record.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import json
import math
from typing import Any

import numpy as np

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
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (_dt.datetime, _dt.date)):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"cannot store a value of type {type(value).__name__}: {value!r}")


def decision_record(decision: Decision) -> dict[str, Any]:
    """The JSON-ready record of a decision, without its artifact hashes."""
    return {
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
        "nodes": [
            {"name": n.name, "kind": n.kind, "read": n.read, "wrote": n.wrote, "evidence": n.evidence,
             "duration_us": n.duration_us}
            for n in decision.trace.nodes
        ],
    }


def _clean(value: Any) -> Any:
    # JSON has no NaN; orjson writes null. Keep NaN out of the way of equality checks.
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def record_decision(record: dict[str, Any], artifacts: dict[str, str]) -> Decision:
    """A stored record back into a validated Decision."""
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
        outputs=record["outputs"],
        trace=Trace(nodes=[NodeTrace(**n) for n in record["nodes"]], artifacts=artifacts),
    )


def jsonable(value: Any) -> Any:
    """A value as it will read back from the store (numpy scalars to Python, tuples to lists)."""
    return loads(dumps(value))
