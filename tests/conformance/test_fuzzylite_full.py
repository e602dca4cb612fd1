"""pyfuzzylite's example engines (shared/conformance/fuzzylite-full) reproduce their .fld data to 1e-6."""

from __future__ import annotations

from pathlib import Path

import pytest

from composite.fuzzy.conformance import check_folder, main
from tests.conftest import SHARED

FOLDER = SHARED / "conformance" / "fuzzylite-full"
# Engines known to reproduce their reference data; it may only rise, and ends at all of them.
PASSING_AT_LEAST = 50


@pytest.fixture(scope="module")
def suite() -> Path:
    if not FOLDER.is_dir():
        pytest.skip(f"FuzzyLite conformance suite not found at {FOLDER}; set COMPOSITE_SHARED_DIR to the folder "
                    "holding conformance/fuzzylite-full")
    return FOLDER


def test_at_least_the_known_engines_reproduce_their_fld(suite: Path) -> None:
    results = check_folder(suite)
    passing = [r for r in results if r.status == "PASS"]
    report = "\n".join(f"{r.status} {r.path.relative_to(suite)}: {r.detail}" for r in results if r.status != "PASS")
    assert len(results) >= 51
    assert len(passing) >= PASSING_AT_LEAST, report
    assert all(r.worst <= 1e-6 for r in passing)


def test_the_runner_prints_per_engine_lines_and_totals(suite: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main([str(suite / "terms")])
    out = capsys.readouterr().out
    assert "PASS     triangle.fll" in out
    assert out.rstrip().splitlines()[-1].startswith("total")
