"""The lifecycle demo (examples/credit_lifecycle/run.py), small and seeded: the monitor notices the shift to
applicants under 30, the store trains a candidate, whatif counts what it changes, compare judges it in the
shadow on applicants it never learned from."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pandas as pd
import pytest

RUN = Path(__file__).resolve().parents[2] / "examples" / "credit_lifecycle" / "run.py"


@pytest.fixture(scope="module")
def lifecycle(tmp_path_factory):
    spec = importlib.util.spec_from_file_location("credit_lifecycle_run", RUN)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    printed: list[str] = []
    life = module.run(tmp_path_factory.mktemp("lifecycle") / "work", rows=300, shifted=150, shadowed=100, seed=3,
                      echo=printed.append)
    return life, "\n".join(printed)


def test_monitor_flags_the_shift_on_age_and_exits_1(lifecycle):
    life, _ = lifecycle
    monitor = life.steps["monitor"]
    assert monitor.exit_code == 1
    crossed = re.search(r"^crossed \(\d+\): (.*)$", monitor.output, re.M)
    assert crossed is not None and "age" in crossed.group(1).split(", ")
    psi = float(re.search(r"^age\s+input\s+([\d.]+)", monitor.output, re.M).group(1))
    assert psi > 1.0  # only applicants under 30: nearly every one in another age bin
    assert "(1000 decisions)" not in monitor.output and "(150 decisions)" in monitor.output


def test_the_store_trains_a_candidate_on_every_decision_with_an_outcome(lifecycle):
    life, _ = lifecycle
    train = life.steps["train"]
    assert train.exit_code == 0, train.output
    assert "version 0.1.0 -> 0.1.0+store.450, 450 decisions with outcomes" in train.output
    assert "model default_risk (lightgbm): 450 rows of data/from_store.csv" in train.output
    written = pd.read_csv(life.workdir / "candidate" / "data" / "from_store.csv")
    assert len(written) == 450 and set(written["default"]) == {0, 1}
    assert (written["age"].iloc[300:] < 30).all()  # the shifted window, stored later


def test_whatif_counts_the_decisions_the_candidate_changes_in_the_shifted_window(lifecycle):
    life, printed = lifecycle
    whatif = life.steps["whatif"]
    assert whatif.exit_code == 0
    counted = re.search(r"^150 decisions compared, (\d+) change", whatif.output, re.M)
    assert counted is not None and int(counted.group(1)) > 0
    assert "candidate: german-credit 0.1.0+store.450" in whatif.output
    assert "$ composite whatif --candidate candidate" in printed


def test_compare_judges_the_candidate_in_the_shadow_of_the_champion(lifecycle):
    life, printed = lifecycle
    if "compare" not in life.steps:
        assert "`composite compare` is not in this version of composite" in printed
        return
    compare = life.steps["compare"]
    assert compare.exit_code == 0, compare.output
    assert "challenger german-credit 0.1.0+store.450: 100 of 100 champion decisions shadowed" in compare.output
    assert "outcomes: 100 shadowed decisions have one" in compare.output
    assert re.search(r"probability_of_default \(n 100, \d+ positive\): AUC champion 0\.\d+, challenger 0\.\d+",
                     compare.output)
