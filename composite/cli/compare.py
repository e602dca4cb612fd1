"""`composite compare`: the champion's decisions against the challengers' shadow decisions.

Exit codes: 0 a report (with or without shadows), 1 a store that cannot be read, 2 wrong usage.
"""

from __future__ import annotations

import click

from composite.cli._common import command, open_store_of, store_options

__all__ = ["compare"]


@command("compare", "Per challenger: how many champion decisions have a shadow, agreement per output (Wilson 95%), "
                    "a transition matrix of each categorical output and, once outcomes are recorded, AUC and Brier "
                    "of each probability-like output with paired bootstrap intervals of the difference "
                    "(docs/challengers.md).")
@store_options
@click.option("--since", metavar="T", default=None,
              help="champion decisions made at or after T (ISO 8601; UTC without a zone)")
@click.option("--until", metavar="T", default=None, help="champion decisions made before T")
@click.option("--seed", type=int, default=0, metavar="SEED", help="seed of the bootstrap (default: 0)")
@click.option("--json", "as_json", is_flag=True, help="the report as JSON")
def compare(project: str, store: str | None, since: str | None, until: str | None, seed: int, as_json: bool) -> int:
    from composite.compare import compare as compare_shadows

    opened = open_store_of(project, store)
    try:
        report = compare_shadows(opened, since=since, until=until, seed=seed)
    finally:
        opened.close()
    print(report.to_json() if as_json else report.to_text())
    return 0
