"""Shared fixtures: small projects written to temporary folders, and where shared/ lives."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest
from hypothesis import settings

# CI runs the property tests on a fixed sequence of examples, so a submission's result does not
# depend on the luck of the draw; local runs keep exploring new examples.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("COMPOSITE_SHARED_DIR", REPO.parent / "shared"))


def write_project(root: Path, composite_yaml: str, concepts_yaml: str, files: dict[str, str] | None = None) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "composite.yaml").write_text(textwrap.dedent(composite_yaml).lstrip())
    (root / "knowledge").mkdir(exist_ok=True)
    (root / "knowledge" / "concepts.yaml").write_text(textwrap.dedent(concepts_yaml).lstrip())
    for relative, text in (files or {}).items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip())
    return root


LOAN_PROJECT = """
    name: loan
    version: 1.2.0
    outputs: [decision, ratio]
    nodes:
      - name: burden
        kind: expression
        description: Monthly burden
        writes:
          instalment: amount / months
          ratio: instalment / income
      - name: screen
        kind: expression
        writes:
          decision: |
            if age < 18 then "decline"
            else if ratio > 0.4 then "decline"
            else if ratio > 0.25 then "refer"
            else "approve"
"""

LOAN_CONCEPTS = """
    concepts:
      amount: {type: number, unit: EUR, range: [100, 100000], description: Amount requested}
      months: {type: integer, unit: months, range: [1, 120], description: Term}
      income: {type: number, unit: EUR, range: [1, 100000], description: Monthly income}
      age: {type: integer, unit: years, range: [0, 120], description: Age of the applicant}
      housing: {type: category, values: [rent, own, free], required: false, description: Housing}
      ratio: {type: number, description: Share of income taken by the instalment}
      decision: {type: category, values: [approve, refer, decline], description: Outcome}
"""


@pytest.fixture
def loan_project(tmp_path: Path) -> Path:
    return write_project(tmp_path / "loan", LOAN_PROJECT, LOAN_CONCEPTS)


GOOD_LOAN = {"amount": 6000, "months": 24, "income": 2000, "age": 40}
