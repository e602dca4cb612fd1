"""FEEL over columns against FEEL row by row, on the same rows in the same run (issue 14 item 1).

Run by hand: `python benchmarks/feel_speed.py` (100,000 rows, 5 interleaved rounds; a minute or so);
CI runs it with --smoke (2,000 rows, 2 rounds: seconds). Four FEEL-heavy expressions (arithmetic
in decimal128, nested if, comparisons, between, ranges, lists, and/or, abs) are evaluated with
`Expression.evaluate` once per row and with `Expression.evaluate_columns` once per column set (two
of the six columns are numpy integer arrays, the rest lists of decimals, strings and nulls); the
rounds alternate the two paths so that drift in the machine hits both. Printed per expression: the
median seconds of each path, its spread (min..max over the rounds), rows per second and the ratio
row / columns. Two decision-table input entries (unary tests) are timed the same way, `test` per
row against `test_columns`. The two paths' answers are checked equal, row by row, before anything
is timed.

No time is asserted: the ratio is the result (1.0 would mean the columns gain nothing).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from benchmarks._common import table  # noqa: E402

from composite.feel import compile_expression, compile_unary_tests  # noqa: E402
from composite.feel.values import to_feel  # noqa: E402

NAMES = ["Applicant Age", "Monthly Income", "Debt", "Score", "Region", "Credit Limit"]
EXPRESSIONS = {
    "screen (nested if)": (
        'if Applicant Age < 18 then "decline" '
        'else if Debt / Monthly Income > 0.4 then "decline" '
        'else if Debt / Monthly Income > 0.25 then "refer" else "approve"'
    ),
    "capacity (arithmetic)": "(Monthly Income * 12 - Debt * 12) * 0.3 + abs(Score - 600) / 10",
    "eligible (ranges, and/or)": (
        'Score in [600..850] and Applicant Age between 21 and 65 or Region in ("north", "east")'
    ),
    "headroom (if in arithmetic)": (
        "Credit Limit - (if Score > 700 then Monthly Income * 3 else Monthly Income * 1.5)"
    ),
}


# Decision-table input entries (unary tests) on one input column each: `test` per row against
# `test_columns`.
UNARY_TESTS = {
    "entry: Score in ranges": ("Score", "< 500, [650..700), >= 800"),
    "entry: Region not in list": ("Region", 'not("north", "west")'),
}


def make_columns(rows: int, seed: int = 14) -> dict[str, list[object]]:
    """FEEL values (decimals, strings, nulls) drawn once; both paths read the same ones."""
    random = np.random.default_rng(seed)
    age = random.integers(15, 80, rows)
    income = np.round(random.uniform(0, 9000, rows), 2)
    debt = np.round(random.uniform(0, 4000, rows), 2)
    score = random.integers(300, 900, rows)
    region = random.choice(["north", "south", "east", "west"], rows)
    limit = np.round(random.uniform(1000, 50000, rows), 2)
    missing = random.random(rows) < 0.02  # some nulls: FEEL's null rules are part of the work

    def decimals(values: np.ndarray) -> list[object]:
        return [None if gone else Decimal(str(v)) for v, gone in zip(values.tolist(), missing)]

    return {
        "Applicant Age": age,  # a numpy integer column, as a DataFrame gives it
        "Monthly Income": decimals(income),  # zero incomes appear: division by zero is null
        "Debt": decimals(debt),
        "Score": score,
        "Region": region.tolist(),
        "Credit Limit": decimals(limit),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny size, two rounds (CI)")
    parser.add_argument("--rows", type=int, default=None)
    parser.add_argument("--rounds", type=int, default=None)
    args = parser.parse_args(argv)
    rows = args.rows or (2_000 if args.smoke else 100_000)
    rounds = args.rounds or (2 if args.smoke else 5)

    columns = make_columns(rows)
    # The row path reads FEEL values (integers as decimals); making them is not timed for either path.
    scopes = [dict(zip(NAMES, map(to_feel, values))) for values in zip(*(columns[n] for n in NAMES))]
    compiled = {label: compile_expression(text, names=NAMES) for label, text in EXPRESSIONS.items()}

    # Each workload as (per row, over columns): two functions giving the same list.
    workloads: dict[str, tuple[Callable[[], list[object]], Callable[[], list[object]]]] = {}
    for label, expression in compiled.items():
        workloads[label] = (lambda e=expression: [e.evaluate(scope) for scope in scopes],
                            lambda e=expression: e.evaluate_columns(columns))
    for label, (name, text) in UNARY_TESTS.items():
        tests = compile_unary_tests(text)
        inputs = [scope[name] for scope in scopes]
        workloads[label] = (lambda t=tests, v=inputs: [t.test(x) for x in v],
                            lambda t=tests, n=name: t.test_columns(columns[n]))

    for label, (by_row, by_column) in workloads.items():
        expected, got = by_row(), by_column()
        if expected != got:
            first = next(i for i, (a, b) in enumerate(zip(expected, got)) if a != b)
            print(f"{label}: row {first} differs: row path {expected[first]!r}, columns {got[first]!r}")
            return 1

    times: dict[str, dict[str, list[float]]] = {label: {"row": [], "columns": []} for label in workloads}
    for _ in range(rounds):
        for label, (by_row, by_column) in workloads.items():
            start = time.perf_counter()
            by_row()
            times[label]["row"].append(time.perf_counter() - start)
            start = time.perf_counter()
            by_column()
            times[label]["columns"].append(time.perf_counter() - start)

    lines = []
    for label, samples in times.items():
        row, col = statistics.median(samples["row"]), statistics.median(samples["columns"])
        lines.append((
            label,
            f"{row:.3f} s ({min(samples['row']):.3f}..{max(samples['row']):.3f})",
            f"{col:.3f} s ({min(samples['columns']):.3f}..{max(samples['columns']):.3f})",
            f"{rows / row:,.0f}",
            f"{rows / col:,.0f}",
            f"{row / col:.1f}x",
        ))
    print(f"FEEL, {rows:,} rows, {rounds} interleaved rounds; median (min..max); answers checked equal")
    print(table(lines, ("expression", "row by row", "columns", "rows/s row", "rows/s columns", "ratio")))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
