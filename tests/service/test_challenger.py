"""`composite serve --challenger DIR`: the service answers with the champion alone, the challenger
decides in the shadow and its decision is stored linked."""

from __future__ import annotations

import os

from fastapi.testclient import TestClient

from composite import CompositeEngine, open_store
from composite.cli.serve import serve
from composite.service import create_app
from composite.service.app import CHALLENGERS_ENV, from_environment
from tests.conftest import GOOD_LOAN, LOAN_CONCEPTS, LOAN_PROJECT, write_project


def test_a_served_request_returns_the_champion_outputs_and_stores_the_shadow(loan_project, tmp_path):
    strict = write_project(tmp_path / "strict", LOAN_PROJECT.replace("1.2.0", "1.3.0-strict")
                           .replace("ratio > 0.25", "ratio > 0.1"), LOAN_CONCEPTS)
    engine = CompositeEngine.from_path(loan_project, store="memory", challengers=[strict])
    with TestClient(create_app(engine)) as client:
        response = client.post("/decisions", json=GOOD_LOAN)
        assert response.status_code == 201
        body = response.json()
        assert body["outputs"] == {"decision": "approve", "ratio": 0.125}  # the champion's, not "refer"
        history = client.get("/decisions").json()
    (shadow,) = engine.store.records(shadows=True)
    assert shadow["shadow_of"] == body["id"] and shadow["project_version"] == "1.3.0-strict"
    assert shadow["outputs"] == {"decision": "refer", "ratio": 0.125}
    assert shadow["id"] not in str(history)
    engine.close()


def test_serve_takes_challengers_and_passes_them_to_every_worker(loan_project, tmp_path, monkeypatch):
    strict = write_project(tmp_path / "strict", LOAN_PROJECT.replace("1.2.0", "1.3.0-strict"), LOAN_CONCEPTS)
    options = serve.make_context("serve", ["--challenger", str(strict), "--challenger", str(strict)]).params
    assert options["challenger"] == (str(strict), str(strict))
    monkeypatch.setenv("COMPOSITE_PROJECT", str(loan_project))
    url = f"sqlite:///{tmp_path / 'served.db'}"
    monkeypatch.setenv("COMPOSITE_STORE_URL", url)
    monkeypatch.setenv(CHALLENGERS_ENV, os.pathsep.join([str(strict)]))
    app = from_environment()
    with TestClient(app) as client:
        decision_id = client.post("/decisions", json=GOOD_LOAN).json()["id"]
    store = open_store(url)
    assert [r["shadow_of"] for r in store.records(shadows=True)] == [decision_id]
    store.close()
