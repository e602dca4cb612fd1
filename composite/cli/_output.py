"""What every `composite` command prints with: errors, JSON, coloured PASS/FAIL, tables and progress.

Colour and rich only on a terminal (NO_COLOR turns colour off); on a pipe the text stays plain and grep-able.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Iterable, Iterator, Sequence, TextIO, TypeVar

from composite.errors import CompositeError, RequestError

__all__ = ["colour", "console", "print_json", "progress", "report_error", "status", "table"]

T = TypeVar("T")


def colour(stream: TextIO | None = None) -> bool:
    """Whether `stream` (default: standard output) gets colour: a terminal, unless NO_COLOR is set
    (no-color.org) or TERM is dumb; FORCE_COLOR turns it on anywhere."""
    stream = stream or sys.stdout
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    if os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def console(stderr: bool = False) -> Any:
    """A rich Console on standard output (or error), made at each call so that it writes to the stream
    `sys.stdout` is now (a test's capture, a redirect); rich is imported here, never at start."""
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    on = colour(stream)
    return Console(file=stream, force_terminal=on, no_color=not on, highlight=False, soft_wrap=True)


def print_json(value: Any) -> None:
    """`value` as one line of JSON (orjson where installed; numpy, dates and decimals as the store writes them)."""
    from composite.store._codec import dumps

    print(dumps(value))


def status(passed: bool) -> str:
    """PASS in green or FAIL in red on a colour terminal, the bare word elsewhere."""
    word = "PASS" if passed else "FAIL"
    if not colour():
        return word
    import click

    return click.style(word, fg="green" if passed else "red", bold=True)


def table(columns: Sequence[str], rows: Iterable[Sequence[Any]], title: str | None = None) -> None:
    """Print rows under their column names: a rich table on a terminal; elsewhere plain text, one row a
    line, columns aligned with two spaces, so that `grep` and `cut` still work."""
    rows = [["" if cell is None else str(cell) for cell in row] for row in rows]
    if sys.stdout.isatty():
        from rich.table import Table

        shown = Table(title=title, header_style="bold", title_justify="left")
        for name in columns:
            shown.add_column(name)
        for row in rows:
            shown.add_row(*row)
        console().print(shown)
        return
    if title:
        print(title)
    widths = [max([len(name), *(len(row[i]) for row in rows)]) for i, name in enumerate(columns)]
    for row in [list(columns), *rows]:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())


def progress(items: Iterable[T], total: int | None, label: str) -> Iterator[T]:
    """`items`, with a progress bar on standard error while they are consumed when that is a terminal;
    elsewhere (a log, a pipe, a test) the items alone, so that nothing else is written."""
    if not sys.stderr.isatty():
        yield from items
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=total)
        for item in items:
            yield item
            bar.advance(task)


def report_error(error: CompositeError, stream: TextIO | None = None) -> None:
    """One line `error: ...`; a request's problems (or several problems) each on an indented line below."""
    stream = stream or sys.stderr
    if len(error.problems) > 1 or isinstance(error, RequestError):
        print(f"error: {error.message}", file=stream)
        for problem in error.problems:
            print(f"  {problem}", file=stream)
    else:
        print(f"error: {error}", file=stream)
