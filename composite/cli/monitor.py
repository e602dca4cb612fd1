"""`composite monitor` and `composite whatif`: readers of the store that compare stored decisions.

monitor: the decisions of a window against the model's training data or another window; exit 1
when a threshold (composite.yaml `monitoring:`, or the options) is crossed. whatif: the stored
inputs decided by a candidate project version. Both print text, `--json`, and write `--html FILE`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import click

from composite.cli._common import command
from composite.cli._output import write_output
from composite.errors import CompositeError

__all__ = ["monitor", "whatif"]


def window_options(function: Callable[..., Any]) -> Any:
    """--project, --store, --since, --until, --json and --html: what monitor and whatif share."""
    for option in reversed((
        click.option("--project", default=".", metavar="PROJECT", help="decision project folder (default: .)"),
        click.option("--store", default=None, metavar="STORE",
                     help="store URL (default: $COMPOSITE_STORE_URL or <project>/.composite/decisions.db)"),
        click.option("--since", default=None, metavar="T",
                     help="decisions made at or after T (ISO 8601; UTC if no zone)"),
        click.option("--until", default=None, metavar="T", help="decisions made before T"),
        click.option("--json", "as_json", is_flag=True, help="the report as one JSON object"),
        click.option("--html", default=None, metavar="FILE",
                     help="also write a self-contained HTML report with charts"),
    )):
        function = option(function)
    return function


def _open_store(project: str, store: str | None) -> Any:
    from composite.store import project_store

    source = Path(project)
    if not (source / "composite.yaml").is_file():
        raise CompositeError(f"'{source}' is not a decision project: it has no composite.yaml",
                             code="not_a_project", file=str(source / "composite.yaml"))
    return project_store(source, store)


def _write_html(path: str, text: str) -> None:
    write_output(path, text, what="the HTML report", label="HTML report")


@command("monitor", "Compare the stored decisions of a window with the model's training data (default) or a "
                    "reference window: PSI and a KS or chi-squared test per input and output, rule and table-row "
                    "hit rates, and with outcomes AUC, Brier score and calibration. Thresholds: composite.yaml "
                    "`monitoring:` (psi, p_value, auc_drop) or the options below.")
@window_options
@click.option("--reference", default="training", metavar="training|T..T",
              help="'training' (the data file the model file names, decided again by the project) or a "
                   "window of the store SINCE..UNTIL (default: training)")
@click.option("--psi", type=float, default=None, metavar="PSI", help="PSI threshold (default: composite.yaml, else 0.25)")
@click.option("--p-value", type=float, default=None, metavar="P",
              help="test p-value threshold (default: composite.yaml, else 0.001)")
@click.option("--auc-drop", type=float, default=None, metavar="DROP",
              help="AUC drop threshold (default: composite.yaml, else 0.05)")
@click.option("--evidence-sample", type=int, default=2000, metavar="N",
              help="decisions per window whose evidence is derived for rule hit rates (default: 2000)")
@click.option("--seed", type=int, default=0, metavar="SEED",
              help="seed of the samples and the bootstrap (default: 0)")
def monitor(project: str, store: str | None, since: str | None, until: str | None, as_json: bool, html: str | None,
            reference: str, psi: float | None, p_value: float | None, auc_drop: float | None, evidence_sample: int,
            seed: int) -> int:
    from dataclasses import replace

    from composite.monitor import (Thresholds, free_text_names, monitor as monitor_window, parse_window, select,
                                   stored_outcomes, stored_reference, training_reference)
    from composite.project import load_project

    thresholds = Thresholds.from_project(project)
    overrides = {k: v for k, v in (("psi", psi), ("p_value", p_value), ("auc_drop", auc_drop)) if v is not None}
    thresholds = replace(thresholds, **overrides)
    opened = _open_store(project, store)
    try:
        loaded = load_project(project)
        if reference == "training":
            baseline = training_reference(loaded)
        else:
            start, end = parse_window(reference)
            baseline = stored_reference(opened, start, end)
            if not baseline.decisions:
                raise CompositeError(f"no stored decisions in the reference window {reference}",
                                     code="monitor_empty", field="reference")
        current = list(select(opened, since=since, until=until))
        window = f"stored decisions from {since or 'the first'} to {until or 'the last'}"
        report = monitor_window(current, baseline, thresholds=thresholds, outcomes=stored_outcomes(opened, current),
                                description=window, evidence_sample=evidence_sample, seed=seed,
                                free_text=free_text_names(loaded))
    finally:
        opened.close()
    print(report.to_json() if as_json else report.to_text())
    if html:
        _write_html(html, report.to_html())
    return report.exit_code


@command("whatif", "The inputs of stored decisions decided by the project at --candidate: how many decisions "
                   "change, per output; transition matrices; mean shifts; the first node where each changed "
                   "decision diverges; examples.")
@click.option("--candidate", required=True, metavar="DIR", help="the candidate project folder")
@window_options
@click.option("--batch", default=None, metavar="ID", help="only the decisions of this batch")
@click.option("--sample", type=int, default=None, metavar="N", help="a random sample of N decisions (seeded)")
@click.option("--examples", type=int, default=5, metavar="N", help="changed decisions shown (default: 5)")
@click.option("--seed", type=int, default=0, metavar="SEED", help="seed of the sample (default: 0)")
def whatif(candidate: str, project: str, store: str | None, since: str | None, until: str | None, as_json: bool,
           html: str | None, batch: str | None, sample: int | None, examples: int, seed: int) -> int:
    from composite.monitor import select
    from composite.whatif import sample_decisions, what_if

    if not (Path(candidate) / "composite.yaml").is_file():
        raise CompositeError(f"the candidate '{candidate}' is not a decision project: it has no composite.yaml",
                             code="not_a_project", file=str(Path(candidate) / "composite.yaml"))
    opened = _open_store(project, store)
    try:
        decisions: Any = select(opened, since=since, until=until, batch_id=batch)
        if sample is not None:
            decisions = sample_decisions(decisions, sample, seed=seed)
        report = what_if(opened, candidate, decisions, examples=examples)
    finally:
        opened.close()
    print(report.to_json() if as_json else report.to_text())
    if html:
        _write_html(html, report.to_html())
    return 0
