"""`composite monitor` and `composite whatif`: readers of the store that compare stored decisions.

monitor: the decisions of a window against the model's training data or another window; exit 1
when a threshold (composite.yaml `monitoring:`, or the options) is crossed. whatif: the stored
inputs decided by a candidate project version. Both print text, `--json`, and write `--html FILE`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from composite.errors import CompositeError

__all__ = ["add_monitor_commands", "cmd_monitor", "cmd_whatif"]


def _window_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--project", default=".", help="decision project folder (default: .)")
    p.add_argument("--store", default=None,
                   help="store URL (default: $COMPOSITE_STORE_URL or <project>/.composite/decisions.db)")
    p.add_argument("--since", default=None, metavar="T", help="decisions made at or after T (ISO 8601; UTC if no zone)")
    p.add_argument("--until", default=None, metavar="T", help="decisions made before T")
    p.add_argument("--json", action="store_true", help="the report as one JSON object")
    p.add_argument("--html", default=None, metavar="FILE", help="also write a self-contained HTML report with charts")


def add_monitor_commands(subparsers: Any) -> None:
    """Register `monitor` and `whatif` on the subparsers of the `composite` command."""
    p = subparsers.add_parser(
        "monitor", help="drift, rule hit rates and model performance of stored decisions; exit 1 past a threshold",
        description="Compare the stored decisions of a window with the model's training data (default) or a "
                    "reference window: PSI and a KS or chi-squared test per input and output, rule and table-row "
                    "hit rates, and with outcomes AUC, Brier score and calibration. Thresholds: composite.yaml "
                    "`monitoring:` (psi, p_value, auc_drop) or the options below.")
    _window_options(p)
    p.add_argument("--reference", default="training", metavar="training|T..T",
                   help="'training' (the data file the model file names, decided again by the project) or a "
                        "window of the store SINCE..UNTIL (default: training)")
    p.add_argument("--psi", type=float, default=None, help="PSI threshold (default: composite.yaml, else 0.25)")
    p.add_argument("--p-value", type=float, default=None,
                   help="test p-value threshold (default: composite.yaml, else 0.001)")
    p.add_argument("--auc-drop", type=float, default=None,
                   help="AUC drop threshold (default: composite.yaml, else 0.05)")
    p.add_argument("--evidence-sample", type=int, default=2000, metavar="N",
                   help="decisions per window whose evidence is derived for rule hit rates (default: 2000)")
    p.add_argument("--seed", type=int, default=0, help="seed of the samples and the bootstrap (default: 0)")
    p.set_defaults(run=cmd_monitor)

    p = subparsers.add_parser(
        "whatif", help="decide stored inputs with a candidate project version and report what changes",
        description="The inputs of stored decisions decided by the project at --candidate: how many decisions "
                    "change, per output; transition matrices; mean shifts; the first node where each changed "
                    "decision diverges; examples.")
    p.add_argument("--candidate", required=True, metavar="DIR", help="the candidate project folder")
    _window_options(p)
    p.add_argument("--batch", default=None, metavar="ID", help="only the decisions of this batch")
    p.add_argument("--sample", type=int, default=None, metavar="N", help="a random sample of N decisions (seeded)")
    p.add_argument("--examples", type=int, default=5, metavar="N", help="changed decisions shown (default: 5)")
    p.add_argument("--seed", type=int, default=0, help="seed of the sample (default: 0)")
    p.set_defaults(run=cmd_whatif)


def _open_store(args: argparse.Namespace) -> Any:
    from composite.store import project_store

    source = Path(args.project)
    if not (source / "composite.yaml").is_file():
        raise CompositeError(f"'{source}' is not a decision project: it has no composite.yaml",
                             code="not_a_project", file=str(source / "composite.yaml"))
    return project_store(source, args.store)


def _write_html(path: str, text: str) -> None:
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise CompositeError(f"cannot write the HTML report: {exc.strerror}", code="output_unwritable",
                             file=path) from None
    print(f"HTML report written to {path}", file=sys.stderr)


def cmd_monitor(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from composite.monitor import (Thresholds, free_text_names, monitor, parse_window, select, stored_outcomes,
                                   stored_reference, training_reference)
    from composite.project import load_project

    thresholds = Thresholds.from_project(args.project)
    overrides = {k: v for k, v in (("psi", args.psi), ("p_value", args.p_value), ("auc_drop", args.auc_drop))
                 if v is not None}
    thresholds = replace(thresholds, **overrides)
    store = _open_store(args)
    try:
        project = load_project(args.project)
        if args.reference == "training":
            reference = training_reference(project)
        else:
            since, until = parse_window(args.reference)
            reference = stored_reference(store, since, until)
            if not reference.decisions:
                raise CompositeError(f"no stored decisions in the reference window {args.reference}",
                                     code="monitor_empty", field="reference")
        current = list(select(store, since=args.since, until=args.until))
        window = f"stored decisions from {args.since or 'the first'} to {args.until or 'the last'}"
        report = monitor(current, reference, thresholds=thresholds, outcomes=stored_outcomes(store, current),
                         description=window, evidence_sample=args.evidence_sample, seed=args.seed,
                         free_text=free_text_names(project))
    finally:
        store.close()
    print(report.to_json() if args.json else report.to_text())
    if args.html:
        _write_html(args.html, report.to_html())
    return report.exit_code


def cmd_whatif(args: argparse.Namespace) -> int:
    from composite.monitor import select
    from composite.whatif import sample_decisions, what_if

    if not (Path(args.candidate) / "composite.yaml").is_file():
        raise CompositeError(f"the candidate '{args.candidate}' is not a decision project: it has no composite.yaml",
                             code="not_a_project", file=str(Path(args.candidate) / "composite.yaml"))
    store = _open_store(args)
    try:
        decisions: Any = select(store, since=args.since, until=args.until, batch_id=args.batch)
        if args.sample is not None:
            decisions = sample_decisions(decisions, args.sample, seed=args.seed)
        report = what_if(store, args.candidate, decisions, examples=args.examples)
    finally:
        store.close()
    print(report.to_json() if args.json else report.to_text())
    if args.html:
        _write_html(args.html, report.to_html())
    return 0
