"""The PostgreSQL store for real: schema versions, idempotent retried writes, a server restarted
under load, several processes writing at once, and clear errors when the server is not there."""

from __future__ import annotations

import importlib.util
import multiprocessing
import subprocess
import sys
import threading
import time

import pytest

from composite import CompositeEngine, StoreError, open_store
from composite.ids import new_id
from composite.store import _pgserver
from composite.store._codec import decision_record
from tests.conftest import GOOD_LOAN

psycopg = pytest.importorskip("psycopg", reason="psycopg is the postgres extra: pip install 'composite-decisions[postgres]'")
from composite.store import postgres  # noqa: E402  (needs psycopg)


@pytest.fixture
def opened():
    things: list = []
    yield things
    for thing in things:
        thing.close()


def test_the_schema_version_is_recorded_and_a_newer_one_refused(pg_url, opened):
    store = open_store(pg_url)
    opened.append(store)
    assert store.count() == 0  # first use creates the schema
    with psycopg.connect(pg_url, autocommit=True) as conn:
        assert conn.execute("SELECT version FROM composite_schema").fetchall() == [(postgres.SCHEMA_VERSION,)]
        conn.execute("UPDATE composite_schema SET version = version + 1")
    newer = open_store(pg_url)
    opened.append(newer)
    with pytest.raises(StoreError, match="newer than this composite understands") as caught:
        newer.count()
    assert caught.value.code == "store_schema_newer"


def test_many_stores_opening_a_fresh_database_at_once_create_the_schema_once(pg_url, opened):
    stores = [open_store(pg_url) for _ in range(8)]
    opened.extend(stores)
    barrier = threading.Barrier(len(stores))
    errors: list[BaseException] = []

    def first_use(store) -> None:
        barrier.wait()
        try:
            store.count()
        except BaseException as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=first_use, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT version FROM composite_schema").fetchall() == [(postgres.SCHEMA_VERSION,)]


class LosesAcknowledgements:
    """Commits for real, then reports the connection lost `times` times: the commit reached the
    server but its answer did not reach us."""

    def __init__(self, times: int) -> None:
        self.left = times

    def __call__(self, conn) -> None:
        conn.commit()
        if self.left:
            self.left -= 1
            raise psycopg.OperationalError("server closed the connection unexpectedly (simulated)")


def test_a_retry_after_a_lost_acknowledgement_neither_fails_nor_duplicates(loan_project, pg_url, monkeypatch, opened):
    engine = CompositeEngine.from_path(loan_project, store=pg_url)
    opened.append(engine)
    engine.decide(GOOD_LOAN)  # the schema and the snapshot, before acknowledgements go missing
    monkeypatch.setattr(postgres.PostgresStore, "_commit", staticmethod(LosesAcknowledgements(1)))
    decision = engine.decide(GOOD_LOAN)
    assert engine.store.count() == 2
    monkeypatch.setattr(postgres.PostgresStore, "_commit", staticmethod(LosesAcknowledgements(2)))
    import pandas as pd

    out = engine.decide_batch(pd.DataFrame([GOOD_LOAN] * 500))
    assert engine.store.count() == 502
    assert engine.store.get(out["decision_id"].iloc[-1]).batch_id == out.attrs["batch_id"]
    assert engine.store.get(decision.id).outputs == decision.outputs


def test_writing_the_same_decisions_again_is_a_no_op_but_a_different_one_under_a_stored_id_is_refused(
        loan_project, pg_url, opened):
    engine = CompositeEngine.from_path(loan_project, store=pg_url)
    opened.append(engine)
    decision = engine.decide(GOOD_LOAN)
    record = decision_record(decision)
    fresh = [dict(record, id=new_id()) for _ in range(3)]
    assert engine.store.save_records(fresh) == 3
    engine.store.save(decision)
    assert engine.store.save_records([record, *fresh]) == 4
    assert engine.store.count() == 4

    clash = dict(record, outputs={"decision": "decline", "ratio": 0.125})
    new = dict(record, id=new_id())
    with pytest.raises(StoreError, match=f"another decision with id '{decision.id}'") as caught:
        engine.store.save_records([new, clash])
    assert caught.value.code == "store_conflict"
    with pytest.raises(StoreError, match="another decision with id") as caught:
        engine.store.save(decision.model_copy(update={"outputs": {"decision": "decline", "ratio": 0.125}}))
    assert caught.value.code == "store_conflict"
    assert engine.store.count() == 4  # nothing of the refused batch
    assert engine.store.get(decision.id).outputs == decision.outputs


def test_decisions_made_while_the_server_restarts_are_all_stored_once(loan_project, pg_server, opened):
    url = pg_server.create_database("restarted")
    engine = CompositeEngine.from_path(loan_project, store=url)
    opened.append(engine)
    returned: list[str] = [engine.decide(GOOD_LOAN).id]
    failures: list[BaseException] = []
    stop = threading.Event()

    def decide_in_a_loop() -> None:
        i = 0
        while not stop.is_set() or i < 50:
            try:
                returned.append(engine.decide({**GOOD_LOAN, "age": 20 + i % 60}).id)
            except BaseException as exc:  # noqa: BLE001 (every failure is reported)
                failures.append(exc)
                return
            i += 1

    worker = threading.Thread(target=decide_in_a_loop)
    worker.start()
    while len(returned) < 30 and worker.is_alive():  # deciding, when the server goes down
        time.sleep(0.01)
    before = len(returned)
    pg_server.restart()
    stop.set()
    worker.join(timeout=120)
    assert failures == []
    assert len(returned) > before  # it went on deciding after the restart
    stats = engine.store._pool.get_stats()
    assert stats.get("returns_bad", 0) + stats.get("connections_lost", 0) >= 1  # the restart did cut it off
    import pandas as pd

    out = engine.decide_batch(pd.DataFrame([GOOD_LOAN] * 100))  # a bulk write on the new connections
    with psycopg.connect(url) as conn:
        ids = [row[0] for row in conn.execute("SELECT id FROM decisions")]
    assert len(ids) == len(set(ids))
    assert set(ids) == {*returned, *out["decision_id"]} and len(ids) == len(returned) + 100


def _worker(args):
    project, url, count = args
    engine = CompositeEngine.from_path(project, store=url)
    ids = [engine.decide({**GOOD_LOAN, "age": 20 + i % 50}).id for i in range(count)]
    engine.close()
    return ids


def test_four_processes_writing_at_once_lose_nothing(loan_project, pg_url, opened):
    with multiprocessing.get_context("spawn").Pool(4) as pool:  # a fresh database: the schema races too
        results = pool.map(_worker, [(str(loan_project), pg_url, 200)] * 4)
    ids = [i for batch in results for i in batch]
    assert len(set(ids)) == 800
    store = open_store(pg_url)
    opened.append(store)
    assert store.count() == 800
    assert {d.id for d in store.recent(1000)} == set(ids)
    from composite.audit import verify

    assert verify(store) == []  # four writers, one chain: every row follows the one written before it


def test_a_server_that_is_not_there_is_a_clear_unavailable_error(opened):
    port = _pgserver._free_port()
    store = open_store(f"postgresql://composite@127.0.0.1:{port}/composite?retries=1")
    opened.append(store)
    started = time.monotonic()
    with pytest.raises(StoreError) as caught:
        store.count()
    assert caught.value.code == "store_unavailable"
    message = str(caught.value)
    assert f"127.0.0.1:{port}/composite" in message and "after 2 attempts" in message
    assert "Check that the server is running and listening on that host and port" in message
    assert time.monotonic() - started < 10


def test_a_missing_database_is_unavailable_at_once(pg_server, opened):
    store = open_store(pg_server.database_url("no_such_database") + "?retries=3")
    opened.append(store)
    with pytest.raises(StoreError, match='database "no_such_database" does not exist') as caught:
        store.count()
    assert caught.value.code == "store_unavailable" and "attempts" not in str(caught.value)


def test_url_options_of_ours_are_checked_and_the_rest_go_to_libpq():
    with pytest.raises(StoreError, match="retries=many in the store URL is not a whole number"):
        open_store("postgresql://u@127.0.0.1:1/db?retries=many")
    store = open_store("postgresql://u@127.0.0.1:1/db?retries=0&pool_size=2&connect_timeout=3&sslmode=disable")
    assert (store.retries, store.pool_size) == (0, 2)
    assert "retries" not in store._conninfo and "sslmode=disable" in store._conninfo


def test_without_psycopg_the_store_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "psycopg", None)
    monkeypatch.setitem(sys.modules, "psycopg_pool", None)
    spec = importlib.util.spec_from_file_location("composite_store_postgres_bare", postgres.__file__)
    bare = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bare)
    with pytest.raises(StoreError, match=r"pip install 'composite-decisions\[postgres\]'") as caught:
        bare.PostgresStore("postgresql://u@127.0.0.1/db")
    assert caught.value.code == "store_unavailable"


def test_importing_composite_and_opening_other_stores_does_not_import_psycopg(tmp_path):
    code = ("import sys, composite; composite.open_store('memory'); "
            f"composite.open_store('sqlite:///{tmp_path / 'd.db'}'); "
            "assert 'psycopg' not in sys.modules and 'psycopg_pool' not in sys.modules, 'psycopg imported'")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


TRICKY = 'tab\there, new\nline, "quotes", back\\slash, \\N, \\t, é ☃ \U0001f600'


def test_text_with_copy_and_json_special_characters_reads_back_exactly(loan_project, pg_url, opened):
    engine = CompositeEngine.from_path(loan_project, store=pg_url)
    opened.append(engine)
    decision = engine.decide(GOOD_LOAN)
    record = decision_record(decision)
    tricky = dict(record, id=new_id(), project=TRICKY, project_version=TRICKY, batch_id="\\N",
                  inputs={**record["inputs"], "housing": TRICKY})
    assert engine.store.save_records([tricky]) == 1  # by COPY
    single = decision.model_copy(update={"id": new_id(), "project": TRICKY, "inputs": tricky["inputs"]})
    engine.store.save(single)  # by INSERT
    back = engine.store.get(tricky["id"])
    assert (back.project, back.project_version, back.batch_id) == (TRICKY, TRICKY, "\\N")
    assert back.inputs["housing"] == TRICKY
    assert engine.store.get(single.id).project == TRICKY
    assert [(s.project, s.batch_id) for s in engine.store.recent(2)] == [(TRICKY, None), (TRICKY, "\\N")]


def test_a_batch_partly_stored_already_chains_only_its_new_records(loan_project, pg_url, monkeypatch, opened):
    from composite.audit import verify

    engine = CompositeEngine.from_path(loan_project, store=pg_url)
    opened.append(engine)
    record = decision_record(engine.decide(GOOD_LOAN))
    first = [dict(record, id=new_id()) for _ in range(3)]
    engine.store.save_records(first)
    later = [dict(record, id=new_id()) for _ in range(4)]
    assert engine.store.save_records([first[1], *later, first[2]]) == 6  # two stored already: only four new rows
    monkeypatch.setattr(postgres.PostgresStore, "_commit", staticmethod(LosesAcknowledgements(1)))
    engine.store.save_records([dict(record, id=new_id()) for _ in range(5)])  # retried after a lost acknowledgement
    assert engine.store.count() == 13
    assert [link.seq for link in engine.store.chain()] == list(range(1, 14))
    assert verify(engine.store) == []


def test_a_version_1_database_migrates_on_open_and_is_chained_in_id_order(loan_project, pg_url, opened):
    from composite.audit import verify

    engine = CompositeEngine.from_path(loan_project, store="memory")
    record = decision_record(engine.decide(GOOD_LOAN))
    snapshot = engine.store.project(record["project_hash"])
    ids = sorted(new_id() for _ in range(3))
    with psycopg.connect(pg_url, autocommit=True) as conn:  # the schema the composite before wrote
        for statement in postgres.MIGRATIONS[1]:
            conn.execute(statement)
        conn.execute("CREATE TABLE composite_schema (version integer NOT NULL)")
        conn.execute("INSERT INTO composite_schema VALUES (1)")
        conn.execute("INSERT INTO projects VALUES (%s, %s, %s, now(), %s)", (snapshot["hash"], snapshot["name"],
                                                                         snapshot["version"], postgres.dumps(snapshot)))
        for decision_id in reversed(ids):
            conn.execute(f"INSERT INTO decisions ({postgres._CHAIN_COLUMNS}) VALUES ({', '.join(['%s'] * 8)})",
                         postgres._row(dict(record, id=decision_id))[:8])  # version 1 had no shadow_of
    store = open_store(pg_url)
    opened.append(store)
    assert [d.id for d in store.select()] == ids
    assert [(link.seq, link.id) for link in store.chain()] == [(1, ids[0]), (2, ids[1]), (3, ids[2])]
    assert verify(store) == []
    store.record_outcome(ids[1], "repaid")
    assert store.outcomes()[ids[1]].value == "repaid"
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT version FROM composite_schema").fetchall() == [(postgres.SCHEMA_VERSION,)] == [(3,)]
