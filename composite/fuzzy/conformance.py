"""FuzzyLite conformance: every `.fll` engine under a folder against its `.fld` reference data.

Run `python -m composite.fuzzy.conformance DIR`: one line per engine (PASS, FAIL with the worst
error, REFUSED with the load error), then totals per folder and overall.
"""

from __future__ import annotations

import argparse
import math
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from composite.errors import ProjectError
from composite.fuzzy.evaluate import FuzzyEvaluator
from composite.fuzzy.fll import read_fll

__all__ = ["EngineResult", "TOLERANCE", "check_engine", "check_folder", "main", "read_fld"]

TOLERANCE = 1e-6  # the .fld files carry 9 decimals; fuzzylite's own tests compare to 1e-6 too


@dataclass(frozen=True)
class EngineResult:
    """One engine's verdict: `status` is PASS, FAIL or REFUSED."""

    path: Path
    status: str
    detail: str = ""
    worst: float = 0.0


def read_fld(path: Path) -> tuple[list[str], np.ndarray]:
    """A .fld reference table: the header's variable names, then one row per line (nan allowed)."""
    lines = [line.split() for line in path.read_text().splitlines() if line.strip()]
    return lines[0], np.array([[float(v) for v in line] for line in lines[1:]])


def check_engine(fll: Path, *, relative_to: Path | None = None) -> EngineResult:
    """Load `fll`, evaluate its `.fld` grid in file order (as fuzzylite did) and compare every output."""
    name = str(fll.relative_to(relative_to)) if relative_to else fll.name
    fld = fll.with_suffix(".fld")
    try:
        rule_base = read_fll(fll.read_bytes(), file=name)
    except ProjectError as exc:
        first = exc.problems[0] if exc.problems else None
        detail = f"line {first.line}: {first.message}" if first is not None and first.line else \
            (first.message if first is not None else str(exc))
        return EngineResult(fll, "REFUSED", detail)
    if not fld.is_file():
        return EngineResult(fll, "FAIL", f"no reference data {fld.name}")
    header, table = read_fld(fld)
    inputs, outputs = rule_base.input_names, rule_base.output_names
    if tuple(header) != (*inputs, *outputs):
        return EngineResult(fll, "FAIL", f"the .fld header {header} is not the inputs then the outputs")
    evaluator = FuzzyEvaluator(rule_base, numerics="fuzzylite")
    columns = {variable: table[:, k] for k, variable in enumerate(inputs)}
    try:
        got = evaluator.evaluate_batch(columns, len(table), evidence=False).outputs
    except Exception as exc:  # a conformance report names the failure rather than stopping
        return EngineResult(fll, "FAIL", f"evaluation raised {type(exc).__name__}: {exc}")
    worst, where = 0.0, ""
    for j, variable in enumerate(outputs):
        expected = table[:, len(inputs) + j]
        actual = np.asarray(got[variable], dtype=np.float64)
        nan_mismatch = np.flatnonzero(np.isnan(actual) != np.isnan(expected))
        if nan_mismatch.size:
            row = int(nan_mismatch[0])
            return EngineResult(fll, "FAIL", f"{variable}: nan mismatch in {nan_mismatch.size} row(s), first row "
                                f"{row + 1} (expected {expected[row]}, got {actual[row]})", math.inf)
        finite = ~np.isnan(expected)
        if finite.any():
            with np.errstate(invalid="ignore"):  # inf - inf: equal infinities are no error
                errors = np.where(actual[finite] == expected[finite], 0.0, np.abs(actual[finite] - expected[finite]))
            k = int(np.argmax(errors))
            if errors[k] > worst:
                worst, where = float(errors[k]), f"{variable}, row {int(np.flatnonzero(finite)[k]) + 1}"
    if worst > TOLERANCE:
        return EngineResult(fll, "FAIL", f"off by {worst:.3g} ({where})", worst)
    return EngineResult(fll, "PASS", f"max error {worst:.1e}", worst)


def check_folder(folder: Path) -> list[EngineResult]:
    """Every `.fll` under `folder` (recursively, in path order)."""
    return [check_engine(fll, relative_to=folder) for fll in sorted(folder.rglob("*.fll"))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m composite.fuzzy.conformance",
                                     description="Check FuzzyLite engines (.fll) against their reference data (.fld).")
    parser.add_argument("folder", type=Path, help="a folder of .fll/.fld pairs, searched recursively")
    args = parser.parse_args(argv)
    if not args.folder.is_dir():
        print(f"error: {args.folder} is not a folder", file=sys.stderr)
        return 2
    results = check_folder(args.folder)
    for result in results:
        print(f"{result.status:8} {result.path.relative_to(args.folder)}  {result.detail}")
    folders: dict[str, list[EngineResult]] = {}
    for result in results:
        parts = result.path.relative_to(args.folder).parts
        folders.setdefault(parts[0] if len(parts) > 1 else ".", []).append(result)
    print()
    for folder, group in sorted(folders.items()):
        print(f"{folder:16} {_totals(group)}")
    print(f"{'total':16} {_totals(results)}")
    return 0 if all(r.status == "PASS" for r in results) else 1


def _totals(results: list[EngineResult]) -> str:
    counts = {status: sum(r.status == status for r in results) for status in ("PASS", "FAIL", "REFUSED")}
    return f"{counts['PASS']} of {len(results)} pass, {counts['FAIL']} fail, {counts['REFUSED']} refused"


if __name__ == "__main__":
    raise SystemExit(main())
