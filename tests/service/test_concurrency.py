"""One engine behind the service serves concurrent requests: all stored, ids unique, same answers."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from composite import CompositeEngine
from composite.service import create_app
from tests.service.conftest import DEFAULT_REQUEST, TestClient

THREADS, PER_THREAD = 8, 25


def _requests() -> list[dict]:
    rng = random.Random(11)
    return [{**DEFAULT_REQUEST, "duration_months": rng.randint(4, 72), "credit_amount": rng.randint(250, 18_000),
             "age": rng.randint(19, 75), "checking_status": rng.choice(["none", "overdrawn", "low", "high"]),
             "savings": rng.choice(["unknown_none", "lt_100", "100_500", "500_1000", "ge_1000"])}
            for _ in range(THREADS * PER_THREAD)]


def test_concurrent_decisions_are_all_stored_with_unique_ids_and_sequential_answers(tmp_path: Path) -> None:
    from tests.conftest import REPO

    engine = CompositeEngine.from_path(REPO, store=f"sqlite:///{tmp_path / 'decisions.db'}")
    requests = _requests()
    expected = [engine.decide(request, record=False).outputs for request in requests]
    with TestClient(create_app(engine)) as client:
        def work(chunk: int) -> list[tuple[int, int, dict]]:
            out = []
            for i in range(chunk * PER_THREAD, (chunk + 1) * PER_THREAD):
                response = client.post("/decisions", json=requests[i])
                out.append((i, response.status_code, response.json()))
            return out

        with ThreadPoolExecutor(THREADS) as pool:
            results = [item for chunk in pool.map(work, range(THREADS)) for item in chunk]
    assert [status for _, status, _ in results] == [201] * len(requests)
    ids = [body["id"] for _, _, body in results]
    assert len(set(ids)) == len(requests)
    assert engine.store.count() == len(requests)
    for i, _, body in results:
        assert body["outputs"] == expected[i]
        assert engine.get(body["id"]).outputs == expected[i]
    engine.close()
