"""Fixtures of the service tests: the loan project (tests/conftest.py) served by a TestClient."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Iterator

import pytest

pytest.importorskip("fastapi")

from tests.conftest import REPO  # noqa: E402

with warnings.catch_warnings():  # starlette's note about httpx versions, not about this code
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient  # noqa: E402

from composite import CompositeEngine  # noqa: E402
from composite.service import create_app  # noqa: E402

DEFAULT_REQUEST = json.loads((REPO / "data" / "sample_application.json").read_text())


@pytest.fixture
def loan_engine(loan_project: Path) -> Iterator[CompositeEngine]:
    engine = CompositeEngine.from_path(loan_project, store="memory")
    yield engine
    engine.close()


@pytest.fixture
def client(loan_engine: CompositeEngine) -> Iterator[TestClient]:
    with TestClient(create_app(loan_engine)) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def default_engine() -> Iterator[CompositeEngine]:
    engine = CompositeEngine.from_path(REPO, store="memory")
    yield engine
    engine.close()
