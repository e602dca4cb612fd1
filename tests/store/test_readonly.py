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
