"""The service's endpoints, specified on the loan project (tests/conftest.py) and the default one."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from composite import CompositeEngine, StoreError
from composite.errors import DecisionNotFound
from composite.service import create_app
from tests.conftest import GOOD_LOAN
from tests.service.conftest import DEFAULT_REQUEST, TestClient


def test_a_decision_is_created_stored_and_read_back(client: TestClient, loan_engine: CompositeEngine) -> None:
    response = client.post("/decisions", json=GOOD_LOAN)
    assert response.status_code == 201
    body = response.json()
    assert body["outputs"] == {"decision": "approve", "ratio": 0.125}
    assert response.headers["location"] == f"/decisions/{body['id']}"
    assert loan_engine.get(body["id"]).outputs == body["outputs"]
    stored = client.get(f"/decisions/{body['id']}").json()
    assert stored["id"] == body["id"]
    assert stored["inputs"]["amount"] == 6000
    assert [step["name"] for step in stored["trace"]["nodes"]] == ["burden", "screen"]


def test_explain_true_adds_the_explanation_of_the_stored_decision(client: TestClient, loan_engine: CompositeEngine) -> None:
    body = client.post("/decisions?explain=true", json=GOOD_LOAN).json()
    assert body["explanation"] == loan_engine.explain(body["id"])
    assert "approve" in body["explanation"]


def test_every_response_names_the_project_version_and_hash(client: TestClient, loan_engine: CompositeEngine) -> None:
    for response in (client.get("/health"), client.post("/decisions", json={}), client.get("/decisions/nope"),
                     client.get("/no/such/route")):
        assert response.headers["x-composite-project-version"] == "1.2.0"
        assert response.headers["x-composite-project-hash"] == loan_engine.project.hash


def test_the_explanation_comes_as_text_json_and_escaped_html(client: TestClient, loan_engine: CompositeEngine) -> None:
    decision_id = client.post("/decisions", json={**GOOD_LOAN, "housing": "own"}).json()["id"]
    text = client.get(f"/decisions/{decision_id}/explain")
    assert text.status_code == 200 and text.headers["content-type"].startswith("text/plain")
    assert text.text == loan_engine.explain(decision_id)
    as_json = client.get(f"/decisions/{decision_id}/explain", params={"format": "json"})
    assert as_json.json()["id"] == decision_id
    page = client.get(f"/decisions/{decision_id}/explain", params={"format": "html"})
    assert page.headers["content-type"].startswith("text/html")
    assert page.text.startswith("<!doctype html>")
    pre = re.search(r"<pre>(.*)</pre>", page.text, re.DOTALL).group(1)
    import html

    assert html.unescape(pre) == text.text
    assert "<" not in pre and ">" not in pre.replace("&gt;", "")
    assert client.get(f"/decisions/{decision_id}/explain", params={"format": "pdf"}).status_code == 422


def test_an_unknown_id_is_404_with_the_problem(client: TestClient) -> None:
    for path in ("/decisions/01nosuchdecision", "/decisions/01nosuchdecision/explain"):
        response = client.get(path)
        assert response.status_code == 404
        assert response.json()["problems"][0]["code"] == "decision_not_found"


def test_a_bad_request_is_422_listing_every_problem_and_storing_nothing(client: TestClient,
                                                                          loan_engine: CompositeEngine) -> None:
    response = client.post("/decisions", json={"amount": "6000", "months": 24.5, "income": 2000, "agee": 40})
    assert response.status_code == 422
    problems = {(p["field"], p["code"]) for p in response.json()["problems"]}
    assert problems == {("amount", "invalid_value"), ("months", "invalid_value"), ("agee", "unknown_field"),
                        ("age", "missing_field")}
    assert loan_engine.store.count() == 0


@pytest.mark.parametrize("body, code", [
    (b"{", "input_not_json"),
    (b'{"amount": 1, "amount": 2}', "duplicate_key"),
    (b"[1, 2]", "request_not_object"),
    (b"\xff\xfe", "input_not_utf8"),
    (b"[" * 100 + b"]" * 100, "request_too_deep"),
    (b"", "input_not_json"),
])
def test_malformed_json_is_422_never_a_500(client: TestClient, body: bytes, code: str) -> None:
    response = client.post("/decisions", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.json()["problems"][0]["code"] == code
    assert "Traceback" not in response.text


def test_values_in_messages_are_cut_short(client: TestClient) -> None:
    response = client.post("/decisions", json={**GOOD_LOAN, "housing": "x" * 9_000, "y" * 9_000: 1})
    assert response.status_code == 422
    assert len(response.text) < 3_000
    assert {p["code"] for p in response.json()["problems"]} == {"invalid_value", "unknown_field"}


def test_a_body_over_the_request_limit_is_413(loan_project: Any) -> None:
    from composite import Limits

    engine = CompositeEngine.from_path(loan_project, store="memory", limits=Limits(max_request_bytes=1_000))
    client = TestClient(create_app(engine))
    response = client.post("/decisions", content=b'{"amount": "' + b"x" * 2_000 + b'"}')
    assert response.status_code == 413
    assert response.json()["problems"][0]["code"] == "request_too_large"
    chunked = client.post("/decisions", content=iter([b'{"amount": "', b"x" * 2_000, b'"}']))  # no content-length
    assert chunked.status_code == 413
    assert client.post("/decisions/batch", json=[GOOD_LOAN] * 40).status_code == 413


def test_a_store_outage_is_503_and_ready_says_why(loan_project: Any) -> None:
    class Outage:
        url = "memory"

        def __getattr__(self, name: str) -> Any:
            def fail(*args: Any, **kwargs: Any) -> Any:
                raise StoreError("the database is down", code="store_unavailable")
            return fail

    engine = CompositeEngine.from_path(loan_project, store=Outage())  # type: ignore[arg-type]
    client = TestClient(create_app(engine))
    response = client.post("/decisions", json=GOOD_LOAN)
    assert response.status_code == 503
    assert response.json()["problems"][0]["code"] == "store_unavailable"
    assert client.get("/decisions/x").status_code == 503
    ready = client.get("/ready")
    assert ready.status_code == 503
    assert "the database is down" in ready.json()["reason"]
    assert client.get("/health").status_code == 200


def test_an_unexpected_error_is_a_json_500_without_a_traceback(loan_project: Any) -> None:
    engine = CompositeEngine.from_path(loan_project, store="memory")

    def broken(decision_id: str) -> Any:
        raise RuntimeError("a bug")

    engine.get = broken  # type: ignore[method-assign]
    response = TestClient(create_app(engine)).get("/decisions/x")
    assert response.status_code == 500
    assert response.json()["code"] == "internal_error"
    assert "a bug" not in response.text and "Traceback" not in response.text


def test_a_batch_as_json_or_csv_is_decided_and_stored(client: TestClient, loan_engine: CompositeEngine) -> None:
    rows = [GOOD_LOAN, {**GOOD_LOAN, "income": 500}]
    body = client.post("/decisions/batch", json=rows).json()
    assert [d["outputs"]["decision"] for d in body["decisions"]] == ["approve", "decline"]
    assert [d["row"] for d in body["decisions"]] == [0, 1]
    assert body["errors"] == [] and body["batch_id"]
    for decision in body["decisions"]:
        assert loan_engine.get(decision["id"]).outputs == decision["outputs"]
    csv = "amount,months,income,age,housing\n6000,24,2000,40,own\n6000,24,500,40,\n"
    as_csv = client.post("/decisions/batch", content=csv, headers={"content-type": "text/csv"})
    assert as_csv.status_code == 201
    assert [d["outputs"] for d in as_csv.json()["decisions"]] == [d["outputs"] for d in body["decisions"]]
    assert loan_engine.store.count() == 4


def test_a_batch_with_bad_rows_is_refused_whole_or_collected(client: TestClient, loan_engine: CompositeEngine) -> None:
    rows = [GOOD_LOAN, {**GOOD_LOAN, "age": "old", "months": 0}, {**GOOD_LOAN, "income": 500}]
    refused = client.post("/decisions/batch", json=rows)
    assert refused.status_code == 422
    assert loan_engine.store.count() == 0
    collected = client.post("/decisions/batch", params={"on_error": "collect"}, json=rows).json()
    assert [d["row"] for d in collected["decisions"]] == [0, 2]
    assert sorted((e["row"], e["field"], e["code"]) for e in collected["errors"]) == [
        (1, "age", "invalid_value"), (1, "months", "invalid_value")]
    assert loan_engine.store.count() == 2
    csv = "amount,months,income,age\n6000,24,2000,40\nlots,24,2000,40\n1_000,24,2000,40\ninf,24.5,2000,true\n"
    from_csv = client.post("/decisions/batch?on_error=collect", content=csv, headers={"content-type": "text/csv"}).json()
    assert [d["row"] for d in from_csv["decisions"]] == [0]
    assert from_csv["errors"][0] == {"row": 1, "field": "amount", "code": "invalid_value",
                                     "message": "'amount' expected a number, got str 'lots'"}
    assert [(e["row"], e["field"]) for e in from_csv["errors"][1:]] == [(2, "amount"), (3, "amount"), (3, "months"),
                                                                       (3, "age")]


@pytest.mark.parametrize("body, media, code", [
    (b'{"amount": 1}', "application/json", "batch_not_array"),
    (b"[1, 2]", "application/json", "request_not_object"),
    (b"[", "application/json", "input_not_json"),
    (b"", "text/csv", "input_not_csv"),
    (b'a,b\n1,2,3,4\n"', "text/csv", "input_not_csv"),
    (b"amount,nope\n1,2\n", "text/csv", "bad_request"),
])
def test_a_malformed_batch_is_422(client: TestClient, body: bytes, media: str, code: str) -> None:
    response = client.post("/decisions/batch?on_error=collect", content=body, headers={"content-type": media})
    assert response.status_code == 422, response.text
    assert code in {response.json()["code"], *(p["code"] for p in response.json()["problems"])}


def test_history_is_newest_first_and_filters_by_batch_and_time(client: TestClient) -> None:
    single = client.post("/decisions", json=GOOD_LOAN).json()["id"]
    batch = client.post("/decisions/batch", json=[GOOD_LOAN, GOOD_LOAN]).json()
    newest = client.get("/decisions", params={"limit": 2}).json()["decisions"]
    assert [row["id"] for row in newest] == sorted((d["id"] for d in batch["decisions"]), reverse=True)
    everything = client.get("/decisions").json()["decisions"]
    assert [row["id"] for row in everything][-1] == single and len(everything) == 3
    in_batch = client.get("/decisions", params={"batch_id": batch["batch_id"]}).json()
    assert {row["id"] for row in in_batch["decisions"]} == {d["id"] for d in batch["decisions"]}
    assert in_batch["scanned_all"] is True
    later = (datetime.now(timezone.utc) + timedelta(hours=1)).isoformat()
    assert client.get("/decisions", params={"since": later}).json()["decisions"] == []
    assert len(client.get("/decisions", params={"until": later}).json()["decisions"]) == 3
    bad = client.get("/decisions", params={"limit": 0, "since": "yesterday"})
    assert bad.status_code == 422
    assert {p["field"] for p in bad.json()["problems"]} == {"limit", "since"}


def test_schema_lists_types_units_ranges_values_and_required(client: TestClient) -> None:
    schema = client.get("/schema").json()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["properties"]["months"] == {"type": "integer", "minimum": 1, "maximum": 120, "x-unit": "months",
                                              "description": "Term"}
    assert schema["properties"]["housing"]["enum"] == ["rent", "own", "free", None]
    assert schema["properties"]["housing"]["type"] == ["string", "null"]
    assert sorted(schema["required"]) == ["age", "amount", "income", "months"]
    assert schema["additionalProperties"] is False
    outputs = client.get("/schema/outputs").json()
    assert list(outputs["properties"]) == ["decision", "ratio"]


def test_openapi_documents_the_request_inputs_and_the_outputs(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    post = document["paths"]["/decisions"]["post"]
    ref = post["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    request = document["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert set(request["properties"]) == {"amount", "months", "income", "age", "housing"}
    assert request["properties"]["amount"]["type"] == "number"
    assert (request["properties"]["amount"]["minimum"], request["properties"]["amount"]["maximum"]) == (100, 100000)
    assert request["properties"]["age"]["type"] == "integer"
    created = post["responses"]["201"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    outputs = document["components"]["schemas"][created]["properties"]["outputs"]["$ref"].rsplit("/", 1)[1]
    assert set(document["components"]["schemas"][outputs]["properties"]) == {"decision", "ratio"}
    assert document["components"]["schemas"][outputs]["properties"]["decision"]["enum"][:3] == [
        "approve", "refer", "decline"]
    assert "/decisions/{decision_id}/explain" in document["paths"]


def test_metrics_count_outcomes_errors_node_kinds_and_requests(client: TestClient) -> None:
    client.post("/decisions", json=GOOD_LOAN)
    client.post("/decisions", json={**GOOD_LOAN, "income": 500})
    client.post("/decisions", json={**GOOD_LOAN, "age": "x"})
    client.post("/decisions/batch", json=[GOOD_LOAN])
    text = client.get("/metrics").text
    assert 'composite_decisions_total{outcome="approve"} 2' in text
    assert 'composite_decisions_total{outcome="decline"} 1' in text
    assert 'composite_errors_total{code="invalid_value"} 1' in text
    assert 'composite_node_duration_seconds_count{kind="expression"} 4' in text
    assert 'composite_http_requests_total{method="POST",route="/decisions",status="201"} 2' in text
    assert 'composite_http_request_duration_seconds_count{method="POST",route="/decisions"} 3' in text
    assert re.search(r'composite_http_request_duration_seconds_bucket\{method="POST",route="/decisions",le="\+Inf"\} 3',
                     text)
    for line in text.splitlines():  # every sample is `name{labels} number`
        assert line.startswith("#") or re.fullmatch(r'[a-z_]+(\{[^}]*\})? [0-9.e+-]+', line), line


def test_ready_reports_the_project_and_health_is_live(client: TestClient, loan_engine: CompositeEngine) -> None:
    assert client.get("/health").json() == {"status": "ok"}
    ready = client.get("/ready")
    assert ready.status_code == 200
    assert ready.json()["project"] == {"name": "loan", "version": "1.2.0", "hash": loan_engine.project.hash}


def test_the_default_project_decides_like_the_engine(default_engine: CompositeEngine) -> None:
    client = TestClient(create_app(default_engine))
    response = client.post("/decisions", json=DEFAULT_REQUEST)
    assert response.status_code == 201
    body = response.json()
    assert body["outputs"] == default_engine.decide(DEFAULT_REQUEST, record=False).outputs
    assert body["outputs"]["decision"] in ("approve", "refer", "decline")
    metrics = client.get("/metrics").text
    assert f'composite_decisions_total{{outcome="{body["outputs"]["decision"]}"}} 1' in metrics
    for kind in ("rules", "table", "fuzzy", "model", "expression"):
        assert f'composite_node_duration_seconds_count{{kind="{kind}"}}' in metrics
    why_not = client.get(f"/decisions/{body['id']}/explain", params={"why_not": "long_and_large"})
    assert why_not.text == default_engine.explain(body["id"], why_not="long_and_large")
    assert "Why not 'long_and_large'?" in why_not.text
    schema = client.get("/schema").json()
    assert set(schema["required"]) == set(default_engine.project.input_schema.names)
    assert schema["properties"]["duration_months"]["maximum"] == 120


def test_decision_not_found_is_a_store_error_mapped_before_the_outage() -> None:
    assert issubclass(DecisionNotFound, StoreError)  # why the 404 is checked before the 503


def test_a_missing_fastapi_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch, loan_engine: CompositeEngine) -> None:
    import sys

    from composite.errors import ExtraNotInstalled

    monkeypatch.setitem(sys.modules, "fastapi", None)
    with pytest.raises(ExtraNotInstalled) as caught:
        create_app(loan_engine)
    assert "pip install 'composite-decisions[serve]'" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_the_workers_factory_reads_project_store_and_reload_from_the_environment(
        monkeypatch: pytest.MonkeyPatch, loan_project: Any, tmp_path: Any) -> None:
    from composite.service import from_environment

    monkeypatch.setenv("COMPOSITE_PROJECT", str(loan_project))
    monkeypatch.setenv("COMPOSITE_STORE_URL", f"sqlite:///{tmp_path / 'workers.db'}")
    monkeypatch.setenv("COMPOSITE_SERVE_RELOAD", "1")
    app = from_environment()
    assert app.state.service.watcher is not None
    with TestClient(app) as client:
        decision_id = client.post("/decisions", json=GOOD_LOAN).json()["id"]
        assert client.get("/ready").json()["reload"] == {"status": "ok"}
    with CompositeEngine.from_path(loan_project, store=f"sqlite:///{tmp_path / 'workers.db'}") as engine:
        assert engine.get(decision_id).outputs["decision"] == "approve"
