"""Decision-table load time against row count: loading must stay linear in the rows.

Run by hand: `python benchmarks/table_load.py` (1k, 10k and 100k rows; about a minute on 2 cores);
CI runs it with --smoke (tiny sizes, seconds). Each size is timed as the whole load of a CSV table
(parsing every S-FEEL cell, checking, compiling the distinct entries), best of a few runs, next to a
100-row table measured in the same run as the baseline: for linear loading, `per row` stays flat
and `ratio` (time / baseline time) grows like `rows / 100`. Before issue 9 the distinct-entry scan
was quadratic: 10,000 rows took about a minute.

The generated table has one distinct range per row on one input (`[i..i+1)`, the case that made
the old scan quadratic), a category input with a few values and a numeric output; the benchmark
also decides one value from each table, so a table that loads but is wrong fails the run.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from benchmarks._common import once, table  # noqa: E402

from composite.tables import read_table_csv  # noqa: E402

BASELINE = 100
SIZES = (1_000, 10_000, 100_000)
SMOKE_BASELINE = 20
SMOKE_SIZES = (200, 1_000)
GRADES = ("'A'", "'B'", "'C'", "'D'")


def table_csv(rows: int) -> str:
    """A FIRST table of `rows` rows: row i accepts score in [i, i+1) and one grade; writes points i."""
    lines = ["# hit_policy: FIRST", f"# table: load_{rows}", "score, grade, -> points"]
    lines += [f"[{i}..{i + 1}), {GRADES[i % len(GRADES)]}, {i}" for i in range(rows)]
    return "\n".join(lines) + "\n"


def load(text: str, rows: int):
    decision = read_table_csv(text, file=f"rules/load_{rows}.csv")
    probe = rows - 1  # the last row: every row before it is tested and passed over
    value = decision.evaluate({"score": probe + 0.5, "grade": GRADES[probe % len(GRADES)][1:-1]}).value
    if value != probe:
        raise SystemExit(f"{rows}-row table decided {value!r}, expected {probe}")
    return decision


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, for CI: finishes in seconds")
    parser.add_argument("--repeat", type=int, default=None, help="runs per size (best is reported)")
    args = parser.parse_args()
    baseline, sizes = (SMOKE_BASELINE, SMOKE_SIZES) if args.smoke else (BASELINE, SIZES)
    repeat = args.repeat or (1 if args.smoke else 3)

    texts = {rows: table_csv(rows) for rows in (baseline, *sizes)}
    base = once(lambda: load(texts[baseline], baseline), repeat=max(repeat, 5))
    results = [(f"{baseline:,} (baseline)", f"{base * 1e3:.1f} ms", f"{base / baseline * 1e6:.1f} us", "1.0", "1")]
    for rows in sizes:
        seconds = once(lambda: load(texts[rows], rows), repeat=repeat if rows < 100_000 else 1)
        results.append((f"{rows:,}", f"{seconds * 1e3:.1f} ms", f"{seconds / rows * 1e6:.1f} us",
                        f"{seconds / base:.1f}", f"{rows // baseline}"))
    print(f"Decision table load time (CSV, FIRST, one distinct range per row), best of {repeat}\n")
    print(table(results, ("rows", "load", "per row", "ratio to baseline", "linear would be")))


if __name__ == "__main__":
    main()
