"""One contract, every store: memory, SQLite and PostgreSQL keep decisions alike.

Each test runs against the three stores with real engines; what a store reads back is compared
with what `decide` returned, from a new connection where the store has connections.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from composite import CompositeEngine, DecisionNotFound, StoreError, open_store
from composite.ids import id_time, new_id
from composite.store._codec import decision_record, jsonable
from tests.conftest import GOOD_LOAN, LOAN_CONCEPTS, LOAN_PROJECT, write_project
from tests.store.shared import nonfinite_project, same


@pytest.fixture(scope="module")
def loan(tmp_path_factory):
    return write_project(tmp_path_factory.mktemp("contract") / "loan", LOAN_PROJECT, LOAN_CONCEPTS)


@pytest.fixture(scope="module")
def nonfinite(tmp_path_factory):
    return nonfinite_project(tmp_path_factory.mktemp("contract") / "nonfinite")


@pytest.fixture
def opened():
    """Engines and stores to close after the test (a store's connection pool is not left to the GC)."""
    things: list = []
    yield things
    for thing in things:
        thing.close()


@pytest.fixture
def engine(opened):
    def make(project, url: str) -> CompositeEngine:
        opened.append(CompositeEngine.from_path(project, store=url))
        return opened[-1]
    return make


@pytest.fixture
def reader(opened):
    def make(engine: CompositeEngine, url: str):
        """The store to read back from: a new connection, except for memory (it has only the one)."""
        if url == "memory":
            return engine.store
        opened.append(open_store(url))
        return opened[-1]
    return make


def without_step_durations(dump: dict) -> tuple[dict, list[float]]:
    """A decision's dump and, apart, its steps' durations (a store may keep them to the microsecond)."""
    nodes = [{k: v for k, v in node.items() if k != "duration_us"} for node in dump["trace"]["nodes"]]
    return {**dump, "trace": {**dump["trace"], "nodes": nodes}}, [n["duration_us"] for n in dump["trace"]["nodes"]]


def assert_same_decision(back, decision) -> None:
    stored, stored_us = without_step_durations(back.model_dump())
    returned, returned_us = without_step_durations(decision.model_dump())
    assert same(stored, returned)
    assert stored_us == pytest.approx(returned_us, abs=0.5)


def test_a_decision_reads_back_as_decide_returned_it(url, loan, engine, reader):
    engine = engine(loan, url)
    decision = engine.decide(GOOD_LOAN)
    back = reader(engine, url).get(decision.id)
    assert back.outputs == {"decision": "approve", "ratio": 0.125}
    assert_same_decision(back, decision)


def test_a_batch_reads_back_as_decide_batch_returned_it(url, loan, engine, reader):
    engine = engine(loan, url)
    frame = pd.DataFrame([GOOD_LOAN, {**GOOD_LOAN, "income": 500}, {**GOOD_LOAN, "age": 17}])
    out = engine.decide_batch(frame)
    store = reader(engine, url)
    assert store.count() == 3
    for i, decision_id in enumerate(out["decision_id"]):
        back = store.get(decision_id)
        assert back.batch_id == out.attrs["batch_id"]
        assert back.outputs == {"decision": out["decision"][i], "ratio": out["ratio"][i]}
        alone = engine.decide(frame.iloc[i].to_dict(), record=False)
        assert back.inputs == alone.inputs and back.outputs == alone.outputs
        assert [(n.name, n.read, n.wrote) for n in back.trace.nodes] == \
            [(n.name, n.read, n.wrote) for n in alone.trace.nodes]


def test_non_finite_outputs_read_back_exactly(url, nonfinite, engine, reader):
    engine = engine(nonfinite, url)
    decision = engine.decide({"a": 1e300, "b": 1e300})
    assert decision.outputs["y"] == math.inf and decision.outputs["w"] == -math.inf
    # a NaN output (fuzzylite's "no rule fired", a model's NaN), kept by the same store
    decision = decision.model_copy(update={"id": new_id(), "outputs": {**decision.outputs, "g": math.nan}})
    engine.store.save(decision)
    out = engine.decide_batch(pd.DataFrame({"a": [1e300, 2.0], "b": [1e300, 3.0]}))
    store = reader(engine, url)
    assert same(store.get(decision.id).outputs, decision.outputs)
    assert same(store.get(decision.id).trace.nodes[0].wrote, decision.trace.nodes[0].wrote)
    assert same(store.get(out["decision_id"][0]).outputs, out.iloc[0][["y", "w", "g"]].to_dict())
    assert same(store.get(out["decision_id"][1]).outputs, {"y": 6.0, "w": -6.0, "g": 0.0})
    summaries = {s.id: s for s in store.recent(10)}
    assert same(summaries[decision.id].outputs, decision.outputs)
    assert summaries[out["decision_id"][0]].outputs["y"] == math.inf


def test_a_batch_with_a_bad_record_in_the_middle_stores_none_of_it(url, loan, engine, reader):
    engine = engine(loan, url)
    first = engine.decide(GOOD_LOAN)
    record = decision_record(first)
    # Enough records that PostgreSQL has received some of them when the bad one is reached.
    records = [dict(record, id=new_id()) for _ in range(6000)]
    records[3000] = dict(records[3000], inputs={**record["inputs"], "amount": object()})
    with pytest.raises((TypeError, StoreError)):
        engine.store.save_records(records)
    assert reader(engine, url).count() == 1
    assert engine.store.save_records(records[:3000] + records[3001:]) == 5999
    assert reader(engine, url).count() == 6000


def test_a_project_snapshot_is_kept_once_per_hash(url, loan, engine, reader):
    engine = engine(loan, url)
    snapshot = engine.project.snapshot()
    engine.store.save_project(snapshot)
    engine.store.save_project(snapshot)
    engine.decide(GOOD_LOAN)  # saves it again, by the engine's own path
    store = reader(engine, url)
    assert store.project(snapshot["hash"]) == jsonable(snapshot)
    with pytest.raises(DecisionNotFound):
        store.project("sha256:" + "0" * 64)


def test_recent_is_newest_first_and_limited_and_count_counts(url, loan, engine, reader):
    engine = engine(loan, url)
    singles = [engine.decide({**GOOD_LOAN, "age": 20 + i}).id for i in range(4)]
    out = engine.decide_batch(pd.DataFrame([GOOD_LOAN] * 3))
    store = reader(engine, url)
    assert store.count() == 7
    recent = store.recent(5)
    assert [s.id for s in recent] == list(reversed(singles + list(out["decision_id"])))[:5]
    assert [s.batch_id for s in recent] == [out.attrs["batch_id"]] * 3 + [None, None]
    assert recent[-1].project == "loan" and recent[-1].project_version == "1.2.0"
    assert recent[-1].outputs == {"decision": "approve", "ratio": 0.125}
    assert [s.id for s in store.recent(100)] == list(reversed(singles + list(out["decision_id"])))
    assert store.recent(0) == []


def test_an_unknown_id_is_a_clear_not_found(url, opened):
    store = open_store(url)
    opened.append(store)
    with pytest.raises(DecisionNotFound, match="no decision with id 'nope'") as caught:
        store.get("nope")
    assert caught.value.code == "decision_not_found"


def test_ids_are_time_ordered(url, loan, engine, reader):
    engine = engine(loan, url)
    ids = [engine.decide(GOOD_LOAN).id for _ in range(3)]
    ids += list(engine.decide_batch(pd.DataFrame([GOOD_LOAN] * 50))["decision_id"])
    ids += [engine.decide(GOOD_LOAN).id]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    times = [id_time(i) for i in ids]
    assert times == sorted(times)
    stored = [s.id for s in reader(engine, url).recent(100)]
    assert stored == sorted(ids, reverse=True)


def test_recent_filters_by_time_batch_and_reads_on_before_an_id(url, loan, engine, reader):
    engine = engine(loan, url)
    singles = [engine.decide({**GOOD_LOAN, "age": 20 + i}).id for i in range(3)]
    out = engine.decide_batch(pd.DataFrame([GOOD_LOAN] * 3))
    batch = list(out["decision_id"])
    store = reader(engine, url)
    newest_first = list(reversed(singles + batch))
    assert [s.id for s in store.recent(10, batch_id=out.attrs["batch_id"])] == batch[::-1]
    assert [s.id for s in store.recent(2, before=newest_first[1])] == newest_first[2:4]
    assert [s.id for s in store.recent(10, before=singles[0])] == []
    times = [store.get(i).created_at.isoformat() for i in singles]
    assert [s.id for s in store.recent(10, since=times[1], until=times[2])] == [singles[1]]
    assert [s.id for s in store.recent(10, until=times[1])] == [singles[0]]
    assert store.recent(10, batch_id="none-such") == []
    with pytest.raises(StoreError, match="not an ISO 8601 time"):
        store.recent(10, since="yesterday")


def _save_as(store, decision, ids: list[str]) -> None:
    for decision_id in ids:
        store.save(decision.model_copy(update={"id": decision_id}))


def test_resolve_takes_an_exact_id_or_a_unique_prefix(url, loan, engine, reader):
    engine = engine(loan, url)
    decision = engine.decide(GOOD_LOAN)
    a, b, c = "aaaaaa" + "0" * 26, "aaaaaa" + "1" * 26, "aaaaab" + "0" * 26
    _save_as(engine.store, decision, [a, b, c])
    store = reader(engine, url)
    assert store.resolve(decision.id) == decision.id
    assert store.resolve(a) == a  # an exact id wins, though longer prefixes of it are unique too
    assert store.resolve("aaaaab") == c
    assert store.resolve("AAAAAB") == c  # ids are lowercase hex: a prefix in capitals names them too
    assert store.resolve("aaaaaa1") == b
    assert store.resolve(decision.id[:12]) == decision.id


def test_an_ambiguous_prefix_names_up_to_five_candidates(url, loan, engine, reader):
    engine = engine(loan, url)
    decision = engine.decide(GOOD_LOAN)
    two = ["bbbbbb" + "0" * 26, "bbbbbb" + "1" * 26]
    seven = [f"cccccc{i}" + "0" * 25 for i in range(7)]
    _save_as(engine.store, decision, two + seven)
    store = reader(engine, url)
    with pytest.raises(DecisionNotFound) as caught:
        store.resolve("bbbbbb")
    assert caught.value.code == "ambiguous_id"
    assert f"({two[0]}, {two[1]})" in str(caught.value) and "starts 2 decision ids" in str(caught.value)
    with pytest.raises(DecisionNotFound) as caught:
        store.resolve("cccccc")
    assert caught.value.code == "ambiguous_id"
    assert f"({', '.join(seven[:5])}, ...)" in str(caught.value) and seven[5] not in str(caught.value)
    assert "more than 5" in str(caught.value)


def test_a_short_or_unknown_prefix_is_not_found(url, loan, engine, reader):
    engine = engine(loan, url)
    decision = engine.decide(GOOD_LOAN)
    store = reader(engine, url)
    with pytest.raises(DecisionNotFound, match="at least 6 characters") as caught:
        store.resolve(decision.id[:5])
    assert caught.value.code == "id_prefix_short"
    for unknown in ("ffffffffff", "nope", decision.id + "0"):
        with pytest.raises(DecisionNotFound, match=f"no decision with id '{unknown}'") as caught:
            store.resolve(unknown)
        assert caught.value.code == "decision_not_found"


# -- reading many, outcomes, the chain ------------------------------------------------------------

def test_select_reads_decisions_in_id_order_filtered_by_batch_ids_and_limit(url, loan, engine, reader):
    engine = engine(loan, url)
    singles = [engine.decide({**GOOD_LOAN, "age": 20 + i}).id for i in range(3)]
    out = engine.decide_batch(pd.DataFrame([GOOD_LOAN] * 4))
    batch = list(out["decision_id"])
    store = reader(engine, url)
    every = list(store.select())
    assert [d.id for d in every] == singles + batch
    assert every[0].inputs["age"] == 20 and every[0].outputs == {"decision": "approve", "ratio": 0.125}
    assert [d.id for d in store.select(batch_id=out.attrs["batch_id"])] == batch
    assert [d.id for d in store.select(ids=[batch[1], singles[2], "unknown"])] == [singles[2], batch[1]]
    assert [d.id for d in store.select(limit=2)] == singles[:2]
    assert [d.id for d in store.select(batch_id=out.attrs["batch_id"], limit=3)] == batch[:3]
    assert list(store.select(limit=0)) == []
    assert list(store.select(batch_id="none-such")) == []


def test_select_since_is_inclusive_until_exclusive_and_a_time_without_zone_is_utc(url, loan, engine, reader):
    engine = engine(loan, url)
    ids = [engine.decide(GOOD_LOAN).id for _ in range(3)]
    store = reader(engine, url)
    times = [store.get(i).created_at for i in ids]
    middle = times[1]
    assert [d.id for d in store.select(since=middle.isoformat())] == ids[1:]
    assert [d.id for d in store.select(until=middle.isoformat())] == ids[:1]
    naive = middle.replace(tzinfo=None).isoformat()  # the same moment, written without a zone
    assert [d.id for d in store.select(since=naive, until=times[2].isoformat())] == ids[1:2]
    later = middle.astimezone(__import__("datetime").timezone(__import__("datetime").timedelta(hours=2)))
    assert [d.id for d in store.select(since=later.isoformat())] == ids[1:]
    assert list(store.select(since="2999-01-01")) == []
    with pytest.raises(StoreError, match="not an ISO 8601 time"):
        list(store.select(since="last tuesday"))


def test_select_streams_more_than_one_page(url, loan, engine, reader):
    engine = engine(loan, url)
    out = engine.decide_batch(pd.DataFrame([GOOD_LOAN] * 2500))
    store = reader(engine, url)
    ids = [d.id for d in store.select()]
    assert ids == list(out["decision_id"])
    picked = list(out["decision_id"])[::2]
    assert [d.id for d in store.select(ids=picked)] == picked
    assert len(list(store.select(limit=1500))) == 1500


def test_outcomes_are_kept_apart_and_the_latest_one_wins(url, loan, engine, reader):
    engine = engine(loan, url)
    first, second = engine.decide(GOOD_LOAN), engine.decide(GOOD_LOAN)
    before = engine.store.get(first.id).model_dump()
    engine.store.record_outcome(first.id, "repaid", recorded_at="2026-01-02T03:04:05Z", note="on time")
    engine.store.record_outcome(second.id, 1.5)
    engine.store.record_outcome(first.id, "default")
    store = reader(engine, url)
    latest = store.outcomes()
    assert set(latest) == {first.id, second.id}
    assert latest[first.id].value == "default" and latest[first.id].note is None
    assert latest[second.id].value == 1.5 and latest[second.id].decision_id == second.id
    assert store.outcomes([second.id, "unknown"]) == {second.id: latest[second.id]}
    assert store.get(first.id).model_dump() == before  # the decision record is never changed
    outcomes = [link.id for link in store.chain("outcomes")]
    assert outcomes == [first.id, second.id, first.id]  # append-only: every outcome is a row
    with pytest.raises(DecisionNotFound, match="no decision with id 'nope'"):
        engine.store.record_outcome("nope", "repaid")


def test_every_row_is_chained_in_write_order(url, loan, engine, reader):
    from composite.store._chain import GENESIS, link

    engine = engine(loan, url)
    single = engine.decide(GOOD_LOAN).id
    batch = list(engine.decide_batch(pd.DataFrame([GOOD_LOAN] * 3))["decision_id"])
    store = reader(engine, url)
    links = list(store.chain())
    assert [link_.id for link_ in links] == [single, *batch] and [x.seq for x in links] == [1, 2, 3, 4]
    previous = GENESIS
    for row in links:
        assert row.chain == link(previous, row.content)
        previous = row.chain
    assert store.chain_head() == (4, previous)
    assert store.chain_head("outcomes") is None


# -- champion/challenger: shadow decisions (docs/challengers.md) ------------------------------------

@pytest.fixture(scope="module")
def loan_challenger(tmp_path_factory):
    """The loan project with a stricter screen: the same inputs, another version."""
    return write_project(tmp_path_factory.mktemp("contract") / "loan_challenger",
                         LOAN_PROJECT.replace("1.2.0", "1.3.0-challenger").replace("ratio > 0.25", "ratio > 0.1"),
                         LOAN_CONCEPTS)


def test_shadow_decisions_are_linked_and_left_out_of_select_recent_unless_asked(url, loan, loan_challenger,
                                                                                opened, reader):
    from composite.audit import verify

    champion = CompositeEngine.from_path(loan, store=url, challengers=[loan_challenger])
    opened.append(champion)
    single = champion.decide(GOOD_LOAN)
    batch = champion.decide_batch(pd.DataFrame([GOOD_LOAN, {**GOOD_LOAN, "income": 900}]))
    champions = [single.id, *batch["decision_id"]]
    store = reader(champion, url)
    assert [d.id for d in store.select()] == champions
    assert [s.id for s in store.recent(10)] == list(reversed(champions))
    shadows = list(store.records(shadows=True))
    assert [r["shadow_of"] for r in shadows] == champions
    assert {(r["challenger"], r["project_version"]) for r in shadows} == {("loan", "1.3.0-challenger")}
    assert [d.project_version for d in store.select(shadows=True)] == ["1.3.0-challenger"] * 3
    assert [d.outputs["decision"] for d in store.select(shadows=True)] == ["refer", "refer", "refer"]
    assert [d.outputs["decision"] for d in store.select()] == ["approve", "approve", "refer"]
    assert store.get(shadows[0]["id"]).inputs == single.inputs  # a shadow is a stored decision like any
    assert list(store.select(ids=[shadows[0]["id"]])) == []  # ... but not a decision anyone was given
    assert [d.id for d in store.select(ids=[shadows[0]["id"]], shadows=True)] == [shadows[0]["id"]]
    assert store.count() == 6
    # the chain covers the shadows, in write order: each shadow right after its champion's write
    assert [x.id for x in store.chain()] == [single.id, shadows[0]["id"], *champions[1:],
                                            *(r["id"] for r in shadows[1:])]
    assert verify(store) == []
