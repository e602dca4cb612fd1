"""Batch throughput of the default project: Spark local[2] (`composite.spark.decide`) against
`decide_batch(record=False)` in this process, and `composite batch` on a CSV file (rows/s, and peak
traced memory for two file sizes: bounded by the chunk, not the file).

Run by hand: `python benchmarks/spark_batch.py` (1 million rows); CI smoke-runs it with --smoke.
Every number is reported next to a baseline measured in the same run.
"""

from __future__ import annotations

import argparse
import gc
import shutil
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks._common import package_version, table  # noqa: E402
from composite import CompositeEngine  # noqa: E402
from composite.batchfile import decide_file  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def applications(rows: int, seed: int = 3) -> pd.DataFrame:
    """`rows` applications drawn (with replacement) from the default project's data, as the other
    benchmarks draw them."""
    engine = CompositeEngine.from_path(ROOT, store="memory")
    known = set(engine.project.input_schema.names)
    data = pd.read_csv(ROOT / "data" / "german_credit.csv")
    data = data[[c for c in data.columns if c in known]]
    return data.sample(rows, replace=True, random_state=seed).reset_index(drop=True)


def local_rate(data: pd.DataFrame, slice_rows: int) -> float:
    """rows/s of decide_batch(record=False, trace="off") over `data`, `slice_rows` at a time."""
    engine = CompositeEngine.from_path(ROOT, store="memory")
    engine.decide_batch(data.head(100), record=False, trace="off")  # warm
    gc.collect()
    start = time.perf_counter()
    for first in range(0, len(data), slice_rows):
        engine.decide_batch(data.iloc[first:first + slice_rows], record=False, trace="off")
    return len(data) / (time.perf_counter() - start)


def spark_rate(data: pd.DataFrame, *, warm: bool = True) -> tuple[float, str] | None:
    """rows/s of composite.spark.decide on a local[2] session (input already cached in Spark)."""
    try:
        import pyspark  # noqa: F401
    except ModuleNotFoundError:
        print("skipped the Spark part: pyspark is not installed (pip install 'composite-decisions[spark]')")
        return None
    if shutil.which("java") is None:
        print("skipped the Spark part: no `java` on PATH")
        return None
    from composite import spark as composite_spark

    session = composite_spark.local_session("composite-benchmark")
    session.sparkContext.setLogLevel("ERROR")
    try:
        frame = session.createDataFrame(data).repartition(2).cache()
        frame.count()
        if warm:  # the Python workers started and each one's engine loaded, outside the timing
            composite_spark.decide(frame.limit(100), ROOT).write.format("noop").mode("overwrite").save()
        start = time.perf_counter()
        composite_spark.decide(frame, ROOT).write.format("noop").mode("overwrite").save()
        return len(data) / (time.perf_counter() - start), f"pyspark {package_version('pyspark')}"
    finally:
        session.stop()


def file_run(data: pd.DataFrame, folder: Path, chunk: int, *, traced: bool) -> tuple[float, int]:
    """(rows/s, peak traced bytes) of decide_file on `data` written as CSV, CSV out, not stored."""
    source = folder / f"in_{len(data)}.csv"
    if not source.exists():
        data.to_csv(source, index=False)
    engine = CompositeEngine.from_path(ROOT, store="memory")
    gc.collect()
    if traced:
        tracemalloc.start()
    start = time.perf_counter()
    decide_file(engine, source, folder / "out.csv", record=False, chunk_size=chunk)
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] if traced else 0
    if traced:
        tracemalloc.stop()
    return len(data) / seconds, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, for CI")
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows for Spark and decide_batch")
    parser.add_argument("--file-rows", type=int, default=1_000_000, help="rows of the CSV file for composite batch")
    parser.add_argument("--chunk-size", type=int, default=10_000)
    args = parser.parse_args()
    rows, file_rows, chunk = (2_000, 2_000, 500) if args.smoke else (args.rows, args.file_rows, args.chunk_size)
    data = applications(max(rows, file_rows))
    results = []

    local = local_rate(data.head(rows), slice_rows=min(rows, 100_000))
    results.append((f"decide_batch, {rows:,} rows, record=False, trace off", f"{local:,.0f} rows/s",
                    f"baseline: this process, {min(rows, 100_000):,}-row slices", ""))
    spark = spark_rate(data.head(200 if args.smoke else rows), warm=not args.smoke)
    if spark is not None:
        rate, version = spark
        results.append((f"spark.decide, local[2], {200 if args.smoke else rows:,} rows", f"{rate:,.0f} rows/s",
                        f"x{rate / local:.2f} of decide_batch",
                        version + (" (smoke: Python worker start included, not a rate)" if args.smoke else "")))

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        rate, _ = file_run(data.head(file_rows), folder, chunk, traced=False)
        results.append((f"composite batch, CSV -> CSV, {file_rows:,} rows, chunk {chunk:,}", f"{rate:,.0f} rows/s",
                        f"x{rate / local:.2f} of decide_batch", "reading, typing and writing included"))
        small = max(file_rows // 10, chunk)
        for size in (small, file_rows):  # the same peak for a file ten times larger: bounded by the chunk
            _, peak = file_run(data.head(size), folder, chunk, traced=True)
            results.append((f"  peak traced memory, {size:,}-row file", f"{peak / 1e6:,.1f} MB",
                            f"{peak / chunk:,.0f} B per chunk row", f"{peak / size:,.1f} B per file row"))

    print(table(results, ("measure", "ours", "baseline (same run)", "note")))


if __name__ == "__main__":
    main()
