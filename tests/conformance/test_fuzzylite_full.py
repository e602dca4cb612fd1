"""pyfuzzylite's example engines (shared/conformance/fuzzylite-full) reproduce their .fld data to 1e-6,
one row as the batch does, and survive export to FLL and to *.fuzzy.yaml."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from composite.fuzzy.conformance import EngineResult, check_folder, main, read_fld
from composite.fuzzy.evaluate import FuzzyEvaluator
from composite.fuzzy.fll import read_fll, to_fll
from composite.fuzzy.yamlformat import read_fuzzy_yaml, to_fuzzy_yaml
from tests.conftest import SHARED

FOLDER = SHARED / "conformance" / "fuzzylite-full"
# Engines known to reproduce their reference data; it may only rise, and ends at all of them.
PASSING_AT_LEAST = 50
# The suite's data, not our numerics: discrete.fll prints its Discrete points to 3 decimals
# (0.007 for 0.00666), while its .fld was computed from pyfuzzylite's exact ones (discrete.py);
# with those points composite reproduces the .fld to 1.1e-9.
DATA_ISSUES = {"terms/discrete.fll": 1e-4}
ABSENT = (f"FuzzyLite conformance suite not found at {FOLDER}; set COMPOSITE_SHARED_DIR to the folder holding "
          "conformance/fuzzylite-full")
ENGINES = [pytest.param(p, id=str(p.relative_to(FOLDER))) for p in sorted(FOLDER.rglob("*.fll"))] \
    if FOLDER.is_dir() else [pytest.param(None, id="absent", marks=pytest.mark.skip(reason=ABSENT))]


@pytest.fixture(scope="module")
def suite() -> Path:
    if not FOLDER.is_dir():
        pytest.skip(ABSENT)
    return FOLDER


@pytest.fixture(scope="module")
def results(suite: Path) -> list[EngineResult]:
    return check_folder(suite)


def test_at_least_the_known_engines_reproduce_their_fld(suite: Path, results: list[EngineResult]) -> None:
    passing = [r for r in results if r.status == "PASS"]
    report = "\n".join(f"{r.status} {r.path.relative_to(suite)}: {r.detail}" for r in results if r.status != "PASS")
    assert len(results) >= 51
    assert len(passing) >= PASSING_AT_LEAST, report
    assert all(r.worst <= 1e-6 for r in passing)


def test_every_other_engine_fails_only_by_a_known_fault_of_the_suite(suite: Path,
                                                                      results: list[EngineResult]) -> None:
    for result in results:
        if result.status != "PASS":
            name = result.path.relative_to(suite).as_posix()
            assert name in DATA_ISSUES, f"{name}: {result.status} {result.detail}"
            assert result.status == "FAIL" and result.worst <= DATA_ISSUES[name], result.detail


def test_the_runner_prints_per_engine_lines_and_totals(suite: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main([str(suite / "terms")])
    out = capsys.readouterr().out
    assert "PASS     triangle.fll" in out
    assert "PASS     function.fll" in out
    assert out.rstrip().splitlines()[-1].startswith("total")


def _grid(fll: Path) -> tuple[object, dict[str, np.ndarray], int]:
    rule_base = read_fll(fll.read_bytes(), file=fll.name)
    _, table = read_fld(fll.with_suffix(".fld"))
    return rule_base, {name: table[:, k] for k, name in enumerate(rule_base.input_names)}, len(table)


@pytest.mark.parametrize("fll", ENGINES)
def test_one_row_gives_what_the_batch_gives(fll: Path) -> None:
    rule_base, columns, rows = _grid(fll)
    evaluator = FuzzyEvaluator(rule_base, numerics="fuzzylite")
    batch = evaluator.evaluate_batch(columns, rows)
    # lock-previous reads the row before, which one row alone does not have
    independent = [v.name for v in rule_base.outputs if not v.lock_previous]
    for i in range(0, rows, 61):
        row = evaluator.evaluate({name: column[i] for name, column in columns.items()})
        assert all(np.array_equal(row.outputs[name], batch.outputs[name][i], equal_nan=True) for name in independent)
        if len(independent) == len(rule_base.outputs):
            assert row.evidence == batch.evidence[i]


@pytest.mark.parametrize("fll", ENGINES)
def test_engines_survive_export_to_fll_and_to_yaml(fll: Path) -> None:
    rule_base, columns, rows = _grid(fll)
    expected = FuzzyEvaluator(rule_base, numerics="fuzzylite").evaluate_batch(columns, rows, evidence=False).outputs
    text = to_fll(rule_base)
    again = read_fll(text, file="again.fll")
    assert to_fll(again) == text
    document = to_fuzzy_yaml(rule_base)
    from_yaml = read_fuzzy_yaml(document, file="again.fuzzy.yaml")
    assert to_fuzzy_yaml(from_yaml) == document
    for copy in (again, from_yaml):
        got = FuzzyEvaluator(copy, numerics="fuzzylite").evaluate_batch(columns, rows, evidence=False).outputs
        assert all(np.array_equal(got[name], expected[name], equal_nan=True) for name in expected)
