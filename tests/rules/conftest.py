"""Fixtures of the rule-set tests: the small credit project, written to a temporary folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import write_project
from tests.rules.helpers import CREDIT_CONCEPTS, CREDIT_PROJECT, CREDIT_RULES


@pytest.fixture
def credit_project(tmp_path: Path) -> Path:
    return write_project(tmp_path / "credit", CREDIT_PROJECT, CREDIT_CONCEPTS,
                         {"rules/credit_policy.rules.yaml": CREDIT_RULES})
