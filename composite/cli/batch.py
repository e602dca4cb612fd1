"""`composite batch --input FILE --output FILE`: decide a whole file chunk by chunk (or with Spark),
write the decisions and the rejected rows, show progress on standard error.

Exit codes: 0 every row decided, 1 some rows rejected (or the file as a whole refused), 2 wrong
usage. docs/batch.md.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Callable, TextIO

import click

from composite.cli._common import command

__all__ = ["batch", "progress_line", "progress_reporter"]


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
    """(report(done, rejected), finish()): the one place progress is drawn. On a terminal, a progress
    bar (rich) with the rows, rate, ETA and rejects, left as one line when done; elsewhere (a log, a
    pipe), a plain line every `every` seconds (default 10)."""
    stream = stream or sys.stderr
    if quiet:
        return (lambda done, rejected: None), (lambda: None)
    live = stream.isatty()
    if live and every is None:
        return _progress_bar(total, stream)
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


def _progress_bar(total: int | None, stream: TextIO) -> tuple[Callable[[int, int], None], Callable[[], None]]:
    """A rich bar on the terminal `stream`, redrawn ten times a second from its own thread; the last
    progress line stays once it is gone."""
    from rich.progress import BarColumn, Progress, TextColumn

    from composite.cli._output import console

    bar = Progress(BarColumn(), TextColumn("{task.description}"), console=console(stream), transient=True,
                   redirect_stdout=False, redirect_stderr=False)
    started = time.monotonic()
    task = bar.add_task(progress_line(0, total, 0.0), total=total)
    state = {"last": ""}
    bar.start()

    def report(done: int, rejected: int) -> None:
        state["last"] = progress_line(done, total, time.monotonic() - started, rejected)
        bar.update(task, completed=done, description=state["last"])

    def finish() -> None:
        bar.stop()
        if state["last"]:
            stream.write(state["last"] + "\n")
            stream.flush()

    return report, finish


# -- the command ------------------------------------------------------------------------------------


@command("batch", "Decide a file chunk by chunk with bounded memory: decision ids and outputs to --output "
                  "(in the input's order, with each record's 0-based `row`), rejected rows and their problems "
                  "to --rejects. Exit 0 when every row was decided, 1 when some were rejected, 2 on wrong usage.")
@click.option("--input", "input_", required=True, metavar="INPUT",
              help="CSV, Parquet or JSON-lines file (.csv, .parquet, .jsonl, .ndjson)")
@click.option("--output", required=True, metavar="OUTPUT",
              help="file for row, decision_id and the outputs; its format from its extension (.csv, .parquet, .jsonl)")
@click.option("--rejects", default=None, metavar="REJECTS",
              help="file for the rejected rows: row, line, field, code, message and the row's original values "
                   "(default: the first 10 on stderr)")
@click.option("--format", "fmt", type=click.Choice(("csv", "parquet", "jsonl")), default=None,
              help="the input's format, when its extension does not say")
@click.option("--project", default=".", metavar="PROJECT", help="decision project folder, .dmn or .fll file (default: .)")
@click.option("--store", default=None, metavar="STORE",
              help="store URL: sqlite:///file.db, postgresql://... (default: $COMPOSITE_STORE_URL or "
                   "<project>/.composite/decisions.db)")
@click.option("--no-record", is_flag=True, help="decide without storing the decisions")
@click.option("--chunk-size", type=int, default=10_000, metavar="N",
              help="rows decided (and stored, in one transaction) at a time; memory grows with N, not with "
                   "the file (default: 10000)")
@click.option("--engine", type=click.Choice(("local", "spark")), default="local",
              help="local: this process, chunk by chunk; spark: a local[2] Spark session (needs pyspark, Java)")
@click.option("--quiet", is_flag=True, help="no progress on standard error")
def batch(input_: str, output: str, rejects: str | None, fmt: str | None, project: str, store: str | None,
          no_record: bool, chunk_size: int, engine: str, quiet: bool) -> int:
    from composite.batchfile import BatchUsageError, file_format, total_rows

    if no_record and store is not None:
        raise click.UsageError("--no-record and --store exclude each other: --no-record stores nothing")
    try:
        input_format = file_format(input_, fmt)
        file_format(output)
        if rejects is not None:
            file_format(rejects)
        if chunk_size < 1:
            raise BatchUsageError(f"--chunk-size must be a positive number of rows, got {chunk_size}")
        if not Path(input_).is_file():
            raise BatchUsageError(f"the input '{input_}' is not a readable file")
        if engine == "spark":
            return _run_spark(input_, output, rejects, input_format, project, store, no_record, chunk_size, quiet)
        from composite.batchfile import decide_file
        from composite.engine import CompositeEngine

        deciding = CompositeEngine.from_path(project, store="memory" if no_record else store)
        total = None if quiet else total_rows(input_, input_format)
        report, finish = progress_reporter(total, quiet=quiet)
        try:
            result = decide_file(deciding, input_, output, rejects=rejects, input_format=input_format,
                                 record=not no_record, chunk_size=chunk_size, progress=report)
        finally:
            finish()
            deciding.close()
    except BatchUsageError as error:
        print(f"error: {error.message}", file=sys.stderr)
        return 2
    return _summary(output, rejects, no_record, result.rows, result.decided, result.rejected, result.problems,
                    result.first_problems)


def _summary(output: str, rejects: str | None, no_record: bool, rows: int, decided: int, rejected: int,
             problems: int, first: list[str]) -> int:
    stored = "" if no_record else ", stored"
    print(f"{decided:,} of {rows:,} rows decided{stored}; decisions in {output}", file=sys.stderr)
    if not rejected:
        return 0
    where = f"; rows and problems in {rejects}" if rejects else ""
    print(f"{rejected:,} row{'s' if rejected != 1 else ''} rejected ({problems:,} problem"
          f"{'s' if problems != 1 else ''}){where}", file=sys.stderr)
    if not rejects:
        for line in first:
            print(f"  {line}", file=sys.stderr)
        if problems > len(first):
            print(f"  ... and {problems - len(first):,} more (write them all with --rejects FILE)", file=sys.stderr)
    return 1


def _run_spark(input_: str, output: str, rejects: str | None, input_format: str, project: str, store: str | None,
               no_record: bool, chunk_size: int, quiet: bool) -> int:
    import importlib.util
    import shutil

    if importlib.util.find_spec("pyspark") is None:
        print("error: --engine spark needs pyspark: pip install 'composite-decisions[spark]'", file=sys.stderr)
        return 2
    if shutil.which("java") is None:
        print("error: --engine spark needs Java (a JRE 17 or later on PATH)", file=sys.stderr)
        return 2
    from composite.spark import decide_file_with_spark

    report, finish = progress_reporter(None, quiet=quiet)
    try:
        result = decide_file_with_spark(input_, output, project=project, input_format=input_format,
                                        rejects=rejects, store=None if no_record else store,
                                        record=not no_record, progress=report, chunk_size=chunk_size)
    finally:
        finish()
    return _summary(output, rejects, no_record, result.rows, result.decided, result.rejected, result.problems,
                    result.first_problems)
