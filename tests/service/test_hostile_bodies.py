"""Whatever a client sends, the service answers with a status and a JSON error, never a 500."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from composite import CompositeEngine
from composite.service import create_app
from tests.conftest import GOOD_LOAN, LOAN_CONCEPTS, LOAN_PROJECT, write_project
from tests.service.conftest import TestClient

_json = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(10**30), max_value=10**30) | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
_requests = st.fixed_dictionaries({}, optional={key: _json for key in ("amount", "months", "income", "age", "housing")}) \
    .map(lambda extra: {**GOOD_LOAN, **extra})

_client: dict[str, TestClient] = {}


def client() -> TestClient:
    """One service for all examples (hypothesis runs a test body many times; a fixture runs once)."""
    if "client" not in _client:
        import tempfile
        from pathlib import Path

        root = write_project(Path(tempfile.mkdtemp()) / "loan", LOAN_PROJECT, LOAN_CONCEPTS)
        _client["client"] = TestClient(create_app(CompositeEngine.from_path(root, store="memory")))
    return _client["client"]


def _answered(response: Any) -> None:
    assert response.status_code in (201, 404, 413, 422), response.text
    body = response.json()
    if response.status_code != 201:
        assert body["problems"] and all(p["code"] and p["message"] for p in body["problems"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=st.binary(max_size=200))
def test_any_bytes_are_a_decision_or_a_422(body: bytes) -> None:
    for path in ("/decisions", "/decisions/batch", "/decisions/batch?on_error=collect"):
        _answered(client().post(path, content=body, headers={"content-type": "application/json"}))
    _answered(client().post("/decisions/batch?on_error=collect", content=body, headers={"content-type": "text/csv"}))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(request=_requests)
def test_any_json_values_are_a_decision_or_a_422(request: dict[str, Any]) -> None:
    import json

    body = json.dumps(request, allow_nan=True).encode()
    _answered(client().post("/decisions", content=body, headers={"content-type": "application/json"}))
    _answered(client().post("/decisions/batch?on_error=collect", content=b"[" + body + b"," + body + b"]",
                            headers={"content-type": "application/json"}))
