"""`composite check`: compare a project's knowledge, rules and tables with labelled data.

The report goes to standard output (text, or JSON with --json). Exit codes: 0 when the data
contradicts nothing, 1 when it contradicts something or the project or data cannot be checked,
2 wrong usage.
"""

from __future__ import annotations

import json
import sys
from typing import Sequence

import click

from composite.cli._common import command

__all__ = ["DEFAULT_MIN_SUPPORT", "check", "main"]


# composite.check.DEFAULT_MIN_SUPPORT (a test keeps them equal): importing composite.check here
# would cost every `composite check --help` 0.2 s at start.
DEFAULT_MIN_SUPPORT = 20


@command("check", "Find concepts whose influence sign, and rules and table rows whose outcome, the data "
                  "contradicts, with counts, rates, intervals and tests (Holm-adjusted). See docs/check.md.")
@click.option("--project", default=".", metavar="PROJECT", help="decision project folder (default: .)")
@click.option("--data", default=None, metavar="FILE",
              help="labelled rows, CSV or JSON (default: the one CSV in the project's data/)")
@click.option("--outcome", default=None, metavar="NAME",
              help="the 0/1 outcome column (default: the one outcome knowledge/ declares influences on)")
@click.option("--json", "as_json", is_flag=True, help="print the report as one JSON object")
@click.option("--min-support", type=click.IntRange(min=1), default=DEFAULT_MIN_SUPPORT, metavar="N",
              help=f"compare only groups of at least N rows (default: {DEFAULT_MIN_SUPPORT})")
def check(project: str, data: str | None, outcome: str | None, as_json: bool, min_support: int) -> int:
    from composite.check import check_path, render_report

    report = check_path(project, data, outcome=outcome, min_support=min_support)
    if as_json:
        print(json.dumps(report.to_dict(), indent=2, default=str))
    else:
        print(_coloured(render_report(report), report.exit_code), end="")
    return report.exit_code


# the headings of composite.check.render_report, by the colour of their verdict
VERDICT_COLOURS = {"CONTRADICTED": "red", "WEAK": "yellow", "UNCLEAR": "blue", "SUPPORTED": "green",
                   "NOT ASSESSED": "white"}


def _coloured(text: str, exit_code: int) -> str:
    """The report with its verdict headings in colour and PASS or FAIL before the closing counts, on a
    colour terminal; unchanged elsewhere."""
    from composite.cli._output import colour, paint, status

    if not colour():
        return text
    lines = text.split("\n")
    for at, line in enumerate(lines):
        heading = line.split(":", 1)[0]
        if heading in VERDICT_COLOURS and not line.startswith(" "):
            lines[at] = paint(line, VERDICT_COLOURS[heading], bold=True)
        elif " -> exit " in line and not line.startswith(" "):
            lines[at] = f"{status(exit_code == 0)}  {line}"
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """`composite check` on its own (also `python -m composite.cli.check`): ARGV with or without `check`."""
    from composite.cli import main as composite

    words = list(sys.argv[1:] if argv is None else argv)
    return composite(words if words[:1] == ["check"] else ["check", *words])


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
