"""The PostgreSQL DecisionStore: one database shared by many replicas of the service.

psycopg 3 with a small pool opened on first use; a versioned schema created on first use; one
transaction per decision or per batch (a batch goes in by COPY). A lost connection is retried a
bounded number of times, and every write is idempotent (the decision id is the primary key), so
a retry after a commit whose acknowledgement was lost neither fails nor stores a decision twice.
Every row is hash-chained in write order (see _chain.py): a write locks its chain's head row
(`chain_head`, FOR UPDATE) in its transaction, so concurrent writers extend the chain one at a time.
`read_only=True` (or `?mode=ro`) runs every session with default_transaction_read_only: the
server refuses any write, and the schema is checked, never created or migrated.
"""

from __future__ import annotations

import contextlib
import random
import threading
import time
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Callable, ContextManager, Iterable, Iterator, Sequence, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from composite.errors import DecisionNotFound, StoreError
from composite.store import DecisionSummary, Outcome
from composite.store._chain import (GENESIS, PAGE as _PAGE, SHOWN, Link, decision_digest, digest, id_range, link,
                                    paged_rows, resolve_prefix, summary_clauses, utc_text)
from composite.store._snapshots import SnapshotReader
from composite.store._codec import (COLUMNS, decision_record, dumps, join_record, loads, record_body, record_decision,
                                    restore_nonfinite, with_temporal)

if TYPE_CHECKING:
    from composite.schemas import Decision

try:
    import psycopg
    from psycopg_pool import ConnectionPool, PoolTimeout
except ImportError:  # the extra is not installed: say how to install it when the store is opened
    psycopg = None  # type: ignore[assignment]

SCHEMA_VERSION = 3

# Any number that is ours: pg_advisory_xact_lock(LOCK) serialises schema creation and migrations
# between processes opening a fresh database at once (CREATE TABLE IF NOT EXISTS alone races).
LOCK = 0x636F6D706F73  # "compos"

def _chain_existing(conn: Any) -> None:
    """Chain the decisions a version-1 store holds, in id order (their write order is not known)."""
    previous, seq, updates = GENESIS, 0, []
    for row in conn.execute(f"SELECT {_CHAIN_COLUMNS} FROM decisions ORDER BY id").fetchall():
        seq += 1
        previous = link(previous, _digest(row))
        updates.append((seq, previous, row[5]))
    if updates:
        with conn.cursor() as cursor:
            cursor.executemany("UPDATE decisions SET seq = %s, chain = %s WHERE id = %s", updates)
        conn.execute("UPDATE chain_head SET seq = %s, chain = %s WHERE name = 'decisions'", (seq, previous))


# version -> statements (or functions of the connection) that bring the schema from version-1 to version
MIGRATIONS: dict[int, list[Any]] = {
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
    2: [
        # the hash chain (_chain.py): place in write order and chain value; outcomes apart
        "ALTER TABLE decisions ADD COLUMN IF NOT EXISTS seq bigint, ADD COLUMN IF NOT EXISTS chain text",
        "CREATE UNIQUE INDEX IF NOT EXISTS decisions_seq ON decisions (seq)",
        "CREATE INDEX IF NOT EXISTS decisions_created ON decisions (created_at)",
        """CREATE TABLE IF NOT EXISTS outcomes (
               seq bigint PRIMARY KEY,
               decision_id text COLLATE "C" NOT NULL,
               value text NOT NULL,
               recorded_at text NOT NULL,
               note text,
               chain text NOT NULL)""",
        "CREATE INDEX IF NOT EXISTS outcomes_decision ON outcomes (decision_id, seq)",
        """CREATE TABLE IF NOT EXISTS chain_head (
               name text PRIMARY KEY,
               seq bigint NOT NULL,
               chain text NOT NULL)""",
        "INSERT INTO chain_head (name, seq, chain) VALUES ('decisions', 0, ''), ('outcomes', 0, '')"
        " ON CONFLICT (name) DO NOTHING",
        lambda conn: _chain_existing(conn),
    ],
    3: [
        # a challenger's decision names the champion decision it shadows (also in its chained body;
        # this column only finds them). Partial index: a champion's row costs no index entry.
        "ALTER TABLE decisions ADD COLUMN IF NOT EXISTS shadow_of text COLLATE \"C\"",
        "CREATE INDEX IF NOT EXISTS decisions_shadow ON decisions (shadow_of) WHERE shadow_of IS NOT NULL",
    ],
}

# The record's fields kept in columns of their own (_codec.COLUMNS), in COPY's column order: the
# ones a batch shares first, so their escaped text is made once per batch (see _copy_chunks).
_IN_COLUMNS = ("created_at", "project", "project_version", "project_hash", "batch_id", "id", "outputs")
assert set(_IN_COLUMNS) == set(COLUMNS)
_CHAIN_COLUMNS = ", ".join(_IN_COLUMNS) + ", body"  # the columns the chain digests
_COLUMNS = _CHAIN_COLUMNS + ", shadow_of"
_PLACEHOLDERS = ", ".join(["%s"] * (len(_IN_COLUMNS) + 2))  # and body, shadow_of

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
    connections this process holds; `mode=ro` opens it read-only (see the module's text); any
    other parameter is libpq's.
    """

    def __init__(self, url: str, *, read_only: bool = False) -> None:
        if psycopg is None:
            raise StoreError("the PostgreSQL store needs psycopg and psycopg-pool: pip install 'composite-decisions[postgres]'",
                             code="store_unavailable", field="store")
        self.url = url
        parts = urlsplit(url)
        query, options = [], dict(_OPTIONS)
        for key, value in parse_qsl(parts.query, keep_blank_values=True):
            if key == "mode":
                if value not in ("ro", "rw"):
                    raise StoreError(f"mode={value} in the store URL is not one of ro (read-only), rw", field="store")
                read_only = read_only or value == "ro"
            elif key in options:
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
        self.read_only = read_only
        if read_only:
            # every transaction of every session read-only: the server itself refuses writes
            options = " ".join(filter(None, [info.get("options"), "-c default_transaction_read_only=on"]))
            self._connect_args["options"] = options
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
                    self._retrying(self._direct, self._check_schema if self.read_only else self._migrate,
                                   write=not self.read_only)
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
        if state == "25006" and self.read_only:
            return StoreError(f"the store {self.where} is opened read-only: it cannot keep a decision or an "
                              "outcome; nothing was stored", code="store_read_only", field="store")
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

    def _check_schema(self, conn: Any) -> None:
        """Read-only: the schema must be this composite's already (it is not created or migrated)."""
        version = _schema_version(conn)
        if version is None:
            raise StoreError(f"the database {self.where} holds no composite store, and opened read-only it is not "
                             "made one: name a store that composite wrote", code="store_schema_old", field="store")
        if version < SCHEMA_VERSION:
            raise StoreError(f"the store {self.where} has schema version {version}, older than this composite's "
                             f"({SCHEMA_VERSION}), and is opened read-only: run a writing command on it once "
                             "(composite decide, or outcome) to migrate it", code="store_schema_old", field="store")
        if version > SCHEMA_VERSION:
            raise StoreError(f"the store {self.where} has schema version {version}, newer than this composite "
                             f"understands ({SCHEMA_VERSION}); upgrade composite", code="store_schema_newer",
                             field="store")

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
                    statement(conn) if callable(statement) else conn.execute(statement)
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
        content = _digest(row)

        def work(conn: Any) -> None:
            with conn.transaction():
                seq, previous = _lock_head(conn, "decisions")
                chain = link(previous, content)
                inserted = conn.execute(f"INSERT INTO decisions ({_COLUMNS}, seq, chain)"
                                        f" VALUES ({_PLACEHOLDERS}, %s, %s) ON CONFLICT (id) DO NOTHING",
                                        (*row, seq + 1, chain)).rowcount
                if inserted:
                    _set_head(conn, "decisions", seq + 1, chain)
                    return
                # stored already: by this very write before its acknowledgement was lost?
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
        chunks = _Replay(_copy_chunks(map(with_temporal, records)))

        def work(conn: Any) -> int:
            try:
                with conn.transaction():
                    seq, previous = _lock_head(conn, "decisions")
                    with conn.cursor().copy(f"COPY decisions ({_COLUMNS}, seq, chain) FROM STDIN") as copy:
                        for lines, _, digests in chunks:
                            # the chain is made here, in write order, after the head is locked
                            out = []
                            for line, content in zip(lines, digests):
                                seq += 1
                                previous = link(previous, content)
                                out.append(f"{line}\t{seq}\t{previous}\n")
                            copy.write("".join(out).encode())
                    if chunks.rows:
                        _set_head(conn, "decisions", seq, previous)
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
                for lines, _, _ in chunks:
                    copy.write(("\n".join(lines) + "\n").encode())
            clash = conn.execute(f"SELECT s.id FROM decisions_staged s JOIN decisions d ON d.id = s.id"
                                 f" WHERE ({', '.join('d.' + c for c in _COLUMNS.split(', '))})"
                                 f" IS DISTINCT FROM ({', '.join('s.' + c for c in _COLUMNS.split(', '))})"
                                 " LIMIT 1").fetchone()
            if clash is None:
                clash = conn.execute(f"SELECT id FROM decisions_staged GROUP BY id"
                                     f" HAVING count(DISTINCT ({_COLUMNS})) > 1 LIMIT 1").fetchone()
            if clash is not None:
                raise _Conflict(f"another decision with id '{clash[0]}' is stored already")
            missing = {row[0] for row in conn.execute(
                "SELECT s.id FROM decisions_staged s LEFT JOIN decisions d ON d.id = s.id WHERE d.id IS NULL")}
            if missing:
                seq, previous = _lock_head(conn, "decisions")
                updates = []
                for _, ids, digests in chunks:
                    for decision_id, content in zip(ids, digests):
                        if decision_id in missing:
                            missing.discard(decision_id)
                            seq += 1
                            previous = link(previous, content)
                            updates.append((seq, previous, decision_id))
                with conn.cursor() as cursor:
                    cursor.executemany("UPDATE decisions_staged SET seq = %s, chain = %s WHERE id = %s", updates)
                conn.execute(f"INSERT INTO decisions ({_COLUMNS}, seq, chain) SELECT DISTINCT ON (id) {_COLUMNS}, seq,"
                             " chain FROM decisions_staged WHERE seq IS NOT NULL ON CONFLICT (id) DO NOTHING")
                _set_head(conn, "decisions", seq, previous)
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

    def recent(self, limit: int = 20, *, since: str | None = None, until: str | None = None,
               batch_id: str | None = None, before: str | None = None) -> list[DecisionSummary]:
        clauses, params = summary_clauses("%s", since=since, until=until, batch_id=batch_id, before=before)
        sql = ("SELECT id, created_at, project, project_version, outputs, batch_id,"
               " ((body::json) -> 'nonfinite' -> 'outputs')::text FROM decisions WHERE "
               + " AND ".join(["shadow_of IS NULL", *clauses]) + " ORDER BY id DESC LIMIT %s")
        rows = self._run(lambda conn: conn.execute(sql, (*params, limit)).fetchall(), write=False)
        return [DecisionSummary(r[0], r[1], r[2], r[3], restore_nonfinite(loads(r[4]), r[6] and loads(r[6])), r[5])
                for r in rows]

    def count(self) -> int:
        return self._run(lambda conn: conn.execute("SELECT count(*) FROM decisions").fetchone()[0], write=False)

    def resolve(self, prefix: str) -> str:
        low, high = id_range(prefix)
        rows = self._run(lambda conn: conn.execute("SELECT id FROM decisions WHERE id >= %s AND id < %s ORDER BY id"
                                                   " LIMIT %s", (low, high, SHOWN + 1)).fetchall(), write=False)
        return resolve_prefix(prefix, [row[0] for row in rows], self.where)

    # -- reading many, outcomes, the chain ------------------------------------------------------

    def records(self, *, since: str | None = None, until: str | None = None, batch_id: str | None = None,
                ids: Sequence[str] | None = None, limit: int | None = None,
                shadows: bool = False) -> Iterator[dict[str, Any]]:
        """The stored records `select` reads, as dicts (see _codec.decision_record), a page at a time."""
        shadow_clause = "shadow_of IS NOT NULL" if shadows else "shadow_of IS NULL"

        def fetch(clauses: list[str], args: list[Any], page: int) -> list[Any]:
            sql = (f"SELECT {_COLUMNS} FROM decisions WHERE {' AND '.join([*clauses, shadow_clause])}"
                   " ORDER BY id LIMIT %s")
            return self._run(lambda conn: conn.execute(sql, (*args, page)).fetchall(), write=False)

        for row in paged_rows(fetch, lambda row: row[5], placeholder="%s",
                              ids_clause=lambda chunk: ("id = ANY(%s)", [list(chunk)]),
                              since=since, until=until, batch_id=batch_id, ids=ids, limit=limit):
            yield _record(row)

    def record_outcome(self, decision_id: str, value: Any, *, recorded_at: str | None = None,
                       note: str | None = None) -> None:
        at = utc_text(recorded_at, field="recorded_at") or datetime.now(timezone.utc).isoformat()
        text = dumps(value)
        content = digest((decision_id, text, at, note))

        def work(conn: Any) -> bool:
            with conn.transaction():
                if conn.execute("SELECT 1 FROM decisions WHERE id = %s", (decision_id,)).fetchone() is None:
                    return False
                seq, previous = _lock_head(conn, "outcomes")
                chain = link(previous, content)
                conn.execute("INSERT INTO outcomes (seq, decision_id, value, recorded_at, note, chain)"
                             " VALUES (%s, %s, %s, %s, %s, %s)", (seq + 1, decision_id, text, at, note, chain))
                _set_head(conn, "outcomes", seq + 1, chain)
                return True

        if not self._run(work, write=True):
            raise DecisionNotFound(f"no decision with id '{decision_id}' in {self.where}", field="decision_id")

    def outcomes(self, ids: Sequence[str] | None = None) -> dict[str, Outcome]:
        sql = "SELECT DISTINCT ON (decision_id) decision_id, value, recorded_at, note FROM outcomes"
        order = " ORDER BY decision_id, seq DESC"
        if ids is None:
            rows = self._run(lambda conn: conn.execute(sql + order).fetchall(), write=False)
        else:
            wanted = sorted(set(ids))
            rows = self._run(lambda conn: conn.execute(sql + " WHERE decision_id = ANY(%s)" + order,
                                                       (wanted,)).fetchall(), write=False)
        return {r[0]: Outcome(r[0], loads(r[1]), r[2], r[3]) for r in rows}

    _CHAINED = {
        "decisions": (f"SELECT seq, {_COLUMNS}, chain FROM decisions", lambda row: (row[6], _digest(row[1:-1]))),
        "outcomes": ("SELECT seq, decision_id, value, recorded_at, note, chain FROM outcomes",
                     lambda row: (row[1], digest(row[1:-1]))),
    }

    def chain(self, kind: str = "decisions") -> Iterator[Link]:
        select, content = self._CHAINED[kind]
        after = -(1 << 62)
        while True:
            rows = self._run(lambda conn: conn.execute(f"{select} WHERE seq > %s ORDER BY seq LIMIT %s",
                                                       (after, _PAGE)).fetchall(), write=False)
            if not rows:
                break
            for row in rows:
                yield Link(row[0], *content(row), row[-1])
            after = rows[-1][0]
        for row in self._run(lambda conn: conn.execute(f"{select} WHERE seq IS NULL").fetchall(), write=False):
            yield Link(None, *content(row), row[-1])

    def chain_head(self, kind: str = "decisions") -> tuple[int, str] | None:
        row = self._run(lambda conn: conn.execute("SELECT seq, chain FROM chain_head WHERE name = %s",
                                                  (kind,)).fetchone(), write=False)
        return None if row is None or row[0] == 0 else (row[0], row[1])

    def close(self) -> None:
        with self._lock:
            self._closed = True
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()


class _Conflict(Exception):
    """A different decision under an id that is stored already: never retried."""


_Chunk = tuple[list[str], list[str], list[str]]  # COPY lines (no seq, chain), their ids, their digests


class _Replay:
    """An iterator's items, produced once and kept, so a second pass yields the same ones."""

    def __init__(self, source: Iterator[_Chunk]) -> None:
        self._source = source
        self._kept: list[_Chunk] = []
        self.rows = 0

    def __iter__(self) -> Iterator[_Chunk]:
        yield from list(self._kept)
        for chunk in self._source:
            self._kept.append(chunk)
            self.rows += len(chunk[0])
            yield chunk


def _digest(row: Sequence[Any]) -> str:
    """The chain's content digest of a row in _COLUMNS order (fields in _chain.DECISION_FIELDS order)."""
    created_at, project, version, project_hash, batch_id, decision_id, outputs, body = row[:8]
    return decision_digest((decision_id, created_at, project, version, project_hash, batch_id, outputs, body))


def _lock_head(conn: Any, name: str) -> tuple[int, str]:
    """The chain's last seq and value, its row locked until the transaction ends."""
    row = conn.execute("SELECT seq, chain FROM chain_head WHERE name = %s FOR UPDATE", (name,)).fetchone()
    return (0, GENESIS) if row is None else (row[0], row[1])


def _set_head(conn: Any, name: str, seq: int, chain: str) -> None:
    conn.execute("UPDATE chain_head SET seq = %s, chain = %s WHERE name = %s", (seq, chain, name))


def _row(record: dict[str, Any]) -> tuple[Any, ...]:
    return (record["created_at"], record["project"], record["project_version"], record["project_hash"],
            record.get("batch_id"), record["id"], dumps(record["outputs"]), record_body(record),
            record.get("shadow_of"))


def _record(row: tuple[Any, ...]) -> dict[str, Any]:
    """A stored row (in _COLUMNS order) back into the record that was saved."""
    created_at, project, version, project_hash, batch_id, decision_id, outputs, body = row[:8]
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


def _copy_chunks(records: Iterable[dict[str, Any]], size: int = 1 << 20) -> Iterator[_Chunk]:
    """The records as COPY text lines (without seq and chain), about `size` bytes a chunk, with their
    ids and chain digests."""
    lines: list[str] = []
    ids: list[str] = []
    digests: list[str] = []
    length = 0
    shared: dict[tuple[Any, ...], str] = {}  # the fields a batch's records share, escaped once
    for record in records:
        head = (record["created_at"], record["project"], record["project_version"], record["project_hash"],
                record.get("batch_id"))
        prefix = shared.get(head)
        if prefix is None:
            prefix = shared[head] = "".join(_text(value) + "\t" for value in head)
        outputs_json, body_json = dumps(record["outputs"]), record_body(record)
        outputs, body = _json_text(outputs_json), _json_text(body_json)
        line = f"{prefix}{_text(record['id'])}\t{outputs}\t{body}\t{_text(record.get('shadow_of'))}"
        lines.append(line)
        ids.append(record["id"])
        digests.append(decision_digest((record["id"], *head, outputs_json, body_json)))
        length += len(line)
        if length >= size:
            yield lines, ids, digests
            lines, ids, digests, length = [], [], [], 0
    if lines:
        yield lines, ids, digests


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
