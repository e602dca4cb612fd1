"""A small synthetic credit project for model tests: known directions, all feature kinds, fast to train."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.conftest import write_project

CONCEPTS = """
    concepts:
      income: {type: number, unit: EUR, range: [0, 50000], description: Monthly net income,
               influences: {bad: decreases}}
      debt_ratio: {type: number, range: [0, 5], description: Debt relative to yearly income}
      grade: {type: category, values: [A, B, C, D], ordered: true, description: Internal risk grade,
              influences: {bad: increases}}
      region: {type: category, values: [north, south, east, west, islands], description: Region of residence}
      homeowner: {type: boolean, description: Owns a home, influences: {bad: decreases}}
      burden: {type: number, unit: points, description: "Debt burden, ten points per unit of debt ratio",
               influences: {bad: increases}}
      bad: {type: integer, range: [0, 1], description: Defaulted (1) or repaid (0)}
      decision: {type: category, values: [approve, decline], description: Outcome}
"""

PROJECT = """
    name: synthetic
    version: 1.0.0
    outputs: [decision, bad_probability, in_domain]
    nodes:
      - name: burden
        kind: expression
        writes:
          burden: debt_ratio * 10
      - {name: risk, kind: model, file: models/risk.model.yaml}
      - name: policy
        kind: expression
        writes:
          decision: if bad_probability > 0.5 then "decline" else "approve"
"""

MODEL = """
    description: Synthetic default risk
    algorithm: {algorithm}
    target: bad
    output: bad_probability
    domain_output: in_domain
    data: data/train.csv
    features: [income, grade, region, homeowner, burden]
    validation: {{folds: 3, repeats: 1}}
    seed: 7
    {extra}
"""

GRADES = ["A", "B", "C", "D"]
REGIONS = ["north", "south", "east", "west"]  # "islands" is allowed but never in the data


def make_data(n: int, seed: int = 0) -> pd.DataFrame:
    """Rows whose default risk falls with income and home ownership and rises with debt and grade."""
    rng = np.random.default_rng(seed)
    income = np.round(rng.lognormal(8.0, 0.4, n), 0)
    debt = np.round(rng.gamma(2.0, 0.4, n), 2).clip(0, 5)
    grade = rng.choice(GRADES, n, p=[0.3, 0.3, 0.25, 0.15])
    region = rng.choice(REGIONS, n)
    owner = rng.random(n) < 0.45
    logit = (-0.8 - 0.0006 * (income - 3000) + 1.2 * (debt - 0.8) + 0.6 * np.array([GRADES.index(g) for g in grade])
             - 0.7 * owner + np.where(region == "south", 0.5, 0.0) - 0.6)
    bad = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return pd.DataFrame({"income": income, "debt_ratio": debt, "grade": grade, "region": region,
                         "homeowner": owner, "bad": bad})


def write_ml_project(root: Path, *, algorithm: str = "lightgbm", n: int = 240, extra: str = "",
                     seed: int = 0) -> Path:
    model = textwrap.dedent(MODEL).format(algorithm=algorithm, extra=extra)
    write_project(root, PROJECT, CONCEPTS, {"models/risk.model.yaml": model})
    (root / "data").mkdir(exist_ok=True)
    make_data(n, seed).to_csv(root / "data" / "train.csv", index=False)
    return root


@pytest.fixture
def ml_project(tmp_path: Path) -> Path:
    return write_ml_project(tmp_path / "synthetic")
