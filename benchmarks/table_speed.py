"""Decision-table decision cost against row count, indexed and not: the issue 10 item 3 targets.

Run by hand: `python benchmarks/table_speed.py` (10 to 10,000 rows; a minute or two on 2 cores);
CI runs it with --smoke (10 to 1,000 rows, few repetitions: seconds). For UNIQUE, FIRST and
COLLECT tables of each size it times one decision (`evaluate`) and a batch (`evaluate_batch`, per
row), with the column indexes and with the unindexed reference path (`indexed=False`), and prints
each as a ratio to the 10-row table of the same policy measured in the same run. It also times
loading a 10,000-row CSV table (parse, check, compile, build the indexes with one decision).

Targets (reported, not asserted): a single decision on 10,000 rows within 3x of 10 rows; the
10,000-row load under 2 s.

The tables: row i accepts score in [i..i+1) (UNIQUE: one match), or for FIRST also a catch-all last
row, and a grade from four; COLLECT rows are `[i..i+3)` with any grade (a decision matches three
rows). Answers are checked against the unindexed path.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from benchmarks._common import once, per_call, table  # noqa: E402

from composite.tables import read_table_csv  # noqa: E402

SIZES = (10, 100, 1_000, 10_000)
SMOKE_SIZES = (10, 100, 1_000)
GRADES = ("A", "B", "C", "D")
BATCH = 2_000


def table_csv(policy: str, rows: int) -> str:
    lines = [f"# hit_policy: {policy}", f"# table: speed_{rows}", "score, grade, -> points"]
    for i in range(rows):
        score = f"[{i}..{i + 3})" if policy == "COLLECT" else f"[{i}..{i + 1})"
        grade = "-" if policy == "COLLECT" else f"'{GRADES[i % 4]}'"
        lines.append(f"{score}, {grade}, {i % 7}")
    if policy == "FIRST":
        lines.append("-, -, 99")
    return "\n".join(lines) + "\n"


def probes(rows: int, count: int, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    random = np.random.default_rng(seed)
    scores = random.uniform(0, rows, count)
    grades = np.array([GRADES[int(s) % 4] for s in scores], dtype=object)
    return scores, grades


def measure(policy: str, rows: int, repeat: int, number: int) -> dict[str, float]:
    decision = read_table_csv(table_csv(policy, rows), file=f"rules/speed_{rows}.csv")
    scores, grades = probes(rows, BATCH)
    requests = [{"score": float(s), "grade": g} for s, g in zip(scores[:64], grades[:64])]
    for request in requests[:8]:
        if decision.evaluate(request) != decision.evaluate(request, indexed=False):
            raise SystemExit(f"{policy} {rows}: indexed and unindexed decisions differ for {request}")
    columns = {"score": scores, "grade": grades}
    small = {"score": scores[:200], "grade": grades[:200]}
    a, b = decision.evaluate_batch(small, 200), decision.evaluate_batch(small, 200, indexed=False)
    if [a.row(i).value for i in range(200)] != [b.row(i).value for i in range(200)]:
        raise SystemExit(f"{policy} {rows}: indexed and unindexed batches differ")
    state = {"k": 0}

    def one(indexed: bool) -> None:
        state["k"] = (state["k"] + 1) % len(requests)
        decision.evaluate(requests[state["k"]], indexed=indexed)

    out = {"single": per_call(lambda: one(True), repeat=repeat, number=number),
           "batch": once(lambda: decision.evaluate_batch(columns, BATCH), repeat=repeat) / BATCH}
    if rows <= 1_000:  # the unindexed path at 10,000 rows takes too long for a routine run
        out["single_old"] = per_call(lambda: one(False), repeat=repeat, number=max(number // 10, 5))
        out["batch_old"] = once(lambda: decision.evaluate_batch(columns, BATCH, indexed=False),
                                repeat=1) / BATCH
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="small sizes, for CI: finishes in seconds")
    args = parser.parse_args()
    sizes = SMOKE_SIZES if args.smoke else SIZES
    repeat, number = (2, 50) if args.smoke else (5, 300)
    global BATCH
    if args.smoke:
        BATCH = 500
    rows_out = []
    for policy in ("UNIQUE", "FIRST", "COLLECT"):
        base: dict[str, float] = {}
        for rows in sizes:
            got = measure(policy, rows, repeat, number)
            if rows == sizes[0]:
                base = got
            ratio = lambda key: f"{got[key] / base[key]:.1f}x" if key in got else "-"  # noqa: E731
            rows_out.append((policy, f"{rows:,}", f"{got['single'] * 1e6:.1f} us", ratio("single"),
                             ratio("single_old"), f"{got['batch'] * 1e6:.2f} us", ratio("batch"),
                             ratio("batch_old")))
    print(f"Decision cost by table size (ratios to the {sizes[0]}-row table of the same policy, same run; "
          f"batches of {BATCH} rows, cost per row)\n")
    print(table(rows_out, ("policy", "rows", "single", "ratio", "unindexed ratio", "batch/row", "ratio",
                           "unindexed ratio")))
    load_rows = 1_000 if args.smoke else 10_000
    text = table_csv("UNIQUE", load_rows)

    def load() -> None:
        read_table_csv(text, file="rules/load.csv").evaluate({"score": 5.5, "grade": "B"})

    start = time.perf_counter()
    seconds = once(load, repeat=1 if args.smoke else 3)
    print(f"\nLoad of {load_rows:,} CSV rows, with the index built by one decision: {seconds:.2f} s "
          f"(target under 2 s at 10,000; this run took {time.perf_counter() - start:.1f} s)")


if __name__ == "__main__":
    main()
