"""What every `composite` command prints with: errors, JSON, coloured PASS/FAIL, tables and progress.

Colour and rich only on a terminal (NO_COLOR turns colour off); on a pipe the text stays plain and grep-able.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence, TextIO, TypeVar

from composite.errors import CompositeError, RequestError

__all__ = ["colour", "console", "paint", "print_json", "progress", "report_error", "status", "table", "write_output"]

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


def console(stream: TextIO | None = None) -> Any:
    """A rich Console on `stream` (default: standard output), made at each call so that it writes to the
    stream `sys.stdout` is now (a test's capture, a redirect); rich is imported here, never at start."""
    from rich.console import Console

    stream = stream or sys.stdout
    isatty = getattr(stream, "isatty", None)
    return Console(file=stream, force_terminal=bool(isatty and isatty()), no_color=not colour(stream),
                   highlight=False)


def print_json(value: Any) -> None:
    """`value` as one line of JSON (orjson where installed; numpy, dates and decimals as the store writes them)."""
    from composite.store._codec import dumps

    print(dumps(value))


def status(passed: bool) -> str:
    """PASS in green or FAIL in red on a colour terminal, the bare word elsewhere."""
    return paint("PASS" if passed else "FAIL", "green" if passed else "red", bold=True)


def paint(text: str, colour_name: str, bold: bool = False) -> str:
    """`text` in `colour_name` (a click colour: red, green, yellow ...) when standard output takes
    colour, else `text` unchanged: what is grepped on a pipe stays the same."""
    if not colour():
        return text
    import click

    return click.style(text, fg=colour_name, bold=bold)


def table(columns: Sequence[str], rows: Iterable[Sequence[Any]], title: str | None = None) -> None:
    """Print rows under their column names: a rich table on a terminal; elsewhere plain text, one row a
    line, columns aligned with two spaces, so that `grep` and `cut` still work. On a terminal every
    column but the last keeps its values whole (ids are copied from it); the last one wraps."""
    rows = [["" if cell is None else str(cell) for cell in row] for row in rows]
    if sys.stdout.isatty():
        from rich import box
        from rich.table import Table

        shown = Table(title=title, header_style="bold", title_justify="left", box=box.SIMPLE_HEAD)
        for at, name in enumerate(columns):
            last = at == len(columns) - 1
            shown.add_column(name, no_wrap=not last, overflow="fold" if last else "ellipsis", min_width=len(name))
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

    # what the command prints meanwhile goes above the bar when both share the terminal, and stays on
    # standard output when that is a file
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=console(sys.stderr), transient=True, redirect_stdout=sys.stdout.isatty(),
                  redirect_stderr=False) as bar:
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


def write_output(path: str, content: str | bytes, *, what: str, label: str) -> None:
    """Write a command's `--output`/`--html` file and say so on standard error (`{label} written to
    {path}`); a file that cannot be written is CompositeError `output_unwritable`, `cannot write {what}`."""
    try:
        if isinstance(content, bytes):
            Path(path).write_bytes(content)
        else:
            Path(path).write_text(content, encoding="utf-8")
    except OSError as exc:
        raise CompositeError(f"cannot write {what}: {exc.strerror}", code="output_unwritable", file=path) from None
    print(f"{label} written to {path}", file=sys.stderr)
