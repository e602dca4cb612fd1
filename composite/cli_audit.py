"""`composite replay`, `composite verify` and `composite outcome`: audit what the store keeps.

Exit codes: 0 all identical / intact / recorded, 1 a difference, a failed replay, a finding or a
refused outcome, 2 wrong usage.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from composite.errors import ProjectError

__all__ = ["add_audit_commands", "cmd_outcome", "cmd_replay", "cmd_verify", "open_store_of", "store_options"]


def store_options(p: argparse.ArgumentParser) -> None:
    """--project and --store, for the commands that read a store (see `open_store_of`)."""
    p.add_argument("--project", default=".", help="decision project folder whose store to read (default: .)")
    p.add_argument("--store", default=None,
                   help="store URL (default: $COMPOSITE_STORE_URL or <project>/.composite/decisions.db)")


def add_audit_commands(subparsers: Any) -> None:
    """Register `replay`, `verify` and `outcome` on the subparsers of the `composite` command."""
    p = subparsers.add_parser(
        "replay", help="decide stored decisions again with their own project version and compare bit for bit",
        description="Each decision is decided again from its stored inputs with the project version it was made "
                    "with (from its stored snapshot, not the files now); every node's values, the model scores "
                    "and the outputs must come out bit for bit. Exit 1 on any difference or failed replay.")
    p.add_argument("decision_id", nargs="?", help="one decision's id")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--batch", metavar="ID", help="every decision of a batch")
    which.add_argument("--since", metavar="T", help="decisions made at or after T (ISO 8601; UTC without a zone)")
    which.add_argument("--all", action="store_true", help="every stored decision")
    p.add_argument("--until", metavar="T", help="with --since: made before T")
    p.add_argument("--sample", type=int, metavar="N", help="N of the selected decisions, drawn at random")
    p.add_argument("--json", action="store_true", help="one JSON object per decision, then the counts")
    store_options(p)
    p.set_defaults(run=cmd_replay)

    p = subparsers.add_parser(
        "verify", help="walk the store's hash chains and report edited, inserted or deleted records",
        description="Every decision and outcome row is chained to the one written before it; this recomputes "
                    "each link. Exit 1 on any finding.")
    p.add_argument("--json", action="store_true", help="the findings and counts as JSON")
    store_options(p)
    p.set_defaults(run=cmd_verify)

    p = subparsers.add_parser(
        "outcome", help="record what happened after a stored decision (the decision itself is never changed)",
        description="VALUE is checked against the project's outcome concept (its model's target in "
                    "knowledge/); JSON (1, 0.5, true, \"repaid\") or plain text.")
    p.add_argument("decision_id")
    p.add_argument("value")
    p.add_argument("--note", default=None, help="a note kept with the outcome")
    p.add_argument("--at", default=None, metavar="T", help="when it happened (ISO 8601; default: now)")
    store_options(p)
    p.set_defaults(run=cmd_outcome)


def open_store_of(args: argparse.Namespace) -> Any:
    """The store `--store` names, else the project's (`--project`, which must then be a project):
    what the commands that read stored decisions (replay, verify, outcome, compare) open."""
    from composite.store import project_store

    source = Path(args.project)
    if args.store is None and not source.is_file() and not (source / "composite.yaml").is_file():
        raise ProjectError(f"'{source}' is not a decision project: it has no composite.yaml (name its store with "
                           "--store, or the project with --project)", code="not_a_project",
                           file=str(source / "composite.yaml"))
    return project_store(source, args.store)


def cmd_replay(args: argparse.Namespace) -> int:
    from composite.replay import ReplayCounts, replay, replay_many

    chosen = [bool(args.decision_id), bool(args.batch), bool(args.since), bool(args.all)]
    if sum(chosen) != 1:
        print("error: name one decision ID, or one of --batch ID, --since T, --all", file=sys.stderr)
        return 2
    if args.until and not args.since:
        print("error: --until goes with --since", file=sys.stderr)
        return 2
    if args.sample is not None and (args.decision_id or args.sample < 1):
        print("error: --sample N (N >= 1) goes with --batch, --since or --all", file=sys.stderr)
        return 2
    store = open_store_of(args)
    try:
        if args.decision_id:
            result = replay(store, args.decision_id)
            print(json.dumps(result.as_dict(), default=repr) if args.json else "\n".join(result.lines()))
            return 0 if result.identical else 1
        counts = ReplayCounts()
        for result in replay_many(store, batch_id=args.batch, since=args.since, until=args.until, sample=args.sample):
            counts.add(result)
            if args.json:
                print(json.dumps(result.as_dict(), default=repr))
            elif not result.identical:
                print("\n".join(result.lines()))
    finally:
        store.close()
    summary = {"replayed": counts.total, "identical": counts.identical, "different": counts.different,
               "failed": counts.failed}
    if args.json:
        print(json.dumps(summary))
    else:
        print(f"{counts.total} replayed: {counts.identical} identical, {counts.different} different, "
              f"{counts.failed} failed")
    return 0 if counts.identical == counts.total else 1


def cmd_verify(args: argparse.Namespace) -> int:
    from composite.audit import verify_store

    store = open_store_of(args)
    try:
        result = verify_store(store)
    finally:
        store.close()
    if args.json:
        print(json.dumps({"intact": result.intact, "rows": result.rows, "heads": result.heads,
                          "findings": [f.as_dict() for f in result.findings]}))
    else:
        for finding in result.findings:
            print(finding)
        state = "intact" if result.intact else f"{len(result.findings)} finding(s)"
        print(f"{state}: {result.rows['decisions']} decisions and {result.rows['outcomes']} outcomes walked")
    return 0 if result.intact else 1


def cmd_outcome(args: argparse.Namespace) -> int:
    from composite.engine import CompositeEngine

    try:
        value = json.loads(args.value)
    except ValueError:
        value = args.value  # plain text: repaid, default ...
    engine = CompositeEngine.from_path(args.project, store=args.store)
    try:
        engine.record_outcome(args.decision_id, value, recorded_at=args.at, note=args.note)
    finally:
        engine.close()
    print(f"recorded outcome {json.dumps(value)} for {args.decision_id}")
    return 0
