"""The hash chain's cost on bulk writes, and replay and verify rates, on the default project in SQLite.

Measures, in one run:
  write   `decide_batch(frame)` (record=True) into a SQLite store with the chain against the same
          frames into one written with `?chain=off`, in interleaved rounds (each goes first in
          turn): best and median seconds per round, wall clock and this process's CPU time (the
          steadier figure on a shared machine: other processes do not count), and the ratio
          chain/no chain (target: at most 1.10). The same for `save_records` alone (the store's
          part of the write, without deciding).
  replay  `replay_many` over every stored decision: rows/s, and how many came out identical.
  verify  `verify_store` over the chain: rows/s, and the findings (0 expected).

Run by hand: `python benchmarks/replay_verify.py` (100,000 stored decisions); CI smoke-runs it with
--smoke (tiny sizes). Times are wall clock on whatever machine runs it: say which when quoting them.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks._common import table  # noqa: E402
from composite import CompositeEngine, open_store  # noqa: E402
from composite.ids import new_ids  # noqa: E402

TARGET = 1.10


def frames(engine: CompositeEngine, rows: int, count: int):
    import pandas as pd

    data = pd.read_csv(ROOT / "data" / "german_credit.csv")
    known = [c for c in data.columns if c in set(engine.project.input_schema.concepts)]
    data = data[known]
    return [data.sample(rows, replace=True, random_state=seed).reset_index(drop=True) for seed in range(count)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: runs in seconds, proves it works")
    parser.add_argument("--rows", type=int, default=None, help="decisions stored per store (default 100,000)")
    parser.add_argument("--rounds", type=int, default=None, help="write rounds (default 10)")
    parser.add_argument("--replay", type=int, default=None,
                        help="decisions replayed (default: all stored); verify always walks all")
    args = parser.parse_args(argv)
    total = args.rows or (600 if args.smoke else 100_000)
    rounds = args.rounds or (3 if args.smoke else 10)
    per_round = max(1, total // rounds)

    with tempfile.TemporaryDirectory(prefix="composite-bench-") as folder:
        on_url, off_url = f"sqlite:///{folder}/on.db", f"sqlite:///{folder}/off.db?chain=off"
        engines = {"chain": CompositeEngine.from_path(ROOT, store=on_url),
                   "no chain": CompositeEngine.from_path(ROOT, store=off_url)}
        batches = frames(engines["chain"], per_round, rounds)
        for engine in engines.values():  # the snapshot and the schema, untimed
            engine.decide_batch(batches[0].iloc[:5])
        times: dict[str, list[float]] = {name: [] for name in engines}
        cpu: dict[str, list[float]] = {name: [] for name in engines}
        names = list(engines)
        for i, frame in enumerate(batches):
            for name in names[i % 2:] + names[:i % 2]:
                started, used = time.perf_counter(), time.process_time()
                engines[name].decide_batch(frame)
                times[name].append(time.perf_counter() - started)
                cpu[name].append(time.process_time() - used)

        # the store's part alone: the same records saved again under new ids
        store = engines["chain"].store
        records = list(store.records(limit=per_round))
        saves: dict[str, list[float]] = {name: [] for name in engines}
        saves_cpu: dict[str, list[float]] = {name: [] for name in engines}
        extra = {"chain": open_store(f"sqlite:///{folder}/on2.db"),
                 "no chain": open_store(f"sqlite:///{folder}/off2.db?chain=off")}
        for i in range(rounds):
            for name in names[i % 2:] + names[:i % 2]:
                fresh = [dict(r, id=new_id) for r, new_id in zip(records, new_ids(len(records)))]
                started, used = time.perf_counter(), time.process_time()
                extra[name].save_records(fresh)
                saves[name].append(time.perf_counter() - started)
                saves_cpu[name].append(time.process_time() - used)
        for s in extra.values():
            s.close()

        def line(what: str, samples: dict[str, list[float]]) -> tuple[str, ...]:
            on, off = samples["chain"], samples["no chain"]
            return (what, f"{min(on):.3f} / {statistics.median(on):.3f} s",
                    f"{min(off):.3f} / {statistics.median(off):.3f} s",
                    f"{min(on) / min(off):.3f}x / {statistics.median(on) / statistics.median(off):.3f}x",
                    f"{(min(on) - min(off)) / len(records) * 1e6:.1f} µs")

        decide_ratio = statistics.median(cpu["chain"]) / statistics.median(cpu["no chain"])
        rows = [line(f"decide_batch {per_round:,} rows, wall", times), line("  CPU", cpu),
                line(f"save_records {len(records):,} rows, wall", saves), line("  CPU", saves_cpu)]
        print(f"write: {rounds} interleaved rounds, best / median; target chain/no chain <= {TARGET:.2f}")
        print(table(rows, ("write", "chain", "no chain", "ratio", "chain per row")))
        for engine in engines.values():
            engine.close()

        from composite.audit import verify_store
        from composite.replay import ReplayCounts, replay_many

        store = open_store(on_url)
        stored = store.count()
        counts = ReplayCounts()
        started = time.perf_counter()
        for result in replay_many(store, sample=args.replay, seed=1) if args.replay else replay_many(store):
            counts.add(result)
        replay_s = time.perf_counter() - started
        started = time.perf_counter()
        verified = verify_store(store)
        verify_s = time.perf_counter() - started
        store.close()
        walked = sum(verified.rows.values())
        print(f"\nstored decisions: {stored:,}")
        print(table([("replay", f"{counts.total:,}", f"{replay_s:.1f} s", f"{counts.total / replay_s:,.0f}",
                      f"{counts.identical:,} identical, {counts.different} different, {counts.failed} failed"),
                     ("verify", f"{walked:,}", f"{verify_s:.2f} s", f"{walked / verify_s:,.0f}",
                      f"{len(verified.findings)} findings")],
                    ("", "rows", "time", "rows/s", "result")))
        ok = counts.identical == counts.total and verified.intact
        met = decide_ratio <= TARGET
        print(f"\nchain cost on decide_batch (median CPU time): {decide_ratio:.3f}x "
              f"({'meets' if met else 'misses'} the {TARGET:.2f}x target)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
