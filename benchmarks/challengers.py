"""The cost of a challenger: the default project's decide_batch (recorded, SQLite) and decide with
one challenger deciding in the shadow, against the champion alone, in the same run.

Run by hand: `python benchmarks/challengers.py` (10,000 rows, 3 interleaved rounds); CI smoke-runs
it with --smoke (tiny sizes). The challenger is a copy of the default project with one scorecard
row changed (docs/challengers.md).
"""

from __future__ import annotations

import argparse
import gc
import shutil
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks._common import table  # noqa: E402
from composite import CompositeEngine  # noqa: E402


def challenger_copy(target: Path) -> Path:
    target.mkdir(parents=True)
    shutil.copy(ROOT / "composite.yaml", target / "composite.yaml")
    for folder in ("knowledge", "models", "rules"):
        shutil.copytree(ROOT / folder, target / folder)
    config = target / "composite.yaml"
    config.write_text(config.read_text().replace("\nversion: 0.1.0\n", "\nversion: 0.2.0-challenger\n"))
    table_file = target / "rules" / "scorecard" / "age.table.yaml"
    table_file.write_text(table_file.read_text().replace("age_points: 0, id: under_25", "age_points: 8, id: under_25"))
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, for CI")
    parser.add_argument("--rows", type=int, default=10_000, help="rows per decide_batch (default: 10,000)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default: 3)")
    parser.add_argument("--singles", type=int, default=300, help="decide() calls per round (default: 300)")
    args = parser.parse_args()
    rows, rounds, singles = (200, 1, 20) if args.smoke else (args.rows, args.rounds, args.singles)

    tmp = Path(tempfile.mkdtemp(prefix="composite-challengers-"))
    try:
        challenger = challenger_copy(tmp / "challenger")
        alone = CompositeEngine.from_path(ROOT, store=f"sqlite:///{tmp / 'alone.db'}")
        shadowed = CompositeEngine.from_path(ROOT, store=f"sqlite:///{tmp / 'shadowed.db'}", challengers=[challenger])
        known = set(alone.inputs)
        data = pd.read_csv(ROOT / "data" / "german_credit.csv")
        data = data[[c for c in data.columns if c in known]]
        big = data.sample(rows, replace=True, random_state=7).reset_index(drop=True)
        requests = big.iloc[:singles].to_dict("records")
        for engine in (alone, shadowed):  # warm: every node's first call, the snapshots stored
            engine.decide_batch(big.iloc[:50])
            engine.decide(requests[0])
        batch: dict[str, list[float]] = {"alone": [], "challenger": []}
        single: dict[str, list[float]] = {"alone": [], "challenger": []}
        for _ in range(rounds):  # interleaved: both see the same machine
            for name, engine in (("alone", alone), ("challenger", shadowed)):
                gc.collect()
                start = time.perf_counter()
                engine.decide_batch(big)
                batch[name].append(time.perf_counter() - start)
                gc.collect()
                start = time.perf_counter()
                for request in requests:
                    engine.decide(request)
                single[name].append((time.perf_counter() - start) / len(requests))
        shadows = sum(1 for _ in shadowed.store.records(shadows=True))
        assert shadowed.challenger_failures == {}, shadowed.challenger_failures
        assert shadows == shadowed.store.count() // 2, (shadows, shadowed.store.count())
        best = {name: min(times) for name, times in batch.items()}
        per = {name: min(times) for name, times in single.items()}
        results = [
            (f"decide_batch, {rows:,} rows, SQLite", f"{rows / best['alone']:,.0f} rows/s",
             f"{rows / best['challenger']:,.0f} rows/s", f"x{best['challenger'] / best['alone']:.2f} the time"),
            ("decide, one request, SQLite", f"{per['alone'] * 1e6:,.0f} µs", f"{per['challenger'] * 1e6:,.0f} µs",
             f"x{per['challenger'] / per['alone']:.2f} the time"),
        ]
        # The spread: each round's own ratio (the two sides of a round ran back to back).
        spread = [
            (measure, ", ".join(f"x{c / a:.2f}" for a, c in zip(times["alone"], times["challenger"])))
            for measure, times in (("decide_batch", batch), ("decide", single))
        ]
        print(f"best of {rounds} interleaved round(s); the challenger's decisions stored beside the champion's")
        print(table(results, ("measure", "champion alone", "with one challenger", "ratio")))
        print(table(spread, ("ratio per round", "challenger / alone, round by round")))
        alone.close()
        shadowed.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
