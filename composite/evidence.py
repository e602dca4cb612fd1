"""Evidence on demand: a decision's trace derived again from what was stored.

A decision is made and stored with its inputs, every derived value, each step's duration and a
compact witness (the model's score); the evidence (matched table rows, fired rules, fuzzy
memberships, model contributions and reasons, domain distances) is built when someone asks for it:
`decision.trace`, `explain`, `get(id).trace`. Each node runs again on exactly the values it read,
from the same project version, and its evidence is kept; what it wrote is what was decided.

The project version comes from the engine that made the decision when it is still loaded (the
registry below, by project hash), else from the project snapshot the store keeps: its files are
written to a temporary folder and loaded, once per version and process. A node that writes other
values on replay than were stored says so in its evidence (`replay_differs`) instead of passing
off the replay's evidence as the decision's.
"""

from __future__ import annotations

import math
import shutil
import tempfile
import threading
import weakref
from collections import OrderedDict
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from composite.schemas import NodeTrace, Trace, trusted

if TYPE_CHECKING:
    from composite.project import Project

# project hash -> a loaded Project of that version (engines register theirs; weak: no engine kept alive)
_live: "weakref.WeakValueDictionary[str, Project]" = weakref.WeakValueDictionary()
# project hash -> a Project loaded from a stored snapshot (a few versions, newest used last)
_from_snapshots: "OrderedDict[str, Project]" = OrderedDict()
_KEEP = 4
_lock = threading.Lock()


def register(project: "Project") -> None:
    """Make a loaded project version available to derive its decisions' evidence."""
    _live[project.hash] = project


def project_for(snapshot: Mapping[str, Any]) -> "Project":
    """The project version a snapshot describes: a loaded one, else loaded from the snapshot's files."""
    project_hash = snapshot.get("hash", "")
    project = _live.get(project_hash)
    if project is not None:
        return project
    with _lock:
        project = _from_snapshots.get(project_hash)
        if project is not None:
            _from_snapshots.move_to_end(project_hash)
            return project
        project = load_snapshot(snapshot)
        _from_snapshots[project_hash] = project
        while len(_from_snapshots) > _KEEP:
            _from_snapshots.popitem(last=False)
        return project


def load_snapshot(snapshot: Mapping[str, Any]) -> "Project":
    """Load the project a snapshot keeps the files of; ValueError when it cannot be the same version."""
    from composite.project import load_project

    sources = snapshot.get("sources") or {}
    if "composite.yaml" not in sources:
        raise ValueError("the stored project snapshot has no composite.yaml: it was saved by an older composite")
    folder = Path(tempfile.mkdtemp(prefix="composite-snapshot-"))
    try:
        for relative, text in sources.items():
            parts = PurePosixPath(relative).parts
            if not parts or PurePosixPath(relative).is_absolute() or ".." in parts:
                raise ValueError(f"the stored project snapshot names a file outside the project: {relative!r}")
            target = folder.joinpath(*parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(text.encode("utf-8"))
        project = load_project(folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if snapshot.get("hash") and project.hash != snapshot["hash"]:
        raise ValueError(f"the project loaded from the stored snapshot has hash {project.hash[:19]}…, not "
                         f"{str(snapshot['hash'])[:19]}… (a file it needs is not kept in the snapshot)")
    return project


def build_trace(project: "Project", values: Mapping[str, Any], timings: Sequence[tuple[str, str, float]],
                artifacts: Mapping[str, str], witness: Mapping[str, Mapping[str, Any]] | None = None) -> Trace:
    """Every step of a decision with its evidence, by running each node again on what it read.

    A step's witness (what the node recorded when it decided: a model's score) must be what the
    replay's evidence says, as its written values must be what was stored."""
    from composite.engine import run_node

    duration = {name: us for name, _, us in timings}
    steps = []
    for node in project.graph.order:
        name, kind = node.name, node.kind
        read = {key: values.get(key) for key in node.reads}
        wrote = {key: values.get(key) for key in node.writes}
        try:
            result = run_node(node, name, kind, dict(read))
            evidence = result.evidence
            differs = {key: {"stored": wrote.get(key), "replay": value} for key, value in result.outputs.items()
                       if not _same(value, wrote.get(key))}
            for key, value in ((witness or {}).get(name) or {}).items():
                if key in evidence and not _same(evidence[key], value):
                    differs[key] = {"stored": value, "replay": evidence[key]}
            if differs:
                evidence = {"replay_differs": dict(sorted(differs.items()))}
        except Exception as exc:  # the decision was made; its explanation must still render
            evidence = {"unavailable": f"{type(exc).__name__}: {exc}"}
        steps.append(trusted(NodeTrace, {"name": name, "kind": kind, "read": read, "wrote": wrote,
                                         "evidence": evidence, "duration_us": duration.get(name, 0.0)}))
    return trusted(Trace, {"nodes": steps, "artifacts": dict(artifacts), "note": None})


def bare_trace(snapshot: Mapping[str, Any], values: Mapping[str, Any], timings: Sequence[tuple[str, str, float]],
               artifacts: Mapping[str, str], note: str) -> Trace:
    """The steps as the snapshot describes them, without evidence, and why it is missing."""
    duration = {name: us for name, _, us in timings}
    steps = [trusted(NodeTrace, {
        "name": node["name"], "kind": node.get("kind", "unknown"),
        "read": {key: values.get(key) for key in node.get("reads", [])},
        "wrote": {key: values.get(key) for key in node.get("writes", [])},
        "evidence": {}, "duration_us": duration.get(node["name"], 0.0)}) for node in snapshot.get("nodes", [])]
    return trusted(Trace, {"nodes": steps, "artifacts": dict(artifacts), "note": note})


def stored_trace(snapshot: Mapping[str, Any], values: Mapping[str, Any],
                 timings: Sequence[tuple[str, str, float]], artifacts: Mapping[str, str],
                 witness: Mapping[str, Mapping[str, Any]] | None = None) -> Trace:
    """The trace of a stored decision, derived from its project snapshot (see the module's text)."""
    try:
        project = project_for(snapshot)
    except Exception as exc:
        return bare_trace(snapshot, values, timings, artifacts,
                          f"the evidence could not be derived again: the stored project does not load ({exc})")
    return build_trace(project, values, timings, artifacts, witness)


def _same(replayed: Any, stored: Any) -> bool:
    """Whether a value written on replay is the stored one, as the store keeps values (NaN is null,
    numpy scalars are numbers, tuples are lists)."""
    from composite.store._codec import jsonable

    if isinstance(replayed, float) and math.isnan(replayed):
        replayed = None  # the missing-value rule: NaN written is null
    if isinstance(stored, float) and math.isnan(stored):
        stored = None
    return bool(jsonable(replayed) == jsonable(stored))


__all__ = ["bare_trace", "build_trace", "load_snapshot", "project_for", "register", "stored_trace"]
