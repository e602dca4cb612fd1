"""Tamper evidence: rows edited, inserted or deleted behind composite's back are found, by id."""

from __future__ import annotations

import json
import sqlite3

import pandas as pd
import pytest

from composite import CompositeEngine
from composite.audit import verify
from composite.cli import main
from composite.store import open_store
from tests.conftest import GOOD_LOAN
from tests.store.conftest import pg_server, pg_url  # noqa: F401  (the PostgreSQL server fixtures)


@pytest.fixture
def stored(loan_project, tmp_path):
    """A SQLite store with 3 single decisions, a batch of 4 and 2 outcomes; the ids in write order."""
    url = f"sqlite:///{tmp_path / 'd.db'}"
    engine = CompositeEngine.from_path(loan_project, store=url)
    ids = [engine.decide({**GOOD_LOAN, "age": 30 + i}).id for i in range(3)]
    ids += list(engine.decide_batch(pd.DataFrame([GOOD_LOAN] * 4))["decision_id"])
    engine.store.record_outcome(ids[0], "repaid")
    engine.store.record_outcome(ids[4], "default")
    engine.close()
    return url, tmp_path / "d.db", ids


def _findings(url):
    store = open_store(url)
    try:
        return [(f.kind, f.chain, f.id) for f in verify(store)]
    finally:
        store.close()


def test_an_untouched_store_verifies_intact(stored, capsys):
    url, _, ids = stored
    assert _findings(url) == []
    assert main(["verify", "--store", url]) == 0
    assert capsys.readouterr().out == "intact: 7 decisions and 2 outcomes walked\n"


def test_an_edited_record_is_found_by_its_id(stored):
    url, path, ids = stored
    with sqlite3.connect(path) as db:
        db.execute("UPDATE decisions SET outputs = ? WHERE id = ?", ('{"decision":"decline","ratio":0.125}', ids[2]))
        db.execute("UPDATE decisions SET record = json_set(record, '$.inputs.income', 1) WHERE id = ?", (ids[5],))
    assert _findings(url) == [("edited", "decisions", ids[2]), ("edited", "decisions", ids[5])]


def test_an_inserted_record_is_found_by_its_id(stored):
    url, path, ids = stored
    with sqlite3.connect(path) as db:
        columns = "created_at, project, project_version, project_hash, batch_id, outputs, record"
        for forged in ("forged1", "forged2"):
            db.execute(f"INSERT INTO decisions (id, {columns}) SELECT ?, {columns} FROM decisions WHERE id = ?",
                       (forged, ids[1]))
        # and one given a place after the chain's head, with a made-up chain value
        db.execute("INSERT INTO decision_chain (seq, id, chain) SELECT 8, 'forged2', chain FROM decision_chain"
                   " WHERE seq = 7")
    assert _findings(url) == [("inserted", "decisions", "forged2"), ("inserted", "decisions", "forged1")]


def test_a_deleted_record_is_found_by_its_id(stored, capsys):
    url, path, ids = stored
    with sqlite3.connect(path) as db:
        db.execute("DELETE FROM decisions WHERE id = ?", (ids[3],))
    store = open_store(url)
    [finding] = verify(store)
    store.close()
    assert (finding.kind, finding.id, finding.seq) == ("deleted", ids[3], 4)
    assert main(["verify", "--store", url, "--json"]) == 1
    document = json.loads(capsys.readouterr().out)
    assert document["intact"] is False and document["findings"][0]["kind"] == "deleted"
    assert document["heads"]["decisions"][0] == 7 and document["heads"]["outcomes"][0] == 2
    assert document["findings"][0]["id"] == ids[3]


def test_a_record_deleted_with_its_place_in_the_chain_is_found_between_the_ids_around_it(stored):
    url, path, ids = stored
    with sqlite3.connect(path) as db:
        db.execute("DELETE FROM decisions WHERE id = ?", (ids[3],))
        db.execute("DELETE FROM decision_chain WHERE id = ?", (ids[3],))
    store = open_store(url)
    [finding] = verify(store)
    store.close()
    assert (finding.kind, finding.id, finding.seq) == ("deleted", ids[4], 5)
    assert f"after {ids[2]}, before {ids[4]}" in finding.detail


def test_deleting_the_newest_records_is_found_too(stored):
    url, path, ids = stored
    with sqlite3.connect(path) as db:
        db.execute("DELETE FROM decisions WHERE id IN (?, ?)", (ids[5], ids[6]))
        db.execute("DELETE FROM decision_chain WHERE id IN (?, ?)", (ids[5], ids[6]))
    store = open_store(url)
    [finding] = verify(store)
    store.close()
    assert (finding.kind, finding.id) == ("deleted", None)
    assert f"2 row(s) missing at the end (seq 6..7) after {ids[4]}" in finding.detail


def test_outcomes_are_chained_too(stored):
    url, path, ids = stored
    with sqlite3.connect(path) as db:
        db.execute("UPDATE outcomes SET value = '\"repaid\"' WHERE decision_id = ?", (ids[4],))
    assert _findings(url) == [("edited", "outcomes", ids[4])]


def test_a_store_written_without_the_chain_says_its_rows_are_unchained(loan_project, tmp_path):
    url = f"sqlite:///{tmp_path / 'd.db'}"
    engine = CompositeEngine.from_path(loan_project, store=url + "?chain=off")
    decision = engine.decide(GOOD_LOAN)
    engine.close()
    assert _findings(url) == [("inserted", "decisions", decision.id)]


def test_postgresql_finds_an_edited_record_and_chains_concurrent_batches(loan_project, pg_url):
    import threading

    engine = CompositeEngine.from_path(loan_project, store=pg_url)
    ids = [engine.decide(GOOD_LOAN).id for _ in range(3)]
    threads = [threading.Thread(target=engine.decide_batch, args=(pd.DataFrame([GOOD_LOAN] * 300),))
               for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    engine.store.record_outcome(ids[0], "repaid")
    assert _findings(pg_url) == []
    import psycopg

    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("UPDATE decisions SET outputs = %s WHERE id = %s",
                     ('{"decision":"decline","ratio":0.125}', ids[1]))
    assert _findings(pg_url) == [("edited", "decisions", ids[1])]
    engine.close()
