"""The SQLite DecisionStore: the default, one file, safe for several processes writing at once.

WAL journal, one transaction per decision or per batch, and a versioned schema migrated on open.
`sqlite:///path.db?mode=ro` (or `read_only=True`) opens an existing store read-only: nothing is
written to it, not even at open, no -wal or -shm file is made beside it (see _QuietReader), and an
older schema is refused rather than migrated.
Every row is hash-chained in write order (see _chain.py) inside its write transaction; a
decision's place and chain value are kept in `decision_chain`, beside its row (in the row, 50
bytes more would leave a third fewer decisions per page); `?chain=off` writes without the chain
(a baseline for measuring its cost; `verify` then reports those rows as unchained).
"""

from __future__ import annotations

import os
import sqlite3
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Sequence
from urllib.parse import parse_qs, urlparse

from composite.errors import DecisionNotFound, StoreError
from composite.store import DecisionSummary, Outcome
from composite.store._chain import (GENESIS, PAGE as _PAGE, SHOWN, Link, decision_digest, digest, extend, id_range,
                                    link, paged_rows, resolve_prefix, summary_clauses, utc_text)
from composite.store._snapshots import SnapshotReader
from composite.store._codec import (decision_record, dumps, join_record, loads, record_body, record_decision,
                                    restore_nonfinite, with_temporal)

if TYPE_CHECKING:
    from composite.schemas import Decision

SCHEMA_VERSION = 3



def _chain_existing(db: sqlite3.Connection) -> None:
    """Chain the decisions a version-1 store holds, in id order (their write order is not known)."""
    previous, seq = GENESIS, 0
    rows = db.execute("SELECT id, created_at, project, project_version, project_hash, batch_id, outputs, record"
                      " FROM decisions ORDER BY id").fetchall()
    updates = []
    for row in rows:
        seq += 1
        previous = link(previous, decision_digest(row))
        updates.append((seq, previous, row[0]))
    db.executemany("INSERT INTO decision_chain (seq, chain, id) VALUES (?, ?, ?)", updates)
    if updates:
        db.execute("INSERT INTO chain_head (name, seq, chain) VALUES ('decisions', ?, ?)", (seq, previous))


# version -> statements (or functions of the connection) that bring the schema from version-1 to version
MIGRATIONS: dict[int, list[str | Callable[[sqlite3.Connection], None]]] = {
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
    2: [
        # the hash chain (_chain.py): place in write order and chain value; outcomes apart
        """CREATE TABLE IF NOT EXISTS decision_chain (
               seq INTEGER PRIMARY KEY,
               id TEXT NOT NULL,
               chain TEXT NOT NULL)""",
        # no index on seq: it would cost a bulk write a sixth of the chain's price; verify, the one
        # reader in seq order, sorts the (seq, rowid) pairs once instead
        "CREATE INDEX IF NOT EXISTS decisions_created ON decisions(created_at)",
        """CREATE TABLE IF NOT EXISTS outcomes (
               seq INTEGER PRIMARY KEY,
               decision_id TEXT NOT NULL,
               value TEXT NOT NULL,
               recorded_at TEXT NOT NULL,
               note TEXT,
               chain TEXT NOT NULL)""",
        "CREATE INDEX IF NOT EXISTS outcomes_decision ON outcomes(decision_id, seq)",
        """CREATE TABLE IF NOT EXISTS chain_head (
               name TEXT PRIMARY KEY,
               seq INTEGER NOT NULL,
               chain TEXT NOT NULL)""",
        _chain_existing,
    ],
    3: [
        # a challenger's decision names the champion decision it shadows (also in its chained JSON
        # body; this column only finds them). Partial index: a champion's row costs no index entry.
        "ALTER TABLE decisions ADD COLUMN shadow_of TEXT",
        "CREATE INDEX IF NOT EXISTS decisions_shadow ON decisions(shadow_of) WHERE shadow_of IS NOT NULL",
    ],
}


class _Rows:
    """Rows read whole, answering as the cursor that read them would."""

    def __init__(self, rows: list[Any]) -> None:
        self._rows = rows

    def fetchone(self) -> Any:
        return self._rows[0] if self._rows else None

    def fetchall(self) -> list[Any]:
        return self._rows

    def __iter__(self) -> Iterator[Any]:
        return iter(self._rows)


class _QuietReader:
    """A read-only connection that leaves nothing beside the store.

    SQLite's `mode=ro` on a WAL database makes the -wal and -shm files beside it when they are not
    there (owned by the reading user: a service running as another user may then not open them).
    When no -wal file is there, every committed write is in the database file itself, so it is read
    as immutable, which opens nothing else; each read then checks that no writer came meanwhile
    (a -wal appeared, or the file changed by a checkpoint) and, if one did, reads again through the
    WAL (plain `mode=ro`) from then on."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._uri = path.resolve().as_uri()
        self._wal = Path(f"{path}-wal")
        self._stamp: tuple[int, int, int] | None = None
        self._db = self._open()

    def _file(self) -> tuple[int, int, int]:
        st = os.stat(self.path)
        return st.st_mtime_ns, st.st_size, st.st_ino

    def _connect(self, query: str) -> sqlite3.Connection:
        return sqlite3.connect(f"{self._uri}?{query}", uri=True, timeout=60.0, isolation_level=None,
                               check_same_thread=False)

    def _open(self) -> sqlite3.Connection:
        if not self._wal.exists():
            stamp = self._file()
            if not self._wal.exists():
                self._stamp = stamp
                return self._connect("mode=ro&immutable=1")
        self._stamp = None
        return self._connect("mode=ro")

    def _changed(self) -> bool:
        return self._stamp is not None and (self._wal.exists() or self._file() != self._stamp)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> _Rows:
        rows = self._db.execute(sql, params).fetchall()
        if self._changed():
            self._db.close()
            self._stamp = None
            self._db = self._connect("mode=ro")
            rows = self._db.execute(sql, params).fetchall()
        return _Rows(rows)

    def close(self) -> None:
        self._db.close()


class SQLiteStore(SnapshotReader):
    def __init__(self, url: str, *, read_only: bool = False) -> None:
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
        chain = options.get("chain", "on")
        if chain not in ("on", "off"):
            raise StoreError(f"chain={chain} is not one of on, off", field="store")
        self.chained = chain == "on"
        mode = options.get("mode", "rwc")
        if mode not in ("ro", "rw", "rwc"):
            raise StoreError(f"mode={mode} is not one of ro (read-only), rw, rwc", field="store")
        self.read_only = read_only or mode == "ro"
        try:
            if self.read_only:
                if not self.path.is_file():
                    raise StoreError(f"cannot open the SQLite store at {self.path} read-only: there is no such file",
                                     code="store_missing", field="store")
                self._db: Any = _QuietReader(self.path)
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
            try:
                version = self._db.execute("PRAGMA user_version").fetchone()[0]
            except sqlite3.DatabaseError as exc:
                raise StoreError(f"cannot read the SQLite store at {self.path}: {exc}", code="store_unreadable",
                                 field="store") from None
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"the store {self.path} has schema version {version}, newer than this composite "
                    f"understands ({SCHEMA_VERSION}); upgrade composite",
                    code="store_schema_newer",
                )
            if version == SCHEMA_VERSION:
                return
            if self.read_only and version == 0:
                raise StoreError(f"{self.path} holds no composite store (schema version 0), and opened read-only "
                                 "it is not made one: name a store that composite wrote", code="store_schema_old",
                                 field="store")
            if self.read_only:
                raise StoreError(f"the store {self.path} has schema version {version}, older than this composite's "
                                 f"({SCHEMA_VERSION}), and is opened read-only: run a writing command on it once "
                                 "(composite decide, or outcome) to migrate it", code="store_schema_old", field="store")
            self._db.execute("BEGIN IMMEDIATE")
            try:
                version = self._db.execute("PRAGMA user_version").fetchone()[0]
                for target in range(version + 1, SCHEMA_VERSION + 1):
                    for statement in MIGRATIONS[target]:
                        if callable(statement):
                            statement(self._db)
                        else:
                            self._db.execute(statement)
                    self._db.execute(f"PRAGMA user_version={target}")
                self._db.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise

    def _write(self, statements: list[tuple[str, Any]], *, many: bool = False) -> None:
        def work(db: sqlite3.Connection) -> None:
            for sql, params in statements:
                (db.executemany if many else db.execute)(sql, params)

        self._transaction(work)

    def _transaction(self, work: Callable[[sqlite3.Connection], Any]) -> Any:
        if self.read_only:
            raise StoreError(f"the store {self.path} is opened read-only (mode=ro): it cannot keep a decision; "
                             "decide with record=False, or open it without mode=ro", code="store_read_only", field="store")
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    result = work(self._db)
                    self._db.execute("COMMIT")
                    return result
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

    _INSERT = ("INSERT INTO decisions (id, created_at, project, project_version, project_hash, batch_id, outputs,"
               " record, shadow_of) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
    _CHAIN = "INSERT INTO decision_chain (seq, id, chain) VALUES (?, ?, ?)"

    @staticmethod
    def _row(record: dict[str, Any]) -> tuple[Any, ...]:
        # the fields with a column of their own are not repeated in the record's JSON; `shadow_of`
        # stays in it too (the chain digests the first eight fields, so it covers the link)
        return (record["id"], record["created_at"], record["project"], record["project_version"],
                record["project_hash"], record.get("batch_id"), dumps(record["outputs"]), record_body(record),
                record.get("shadow_of"))

    def save(self, decision: Decision) -> None:
        self._insert([self._row(decision_record(decision))])

    def save_records(self, records: Iterable[dict[str, Any]]) -> int:
        rows = [self._row(with_temporal(record)) for record in records]
        self._insert(rows)
        return len(rows)

    def _insert(self, rows: list[tuple[Any, ...]]) -> None:
        if not self.chained:
            self._write([(self._INSERT, rows)], many=True)
            return
        digests = [decision_digest(row) for row in rows]  # outside the lock: only the linking waits for the head

        def work(db: sqlite3.Connection) -> None:
            seq, previous = _head(db, "decisions")
            chains = extend(previous, digests)
            db.executemany(self._INSERT, rows)
            db.executemany(self._CHAIN, [(seq + i, row[0], chain)
                                         for i, (row, chain) in enumerate(zip(rows, chains), 1)])
            if rows:
                _set_head(db, "decisions", seq + len(rows), chains[-1])

        self._transaction(work)

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

    def recent(self, limit: int = 20, *, since: str | None = None, until: str | None = None,
               batch_id: str | None = None, before: str | None = None) -> list[DecisionSummary]:
        clauses, params = summary_clauses("?", since=since, until=until, batch_id=batch_id, before=before)
        with self._lock:
            rows = self._db.execute(
                "SELECT id, created_at, project, project_version, outputs, batch_id,"
                " json_extract(record, '$.nonfinite.outputs') FROM decisions WHERE "
                + " AND ".join(["shadow_of IS NULL", *clauses]) + " ORDER BY id DESC LIMIT ?",
                (*params, limit),
            ).fetchall()
        return [DecisionSummary(r[0], r[1], r[2], r[3], restore_nonfinite(loads(r[4]), r[6] and loads(r[6])), r[5])
                for r in rows]

    def count(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM decisions").fetchone()[0]

    def resolve(self, prefix: str) -> str:
        low, high = id_range(prefix)
        with self._lock:
            rows = self._db.execute("SELECT id FROM decisions WHERE id >= ? AND id < ? ORDER BY id LIMIT ?",
                                    (low, high, SHOWN + 1)).fetchall()
        return resolve_prefix(prefix, [row[0] for row in rows], str(self.path))

    # -- reading many, outcomes, the chain ------------------------------------------------------

    _RECORD = "SELECT record, id, created_at, project, project_version, project_hash, batch_id, outputs FROM decisions"

    def records(self, *, since: str | None = None, until: str | None = None, batch_id: str | None = None,
                ids: Sequence[str] | None = None, limit: int | None = None,
                shadows: bool = False) -> Iterator[dict[str, Any]]:
        """The stored records `select` reads, as dicts (see _codec.decision_record), a page at a time."""
        shadow_clause = "shadow_of IS NOT NULL" if shadows else "shadow_of IS NULL"

        def fetch(clauses: list[str], args: list[Any], page: int) -> list[Any]:
            clauses = [*clauses, shadow_clause]
            with self._lock:
                return self._db.execute(f"{self._RECORD} WHERE {' AND '.join(clauses)} ORDER BY id LIMIT ?",
                                        (*args, page)).fetchall()

        for row in paged_rows(fetch, lambda row: row[1], placeholder="?",
                              ids_clause=lambda chunk: (f"id IN ({', '.join('?' * len(chunk))})", list(chunk)),
                              since=since, until=until, batch_id=batch_id, ids=ids, limit=limit):
            yield join_record(row[0], {"id": row[1], "created_at": row[2], "project": row[3],
                                       "project_version": row[4], "project_hash": row[5], "batch_id": row[6],
                                       "outputs": loads(row[7])})

    def record_outcome(self, decision_id: str, value: Any, *, recorded_at: str | None = None,
                       note: str | None = None) -> None:
        at = utc_text(recorded_at, field="recorded_at") or datetime.now(timezone.utc).isoformat()
        text = dumps(value)
        content = digest((decision_id, text, at, note))

        def work(db: sqlite3.Connection) -> None:
            if db.execute("SELECT 1 FROM decisions WHERE id = ?", (decision_id,)).fetchone() is None:
                raise DecisionNotFound(f"no decision with id '{decision_id}' in {self.path}", field="decision_id")
            seq, previous = _head(db, "outcomes")
            chain = link(previous, content)
            db.execute("INSERT INTO outcomes (seq, decision_id, value, recorded_at, note, chain)"
                       " VALUES (?, ?, ?, ?, ?, ?)", (seq + 1, decision_id, text, at, note, chain))
            _set_head(db, "outcomes", seq + 1, chain)

        self._transaction(work)

    def outcomes(self, ids: Sequence[str] | None = None) -> dict[str, Outcome]:
        latest = ("SELECT decision_id, value, recorded_at, note FROM outcomes o WHERE seq ="
                  " (SELECT max(seq) FROM outcomes WHERE decision_id = o.decision_id)")
        out: dict[str, Outcome] = {}
        with self._lock:
            if ids is None:
                rows = self._db.execute(latest + " ORDER BY decision_id").fetchall()
            else:
                wanted, rows = sorted(set(ids)), []
                for at in range(0, len(wanted), 500):
                    chunk = wanted[at:at + 500]
                    rows += self._db.execute(f"{latest} AND decision_id IN ({', '.join('?' * len(chunk))})",
                                             chunk).fetchall()
        for decision_id, value, recorded_at, note in rows:
            out[decision_id] = Outcome(decision_id, loads(value), recorded_at, note)
        return out

    _DECISION = "id, created_at, project, project_version, project_hash, batch_id, outputs, record"

    def chain(self, kind: str = "decisions") -> Iterator[Link]:
        if kind == "outcomes":
            select = "SELECT seq, decision_id, decision_id, value, recorded_at, note, chain FROM outcomes"
        else:
            select = (f"SELECT c.seq, c.id, {', '.join('d.' + c for c in self._DECISION.split(', '))}, c.chain"
                      " FROM decision_chain c LEFT JOIN decisions d ON d.id = c.id")
        after = -(1 << 62)
        chained: set[str] = set()
        while True:
            with self._lock:
                rows = self._db.execute(f"{select} WHERE seq > ? ORDER BY seq LIMIT ?", (after, _PAGE)).fetchall()
            if not rows:
                break
            for row in rows:
                if kind == "decisions":
                    chained.add(row[1])
                    if row[2] is None:  # its decision is gone
                        yield Link(row[0], row[1], "", row[-1], missing=True)
                        continue
                yield Link(row[0], row[1], (decision_digest if kind == "decisions" else digest)(row[2:-1]), row[-1])
            after = rows[-1][0]
        if kind == "decisions":  # the decisions that have no place in the chain
            with self._lock:
                ids = [row[0] for row in self._db.execute("SELECT id FROM decisions ORDER BY id")]
            for decision_id in (i for i in ids if i not in chained):
                with self._lock:
                    row = self._db.execute(f"SELECT {self._DECISION} FROM decisions WHERE id = ?",
                                           (decision_id,)).fetchone()
                if row is not None:
                    yield Link(None, decision_id, decision_digest(row), None)

    def chain_head(self, kind: str = "decisions") -> tuple[int, str] | None:
        with self._lock:
            row = self._db.execute("SELECT seq, chain FROM chain_head WHERE name = ?", (kind,)).fetchone()
        return None if row is None else (row[0], row[1])

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _head(db: sqlite3.Connection, name: str) -> tuple[int, str]:
    row = db.execute("SELECT seq, chain FROM chain_head WHERE name = ?", (name,)).fetchone()
    return (0, GENESIS) if row is None else (row[0], row[1])


def _set_head(db: sqlite3.Connection, name: str, seq: int, chain: str) -> None:
    db.execute("INSERT INTO chain_head (name, seq, chain) VALUES (?, ?, ?)"
               " ON CONFLICT (name) DO UPDATE SET seq = excluded.seq, chain = excluded.chain", (name, seq, chain))
