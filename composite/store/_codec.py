"""Decisions to and from their stored JSON form: one record per decision.

The artifact hashes live once per project version (in its snapshot), not in every record.
JSON has no inf or NaN: an output or derived value that is one is written as null and named in
the record's `nonfinite` entry ({"outputs": {"y": "inf"}, "derived": {...}}), so it reads back
exactly as it was returned.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import decimal
import json
import math
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from composite.schemas import Decision, Trace


def _schemas() -> Any:
    """composite.schemas (pydantic), imported when a decision is first written or read whole:
    listing stored decisions (`composite history`) needs none of it."""
    from composite import schemas

    return schemas

try:  # orjson is a dependency, but keep the store usable if a vendor build lacks it
    import orjson

    # Dataclasses pass through to `_default`, so that a duration is written as its ISO text (P90D).
    _OPTIONS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATACLASS

    def dumps(value: Any) -> str:
        return orjson.dumps(value, default=_default, option=_OPTIONS).decode()

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
    if isinstance(value, (_dt.datetime, _dt.date, _dt.time)):
        return value.isoformat()
    if type(value).__name__ in ("DayTimeDuration", "YearMonthDuration") and hasattr(value, "iso"):
        return value.iso()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}  # as orjson writes one
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


_PLAIN = frozenset({str, int, float, bool, type(None)})


def with_temporal(record: dict[str, Any]) -> dict[str, Any]:
    """The record with a `temporal` entry naming the kind of each date, time or duration it holds
    ({"inputs": {"loss_date": "date"}, "derived": {"0": "duration"}}; derived by position in a
    compact record), so that it reads back as that value even where knowledge/ has no concept.
    Every store calls it before writing a record; a record without such values is left as it is."""
    from composite import temporal

    found: dict[str, dict[str, str]] = {}
    for part in ("inputs", "outputs", "derived"):
        values = record.get(part)
        if not values:
            continue
        items = values.items() if isinstance(values, dict) else enumerate(values)
        kinds = {str(key): kind for key, value in items
                 if type(value) not in _PLAIN and (kind := temporal.kind_of(value)) is not None}
        if kinds:
            found[part] = kinds
    if found:
        record["temporal"] = found
    return record


def _record_kinds(record: dict[str, Any] | None, snapshot: dict[str, Any] | None) -> dict[str, str]:
    """Name -> temporal kind, from the record's `temporal` entry (compact positions named by the
    snapshot's nodes)."""
    tags = (record or {}).get("temporal")
    if not tags:
        return {}
    kinds = {**(tags.get("inputs") or {}), **(tags.get("outputs") or {})}
    derived = tags.get("derived") or {}
    if derived and isinstance(record.get("derived"), list):  # type: ignore[union-attr]
        names = derived_names((snapshot or {}).get("nodes") or [], record["inputs"], record["outputs"])  # type: ignore
        kinds.update({names[int(at)]: kind for at, kind in derived.items() if int(at) < len(names)})
    else:
        kinds.update(derived)
    return kinds


def restore_temporal(values: dict[str, Any], snapshot: dict[str, Any] | None,
                     record: dict[str, Any] | None = None) -> dict[str, Any]:
    """`values` with the ISO text of each date, time or duration read back as the value it was:
    JSON has no dates; the record's `temporal` entry, or else the snapshot's knowledge/ concept,
    says what the text is."""
    kinds = {**_temporal_concepts(snapshot), **_record_kinds(record, snapshot)}
    if not kinds or not values:
        return values
    found = {key: kinds[key] for key, value in values.items() if type(value) is str and key in kinds}
    if not found:
        return values
    from composite import temporal

    out = dict(values)
    for key, kind in found.items():
        try:
            out[key] = temporal.parse(kind, out[key])
        except ValueError:  # a record written by hand or by an older version: keep its text
            pass
    return out


def restore_temporal_within(value: Any, snapshot: dict[str, Any] | None) -> Any:
    """`restore_temporal` through a node's evidence: every text under a date, time or duration
    concept's name (a rule's matched facts) read back as its value, as an eager run held it."""
    kinds = _temporal_concepts(snapshot)
    return _within(value, kinds) if kinds else value


def _within(value: Any, kinds: dict[str, str]) -> Any:
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if type(item) is str and key in kinds:
                from composite import temporal

                try:
                    item = temporal.parse(kinds[key], item)
                except ValueError:
                    pass
            else:
                item = _within(item, kinds)
            out[key] = item
        return out
    if isinstance(value, list):
        return [_within(item, kinds) for item in value]
    return value


def _temporal_concepts(snapshot: dict[str, Any] | None) -> dict[str, str]:
    if not snapshot:
        return {}
    return {name: concept.get("type") for name, concept in (snapshot.get("concepts") or {}).items()
             if isinstance(concept, dict) and concept.get("type") in _TEMPORAL_TYPES}


_TEMPORAL_TYPES = frozenset({"date", "datetime", "time", "duration", "years_months"})


def restore_nonfinite(values: dict[str, Any], names: dict[str, str] | None) -> dict[str, Any]:
    """`values` with the non-finite floats its record names put back."""
    if not names:
        return values
    return {**values, **{key: _NONFINITE[name] for key, name in names.items()}}


def decision_record(decision: Decision) -> dict[str, Any]:
    """The JSON-ready record of a decision, in the compact stored form.

    A decision made with evidence on demand (schema version 2) is stored without evidence: its
    inputs, outputs, the other derived values, each step's duration (`us`, in the order of the
    snapshot's nodes) and the steps' witnesses; `record_decision` derives the trace again.
    """
    if decision.schema_version == _schemas().LAZY_SCHEMA_VERSION:
        return with_temporal(_lazy_record(decision))
    return with_temporal(_eager_record(decision))


def _head(decision: Decision) -> dict[str, Any]:
    return {
        "id": decision.id,
        "created_at": decision.created_at.isoformat(),
        "project": decision.project,
        "project_version": decision.project_version,
        "project_hash": decision.project_hash,
        "batch_id": decision.batch_id,
        "duration_us": decision.duration_us,
        "schema_version": decision.schema_version,
    }


def derived_names(nodes: Any, inputs: Any, outputs: Any) -> list[str]:
    """The order of a compact record's `derived` list: every name a node writes, in graph order,
    but the outputs (stored by name). `nodes` are the snapshot's node descriptions."""
    skip = set(inputs) | set(outputs)
    return [key for node in nodes for key in node.get("writes", []) if key not in skip]


def _lazy_record(decision: Decision) -> dict[str, Any]:
    private = decision.__pydantic_private__ or {}
    values = private.get("values")
    if values is None:
        values = {**decision.inputs, **{k: v for step in decision.trace.nodes for k, v in step.wrote.items()}}
    names = private.get("derived_names")
    if names is None:
        names = [key for key in values if key not in decision.inputs and key not in decision.outputs]
    derived = [values.get(key) for key in names]
    same: dict[str, str | int] = {}
    seen: dict[str, str | int] = {}
    for key, value in decision.outputs.items():
        if type(value) is str and len(value) > SAME_MIN_CHARS:
            seen.setdefault(value, key)  # the first output holding it, as a batch's records say
    for at, value in enumerate(derived):
        if type(value) is str and len(value) > SAME_MIN_CHARS:
            if value in seen:
                same[str(at)] = seen[value]
                derived[at] = None
            else:
                seen[value] = at
    record = {**_head(decision), "inputs": decision.inputs, "outputs": decision.outputs, "derived": derived,
              "us": [round(us) for _, _, us in decision.node_timings()]}
    if same:
        record["same"] = same
    if private.get("witness"):
        record["witness"] = private["witness"]
    nonfinite = {part: found for part, found in (("outputs", _nonfinite(record["outputs"])),
                                                 ("derived", _nonfinite(dict(enumerate(record["derived"]))))) if found}
    if nonfinite:
        record["nonfinite"] = nonfinite
    return record


# A derived text longer than this that is also an output's value, or an earlier derived value (a
# reason passed down a chain of nodes), is stored once: its place in `derived` holds null and
# `same` names the output (by name) or the earlier value (by position).
SAME_MIN_CHARS = 16


# The fields a store keeps in columns of their own: a store may leave them out of the stored JSON
# (`record_body`) and put them back when it reads it (`join_record`).
COLUMNS = ("id", "created_at", "project", "project_version", "project_hash", "batch_id", "outputs")


def record_body(record: dict[str, Any]) -> str:
    """A record's JSON without the fields its store keeps in columns (see COLUMNS)."""
    return dumps({key: value for key, value in record.items() if key not in COLUMNS})


def join_record(body: str | bytes, columns: dict[str, Any]) -> dict[str, Any]:
    """The record a store read: its JSON body with the column fields put back (a body written
    whole, by an older composite, keeps its own)."""
    return {**columns, **loads(body)}


def _eager_record(decision: Decision) -> dict[str, Any]:
    """The record of a decision made with its evidence (schema version 1).

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
        **_head(decision),
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
    schemas = _schemas()
    if record.get("schema_version") == schemas.LAZY_SCHEMA_VERSION:
        return _lazy_decision(record, snapshot)
    Decision, NodeTrace, Trace = schemas.Decision, schemas.NodeTrace, schemas.Trace
    described = {node["name"]: node for node in snapshot.get("nodes", [])}
    nonfinite = record.get("nonfinite") or {}
    derived = restore_temporal(restore_nonfinite(record.get("derived", {}), nonfinite.get("derived")), snapshot,
                               record)
    inputs = restore_temporal(record["inputs"], snapshot, record)
    values = {**inputs, **derived}
    steps = []
    for entry in record["nodes"]:
        node = described.get(entry["name"], {})
        steps.append(NodeTrace(
            name=entry["name"],
            kind=entry.get("kind") or node.get("kind", "unknown"),
            read=entry["read"] if "read" in entry else {k: values.get(k) for k in node.get("reads", [])},
            wrote=entry["wrote"] if "wrote" in entry else {k: values.get(k) for k in node.get("writes", [])},
            evidence=restore_temporal_within(entry.get("evidence") or {}, snapshot),
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
        inputs=inputs,
        outputs=restore_temporal(restore_nonfinite(record["outputs"], nonfinite.get("outputs")), snapshot, record),
        trace=Trace(nodes=steps, artifacts=snapshot.get("artifacts", {})),
    )


def stored_values(record: dict[str, Any], snapshot: dict[str, Any]) -> dict[str, Any]:
    """Every value a stored decision holds by name (inputs, derived values, outputs), non-finite
    floats put back: what each node read and wrote, for replaying it."""
    nonfinite = record.get("nonfinite") or {}
    outputs = restore_nonfinite(record["outputs"], nonfinite.get("outputs"))
    if record.get("schema_version") == _schemas().LAZY_SCHEMA_VERSION:
        return restore_temporal(_lazy_values(record, snapshot, outputs, nonfinite), snapshot, record)
    derived = restore_nonfinite(record.get("derived", {}), nonfinite.get("derived"))
    return restore_temporal({**record["inputs"], **derived, **outputs}, snapshot, record)


def _lazy_values(record: dict[str, Any], snapshot: dict[str, Any], outputs: dict[str, Any],
                 nonfinite: dict[str, Any]) -> dict[str, Any]:
    inputs = record["inputs"]
    names = derived_names(snapshot.get("nodes") or [], inputs, outputs)
    derived = record.get("derived") or []
    if isinstance(derived, dict):
        return {**inputs, **derived, **outputs}
    if len(derived) != len(names):
        raise ValueError(f"decision {record.get('id')}: its record holds {len(derived)} derived values, its project "
                         f"snapshot names {len(names)}")
    restored = restore_nonfinite(dict(enumerate(derived)), {int(k): v for k, v in
                                                             (nonfinite.get("derived") or {}).items()})
    for at, key in sorted((record.get("same") or {}).items(), key=lambda item: int(item[0])):
        restored[int(at)] = outputs[key] if isinstance(key, str) else restored[key]
    return {**inputs, **dict(zip(names, (restored[i] for i in range(len(names))))), **outputs}


def _lazy_decision(record: dict[str, Any], snapshot: dict[str, Any]) -> Decision:
    """A stored decision of schema version 2: every field now, the trace when it is read."""
    schemas = _schemas()
    nonfinite = record.get("nonfinite") or {}
    outputs = restore_temporal(restore_nonfinite(record["outputs"], nonfinite.get("outputs")), snapshot, record)
    inputs = restore_temporal(record["inputs"], snapshot, record)
    described = snapshot.get("nodes") or []
    values = restore_temporal(_lazy_values(record, snapshot, outputs, nonfinite), snapshot, record)
    names = derived_names(described, inputs, outputs)
    durations = record.get("us") or []
    timings = [(node["name"], node.get("kind", "unknown"), float(us)) for node, us in zip(described, durations)]
    witness = record.get("witness") or {}
    artifacts = dict(snapshot.get("artifacts") or {})

    def build() -> Trace:
        from composite.evidence import stored_trace

        return stored_trace(snapshot, values, timings, artifacts, witness)

    fields = schemas.Decision.model_validate({
        "id": record["id"], "created_at": record["created_at"], "project": record["project"],
        "project_version": record["project_version"], "project_hash": record.get("project_hash", ""),
        "batch_id": record.get("batch_id"), "duration_us": record.get("duration_us", 0.0),
        "schema_version": schemas.LAZY_SCHEMA_VERSION, "inputs": inputs, "outputs": outputs,
        "trace": {"nodes": [], "artifacts": {}}})
    values_of = dict(fields.__dict__)
    del values_of["trace"]
    decision = schemas.on_demand(values_of, timings, build)
    decision.__pydantic_private__.update(values=values, witness=witness, derived_names=names)
    return decision


def jsonable(value: Any) -> Any:
    """A value as it will read back from the store (numpy scalars to Python, tuples to lists)."""
    return loads(dumps(value))
