"""The SQLite store for real: transactions, bulk writes, schema version, several processes."""

from __future__ import annotations

import multiprocessing
import sqlite3

import pytest

from composite import CompositeEngine, DecisionNotFound, StoreError, open_store
from composite.store.sqlite import SCHEMA_VERSION
from tests.conftest import GOOD_LOAN


def _url(tmp_path):
    return f"sqlite:///{tmp_path / 'd.db'}"


def test_a_decision_reads_back_equal_from_a_new_connection(loan_project, tmp_path):
    engine = CompositeEngine.from_path(loan_project, store=_url(tmp_path))
    decision = engine.decide(GOOD_LOAN)
    engine.close()
    store = open_store(_url(tmp_path))
    back = store.get(decision.id)
    assert back.model_dump() == decision.model_dump()


def test_unknown_id_is_a_clear_not_found(tmp_path):
    store = open_store(_url(tmp_path))
    with pytest.raises(DecisionNotFound, match="no decision with id 'nope'"):
        store.get("nope")


def test_schema_version_is_recorded_and_a_newer_one_refused(tmp_path):
    store = open_store(_url(tmp_path))
    store.close()
    db = sqlite3.connect(tmp_path / "d.db")
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    db.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    db.commit()
    db.close()
    with pytest.raises(StoreError, match="newer than this composite"):
        open_store(_url(tmp_path))


def test_a_failed_batch_write_stores_none_of_it(loan_project, tmp_path):
    engine = CompositeEngine.from_path(loan_project, store=_url(tmp_path))
    first = engine.decide(GOOD_LOAN)
    from composite.store._codec import decision_record

    record = decision_record(first)
    fresh = dict(record, id="ffffffffffffffffffffffffffffffff")
    with pytest.raises(StoreError):
        engine.store.save_records([fresh, record])  # the second collides with the stored one
    assert engine.store.count() == 1


def test_unknown_store_url_says_what_is_accepted():
    with pytest.raises(StoreError, match="use 'memory', 'sqlite:///"):
        open_store("mysql://x")


def _worker(args):
    project, url, count = args
    engine = CompositeEngine.from_path(project, store=url)
    ids = [engine.decide({**GOOD_LOAN, "age": 20 + i % 50}).id for i in range(count)]
    engine.close()
    return ids


def test_four_processes_writing_at_once_lose_nothing(loan_project, tmp_path):
    url = _url(tmp_path)
    CompositeEngine.from_path(loan_project, store=url).close()  # create the schema once
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        results = pool.map(_worker, [(str(loan_project), url, 150)] * 4)
    ids = [i for batch in results for i in batch]
    assert len(set(ids)) == 600
    store = open_store(url)
    assert store.count() == 600
    assert {d.id for d in store.recent(1000)} == set(ids)


def test_a_version_1_store_migrates_on_open_and_its_decisions_are_chained_in_id_order(loan_project, tmp_path):
    from composite.store._chain import GENESIS, link
    from composite.store.sqlite import MIGRATIONS

    engine = CompositeEngine.from_path(loan_project, store=_url(tmp_path))
    ids = [engine.decide({**GOOD_LOAN, "age": 30 + i}).id for i in range(3)]
    engine.close()
    # the same rows in a store made with version 1's schema, as the composite before it wrote them
    old = sqlite3.connect(tmp_path / "d.db")
    v1 = sqlite3.connect(tmp_path / "v1.db")
    for statement in MIGRATIONS[1]:
        v1.execute(statement)
    v1.executemany("INSERT INTO projects VALUES (?, ?, ?, ?, ?)", old.execute("SELECT * FROM projects").fetchall())
    v1.executemany("INSERT INTO decisions VALUES (?, ?, ?, ?, ?, ?, ?, ?)", old.execute(
        "SELECT id, created_at, project, project_version, project_hash, batch_id, outputs, record FROM decisions"
        " ORDER BY id DESC").fetchall())
    v1.execute("PRAGMA user_version=1")
    v1.commit()
    v1.close()
    old.close()

    store = open_store(f"sqlite:///{tmp_path / 'v1.db'}")
    assert [d.id for d in store.select()] == ids
    links = list(store.chain())
    assert [(x.seq, x.id) for x in links] == [(1, ids[0]), (2, ids[1]), (3, ids[2])]
    previous = GENESIS
    for row in links:
        assert row.chain == link(previous, row.content)
        previous = row.chain
    store.record_outcome(ids[0], "repaid")
    assert store.outcomes()[ids[0]].value == "repaid"
    engine = CompositeEngine.from_path(loan_project, store=store)
    later = engine.decide(GOOD_LOAN).id
    assert [(x.seq, x.id) for x in store.chain()][-1] == (4, later)
    store.close()
    db = sqlite3.connect(tmp_path / "v1.db")
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 3
