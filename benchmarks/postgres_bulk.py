"""decide_batch storing into PostgreSQL against SQLite, on the Zen application-risk graph; and four
processes deciding into one PostgreSQL store at once.

Measures, in one run and on a temporary PostgreSQL server of its own (PostgreSQL's default
durability: fsync on, synchronous commit):
  bulk       decisions stored per second by `decide_batch(frame)` (record=True) into PostgreSQL,
             into SQLite and into the memory store (no I/O: the ceiling), in interleaved rounds;
             best, median and spread over the rounds; target >= 50,000 decisions/s into PostgreSQL.
  processes  4 processes x N `decide()` calls into one PostgreSQL store at once: every decision
             is there, once.

Run by hand: `python benchmarks/postgres_bulk.py`; CI smoke-runs it with --smoke (tiny sizes). Needs
the PostgreSQL server binaries (initdb, pg_ctl) and psycopg (the postgres extra); in smoke mode,
without them it prints a skip line and exits 0.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks._common import package_version, table  # noqa: E402
from benchmarks.zen_speed import PROJECT, requests  # noqa: E402
from composite import CompositeEngine, open_store  # noqa: E402
from composite.store import _pgserver  # noqa: E402

TARGET = 50_000


def spread(samples: list[float]) -> str:
    return f"{(max(samples) - min(samples)) / statistics.median(samples) * 100:.0f}%"


def bulk(url: str, sqlite_url: str, rows: int, rounds: int) -> tuple[list[tuple[str, ...]], bool]:
    engines = {name: CompositeEngine.from_path(PROJECT, store=store)
               for name, store in (("PostgreSQL", url), ("SQLite", sqlite_url), ("memory", "memory"))}
    frames = [requests(rows, seed) for seed in range(rounds)]
    for engine in engines.values():  # the snapshot, the schema and the first connections, untimed
        engine.decide_batch(frames[0].iloc[:10])
    rates: dict[str, list[float]] = {name: [] for name in engines}
    names = list(engines)
    for i, frame in enumerate(frames):
        for name in names[i % len(names):] + names[:i % len(names)]:  # each store goes first in turn
            started = time.perf_counter()
            engines[name].decide_batch(frame)
            rates[name].append(rows / (time.perf_counter() - started))
    stored = engines["PostgreSQL"].store.count()
    expected = rows * rounds + 10
    out = []
    for name in names:
        r = rates[name]
        note = {"PostgreSQL": "", "SQLite": "same run, same frames", "memory": "no I/O: the ceiling"}[name]
        out.append((f"decide_batch -> {name}", f"{rows:,} x {rounds}", f"{max(r):,.0f}", f"{statistics.median(r):,.0f}",
                    spread(r), note))
    median_pg = statistics.median(rates["PostgreSQL"])
    met = median_pg >= TARGET
    ratio = median_pg / statistics.median(rates["SQLite"])
    out.append(("PostgreSQL / SQLite (medians)", "", "", f"x{ratio:.2f}", "", ""))
    out.append(("target: >= 50,000/s into PostgreSQL", "", "", f"{median_pg:,.0f}", "",
                "MET" if met else "MISSED"))
    out.append(("stored in PostgreSQL, none lost", "", "", f"{stored:,} of {expected:,}", "",
                "ok" if stored == expected else "LOST OR DUPLICATED"))
    for engine in engines.values():
        engine.close()
    return out, met and stored == expected


def _decide(url: str, count: int, seed: int, barrier, results) -> None:  # type: ignore[no-untyped-def]
    engine = CompositeEngine.from_path(PROJECT, store=url)
    rows = requests(count, seed).to_dict("records")
    engine.decide(rows[0], record=False)
    barrier.wait()  # every process loaded: they start deciding together
    results.put([engine.decide(row).id for row in rows])
    engine.close()


def processes(url: str, count: int, workers: int = 4) -> tuple[list[tuple[str, ...]], bool]:
    context = multiprocessing.get_context("spawn")
    barrier, queue = context.Barrier(workers + 1), context.Queue()
    children = [context.Process(target=_decide, args=(url, count, 100 + w, barrier, queue)) for w in range(workers)]
    for child in children:
        child.start()
    barrier.wait(timeout=600)
    started = time.perf_counter()
    ids = [i for _ in children for i in queue.get(timeout=3600)]
    elapsed = time.perf_counter() - started
    for child in children:
        child.join()
    store = open_store(url)
    stored, distinct = store.count(), len({s.id for s in store.recent(len(ids) + 10)})
    store.close()
    ok = stored == len(ids) == distinct == len(set(ids)) == workers * count
    return [(f"{workers} processes x decide() -> PostgreSQL", f"{workers} x {count:,}", "",
             f"{len(ids) / elapsed:,.0f}", "", f"{stored:,} stored of {len(ids):,}: "
             + ("none lost, none twice" if ok else "LOST OR DUPLICATED"))], ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, for CI")
    parser.add_argument("--rows", type=int, default=100_000, help="rows per decide_batch")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds")
    parser.add_argument("--per-process", type=int, default=5_000, help="decide() calls per process")
    args = parser.parse_args()
    rows, rounds, workers, per_process = ((1_000, 2, 2, 50) if args.smoke
                                          else (args.rows, args.rounds, 4, args.per_process))
    if _pgserver.binaries() is None or not _has_psycopg():
        reason = _pgserver.missing_reason() if _pgserver.binaries() is None else "psycopg is not installed " \
            "(pip install 'composite-decisions[postgres]')"
        if args.smoke:
            print(f"postgres_bulk: skipped: {reason}")
            return
        sys.exit(f"postgres_bulk: {reason}")
    print(f"composite {package_version('composite')}, psycopg {package_version('psycopg')}, "
          f"PostgreSQL {_pgserver.binaries()}, {os.cpu_count()} CPUs")
    with _pgserver.TemporaryServer(durable=True) as server, tempfile.TemporaryDirectory() as tmp:
        sqlite_url = f"sqlite:///{Path(tmp) / 'd.db'}"
        results, bulk_ok = bulk(server.database_url(_pgserver.DATABASE), sqlite_url, rows, rounds)
        results_p, processes_ok = processes(server.create_database("processes"), per_process, workers)
    print(table(results + results_p, ("measure", "rows", "best/s", "median/s", "spread", "result")))
    if args.smoke:
        print("(smoke sizes: the code paths ran; the rates are not measurements)")
    if not (bulk_ok and processes_ok) and not args.smoke:
        print("postgres_bulk: a target was missed or decisions were lost; see above")


def _has_psycopg() -> bool:
    try:
        import psycopg  # noqa: F401
        import psycopg_pool  # noqa: F401
    except ImportError:
        return False
    return True


if __name__ == "__main__":
    main()
