"""`composite compare`: the champion's decisions against the challengers' shadow decisions.

Exit codes: 0 a report (with or without shadows), 1 a store that cannot be read, 2 wrong usage.
"""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["add_compare_command", "cmd_compare"]


def add_compare_command(subparsers: Any) -> None:
    """Register `compare` on the subparsers of the `composite` command."""
    from composite.cli_audit import store_options

    p = subparsers.add_parser(
        "compare", help="compare the champion's decisions with the challengers' shadow decisions",
        description="Per challenger: how many champion decisions have a shadow, agreement per output (Wilson 95%), "
                    "a transition matrix of each categorical output and, once outcomes are recorded, AUC and Brier "
                    "of each probability-like output with paired bootstrap intervals of the difference "
                    "(docs/challengers.md).")
    store_options(p)
    p.add_argument("--since", metavar="T", help="champion decisions made at or after T (ISO 8601; UTC without a zone)")
    p.add_argument("--until", metavar="T", help="champion decisions made before T")
    p.add_argument("--seed", type=int, default=0, help="seed of the bootstrap (default: 0)")
    p.add_argument("--json", action="store_true", help="the report as JSON")
    p.set_defaults(run=cmd_compare)


def cmd_compare(args: argparse.Namespace) -> int:
    from composite.cli_audit import open_store_of
    from composite.compare import compare

    store = open_store_of(args)
    try:
        report = compare(store, since=args.since, until=args.until, seed=args.seed)
    finally:
        store.close()
    print(report.to_json() if args.json else report.to_text())
    return 0
