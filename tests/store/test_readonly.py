"""Read-only stores open for get, explain and history without writing; a full disk says so."""

from __future__ import annotations

import hashlib
import sqlite3

import pytest

from composite import CompositeEngine, StoreError
from tests.conftest import GOOD_LOAN


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def filled(loan_project, tmp_path):
    db = tmp_path / "d.db"
    engine = CompositeEngine.from_path(loan_project, store=f"sqlite:///{db}")
    decision = engine.decide(GOOD_LOAN)
    engine.close()
    return db, decision


def test_mode_ro_serves_get_explain_and_history_and_writes_nothing(loan_project, filled):
    db, decision = filled
    before = _digest(db)
    engine = CompositeEngine.from_path(loan_project, store=f"sqlite:///{db}?mode=ro")
    assert engine.get(decision.id).outputs == decision.outputs
    assert decision.id in engine.explain(decision.id)
    assert [row.id for row in engine.history()] == [decision.id]
    with pytest.raises(StoreError, match="read-only") as caught:
        engine.decide(GOOD_LOAN)
    assert caught.value.code == "store_read_only"
    with pytest.raises(StoreError, match="read-only"):
        engine.decide_batch([GOOD_LOAN])
    assert engine.decide(GOOD_LOAN, record=False).outputs == decision.outputs
    engine.close()
    assert _digest(db) == before
    assert sqlite3.connect(db).execute("SELECT COUNT(*) FROM decisions").fetchone()[0] == 1


def test_opening_writes_no_snapshot_until_the_first_decision(loan_project, tmp_path):
    db = tmp_path / "d.db"
    CompositeEngine.from_path(loan_project, store=f"sqlite:///{db}").close()  # creates the empty store
    before = _digest(db)
    (loan_project / "composite.yaml").write_text((loan_project / "composite.yaml").read_text().replace("1.2.0", "1.3.0"))
    engine = CompositeEngine.from_path(loan_project, store=f"sqlite:///{db}")
    assert engine.history() == []
    assert _digest(db) == before
    assert sqlite3.connect(db).execute("SELECT COUNT(*) FROM projects").fetchone()[0] == 0
    decision = engine.decide(GOOD_LOAN)
    assert "1.3.0" in engine.explain(decision.id)


def test_mode_ro_on_a_missing_or_unmigrated_file_is_a_store_error(loan_project, tmp_path):
    with pytest.raises(StoreError, match="no such file"):
        CompositeEngine.from_path(loan_project, store=f"sqlite:///{tmp_path / 'none.db'}?mode=ro")
    sqlite3.connect(tmp_path / "empty.db").close()
    with pytest.raises(StoreError, match="read-only"):
        CompositeEngine.from_path(loan_project, store=f"sqlite:///{tmp_path / 'empty.db'}?mode=ro")
    assert not (tmp_path / "none.db").exists()


def test_a_full_disk_says_disk_full_and_stores_nothing_of_the_write(loan_project, tmp_path):
    engine = CompositeEngine.from_path(loan_project, store=f"sqlite:///{tmp_path / 'd.db'}")
    engine.decide(GOOD_LOAN)
    db = engine.store._db  # the store's own connection: max_page_count is per connection
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    db.execute(f"PRAGMA max_page_count={pages + 1}")  # SQLITE_FULL, reproducibly
    with pytest.raises(StoreError, match="disk full") as caught:
        engine.decide_batch([GOOD_LOAN] * 5_000)
    assert caught.value.code == "store_full" and "rollback" not in str(caught.value)
    assert engine.store.count() == 1
    stored = 1
    for _ in range(200):  # one decision at a time until it is full: each is whole or absent
        try:
            engine.decide(GOOD_LOAN)
            stored += 1
        except StoreError as error:
            assert error.code == "store_full"
            break
    else:
        pytest.fail("the store never filled up")
    assert engine.store.count() == stored
    for row in engine.history(stored):
        assert engine.get(row.id).outputs == {"decision": "approve", "ratio": 0.125}


# -- open_store(url, read_only=True): what explain and history open ------------------------------

def _stat(path) -> tuple[str, int, int]:
    return _digest(path), path.stat().st_mtime_ns, path.stat().st_size


def test_read_only_sqlite_reads_everything_and_changes_not_a_byte(filled):
    from composite import open_store

    db, decision = filled
    before = _stat(db)
    store = open_store(f"sqlite:///{db}", read_only=True)
    assert store.read_only
    assert store.get(store.resolve(decision.id[:8])).outputs == {"decision": "approve", "ratio": 0.125}
    assert [row.id for row in store.recent(5, since="2000-01-01")] == [decision.id]
    assert [d.id for d in store.select()] == [decision.id]
    assert store.project(decision.project_hash)["name"] == "loan"
    with pytest.raises(StoreError, match="read-only") as caught:
        store.save(decision.model_copy(update={"id": "f" * 32}))
    assert caught.value.code == "store_read_only"
    with pytest.raises(StoreError, match="read-only"):
        store.record_outcome(decision.id, "repaid")
    store.close()
    assert _stat(db) == before


def _beside(db) -> list[str]:
    return sorted(p.name for p in db.parent.iterdir() if p.name.startswith(db.name))


def test_read_only_sqlite_makes_no_wal_or_shm_file_beside_the_store(filled):
    """SQLite's own mode=ro would make them (owned by whoever reads); the reader leaves none."""
    from composite import open_store

    db, decision = filled
    assert _beside(db) == ["d.db"]  # the writer closed: its WAL is checkpointed and gone
    before = _stat(db)
    store = open_store(f"sqlite:///{db}", read_only=True)
    assert store.get(store.resolve(decision.id[:6])).outputs == decision.outputs
    assert [row.id for row in store.recent()] == [decision.id]
    assert _beside(db) == ["d.db"]
    store.close()
    assert _beside(db) == ["d.db"] and _stat(db) == before


@pytest.mark.parametrize("writer_closes", [False, True], ids=["writer-open", "writer-closed"])
def test_a_read_only_store_sees_what_a_writer_commits_after_it_opened(loan_project, filled, writer_closes):
    from composite import open_store

    db, decision = filled
    store = open_store(f"sqlite:///{db}", read_only=True)
    assert [row.id for row in store.recent()] == [decision.id]
    engine = CompositeEngine.from_path(loan_project, store=f"sqlite:///{db}")
    later = engine.decide({**GOOD_LOAN, "income": 800})
    if writer_closes:
        engine.close()  # checkpointed into the file, the WAL gone again: the file itself changed
        assert _beside(db) == ["d.db"]
    assert [row.id for row in store.recent()] == [later.id, decision.id]
    assert store.get(later.id).outputs == {"decision": "refer", "ratio": 0.3125}
    store.close()
    if not writer_closes:
        engine.close()


def _version_2_store(path) -> None:
    """A store as composite wrote it before schema 3 (no shadow_of column)."""
    from composite.store import sqlite as sqlite_store

    db = sqlite3.connect(path)
    for target in (1, 2):
        for statement in sqlite_store.MIGRATIONS[target]:
            statement(db) if callable(statement) else db.execute(statement)
    db.execute("PRAGMA user_version=2")
    db.commit()
    db.close()


def test_read_only_refuses_an_older_schema_saying_to_run_a_writing_command(tmp_path):
    from composite import open_store

    path = tmp_path / "old.db"
    _version_2_store(path)
    before = _stat(path)
    with pytest.raises(StoreError, match="run a writing command on it once") as caught:
        open_store(f"sqlite:///{path}", read_only=True)
    assert caught.value.code == "store_schema_old" and "schema version 2, older than" in str(caught.value)
    assert _stat(path) == before
    open_store(f"sqlite:///{path}").close()  # a writing open migrates it
    store = open_store(f"sqlite:///{path}", read_only=True)
    assert store.count() == 0
    store.close()


def test_read_only_refuses_a_missing_file_and_makes_none(tmp_path):
    from composite import open_store

    with pytest.raises(StoreError, match="no such file") as caught:
        open_store(f"sqlite:///{tmp_path / 'sub' / 'none.db'}", read_only=True)
    assert caught.value.code == "store_missing"
    assert list(tmp_path.iterdir()) == []


def test_read_only_postgres_reads_and_the_server_refuses_every_write(loan_project, pg_url):
    pytest.importorskip("psycopg")
    import psycopg

    from composite import open_store

    engine = CompositeEngine.from_path(loan_project, store=pg_url)
    decision = engine.decide(GOOD_LOAN)
    engine.close()
    for url in (pg_url, pg_url + ("&" if "?" in pg_url else "?") + "mode=ro"):
        store = open_store(url, read_only=url == pg_url)
        try:
            assert store.read_only
            assert store.get(store.resolve(decision.id[:10])).outputs == decision.outputs
            assert [row.id for row in store.recent(5)] == [decision.id]
            with pytest.raises(StoreError, match="opened read-only") as caught:
                store.save(decision.model_copy(update={"id": "f" * 32}))
            assert caught.value.code == "store_read_only"
            with pytest.raises(StoreError, match="opened read-only"):
                store.record_outcome(decision.id, "repaid")
        finally:
            store.close()
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT id FROM decisions").fetchall() == [(decision.id,)]
        assert conn.execute("SELECT count(*) FROM outcomes").fetchone()[0] == 0


def test_read_only_postgres_creates_no_schema_in_an_empty_database(pg_url):
    pytest.importorskip("psycopg")
    import psycopg

    from composite import open_store

    store = open_store(pg_url, read_only=True)
    with pytest.raises(StoreError, match="holds no composite store") as caught:
        store.count()
    assert caught.value.code == "store_schema_old"
    store.close()
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT to_regclass('composite_schema'), to_regclass('decisions')").fetchone() == (None, None)
