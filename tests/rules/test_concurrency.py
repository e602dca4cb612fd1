"""Many decisions at once: 8 threads, 2 processes and a 50,000-row batch, with no fact leaking across."""

from __future__ import annotations

import multiprocessing
import threading
from pathlib import Path

import numpy as np

from composite import CompositeEngine
from composite.nodes.rules import RuleSetNode
from tests.rules.helpers import CREDIT_RULES, facts_are_own, process_worker, random_rows, rules


def test_eight_threads_deciding_at_once_see_only_their_own_facts():
    node = RuleSetNode("policy", rules(CREDIT_RULES))
    per_thread = [random_rows(300, seed=s) for s in range(8)]
    expected = [[node.evaluate(row) for row in chunk] for chunk in per_thread]
    start = threading.Barrier(8)
    failures: list[str] = []

    def work(t: int) -> None:
        try:
            start.wait(timeout=30)
            for _ in range(3):
                for row, want in zip(per_thread[t], expected[t]):
                    got = node.evaluate(row)
                    if got.outputs != want.outputs or got.evidence != want.evidence:
                        failures.append(f"thread {t}: {row} -> {got.outputs}, expected {want.outputs}")
                    if not facts_are_own(row, got.outputs, got.evidence):
                        failures.append(f"thread {t}: evidence {got.evidence} is not about {row}")
        except BaseException as exc:
            failures.append(f"thread {t}: {exc!r}")

    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert failures == []
    assert node._engine.live_facts() == []
    fired = sum(len(r.evidence["fired"]) for chunk in expected for r in chunk)
    assert fired > 500  # the rows do exercise the rules


def test_two_processes_deciding_at_once_agree_with_this_one(credit_project: Path):
    engine = CompositeEngine.from_path(credit_project, store="memory")
    node = engine.project.nodes[0]
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(2)
    queue = context.Queue()
    chunks = [random_rows(400, seed=100 + p) for p in range(2)]
    workers = [context.Process(target=process_worker, args=(str(credit_project), index, chunk, barrier, queue))
               for index, chunk in enumerate(chunks)]
    for worker in workers:
        worker.start()
    results = sorted(queue.get(timeout=120) for _ in workers)
    for worker in workers:
        worker.join(timeout=60)
    assert [(index, status) for index, status, _ in results] == [(0, "ok"), (1, "ok")], results
    for (_, _, decided), chunk in zip(results, chunks):
        assert decided == [(r.outputs, r.evidence) for r in map(node.evaluate, chunk)]
        assert all(facts_are_own(row, outputs, evidence) for row, (outputs, evidence) in zip(chunk, decided))
    outcomes = {outputs["decision"] for _, _, decided in results for outputs, _ in decided}
    assert outcomes == {"none", "decline", "refer"}


def test_a_batch_of_fifty_thousand_rows_runs_far_past_durable_rules_session_limit():
    node = RuleSetNode("policy", rules(CREDIT_RULES))
    rng = np.random.default_rng(7)
    n = 50_000
    columns = {
        "age": rng.integers(15, 80, n),
        "duration_months": rng.integers(6, 72, n),
        "credit_amount": np.round(rng.uniform(100, 30000, n), 2),
        "employment": rng.choice(np.array(["unemployed", "employed", "self_employed"], dtype=object), n),
    }
    result = node.evaluate_batch(columns, n)
    lengths = {name: len(column) for name, column in result.outputs.items()}
    assert lengths == {"decision": n, "reason": n, "risk_flag": n}
    decisions = result.outputs["decision"]
    assert set(decisions.tolist()) == {"none", "decline", "refer"}
    for i in range(0, n, 997):  # row by row, the batch says what a single decision says
        row = {name: column[i].item() if hasattr(column[i], "item") else column[i] for name, column in columns.items()}
        single = node.evaluate(row)
        assert {k: v[i] for k, v in result.outputs.items()} == single.outputs
        assert result.evidence[i] == single.evidence
        assert facts_are_own(row, single.outputs, result.evidence[i])
    assert node._engine.live_facts() == []
