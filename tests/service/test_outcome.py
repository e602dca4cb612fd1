"""POST /decisions/{id}/outcome: what happened after a decision, kept apart from it."""

from __future__ import annotations

from composite import CompositeEngine
from tests.conftest import GOOD_LOAN
from tests.service.conftest import DEFAULT_REQUEST, TestClient
from composite.service import create_app


def test_an_outcome_is_recorded_and_the_decision_is_unchanged(client: TestClient, loan_engine: CompositeEngine) -> None:
    decision_id = client.post("/decisions", json=GOOD_LOAN).json()["id"]
    before = client.get(f"/decisions/{decision_id}").json()
    response = client.post(f"/decisions/{decision_id}/outcome", json={"value": "repaid", "note": "on time"})
    assert response.status_code == 201
    assert response.json() == {"decision_id": decision_id, "value": "repaid", "note": "on time"}
    outcome = loan_engine.store.outcomes()[decision_id]
    assert (outcome.value, outcome.note) == ("repaid", "on time")
    assert client.get(f"/decisions/{decision_id}").json() == before


def test_an_unknown_decision_is_404_and_a_body_without_value_is_422(client: TestClient) -> None:
    response = client.post("/decisions/nope/outcome", json={"value": 1})
    assert response.status_code == 404
    decision_id = client.post("/decisions", json=GOOD_LOAN).json()["id"]
    response = client.post(f"/decisions/{decision_id}/outcome", json={"result": 1})
    assert response.status_code == 422 and response.json()["code"] == "bad_outcome"
    assert client.post(f"/decisions/{decision_id}/outcome", json={"value": [1, 2]}).status_code == 422


def test_the_default_project_checks_the_value_against_its_outcome_concept(default_engine: CompositeEngine) -> None:
    with TestClient(create_app(default_engine)) as client:
        decision_id = client.post("/decisions", json=DEFAULT_REQUEST).json()["id"]
        assert client.post(f"/decisions/{decision_id}/outcome", json={"value": 1}).status_code == 201
        refused = client.post(f"/decisions/{decision_id}/outcome", json={"value": "defaulted"})
        assert refused.status_code == 422 and "default" in refused.text
        assert default_engine.store.outcomes([decision_id])[decision_id].value == 1
