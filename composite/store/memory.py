"""An in-memory DecisionStore: for tests and for callers that keep decisions elsewhere."""

from __future__ import annotations

import threading
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Sequence

from composite.errors import DecisionNotFound
from composite.store import DecisionSummary, Outcome
from composite.store._chain import (GENESIS, SHOWN, Link, check_limit, decision_digest, digest, id_range, in_window,
                                    link, resolve_prefix, utc_text)
from composite.store._codec import (decision_record, dumps, loads, record_body, record_decision,
                                    restore_nonfinite, with_temporal)

if TYPE_CHECKING:
    from composite.schemas import Decision


def _fields(record: dict[str, Any]) -> tuple[str | None, ...]:
    """A record's content as the SQLite store keeps it (so the chains of both read alike)."""
    return (record["id"], record["created_at"], record["project"], record["project_version"], record["project_hash"],
            record.get("batch_id"), dumps(record["outputs"]), record_body(record))


class MemoryStore:
    """Decisions kept as their stored JSON text, as a real store would keep them.

    Text, not objects: a million live decision objects would make every garbage collection
    rescan them (measured: 60% of decide's time after 10,000 decisions), and text round-trips
    exactly like the SQLite store's, so tests see what production sees.
    """

    url = "memory"

    def __init__(self) -> None:
        self._decisions: dict[str, str] = {}
        self._projects: dict[str, dict[str, Any]] = {}
        self._outcomes: list[tuple[int, str, str, str, str | None, str]] = []  # seq, id, value, at, note, chain
        self._links: dict[str, list[Link]] = {"decisions": [], "outcomes": []}
        self._lock = threading.Lock()

    def save_project(self, snapshot: dict[str, Any]) -> None:
        with self._lock:
            self._projects.setdefault(snapshot["hash"], loads(dumps(snapshot)))

    def save(self, decision: Decision) -> None:
        self.save_records([decision_record(decision)])

    def save_records(self, records: Iterable[dict[str, Any]]) -> int:
        # all or nothing: every record is encoded before any is kept
        staged = [(record["id"], dumps(record), decision_digest(_fields(record)))
                  for record in map(with_temporal, records)]
        with self._lock:
            links = self._links["decisions"]
            previous = links[-1].chain if links else GENESIS
            for decision_id, text, content in staged:
                if decision_id in self._decisions:
                    continue  # idempotent, as the other stores
                self._decisions[decision_id] = text
                previous = link(previous or GENESIS, content)
                links.append(Link(len(links) + 1, decision_id, content, previous))
        return len(staged)

    def get(self, decision_id: str) -> Decision:
        text = self._decisions.get(decision_id)
        if text is None:
            raise DecisionNotFound(f"no decision with id '{decision_id}' in this store", field="decision_id")
        record = loads(text)
        return record_decision(record, self._projects.get(record.get("project_hash", ""), {}))

    def project(self, project_hash: str) -> dict[str, Any]:
        try:
            return self._projects[project_hash]
        except KeyError:
            raise DecisionNotFound(f"no project snapshot {project_hash} in this store") from None

    def recent(self, limit: int = 20, *, since: str | None = None, until: str | None = None,
               batch_id: str | None = None, before: str | None = None) -> list[DecisionSummary]:
        since, until = utc_text(since, field="since"), utc_text(until, field="until")
        out = []
        with self._lock:
            ids = sorted(self._decisions, reverse=True)
        for decision_id in ids:
            if len(out) >= limit:
                break
            if before is not None and decision_id >= before:
                continue
            item = loads(self._decisions[decision_id])
            if item.get("shadow_of") is not None:
                continue  # a challenger's decision is not a decision anyone was given
            if batch_id is not None and item.get("batch_id") != batch_id:
                continue
            if not in_window(item["created_at"], since, until):
                continue
            outputs = restore_nonfinite(item["outputs"], (item.get("nonfinite") or {}).get("outputs"))
            out.append(DecisionSummary(item["id"], item["created_at"], item["project"], item["project_version"],
                                       outputs, item.get("batch_id")))
        return out

    def count(self) -> int:
        return len(self._decisions)

    def resolve(self, prefix: str) -> str:
        low, high = id_range(prefix)
        with self._lock:
            found = sorted(i for i in self._decisions if low <= i < high)
        return resolve_prefix(prefix, found[:SHOWN + 1], "this store")

    def records(self, *, since: str | None = None, until: str | None = None, batch_id: str | None = None,
                ids: Sequence[str] | None = None, limit: int | None = None,
                shadows: bool = False) -> Iterator[dict[str, Any]]:
        """The stored records `select` reads, as dicts (see _codec.decision_record); `shadows`: the
        challengers' decisions (records with `shadow_of`) instead of the others."""
        since, until = utc_text(since, field="since"), utc_text(until, field="until")
        limit = check_limit(limit)
        with self._lock:
            chosen = sorted(self._decisions) if ids is None else sorted(set(ids) & self._decisions.keys())
            texts = [self._decisions[i] for i in chosen]
        given = 0
        for text in texts:
            if limit is not None and given >= limit:
                return
            record = loads(text)
            if batch_id is not None and record.get("batch_id") != batch_id:
                continue
            if (record.get("shadow_of") is not None) != shadows:
                continue
            if not in_window(record["created_at"], since, until):
                continue
            given += 1
            yield record

    def select(self, *, since: str | None = None, until: str | None = None, batch_id: str | None = None,
               ids: Sequence[str] | None = None, limit: int | None = None,
               shadows: bool = False) -> Iterator[Decision]:
        for record in self.records(since=since, until=until, batch_id=batch_id, ids=ids, limit=limit,
                                   shadows=shadows):
            yield record_decision(record, self._projects.get(record.get("project_hash", ""), {}))

    def record_outcome(self, decision_id: str, value: Any, *, recorded_at: str | None = None,
                       note: str | None = None) -> None:
        at = utc_text(recorded_at, field="recorded_at") or datetime.now(timezone.utc).isoformat()
        text = dumps(value)
        with self._lock:
            if decision_id not in self._decisions:
                raise DecisionNotFound(f"no decision with id '{decision_id}' in this store", field="decision_id")
            links = self._links["outcomes"]
            content = digest((decision_id, text, at, note))
            chain = link(links[-1].chain or GENESIS if links else GENESIS, content)
            links.append(Link(len(links) + 1, decision_id, content, chain))
            self._outcomes.append((len(links), decision_id, text, at, note, chain))

    def outcomes(self, ids: Sequence[str] | None = None) -> dict[str, Outcome]:
        wanted = None if ids is None else set(ids)
        with self._lock:
            rows = list(self._outcomes)
        latest: dict[str, Outcome] = {}
        for _, decision_id, text, at, note, _ in rows:  # in write order: the last one wins
            if wanted is None or decision_id in wanted:
                latest[decision_id] = Outcome(decision_id, loads(text), at, note)
        return latest

    def chain(self, kind: str = "decisions") -> Iterator[Link]:
        with self._lock:
            return iter(list(self._links[kind]))

    def chain_head(self, kind: str = "decisions") -> tuple[int, str] | None:
        with self._lock:
            links = self._links[kind]
            return (links[-1].seq or 0, links[-1].chain or "") if links else None

    def close(self) -> None:
        pass
