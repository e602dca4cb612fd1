"""`composite batch --input FILE --output FILE`: decide a whole file chunk by chunk (or with Spark),
write the decisions and the rejected rows, show progress on standard error.

Exit codes: 0 every row decided, 1 some rows rejected (or the file as a whole refused), 2 wrong
usage. `add_batch_command` registers the command on the `composite` parser; docs/batch.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any, Callable, TextIO

__all__ = ["add_batch_command", "cmd_batch", "progress_line"]


def add_batch_command(subparsers: Any) -> argparse.ArgumentParser:
    """Register `batch` on the subparsers of the `composite` command."""
    p = subparsers.add_parser(
        "batch", help="decide every row of a CSV, Parquet or JSON-lines file",
        description="Decide a file chunk by chunk with bounded memory: decision ids and outputs to --output "
                    "(in the input's order, with each record's 0-based `row`), rejected rows and their problems "
                    "to --rejects. Exit 0 when every row was decided, 1 when some were rejected, 2 on wrong usage.")
    p.add_argument("--input", required=True, help="CSV, Parquet or JSON-lines file (.csv, .parquet, .jsonl, .ndjson)")
    p.add_argument("--output", required=True, help="file for row, decision_id and the outputs; its format from its "
                                                   "extension (.csv, .parquet, .jsonl)")
    p.add_argument("--rejects", default=None, help="file for the rejected rows: row, line, field, code, message and "
                                                   "the row's original values (default: the first 10 on stderr)")
    p.add_argument("--format", choices=("csv", "parquet", "jsonl"), default=None,
                   help="the input's format, when its extension does not say")
    p.add_argument("--project", default=".", help="decision project folder, .dmn or .fll file (default: .)")
    storing = p.add_mutually_exclusive_group()
    storing.add_argument("--store", default=None,
                         help="store URL: sqlite:///file.db, postgresql://... (default: $COMPOSITE_STORE_URL or "
                              "<project>/.composite/decisions.db)")
    storing.add_argument("--no-record", action="store_true", help="decide without storing the decisions")
    p.add_argument("--chunk-size", type=int, default=10_000, metavar="N",
                   help="rows decided (and stored, in one transaction) at a time; memory grows with N, not with "
                        "the file (default: 10000)")
    p.add_argument("--engine", choices=("local", "spark"), default="local",
                   help="local: this process, chunk by chunk; spark: a local[2] Spark session (needs pyspark, Java)")
    p.add_argument("--quiet", action="store_true", help="no progress on standard error")
    p.set_defaults(run=cmd_batch)
    return p


# -- progress ---------------------------------------------------------------------------------------


def progress_line(done: int, total: int | None, elapsed: float, rejected: int = 0) -> str:
    """`12,000 / 50,000 rows (24%)  8,123 rows/s  ETA 0:00:04  3 rejected`: one progress report."""
    speed = done / elapsed if elapsed > 0 else 0.0
    text = f"{done:,}" + (f" / {total:,} rows ({100 * done / total:.0f}%)" if total else " rows")
    text += f"  {speed:,.0f} rows/s"
    if total and speed > 0 and done < total:
        left = int((total - done) / speed)
        text += f"  ETA {left // 3600}:{left // 60 % 60:02d}:{left % 60:02d}"
    if rejected:
        text += f"  {rejected:,} rejected"
    return text


def progress_reporter(total: int | None, *, stream: TextIO | None = None, quiet: bool = False,
                      every: float | None = None) -> tuple[Callable[[int, int], None], Callable[[], None]]:
    """(report(done, rejected), finish()): the one place progress is drawn, so a richer display (rich)
    can replace it. On a terminal, one line redrawn in place with a carriage return at most ten times
    a second; elsewhere (a log, a pipe), a plain line every `every` seconds (default 10)."""
    stream = stream or sys.stderr
    if quiet:
        return (lambda done, rejected: None), (lambda: None)
    live = stream.isatty()
    interval = every if every is not None else 0.1 if live else 10.0
    started = time.monotonic()
    state = {"shown": started, "last": "", "drawn": ""}

    def report(done: int, rejected: int) -> None:
        now = time.monotonic()
        state["last"] = progress_line(done, total, now - started, rejected)
        if now - state["shown"] < interval:
            return
        state["shown"] = now
        state["drawn"] = state["last"]
        if live:
            stream.write("\r\033[K" + state["last"])
        else:
            stream.write(state["last"] + "\n")
        stream.flush()

    def finish() -> None:
        if state["last"] and (live or state["last"] != state["drawn"]):
            stream.write(("\r\033[K" if live else "") + state["last"] + "\n")
            stream.flush()

    return report, finish


# -- the command ------------------------------------------------------------------------------------


def cmd_batch(args: argparse.Namespace) -> int:
    from composite.batchfile import BatchUsageError, file_format, total_rows

    try:
        fmt = file_format(args.input, args.format)
        file_format(args.output)
        if args.rejects is not None:
            file_format(args.rejects)
        if args.chunk_size < 1:
            raise BatchUsageError(f"--chunk-size must be a positive number of rows, got {args.chunk_size}")
        if not Path(args.input).is_file():
            raise BatchUsageError(f"the input '{args.input}' is not a readable file")
        if args.engine == "spark":
            return _run_spark(args, fmt)
        from composite.batchfile import decide_file
        from composite.engine import CompositeEngine

        engine = CompositeEngine.from_path(args.project, store="memory" if args.no_record else args.store)
        total = None if args.quiet else total_rows(args.input, fmt)
        report, finish = progress_reporter(total, quiet=args.quiet)
        try:
            result = decide_file(engine, args.input, args.output, rejects=args.rejects, input_format=fmt,
                                 record=not args.no_record, chunk_size=args.chunk_size, progress=report)
        finally:
            finish()
            engine.close()
    except BatchUsageError as error:
        print(f"error: {error.message}", file=sys.stderr)
        return 2
    return _summary(args, result.rows, result.decided, result.rejected, result.problems, result.first_problems)


def _summary(args: argparse.Namespace, rows: int, decided: int, rejected: int, problems: int,
             first: list[str]) -> int:
    stored = "" if args.no_record else ", stored"
    print(f"{decided:,} of {rows:,} rows decided{stored}; decisions in {args.output}", file=sys.stderr)
    if not rejected:
        return 0
    where = f"; rows and problems in {args.rejects}" if args.rejects else ""
    print(f"{rejected:,} row{'s' if rejected != 1 else ''} rejected ({problems:,} problem"
          f"{'s' if problems != 1 else ''}){where}", file=sys.stderr)
    if not args.rejects:
        for line in first:
            print(f"  {line}", file=sys.stderr)
        if problems > len(first):
            print(f"  ... and {problems - len(first):,} more (write them all with --rejects FILE)", file=sys.stderr)
    return 1


def _run_spark(args: argparse.Namespace, fmt: str) -> int:
    import importlib.util
    import shutil

    if importlib.util.find_spec("pyspark") is None:
        print("error: --engine spark needs pyspark: pip install 'composite-decisions[spark]'", file=sys.stderr)
        return 2
    if shutil.which("java") is None:
        print("error: --engine spark needs Java (a JRE 17 or later on PATH)", file=sys.stderr)
        return 2
    from composite.spark import decide_file_with_spark

    report, finish = progress_reporter(None, quiet=args.quiet)
    try:
        result = decide_file_with_spark(args.input, args.output, project=args.project, input_format=fmt,
                                        rejects=args.rejects, store=None if args.no_record else args.store,
                                        record=not args.no_record, progress=report,
                                        chunk_size=args.chunk_size)
    finally:
        finish()
    return _summary(args, result.rows, result.decided, result.rejected, result.problems, result.first_problems)
