"""DecisionStore: where decisions are kept so they can be explained later.

`open_store(url)` picks the implementation: "memory", "sqlite:///path.db", "postgresql://...";
`open_store(url, read_only=True)` one that reads and never writes (for explain and history).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Protocol, Sequence, runtime_checkable

from composite.errors import StoreError

STORE_ENV = "COMPOSITE_STORE_URL"

if TYPE_CHECKING:  # annotations only: listing decisions needs no pydantic model
    from composite.schemas import Decision


@dataclass(frozen=True)
class DecisionSummary:
    """One line of `composite history`."""

    id: str
    created_at: str
    project: str
    project_version: str
    outputs: dict[str, Any]
    batch_id: str | None = None


@dataclass(frozen=True)
class Outcome:
    """What happened after a decision (repaid, default, claim fraudulent ...), recorded later.

    Kept apart from the decision, append-only: recording another outcome for the same decision adds
    a row, and `outcomes()` answers the latest."""

    decision_id: str
    value: Any
    recorded_at: str
    note: str | None = None


@runtime_checkable
class DecisionStore(Protocol):
    """Keeps decisions and project snapshots. Every write is all-or-nothing."""

    url: str

    def save_project(self, snapshot: dict[str, Any]) -> None:
        """Keep a project version's snapshot (idempotent: once per project hash)."""

    def save(self, decision: Decision) -> None:
        """Keep one decision in one transaction."""

    def save_records(self, records: Iterable[dict[str, Any]]) -> int:
        """Keep many decision records (see `_codec.decision_record`) in one transaction."""

    def get(self, decision_id: str) -> Decision:
        """The decision, or DecisionNotFound."""

    def project(self, project_hash: str) -> dict[str, Any]:
        """The snapshot saved for that project hash, or DecisionNotFound."""

    def recent(self, limit: int = 20, *, since: str | None = None, until: str | None = None,
               batch_id: str | None = None, before: str | None = None) -> list[DecisionSummary]:
        """The newest decisions first (a challenger's shadow decisions are not among them): made at or
        after `since` and before `until` (ISO 8601, UTC without a zone), of one batch, with ids
        before `before` (to read on from the last id of a page)."""

    def count(self) -> int: ...

    def resolve(self, prefix: str) -> str:
        """The id `prefix` names: itself when stored, else the one id that starts with it (at least
        6 characters). DecisionNotFound otherwise; code "ambiguous_id" names up to 5 candidates."""

    def select(self, *, since: str | None = None, until: str | None = None, batch_id: str | None = None,
               ids: Sequence[str] | None = None, limit: int | None = None,
               shadows: bool = False) -> Iterator[Decision]:
        """Stored decisions in id order (oldest first), read in pages as they are consumed.

        `since` (inclusive) and `until` (exclusive) are ISO 8601 times compared with `created_at`
        (a time without a zone is UTC); `ids` keeps only those ids (unknown ones are skipped).
        `shadows=True` reads the challengers' shadow decisions instead (records whose JSON has
        `shadow_of`, the champion decision's id, and `challenger`, docs/challengers.md); by default
        they are left out, as `recent` leaves them out. `records(...)` takes the same arguments and
        gives the stored record dicts."""

    def record_outcome(self, decision_id: str, value: Any, *, recorded_at: str | None = None,
                       note: str | None = None) -> None:
        """Keep what happened after a stored decision (DecisionNotFound for an unknown id)."""

    def outcomes(self, ids: Sequence[str] | None = None) -> dict[str, Outcome]:
        """The latest outcome of each decision that has one (of `ids`, when given)."""

    def chain(self, kind: str = "decisions") -> Iterator[Any]:
        """The rows of a hash chain ("decisions" or "outcomes") in write order, as `_chain.Link`s,
        then the rows that have no place in it (seq missing)."""

    def chain_head(self, kind: str = "decisions") -> tuple[int, str] | None:
        """The last seq and chain value written to a chain, or None when it is empty."""

    def close(self) -> None: ...


def open_store(url: str | None, *, default_root: Path | None = None, read_only: bool = False) -> DecisionStore:
    """A store from its URL; None means SQLite under the project's .composite/ folder.

    `read_only=True`: a store that never writes, not even at open: SQLite opened `mode=ro` (a missing
    file is an error, not a new store), PostgreSQL in read-only transactions; neither creates nor
    migrates a schema (an older one is refused, saying to run a writing command once)."""
    if url is None:
        root = default_root or Path.cwd()
        url = f"sqlite:///{(root / '.composite' / 'decisions.db').as_posix()}"
    if url == "memory":
        from composite.store.memory import MemoryStore

        return MemoryStore()
    if url.startswith("sqlite://"):
        from composite.store.sqlite import SQLiteStore

        return SQLiteStore(url, read_only=read_only)
    if url.startswith(("postgresql://", "postgres://")):
        try:
            from composite.store.postgres import PostgresStore  # type: ignore[import-not-found]
        except ModuleNotFoundError:
            raise StoreError("the PostgreSQL store is not available in this version of composite",
                             code="store_unavailable", field="store") from None
        return PostgresStore(url, read_only=read_only)
    raise StoreError(
        f"unknown store URL '{url}'; use 'memory', 'sqlite:///path/to/file.db' or 'postgresql://...'",
        code="unknown_store",
        field="store",
    )


def project_store(path: str | os.PathLike[str], url: str | None = None, *, read_only: bool = False) -> DecisionStore:
    """The store of the project at `path`: `url`, else $COMPOSITE_STORE_URL, else SQLite in the
    project's .composite/ folder (beside a .dmn or .fll file given as the project)."""
    source = Path(path)
    url = url if url is not None else os.environ.get(STORE_ENV) or None
    return open_store(url, default_root=source if source.is_dir() else source.parent, read_only=read_only)


__all__ = ["STORE_ENV", "DecisionStore", "DecisionSummary", "Outcome", "open_store", "project_store"]
