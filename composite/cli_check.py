"""`composite check`: compare a project's knowledge, rules and tables with labelled data.

The report goes to standard output (text, or JSON with --json). Exit codes: 0 when the data
contradicts nothing, 1 when it contradicts something or the project or data cannot be checked.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, Sequence

from composite.errors import CompositeError

__all__ = ["add_check_command", "cmd_check", "main"]


# composite.check.DEFAULT_MIN_SUPPORT (a test keeps them equal): importing composite.check here
# would cost every `composite` command 0.2 s at start, `check` or not.
DEFAULT_MIN_SUPPORT = 20


def add_check_command(subparsers: Any) -> argparse.ArgumentParser:
    """Register `check` on the subparsers of the `composite` command."""
    p = subparsers.add_parser(
        "check", help="compare knowledge/, rules and tables with labelled data; exit 1 if the data contradicts them",
        description="Find concepts whose influence sign, and rules and table rows whose outcome, the data "
                    "contradicts, with counts, rates, intervals and tests (Holm-adjusted). See docs/check.md.")
    p.add_argument("--project", default=".", help="decision project folder (default: .)")
    p.add_argument("--data", default=None, metavar="FILE",
                   help="labelled rows, CSV or JSON (default: the one CSV in the project's data/)")
    p.add_argument("--outcome", default=None, metavar="NAME",
                   help="the 0/1 outcome column (default: the one outcome knowledge/ declares influences on)")
    p.add_argument("--json", action="store_true", help="print the report as one JSON object")
    p.add_argument("--min-support", type=_positive, default=DEFAULT_MIN_SUPPORT, metavar="N",
                   help=f"compare only groups of at least N rows (default: {DEFAULT_MIN_SUPPORT})")
    p.set_defaults(run=cmd_check)
    return p


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected at least 1, got {value}")
    return value


def cmd_check(args: argparse.Namespace) -> int:
    from composite.check import check_path, render_report

    report = check_path(args.project, args.data, outcome=args.outcome, min_support=args.min_support)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2, default=str))
    else:
        print(render_report(report), end="")
    return report.exit_code


def main(argv: Sequence[str] | None = None) -> int:
    """`composite check` on its own (also `python -m composite.cli_check`)."""
    from composite.cli import _report

    parser = argparse.ArgumentParser(prog="composite")
    add_check_command(parser.add_subparsers(dest="command", required=True))
    words = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(words if words[:1] == ["check"] else ["check", *words])
    try:
        return args.run(args)
    except CompositeError as error:
        _report(error)
        return 1
    except BrokenPipeError:  # `composite check | head`
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))
