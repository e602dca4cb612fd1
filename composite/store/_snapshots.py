"""Project snapshots read once per version, for the stores that keep them in a table."""

from __future__ import annotations

from typing import Any, Iterator, Sequence

from composite.errors import DecisionNotFound
from composite.store._codec import loads, record_decision


class SnapshotReader:
    """`project(hash)` and `_snapshot(hash)` over a store's `_read_snapshot(hash)`.

    A snapshot is named by its content hash, so it never changes: it is read once per version and
    kept (`_snapshots`), with every artifact's text that all decisions of that version share.
    """

    _snapshots: dict[str, dict[str, Any]]

    def _read_snapshot(self, project_hash: str) -> str | bytes | None:
        """The stored snapshot's JSON, or None."""
        raise NotImplementedError

    def records(self, **filters: Any) -> Iterator[dict[str, Any]]:
        """The stored records, in id order (each store's own)."""
        raise NotImplementedError

    def select(self, *, since: str | None = None, until: str | None = None, batch_id: str | None = None,
               ids: Sequence[str] | None = None, limit: int | None = None, shadows: bool = False) -> Iterator[Any]:
        """Stored decisions in id order (see DecisionStore.select), each with its project snapshot."""
        for record in self.records(since=since, until=until, batch_id=batch_id, ids=ids, limit=limit,
                                   shadows=shadows):
            yield record_decision(record, self._snapshot(record["project_hash"]))

    def _where(self) -> str:
        """The store, as its messages name it."""
        raise NotImplementedError

    def _snapshot(self, project_hash: str) -> dict[str, Any]:
        try:
            return self.project(project_hash)
        except DecisionNotFound:
            return {}

    def project(self, project_hash: str) -> dict[str, Any]:
        cached = self._snapshots.get(project_hash)
        if cached is not None:
            return cached
        text = self._read_snapshot(project_hash)
        if text is None:
            raise DecisionNotFound(f"no project snapshot {project_hash} in {self._where()}")
        cached = self._snapshots[project_hash] = loads(text)
        return cached
