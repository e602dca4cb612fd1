"""Monitoring: stored decisions of a window against the training data or another window."""

from __future__ import annotations

import json
import math
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from composite.cli import main
from composite.engine import CompositeEngine
from composite.errors import CompositeError
from composite.monitor import (Thresholds, binary_outcome, compare_column, population_stability, select,
                               stored_outcomes, stored_reference, wilson)

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def windows(tmp_path_factory):
    """A SQLite store with 1,500 applications resampled from the data (seeded), then 1,500 from
    applicants under 30 only, stored later; the time between them; the outcomes recorded for the first."""
    folder = tmp_path_factory.mktemp("monitor")
    url = f"sqlite:///{folder / 'decisions.db'}"
    engine = CompositeEngine.from_path(ROOT, store=url)
    data = pd.read_csv(ROOT / "data/german_credit.csv")
    usual = data.sample(1500, replace=True, random_state=11).reset_index(drop=True)
    decided = engine.decide_batch(usual.drop(columns=["default"]))
    for decision_id, default in zip(decided["decision_id"], usual["default"]):
        engine.store.record_outcome(decision_id, int(default))
    time.sleep(0.01)
    boundary = datetime.now(timezone.utc).isoformat()
    time.sleep(0.01)
    young = data[data["age"] < 30].sample(1500, replace=True, random_state=12).reset_index(drop=True)
    engine.decide_batch(young.drop(columns=["default"]))
    engine.store.close()
    return url, boundary


_runs: dict[tuple[str, ...], tuple[int, dict]] = {}


def run(capsys, *args: str) -> tuple[int, dict]:
    """`composite monitor --json ARGS`: the exit code and the report (each command run once)."""
    if args not in _runs:
        code = main(["monitor", "--project", str(ROOT), "--json", "--evidence-sample", "600", *args])
        _runs[args] = code, json.loads(capsys.readouterr().out)
    return _runs[args]


def by_name(report: dict) -> dict[str, dict]:
    return {d["name"]: d for d in report["drift"]}


def test_monitor_flags_age_in_a_window_of_young_applicants_and_exits_1(windows, capsys):
    url, boundary = windows
    code, report = run(capsys, "--store", url, "--since", boundary)
    assert code == 1 and report["exit_code"] == 1
    drift = by_name(report)
    inputs = [d for d in report["drift"] if d["role"] == "input"]
    assert max(inputs, key=lambda d: d["psi"])["name"] == "age"
    assert drift["age"]["psi"] > 0.25 and drift["age"]["p_value"] < 0.001
    assert any(line.startswith("input age:") for line in report["crossed"])
    # no applicant is 45 or older: that age table row stopped firing
    assert "age_score.from_45" in report["stopped"]


def test_monitor_passes_a_window_like_the_training_data_and_exits_0(windows, capsys):
    url, boundary = windows
    code, report = run(capsys, "--store", url, "--until", boundary)
    assert code == 0 and report["crossed"] == []
    drift = by_name(report)
    assert drift["age"]["psi"] < 0.05 and drift["age"]["current_n"] == 1500
    assert max(d["psi"] for d in report["drift"]) < 0.25
    assert {"decision", "probability_of_default", "default_probability"} <= set(drift)
    assert "reason" not in drift  # free text is not compared


def test_monitor_reports_auc_brier_and_calibration_where_outcomes_exist(windows, capsys):
    url, boundary = windows
    _, report = run(capsys, "--store", url, "--until", boundary)
    current = {p["output"]: p for p in report["performance"] if p["window"] == "current"}
    reference = {p["output"]: p for p in report["performance"] if p["window"] == "reference"}
    score = current["default_probability"]
    assert score["n"] == 1500 and 0.7 < score["auc"] < 1.0
    low, high = score["auc_interval"]
    assert low < score["auc"] < high
    assert 0 < score["brier"] < 0.25
    assert sum(row[1] for row in score["calibration"]) == 1500
    for _, n, _, observed, lo, hi in score["calibration"]:
        assert lo <= observed <= hi
    # resampled from the training rows: the same AUC within the intervals
    assert abs(reference["default_probability"]["auc"] - score["auc"]) < 0.05


def test_monitor_against_a_reference_window_of_the_store(windows, capsys):
    url, boundary = windows
    code, report = run(capsys, "--store", url, "--since", boundary, "--reference", f"..{boundary}")
    assert code == 1
    drift = by_name(report)
    assert max((d for d in report["drift"] if d["role"] == "input"), key=lambda d: d["psi"])["name"] == "age"
    assert report["reference_n"] == 1500


def test_monitor_thresholds_from_options(windows, capsys):
    url, boundary = windows
    code, report = run(capsys, "--store", url, "--since", boundary, "--psi", "100", "--p-value", "0")
    assert code == 0 and report["thresholds"] == {"psi": 100.0, "p_value": 0.0, "auc_drop": 0.05}


def test_monitor_writes_an_html_report(windows, capsys, tmp_path):
    url, boundary = windows
    target = tmp_path / "monitor.html"
    main(["monitor", "--project", str(ROOT), "--store", url, "--since", boundary, "--evidence-sample", "300",
          "--html", str(target)])
    html = target.read_text()
    assert html.count("<svg") >= 5 and "share-chart" in html and 'id="drift"' in html and "age" in html


def test_select_and_outcomes_of_the_store(windows):
    url, boundary = windows
    from composite.store import open_store

    store = open_store(url)
    before = list(select(store, until=boundary))
    assert len(before) == 1500
    assert len(stored_outcomes(store, before)) == 1500
    assert len(stored_reference(store, boundary, None).decisions) == 1500
    store.close()


def test_population_stability_is_zero_for_equal_shares_and_grows_with_a_shift():
    rng = np.random.default_rng(0)
    reference = rng.normal(0, 1, 5000)
    assert population_stability(reference, reference, kind="number")[0] == pytest.approx(0.0)
    small = population_stability(reference, rng.normal(0.1, 1, 5000), kind="number")[0]
    large = population_stability(reference, rng.normal(1.0, 1, 5000), kind="number")[0]
    assert 0 < small < 0.1 < 0.25 < large


def test_population_stability_of_categories_by_hand():
    psi, bins = population_stability(["a"] * 50 + ["b"] * 50, ["a"] * 80 + ["b"] * 20, kind="category")
    expected = (0.8 - 0.5) * math.log(0.8 / 0.5) + (0.2 - 0.5) * math.log(0.2 / 0.5)
    assert psi == pytest.approx(expected)
    assert bins == [("a", 0.5, 0.8), ("b", 0.5, 0.2)]


def test_a_category_missing_from_the_reference_counts_with_epsilon():
    psi, _ = population_stability(["a"] * 100, ["a"] * 90 + ["new"] * 10, kind="category")
    assert math.isfinite(psi) and psi > 0.25


def test_compare_column_uses_ks_for_numbers_and_chi_squared_for_categories():
    rng = np.random.default_rng(1)
    numbers = compare_column("x", "input", rng.normal(0, 1, 800).tolist(), rng.normal(0, 1, 800).tolist())
    assert numbers.test == "ks" and numbers.p_value > 0.001 and not numbers.crossed
    shifted = compare_column("x", "input", rng.normal(0, 1, 800).tolist(), rng.normal(2, 1, 800).tolist())
    assert shifted.crossed and shifted.psi > 0.25
    words = compare_column("y", "input", ["a", "b"] * 300, ["a"] * 500 + ["b"] * 100)
    assert words.test == "chi2" and words.p_value < 1e-6 and words.kind == "category"


def test_thresholds_read_from_a_monitoring_mapping():
    assert Thresholds.from_mapping({"psi": 0.2, "p_value": 0.01}) == Thresholds(psi=0.2, p_value=0.01, auc_drop=0.05)
    assert Thresholds.from_project(ROOT) == Thresholds()  # the default project sets none
    with pytest.raises(CompositeError, match="unknown key"):
        Thresholds.from_mapping({"psi_limit": 0.2})
    with pytest.raises(CompositeError, match="non-negative number"):
        Thresholds.from_mapping({"psi": "high"})


def test_wilson_interval_and_binary_outcomes():
    low, high = wilson(30, 100)
    assert low == pytest.approx(0.2189, abs=1e-4) and high == pytest.approx(0.3958, abs=1e-4)
    assert [binary_outcome(v) for v in (1, 0, True, "default", "repaid", 0.5, "maybe")] == [1, 0, 1, 1, 0, None, None]


def test_rank_auc_equals_sklearn_with_ties():
    from sklearn.metrics import roc_auc_score

    from composite.monitor import rank_auc

    rng = np.random.default_rng(5)
    y = rng.integers(0, 2, 400)
    p = np.round(rng.random(400) * 0.5 + y * 0.3, 2)  # rounded: many ties
    assert rank_auc(y, p) == pytest.approx(roc_auc_score(y, p), abs=1e-12)


def test_an_auc_drop_past_the_threshold_is_crossed(windows):
    from composite.monitor import monitor
    from composite.store import open_store

    url, boundary = windows
    store = open_store(url)
    reference = stored_reference(store, None, boundary)
    store.close()
    # the same decisions, their outcomes turned over: the scores now rank them backwards
    flipped = {decision_id: 1 - y for decision_id, y in reference.outcomes.items()}
    report = monitor(reference.decisions, reference, outcomes=flipped, evidence_sample=50)
    drops = [line for line in report.crossed if "AUC" in line]
    assert report.exit_code == 1 and any(line.startswith("output default_probability: AUC") for line in drops)
    assert not [d for d in report.drift if d.crossed]  # the same decisions: nothing drifted
    current = {p.output: p for p in report.performance if p.window == "current"}
    before = {p.output: p for p in report.performance if p.window == "reference"}
    assert current["default_probability"].auc == pytest.approx(1 - before["default_probability"].auc)


def test_monitoring_thresholds_in_composite_yaml_load_and_are_checked(tmp_path):
    """The project's config knows `monitoring:`: a project with it loads, and a wrong key or value
    is an error at its line, as any other key of composite.yaml."""
    import shutil

    from composite.errors import ProjectError
    from composite.monitor import Thresholds
    from composite.project import load_project

    root = tmp_path / "p"
    shutil.copytree(Path(__file__).resolve().parents[1] / "composite" / "templates" / "blank", root)
    text = (root / "composite.yaml").read_text()
    (root / "composite.yaml").write_text(text + "monitoring: {psi: 0.1, p_value: 0.01}\n")
    assert load_project(root).config.monitoring.psi == 0.1
    assert Thresholds.from_project(root).psi == 0.1
    (root / "composite.yaml").write_text(text + "monitoring: {psi: 0.1, p_valu: 0.01}\n")
    with pytest.raises(ProjectError) as error:
        load_project(root)
    assert any(p.field == "monitoring.p_valu" and p.line for p in error.value.problems)
