"""Replay: decide a stored decision's inputs again with its own project version and compare.

The project version comes from the decision's stored snapshot (`composite.evidence.project_for`:
the version loaded in this process when its hash matches, else the snapshot's files), never from
the files on disk now. Every value each node wrote, the outputs and each node's witness (a
model's score) are compared as the store keeps them: repr-equal after its JSON round trip, NaN
equal to NaN, -0.0 not 0.0.
"""

from __future__ import annotations

import math
import random
import sys
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Mapping

from composite.errors import DecisionNotFound
from composite.store._codec import dumps, loads, stored_values

if TYPE_CHECKING:
    from composite.engine import CompositeEngine
    from composite.store import DecisionStore


@dataclass(frozen=True)
class Difference:
    """A value that came out otherwise on replay. `node` is "(inputs)" or "(outputs)" for those."""

    node: str
    key: str
    stored: Any
    replayed: Any


@dataclass(frozen=True)
class ReplayResult:
    """One stored decision decided again: identical, or where it differs (or why it could not run)."""

    decision_id: str
    identical: bool
    differences: list[Difference] = field(default_factory=list)
    first_node: str | None = None
    error: str | None = None

    @property
    def status(self) -> str:
        return "failed" if self.error else ("identical" if self.identical else "different")

    def lines(self) -> list[str]:
        if self.error:
            return [f"{self.decision_id}: replay failed: {self.error}"]
        if self.identical:
            return [f"{self.decision_id}: identical"]
        out = [f"{self.decision_id}: different, first at node '{self.first_node}'"]
        for diff in self.differences:
            out.append(f"  {diff.node}: {diff.key}: stored {_show(diff.stored)}, replayed {_show(diff.replayed)}")
        return out

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.decision_id, "status": self.status, "first_node": self.first_node, "error": self.error,
                "differences": [{"node": d.node, "key": d.key, "stored": _json(d.stored), "replayed": _json(d.replayed)}
                                for d in self.differences]}


def _show(value: Any) -> str:
    return repr(value) if not isinstance(value, str) else dumps(value)


def _json(value: Any) -> Any:
    return repr(value) if isinstance(value, float) and not math.isfinite(value) else value


def kept(value: Any) -> Any:
    """A value as the store keeps it: through its JSON round trip, non-finite floats as they are."""
    np = sys.modules.get("numpy")
    if isinstance(value, float) or (np is not None and isinstance(value, np.floating)):
        return float(value) if not math.isfinite(value) else loads(dumps(value))
    if isinstance(value, Mapping):
        return {str(k): kept(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)) or (np is not None and isinstance(value, np.ndarray)):
        return [kept(v) for v in value]
    return loads(dumps(value))


def same(stored: Any, replayed: Any) -> bool:
    """Bit for bit, as the store keeps values (repr-equal: 1 is not 1.0, -0.0 is not 0.0, NaN is NaN)."""
    return repr(kept(stored)) == repr(kept(replayed))


# project hash -> an engine deciding with that version, in memory, storing nothing
_engines: dict[str, "CompositeEngine"] = {}
_lock = threading.Lock()


def _engine_for(snapshot: Mapping[str, Any]) -> "CompositeEngine":
    from composite.engine import CompositeEngine
    from composite.evidence import project_for
    from composite.store.memory import MemoryStore

    key = str(snapshot.get("hash", ""))
    with _lock:
        engine = _engines.get(key)
        if engine is None:
            if len(_engines) >= 8:
                _engines.pop(next(iter(_engines)))
            engine = _engines[key] = CompositeEngine(project_for(snapshot), MemoryStore())
        return engine


def replay_record(record: Mapping[str, Any], snapshot: Mapping[str, Any]) -> ReplayResult:
    """Decide a stored record's inputs again with its snapshot's project version and compare."""
    decision_id = str(record.get("id"))
    try:
        if not snapshot:
            raise ValueError(f"the store has no project snapshot {record.get('project_hash')}")
        stored = stored_values(dict(record), dict(snapshot))
        engine = _engine_for(snapshot)
        project = engine.project
        again = engine.decide(record["inputs"], record=False, evidence="lazy")
    except Exception as exc:  # noqa: BLE001 (a replay that cannot run is counted, not fatal)
        return ReplayResult(decision_id, False, error=f"{type(exc).__name__}: {exc}")
    private = again.__pydantic_private__ or {}
    values = private.get("values") or {}
    witness = private.get("witness") or {}
    stored_witness = record.get("witness") or {}
    differences: list[Difference] = []
    for key, value in record["inputs"].items():
        if not same(value, again.inputs.get(key)):
            differences.append(Difference("(inputs)", key, value, again.inputs.get(key)))
    for node in project.graph.order:
        for key in node.writes:
            if not same(stored.get(key), values.get(key)):
                differences.append(Difference(node.name, key, stored.get(key), values.get(key)))
        if record.get("schema_version") == 2:
            ours, theirs = stored_witness.get(node.name) or {}, witness.get(node.name) or {}
            for key in sorted(ours.keys() | theirs.keys()):
                if not same(ours.get(key), theirs.get(key)):
                    differences.append(Difference(node.name, f"witness.{key}", ours.get(key), theirs.get(key)))
    outputs = {key: stored.get(key) for key in record["outputs"]}
    for key in sorted(outputs.keys() | again.outputs.keys()):
        if not same(outputs.get(key), again.outputs.get(key)):
            differences.append(Difference("(outputs)", key, outputs.get(key), again.outputs.get(key)))
    first = differences[0].node if differences else None
    return ReplayResult(decision_id, not differences, differences, first)


def replay(store: "DecisionStore", decision_id: str) -> ReplayResult:
    """The stored decision `decision_id` replayed (DecisionNotFound when the store lacks it)."""
    for record in _records(store, ids=[decision_id]):
        return replay_record(record, _snapshot(store, record))
    raise DecisionNotFound(f"no decision with id '{decision_id}' in this store", field="decision_id")


@dataclass
class ReplayCounts:
    identical: int = 0
    different: int = 0
    failed: int = 0

    @property
    def total(self) -> int:
        return self.identical + self.different + self.failed

    def add(self, result: ReplayResult) -> None:
        setattr(self, result.status, getattr(self, result.status) + 1)


def replay_many(store: "DecisionStore", *, batch_id: str | None = None, since: str | None = None,
                until: str | None = None, sample: int | None = None, seed: int | None = None
                ) -> Iterator[ReplayResult]:
    """Replay the stored decisions selected (all of them when nothing is given), in id order;
    `sample`: that many of them, drawn at random (reservoir sampling over one pass)."""
    records: Iterable[Mapping[str, Any]] = _records(store, batch_id=batch_id, since=since, until=until)
    if sample is not None:
        records = sorted(_reservoir(records, sample, random.Random(seed)), key=lambda r: r["id"])
    for record in records:
        yield replay_record(record, _snapshot(store, record))


def _reservoir(records: Iterable[Mapping[str, Any]], size: int, rng: random.Random) -> list[Mapping[str, Any]]:
    kept_: list[Mapping[str, Any]] = []
    for seen, record in enumerate(records):
        if seen < size:
            kept_.append(record)
        else:
            at = rng.randint(0, seen)
            if at < size:
                kept_[at] = record
    return kept_


def _records(store: "DecisionStore", **filters: Any) -> Iterator[dict[str, Any]]:
    records = getattr(store, "records", None)
    if records is None:  # a store of another kind: only its Decisions
        raise TypeError(f"{type(store).__name__} cannot read stored records; replay needs composite's own stores")
    return records(**filters)


def _snapshot(store: "DecisionStore", record: Mapping[str, Any]) -> dict[str, Any]:
    try:
        return store.project(str(record.get("project_hash", "")))
    except DecisionNotFound:
        return {}


__all__ = ["Difference", "ReplayCounts", "ReplayResult", "kept", "replay", "replay_many", "replay_record", "same"]
