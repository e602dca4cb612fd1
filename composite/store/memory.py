"""An in-memory DecisionStore: for tests and for callers that keep decisions elsewhere."""

from __future__ import annotations

import threading
from typing import Any, Iterable

from composite.errors import DecisionNotFound
from composite.schemas import Decision
from composite.store import DecisionSummary
from composite.store._codec import dumps, loads, record_decision


class MemoryStore:
    url = "memory"

    def __init__(self) -> None:
        self._decisions: dict[str, Decision | dict[str, Any]] = {}
        self._projects: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def save_project(self, snapshot: dict[str, Any]) -> None:
        with self._lock:
            self._projects.setdefault(snapshot["hash"], loads(dumps(snapshot)))

    def save(self, decision: Decision) -> None:
        with self._lock:
            self._decisions[decision.id] = decision

    def save_records(self, records: Iterable[dict[str, Any]]) -> int:
        staged = {record["id"]: record for record in records}  # all or nothing
        with self._lock:
            self._decisions.update(staged)
        return len(staged)

    def get(self, decision_id: str) -> Decision:
        item = self._decisions.get(decision_id)
        if item is None:
            raise DecisionNotFound(f"no decision with id '{decision_id}' in this store", field="decision_id")
        if isinstance(item, Decision):
            return item
        snapshot = self._projects.get(item.get("project_hash", ""), {})
        return record_decision(loads(dumps(item)), snapshot)

    def project(self, project_hash: str) -> dict[str, Any]:
        try:
            return self._projects[project_hash]
        except KeyError:
            raise DecisionNotFound(f"no project snapshot {project_hash} in this store") from None

    def recent(self, limit: int = 20) -> list[DecisionSummary]:
        ids = sorted(self._decisions, reverse=True)[:limit]
        out = []
        for decision_id in ids:
            item = self._decisions[decision_id]
            if isinstance(item, Decision):
                out.append(DecisionSummary(item.id, item.created_at.isoformat(), item.project, item.project_version,
                                           item.outputs, item.batch_id))
            else:
                out.append(DecisionSummary(item["id"], item["created_at"], item["project"], item["project_version"],
                                           item["outputs"], item.get("batch_id")))
        return out

    def count(self) -> int:
        return len(self._decisions)

    def close(self) -> None:
        pass
