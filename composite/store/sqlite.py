"""The SQLite DecisionStore: the default, one file, safe for several processes writing at once.

WAL journal, one transaction per decision or per batch, and a versioned schema migrated on open.
`sqlite:///path.db?mode=ro` opens an existing store read-only: nothing is written, not even at open.
"""

from __future__ import annotations

import sqlite3
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable
from urllib.parse import parse_qs, urlparse

from composite.errors import DecisionNotFound, StoreError
from composite.schemas import Decision
from composite.store import DecisionSummary
from composite.store._snapshots import SnapshotReader
from composite.store._codec import (decision_record, dumps, join_record, loads, record_body, record_decision,
                                    restore_nonfinite)

SCHEMA_VERSION = 1

# version -> statements that bring the schema from version-1 to version
MIGRATIONS: dict[int, list[str]] = {
    1: [
        """CREATE TABLE IF NOT EXISTS projects (
               hash TEXT PRIMARY KEY,
               name TEXT NOT NULL,
               version TEXT NOT NULL,
               saved_at TEXT NOT NULL,
               snapshot TEXT NOT NULL)""",
        """CREATE TABLE IF NOT EXISTS decisions (
               id TEXT PRIMARY KEY,
               created_at TEXT NOT NULL,
               project TEXT NOT NULL,
               project_version TEXT NOT NULL,
               project_hash TEXT NOT NULL,
               batch_id TEXT,
               outputs TEXT NOT NULL,
               record TEXT NOT NULL)""",
        "CREATE INDEX IF NOT EXISTS decisions_batch ON decisions(batch_id)",
    ],
}


class SQLiteStore(SnapshotReader):
    def __init__(self, url: str) -> None:
        parsed = urlparse(url)
        # sqlite:///relative.db and sqlite:////absolute.db, as SQLAlchemy spells them
        raw = url[len("sqlite:///"):] if url.startswith("sqlite:///") else parsed.path
        raw = raw.split("?", 1)[0]
        if not raw:
            raise StoreError(f"store URL '{url}' names no file; use sqlite:///path/to/decisions.db", field="store")
        self.path = Path(raw)
        self.url = url
        options = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
        synchronous = options.get("synchronous", "normal").upper()
        if synchronous not in ("OFF", "NORMAL", "FULL", "EXTRA"):
            raise StoreError(f"synchronous={synchronous.lower()} is not one of off, normal, full, extra", field="store")
        mode = options.get("mode", "rwc")
        if mode not in ("ro", "rw", "rwc"):
            raise StoreError(f"mode={mode} is not one of ro (read-only), rw, rwc", field="store")
        self.read_only = mode == "ro"
        try:
            if self.read_only:
                if not self.path.is_file():
                    raise StoreError(f"cannot open the SQLite store at {self.path} read-only: there is no such file",
                                     code="store_missing", field="store")
                self._db = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, timeout=60.0,
                                           isolation_level=None, check_same_thread=False)
            else:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._db = sqlite3.connect(self.path, timeout=60.0, isolation_level=None, check_same_thread=False)
                self._db.execute("PRAGMA journal_mode=WAL")
                # NORMAL in WAL mode survives a crash of the process; FULL also survives power loss.
                self._db.execute(f"PRAGMA synchronous={synchronous}")
            self._db.execute("PRAGMA busy_timeout=60000")
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the SQLite store at {self.path}: {exc}", field="store") from None
        self._lock = threading.Lock()
        self._known_projects: set[str] = set()
        self._snapshots: dict[str, dict[str, Any]] = {}
        self._migrate()

    def _migrate(self) -> None:
        with self._lock:
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"the store {self.path} has schema version {version}, newer than this composite "
                    f"understands ({SCHEMA_VERSION}); upgrade composite",
                    code="store_schema_newer",
                )
            if version == SCHEMA_VERSION:
                return
            if self.read_only:
                raise StoreError(f"the store {self.path} has schema version {version}, not {SCHEMA_VERSION}, and is opened "
                                 "read-only (mode=ro): open it writable once to create or upgrade it",
                                 code="store_schema_old", field="store")
            self._db.execute("BEGIN IMMEDIATE")
            try:
                version = self._db.execute("PRAGMA user_version").fetchone()[0]
                for target in range(version + 1, SCHEMA_VERSION + 1):
                    for statement in MIGRATIONS[target]:
                        self._db.execute(statement)
                    self._db.execute(f"PRAGMA user_version={target}")
                self._db.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise

    def _write(self, statements: list[tuple[str, Any]], *, many: bool = False) -> None:
        if self.read_only:
            raise StoreError(f"the store {self.path} is opened read-only (mode=ro): it cannot keep a decision; "
                             "decide with record=False, or open it without mode=ro", code="store_read_only", field="store")
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    for sql, params in statements:
                        (self._db.executemany if many else self._db.execute)(sql, params)
                    self._db.execute("COMMIT")
                except BaseException:
                    # SQLite may have rolled the transaction back already (a full disk does): a second
                    # ROLLBACK would fail with "cannot rollback" and hide the real error.
                    if self._db.in_transaction:
                        try:
                            self._db.execute("ROLLBACK")
                        except sqlite3.Error:
                            pass
                    raise
            except sqlite3.IntegrityError as exc:
                raise StoreError(f"the store refused the write: {exc}", code="store_conflict") from None
            except sqlite3.Error as exc:
                code = getattr(exc, "sqlite_errorcode", None)
                if code is not None and code & 0xFF == sqlite3.SQLITE_FULL:
                    raise StoreError(f"disk full: the store {self.path} has no room for this write; nothing of it was "
                                     "stored", code="store_full") from None
                if code is not None and code & 0xFF == sqlite3.SQLITE_READONLY:
                    raise StoreError(f"the store {self.path} is read-only: {exc}; nothing was stored",
                                     code="store_read_only") from None
                raise StoreError(f"writing to {self.path} failed: {exc}", code="store_write_failed") from None

    def save_project(self, snapshot: dict[str, Any]) -> None:
        if snapshot["hash"] in self._known_projects:
            return
        self._write([(
            "INSERT OR IGNORE INTO projects (hash, name, version, saved_at, snapshot) VALUES (?, ?, ?, ?, ?)",
            (snapshot["hash"], snapshot["name"], snapshot["version"], datetime.now(timezone.utc).isoformat(), dumps(snapshot)),
        )])
        self._known_projects.add(snapshot["hash"])

    _INSERT = ("INSERT INTO decisions (id, created_at, project, project_version, project_hash, batch_id, outputs, record)"
               " VALUES (?, ?, ?, ?, ?, ?, ?, ?)")

    @staticmethod
    def _row(record: dict[str, Any]) -> tuple[Any, ...]:
        # the fields with a column of their own are not repeated in the record's JSON
        return (record["id"], record["created_at"], record["project"], record["project_version"],
                record["project_hash"], record.get("batch_id"), dumps(record["outputs"]), record_body(record))

    def save(self, decision: Decision) -> None:
        self._write([(self._INSERT, self._row(decision_record(decision)))])

    def save_records(self, records: Iterable[dict[str, Any]]) -> int:
        rows = [self._row(record) for record in records]
        self._write([(self._INSERT, rows)], many=True)
        return len(rows)

    def get(self, decision_id: str) -> Decision:
        with self._lock:
            row = self._db.execute("SELECT record, id, created_at, project, project_version, project_hash, batch_id, "
                                   "outputs FROM decisions WHERE id = ?", (decision_id,)).fetchone()
        if row is None:
            raise DecisionNotFound(f"no decision with id '{decision_id}' in {self.path}", field="decision_id")
        record = join_record(row[0], {"id": row[1], "created_at": row[2], "project": row[3], "project_version": row[4],
                                      "project_hash": row[5], "batch_id": row[6], "outputs": loads(row[7])})
        return record_decision(record, self._snapshot(row[5]))

    def _read_snapshot(self, project_hash: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT snapshot FROM projects WHERE hash = ?", (project_hash,)).fetchone()
        return None if row is None else row[0]

    def _where(self) -> str:
        return str(self.path)

    def recent(self, limit: int = 20) -> list[DecisionSummary]:
        with self._lock:
            rows = self._db.execute(
                "SELECT id, created_at, project, project_version, outputs, batch_id,"
                " json_extract(record, '$.nonfinite.outputs') FROM decisions ORDER BY id DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [DecisionSummary(r[0], r[1], r[2], r[3], restore_nonfinite(loads(r[4]), r[6] and loads(r[6])), r[5])
                for r in rows]

    def count(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM decisions").fetchone()[0]

    def close(self) -> None:
        with self._lock:
            self._db.close()
