"""The PostgreSQL DecisionStore: one database shared by many replicas of the service.

psycopg 3 with a small pool opened on first use; a versioned schema created on first use; one
transaction per decision or per batch (a batch goes in by COPY). A lost connection is retried a
bounded number of times, and every write is idempotent (the decision id is the primary key), so
a retry after a commit whose acknowledgement was lost neither fails nor stores a decision twice.
"""

from __future__ import annotations

import contextlib
import random
import threading
import time
from datetime import datetime, timezone
from typing import Any, Callable, ContextManager, Iterable, Iterator, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from composite.errors import DecisionNotFound, StoreError
from composite.schemas import Decision
from composite.store import DecisionSummary
from composite.store._snapshots import SnapshotReader
from composite.store._codec import (COLUMNS, decision_record, dumps, join_record, loads, record_body, record_decision,
                                    restore_nonfinite)

try:
    import psycopg
    from psycopg_pool import ConnectionPool, PoolTimeout
except ImportError:  # the extra is not installed: say how to install it when the store is opened
    psycopg = None  # type: ignore[assignment]

SCHEMA_VERSION = 1

# Any number that is ours: pg_advisory_xact_lock(LOCK) serialises schema creation and migrations
# between processes opening a fresh database at once (CREATE TABLE IF NOT EXISTS alone races).
LOCK = 0x636F6D706F73  # "compos"

# version -> statements that bring the schema from version-1 to version
MIGRATIONS: dict[int, list[str]] = {
    1: [
        """CREATE TABLE IF NOT EXISTS projects (
               hash text COLLATE "C" PRIMARY KEY,
               name text NOT NULL,
               version text NOT NULL,
               saved_at timestamptz NOT NULL,
               snapshot text NOT NULL)""",
        # ids are hex and time-ordered: the C collation sorts them as bytes, cheaply. `body` is the
        # record's JSON without the fields that have columns of their own (half of a compact
        # record's bytes); rows stay inline up to a page (toast_tuple_target): compressing each
        # one would cost more than it saves.
        """CREATE TABLE IF NOT EXISTS decisions (
               id text COLLATE "C" PRIMARY KEY,
               created_at text NOT NULL,
               project text NOT NULL,
               project_version text NOT NULL,
               project_hash text COLLATE "C" NOT NULL,
               batch_id text COLLATE "C",
               outputs text NOT NULL,
               body text NOT NULL) WITH (toast_tuple_target = 8160)""",
        "CREATE INDEX IF NOT EXISTS decisions_batch ON decisions (batch_id)",
    ],
}

# The record's fields kept in columns of their own (_codec.COLUMNS), in COPY's column order: the
# ones a batch shares first, so their escaped text is made once per batch (see _copy_chunks).
_IN_COLUMNS = ("created_at", "project", "project_version", "project_hash", "batch_id", "id", "outputs")
assert set(_IN_COLUMNS) == set(COLUMNS)
_COLUMNS = ", ".join(_IN_COLUMNS) + ", body"
_PLACEHOLDERS = ", ".join(["%s"] * (len(_IN_COLUMNS) + 1))

# URL query parameters that are ours; every other one goes to libpq (connect_timeout, sslmode, ...).
_OPTIONS = {"retries": 5, "pool_size": 4}

# SQLSTATEs after which the same transaction may simply be run again: the connection was lost or
# the server was going down or starting up (class 08, 57P01-57P03), or PostgreSQL chose us to
# roll back (serialization failure, deadlock).
_RETRYABLE = ("08000", "08001", "08003", "08004", "08006", "08007", "57P01", "57P02", "57P03", "40001", "40P01")
# Failures to connect that no retry will mend.
_FOR_GOOD = ("authentication failed", "does not exist", "no pg_hba.conf entry", "role", "password",
             "invalid URI", "invalid connection option", "could not translate host name")

T = TypeVar("T")


class PostgresStore(SnapshotReader):
    """Decisions in PostgreSQL, in the same record format as the SQLite store.

    `postgresql://user:password@host:port/database?retries=5&pool_size=4`: `retries` is how many
    times a write (or read) is tried again after a lost connection, `pool_size` the most
    connections this process holds; any other parameter is libpq's.
    """

    def __init__(self, url: str) -> None:
        if psycopg is None:
            raise StoreError("the PostgreSQL store needs psycopg and psycopg-pool: pip install 'composite[postgres]'",
                             code="store_unavailable", field="store")
        self.url = url
        parts = urlsplit(url)
        query, options = [], dict(_OPTIONS)
        for key, value in parse_qsl(parts.query, keep_blank_values=True):
            if key in options:
                try:
                    options[key] = int(value)
                except ValueError:
                    raise StoreError(f"{key}={value} in the store URL is not a whole number", field="store") from None
            else:
                query.append((key, value))
        if options["retries"] < 0 or options["pool_size"] < 1:
            raise StoreError("retries must be 0 or more and pool_size 1 or more in the store URL", field="store")
        self.retries = options["retries"]
        self.pool_size = options["pool_size"]
        self._conninfo = urlunsplit(("postgresql", parts.netloc, parts.path, urlencode(query), ""))
        try:
            info = psycopg.conninfo.conninfo_to_dict(self._conninfo)
        except psycopg.ProgrammingError as exc:
            raise StoreError(f"store URL '{url}' is not a PostgreSQL URL: {exc}", field="store") from None
        self._connect_args: dict[str, Any] = {"client_encoding": "utf8"}
        if "connect_timeout" not in info:
            self._connect_args["connect_timeout"] = 5
        host = info.get("host") or info.get("hostaddr") or "localhost"
        self.where = f"{host}:{info.get('port') or 5432}/{info.get('dbname') or info.get('user') or ''}"
        self._lock = threading.Lock()
        self._pool: ConnectionPool | None = None
        self._ready = False
        self._closed = False
        self._known_projects: set[str] = set()
        self._snapshots: dict[str, dict[str, Any]] = {}

    # -- connections, retries, errors -----------------------------------------------------------

    def _connections(self) -> ContextManager[Any]:
        if not self._ready:
            with self._lock:
                if self._closed:
                    raise StoreError(f"the store {self.where} is closed", code="store_closed", field="store")
                if not self._ready:
                    # Its own connection, not the pool's: a refused connection says why at once.
                    self._retrying(self._direct, self._migrate, write=True)
                    # Autocommit: a single statement is its own transaction, in one round trip
                    # (not BEGIN, statement, COMMIT); writes of several statements open one.
                    self._pool = ConnectionPool(self._conninfo, min_size=1, max_size=self.pool_size, open=False,
                                                kwargs={**self._connect_args, "autocommit": True},
                                                name=f"composite {self.where}")
                    self._pool.open(wait=False)
                    self._ready = True
        if self._pool is None:
            raise StoreError(f"the store {self.where} is closed", code="store_closed", field="store")
        return self._pool.connection(timeout=3.0)

    @contextlib.contextmanager
    def _direct(self) -> Iterator[Any]:
        with psycopg.connect(self._conninfo, **self._connect_args) as conn:
            yield conn

    @staticmethod
    def _commit(conn: Any) -> None:
        # The one place a piece of work ends (a no-op on the pool's autocommit connections, whose
        # work has committed by now): a test loses its acknowledgement here.
        conn.commit()

    def _run(self, work: Callable[[Any], T], *, write: bool) -> T:
        return self._retrying(self._connections, work, write=write)

    def _retrying(self, connections: Callable[[], ContextManager[Any]], work: Callable[[Any], T], *, write: bool) -> T:
        """`work(connection)` in one transaction, run again on a fresh connection after a lost one."""
        delay = 0.1
        started = time.monotonic()
        for attempt in range(self.retries + 1):
            try:
                with connections() as conn:
                    result = work(conn)
                    self._commit(conn)
                    return result
            except psycopg.Error as exc:
                if not _retryable(exc) or attempt == self.retries:
                    raise self._error(exc, write=write, attempts=attempt + 1, since=started) from None
                if self._pool is not None:
                    with contextlib.suppress(Exception):
                        self._pool.check()  # drop the other connections the server lost with this one
                time.sleep(delay * random.uniform(0.8, 1.2))
                delay = min(delay * 2, 2.0)
        raise AssertionError("unreachable")  # pragma: no cover

    def _error(self, exc: Exception, *, write: bool, attempts: int, since: float) -> StoreError:
        state = getattr(exc, "sqlstate", None) or ""
        if isinstance(exc, PoolTimeout):
            exc = self._diagnose() or exc
        if isinstance(exc, psycopg.OperationalError) and (not state or state.startswith(("08", "57P"))):
            tried = f" after {attempts} attempts over {time.monotonic() - since:.1f} s" if attempts > 1 else ""
            outcome = (" This write may or may not have been stored; writing the same decision again is safe."
                       if write and self._ready else "")  # not while creating the schema on first use
            return StoreError(
                f"cannot reach PostgreSQL at {self.where}{tried}: {_first_line(exc)}. Check that the server is "
                "running and listening on that host and port (listen_addresses, port in postgresql.conf), that "
                f"pg_hba.conf lets this user in, and that the database exists.{outcome}",
                code="store_unavailable", field="store")
        if isinstance(exc, psycopg.IntegrityError):
            return StoreError(f"the store refused the write: {_first_line(exc)}", code="store_conflict")
        if state == "53100":
            return StoreError(f"disk full: the PostgreSQL server at {self.where} has no room for this write; nothing "
                              "of it was stored", code="store_full")
        if state == "25006" or isinstance(exc, psycopg.errors.InsufficientPrivilege):
            return StoreError(f"the store {self.where} is read-only for this user: {_first_line(exc)}; nothing was "
                              "stored", code="store_read_only")
        verb = "writing to" if write else "reading from"
        return StoreError(f"{verb} PostgreSQL at {self.where} failed: {_first_line(exc)}",
                          code="store_write_failed" if write else "store_read_failed")

    def _diagnose(self) -> Exception | None:
        """Why the pool could not hand out a connection: the error of connecting directly."""
        try:
            psycopg.connect(self._conninfo, **self._connect_args).close()
        except psycopg.Error as exc:
            return exc
        return None

    # -- schema ---------------------------------------------------------------------------------

    def _migrate(self, conn: Any) -> None:
        # On a connection of its own (not autocommit): one transaction, committed by _retrying.
        version = _schema_version(conn)
        if version == SCHEMA_VERSION:
            return
        if version is None or version < SCHEMA_VERSION:
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK,))
            conn.execute("CREATE TABLE IF NOT EXISTS composite_schema (version integer NOT NULL)")
            version = _schema_version(conn) or 0
            for target in range(version + 1, SCHEMA_VERSION + 1):
                for statement in MIGRATIONS[target]:
                    conn.execute(statement)
                conn.execute("DELETE FROM composite_schema")
                conn.execute("INSERT INTO composite_schema (version) VALUES (%s)", (target,))
                version = target
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"the store {self.where} has schema version {version}, newer than this composite "
                f"understands ({SCHEMA_VERSION}); upgrade composite",
                code="store_schema_newer", field="store")

    # -- writing --------------------------------------------------------------------------------

    def save_project(self, snapshot: dict[str, Any]) -> None:
        if snapshot["hash"] in self._known_projects:
            return
        row = (snapshot["hash"], snapshot["name"], snapshot["version"], datetime.now(timezone.utc), dumps(snapshot))
        self._run(lambda conn: conn.execute(
            "INSERT INTO projects (hash, name, version, saved_at, snapshot) VALUES (%s, %s, %s, %s, %s)"
            " ON CONFLICT (hash) DO NOTHING", row), write=True)
        self._known_projects.add(snapshot["hash"])

    def save(self, decision: Decision) -> None:
        row = _row(decision_record(decision))

        def work(conn: Any) -> None:
            inserted = conn.execute(f"INSERT INTO decisions ({_COLUMNS}) VALUES ({_PLACEHOLDERS})"
                                    " ON CONFLICT (id) DO NOTHING", row).rowcount
            if inserted == 0:  # stored already: by this very write before its acknowledgement was lost?
                stored = conn.execute(f"SELECT {_COLUMNS} FROM decisions WHERE id = %s", (decision.id,)).fetchone()
                if stored != row:
                    raise _Conflict(f"another decision with id '{decision.id}' is stored already")

        try:
            self._run(work, write=True)
        except _Conflict as exc:
            raise StoreError(f"the store refused the write: {exc}", code="store_conflict") from None

    def save_records(self, records: Iterable[dict[str, Any]]) -> int:
        """COPY the records in, in one transaction; serialising overlaps the server's inserting.

        The encoded chunks are kept as they are sent, so a retry sends the same bytes again.
        """
        chunks = _Replay(_copy_chunks(records))

        def work(conn: Any) -> int:
            try:
                with conn.transaction(), conn.cursor().copy(f"COPY decisions ({_COLUMNS}) FROM STDIN") as copy:
                    for chunk in chunks:
                        copy.write(chunk)
                return chunks.rows
            except psycopg.errors.UniqueViolation:
                pass
            # Some ids are stored already: a retry after a lost acknowledgement, or a real clash.
            # Stage the batch and insert what is missing (in a new transaction: the first one wrote
            # nothing); an id stored with another record is a clash.
            with conn.transaction():
                return insert_missing(conn)

        def insert_missing(conn: Any) -> int:
            conn.execute("CREATE TEMPORARY TABLE IF NOT EXISTS decisions_staged"
                         " (LIKE decisions INCLUDING DEFAULTS) ON COMMIT DELETE ROWS")
            with conn.cursor().copy(f"COPY decisions_staged ({_COLUMNS}) FROM STDIN") as copy:
                for chunk in chunks:
                    copy.write(chunk)
            clash = conn.execute(f"SELECT s.id FROM decisions_staged s JOIN decisions d ON d.id = s.id"
                                 f" WHERE ({', '.join('d.' + c for c in _COLUMNS.split(', '))})"
                                 f" IS DISTINCT FROM ({', '.join('s.' + c for c in _COLUMNS.split(', '))})"
                                 " LIMIT 1").fetchone()
            if clash is None:
                clash = conn.execute(f"SELECT id FROM decisions_staged GROUP BY id"
                                     f" HAVING count(DISTINCT ({_COLUMNS})) > 1 LIMIT 1").fetchone()
            if clash is not None:
                raise _Conflict(f"another decision with id '{clash[0]}' is stored already")
            conn.execute(f"INSERT INTO decisions ({_COLUMNS}) SELECT {_COLUMNS} FROM decisions_staged"
                         " ON CONFLICT (id) DO NOTHING")
            return chunks.rows

        try:
            return self._run(work, write=True)
        except _Conflict as exc:
            raise StoreError(f"the store refused the write: {exc}; nothing of this batch was stored",
                             code="store_conflict") from None

    # -- reading --------------------------------------------------------------------------------

    def get(self, decision_id: str) -> Decision:
        row = self._run(lambda conn: conn.execute(f"SELECT {_COLUMNS} FROM decisions WHERE id = %s",
                                                  (decision_id,)).fetchone(), write=False)
        if row is None:
            raise DecisionNotFound(f"no decision with id '{decision_id}' in {self.where}", field="decision_id")
        record = _record(row)
        return record_decision(record, self._snapshot(record["project_hash"]))

    def _read_snapshot(self, project_hash: str) -> str | None:
        row = self._run(lambda conn: conn.execute("SELECT snapshot FROM projects WHERE hash = %s",
                                                  (project_hash,)).fetchone(), write=False)
        return None if row is None else row[0]

    def _where(self) -> str:
        return self.where

    def recent(self, limit: int = 20) -> list[DecisionSummary]:
        rows = self._run(lambda conn: conn.execute(
            "SELECT id, created_at, project, project_version, outputs, batch_id,"
            " ((body::json) -> 'nonfinite' -> 'outputs')::text FROM decisions ORDER BY id DESC LIMIT %s",
            (limit,)).fetchall(), write=False)
        return [DecisionSummary(r[0], r[1], r[2], r[3], restore_nonfinite(loads(r[4]), r[6] and loads(r[6])), r[5])
                for r in rows]

    def count(self) -> int:
        return self._run(lambda conn: conn.execute("SELECT count(*) FROM decisions").fetchone()[0], write=False)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()


class _Conflict(Exception):
    """A different decision under an id that is stored already: never retried."""


class _Replay:
    """An iterator's items, produced once and kept, so a second pass yields the same ones."""

    def __init__(self, source: Iterator[tuple[bytes, int]]) -> None:
        self._source = source
        self._kept: list[bytes] = []
        self.rows = 0

    def __iter__(self) -> Iterator[bytes]:
        yield from list(self._kept)
        for chunk, rows in self._source:
            self._kept.append(chunk)
            self.rows += rows
            yield chunk


def _row(record: dict[str, Any]) -> tuple[Any, ...]:
    return (record["created_at"], record["project"], record["project_version"], record["project_hash"],
            record.get("batch_id"), record["id"], dumps(record["outputs"]), record_body(record))


def _record(row: tuple[Any, ...]) -> dict[str, Any]:
    """A stored row (in _COLUMNS order) back into the record that was saved."""
    created_at, project, version, project_hash, batch_id, decision_id, outputs, body = row
    return join_record(body, {"id": decision_id, "created_at": created_at, "project": project,
                              "project_version": version, "project_hash": project_hash, "batch_id": batch_id,
                              "outputs": loads(outputs)})


_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _text(value: Any) -> str:
    """A value in COPY's text format."""
    if value is None:
        return "\\N"
    text = str(value)
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        return text.translate(_ESCAPES)
    return text


def _json_text(text: str) -> str:
    """JSON in COPY's text format: JSON never holds a raw tab or newline (it writes them as \\t,
    \\n), so of COPY's special characters only the backslashes need doubling."""
    return text.replace("\\", "\\\\")


def _copy_chunks(records: Iterable[dict[str, Any]], size: int = 1 << 20) -> Iterator[tuple[bytes, int]]:
    """The records as COPY text, about `size` bytes a chunk, with the number of rows in each."""
    lines: list[str] = []
    length = 0
    shared: dict[tuple[Any, ...], str] = {}  # the fields a batch's records share, escaped once
    for record in records:
        head = (record["created_at"], record["project"], record["project_version"], record["project_hash"],
                record.get("batch_id"))
        prefix = shared.get(head)
        if prefix is None:
            prefix = shared[head] = "".join(_text(value) + "\t" for value in head)
        outputs, body = _json_text(dumps(record["outputs"])), _json_text(record_body(record))
        line = f"{prefix}{_text(record['id'])}\t{outputs}\t{body}"
        lines.append(line)
        length += len(line)
        if length >= size:
            yield ("\n".join(lines) + "\n").encode(), len(lines)
            lines, length = [], 0
    if lines:
        yield ("\n".join(lines) + "\n").encode(), len(lines)


def _schema_version(conn: Any) -> int | None:
    if conn.execute("SELECT to_regclass('composite_schema')").fetchone()[0] is None:
        return None
    row = conn.execute("SELECT max(version) FROM composite_schema").fetchone()
    return row[0] if row and row[0] is not None else None


def _retryable(exc: Exception) -> bool:
    state = getattr(exc, "sqlstate", None)
    if state is not None:
        return state in _RETRYABLE
    if not isinstance(exc, psycopg.OperationalError):
        return False
    message = str(exc)
    return not any(reason in message for reason in _FOR_GOOD)


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
