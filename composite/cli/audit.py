"""`composite explain`, `history`, `replay`, `verify` and `outcome`: read and audit what the store keeps.

Exit codes: 0 found / identical / intact / recorded, 1 a difference, a failed replay, a finding, a
refused outcome or a decision not found, 2 wrong usage.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from composite.cli._common import command, open_store_of, store_option, store_options

__all__ = ["explain", "history", "outcome", "replay", "verify"]


READ_PROJECT_HELP = ("decision project folder, .dmn or .fll file: its store when --store names none, and its files "
                     "compared with the decision's (default: the current folder, when it is a project)")
READ_STORE_HELP = ("store URL: sqlite:///file.db or postgresql://... (default: $COMPOSITE_STORE_URL or "
                   "<project>/.composite/decisions.db); opened read-only, and enough alone: no project folder needed")


@command("explain", "A stored decision, from the store alone: the decision and the project snapshot it was made "
                    "with (nothing is written, and no project folder is needed when --store names the store). "
                    "Short by default: the outcome and the steps that decided it; --full for every step.\n\n"
                    "DECISION_ID: the id, or a unique prefix of it (6 characters or more).")
@click.argument("decision_id")
@click.option("--project", default=None, metavar="PROJECT", help=READ_PROJECT_HELP)
@store_option(READ_STORE_HELP)
@click.option("--full", is_flag=True, help="every step with what it read and wrote, and the artifacts")
@click.option("--json", "as_json", is_flag=True, help="the stored decision and project snapshot as JSON")
@click.option("--why-not", metavar="NAME", default=None,
              help="why a rule, a table row (node:3) or a fuzzy rule did or did not decide; exit 1 for a name "
                   "the decision does not know")
@click.option("--html", metavar="FILE", default=None, type=click.Path(dir_okay=False),
              help="also write the explanation as one HTML page (graph, evidence, charts) to FILE")
def explain(decision_id: str, project: str | None, store: str | None, full: bool, as_json: bool,
            why_not: str | None, html: str | None) -> int:
    from composite.audit import files_on_disk, reading_store
    from composite.explain import explain_decision, stored_decision

    opened, folder = reading_store(project, store)
    try:
        decision, snapshot = stored_decision(opened, opened.resolve(decision_id))
    finally:
        opened.close()
    # which of the decision's project files differ from those in the project folder now, when there is one
    compare = None if folder is None else (lambda stored: files_on_disk(folder, stored))
    text = explain_decision(decision, snapshot, format="json" if as_json else "text", why_not=why_not,
                            full=full, current_artifacts=compare)
    page = None
    if html is not None:
        from composite.explain_html import render_html

        page = render_html(decision, snapshot)
    if html is not None and page is not None:
        Path(html).write_text(page, encoding="utf-8")
        print(f"wrote {html}", file=sys.stderr)
    print(text, end="" if not as_json else "\n")
    return 0


@command("history", "Stored decisions, newest first, from the store alone (nothing is written, and no project "
                    "folder is needed when --store names the store); a challenger's shadow decisions are left out.")
@click.option("--project", default=None, metavar="PROJECT", help=READ_PROJECT_HELP)
@store_option(READ_STORE_HELP)
@click.option("--limit", type=int, default=20, metavar="LIMIT",
              help="how many decisions at most (default: 20)")
@click.option("--since", metavar="T", default=None, help="made at or after T (ISO 8601; UTC without a zone)")
@click.option("--until", metavar="T", default=None, help="made before T")
@click.option("--batch", metavar="ID", default=None, help="the decisions of one batch")
@click.option("--where", metavar="NAME=VALUE", multiple=True,
              help="an output's value (repeatable, all must hold): numbers compare as numbers, true/false, null, "
                   "text as it is")
@click.option("--json", "as_json", is_flag=True,
              help="one JSON array of {id, created_at, project, project_version, outputs, batch_id}")
def history(project: str | None, store: str | None, limit: int, since: str | None, until: str | None,
            batch: str | None, where: tuple[str, ...], as_json: bool) -> int:
    from composite.audit import history as chosen, parse_where, reading_store, summary_dict
    from composite.errors import RequestError

    if limit < 0:
        raise click.BadParameter(f"{limit} is not 0 or more", param_hint="'--limit'")
    try:
        pairs = parse_where(where)
    except RequestError as error:
        raise click.BadParameter(error.message, param_hint="'--where'") from None
    opened, _ = reading_store(project, store)
    try:
        rows = chosen(opened, limit=limit, since=since, until=until, batch_id=batch, where=pairs)
    finally:
        opened.close()
    if as_json:
        from composite.cli._output import print_json

        print_json([summary_dict(row) for row in rows])
        return 0
    if not rows:
        print("no decisions match" if (since or until or batch or pairs) else "no decisions yet")
        return 0
    lines = [(row.id, row.created_at[:23], row.project, row.project_version,
              ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in row.outputs.items()))
             for row in rows]
    if sys.stdout.isatty():
        from composite.cli._output import table

        table(("decision", "made (UTC)", "project", "outputs"),
              [(decision_id, made[:19], f"{name} {version}", outputs) for decision_id, made, name, version, outputs in lines])
        return 0
    for decision_id, made, name, version, outputs in lines:  # one line each on a pipe, for grep and cut
        print(f"{decision_id}  {made}  {name} {version}  {outputs}")
    return 0


@command("replay", "Each decision is decided again from its stored inputs with the project version it was made "
                   "with (from its stored snapshot, not the files now); every node's values, the model scores "
                   "and the outputs must come out bit for bit. Exit 1 on any difference or failed replay.\n\n"
                   "DECISION_ID: one decision's id.")
@click.argument("decision_id", required=False)
@click.option("--batch", metavar="ID", default=None, help="every decision of a batch")
@click.option("--since", metavar="T", default=None,
              help="decisions made at or after T (ISO 8601; UTC without a zone)")
@click.option("--all", "all_", is_flag=True, help="every stored decision")
@click.option("--until", metavar="T", default=None, help="with --since: made before T")
@click.option("--sample", type=int, metavar="N", default=None, help="N of the selected decisions, drawn at random")
@click.option("--json", "as_json", is_flag=True, help="one JSON object per decision, then the counts")
@store_options
def replay(decision_id: str | None, batch: str | None, since: str | None, all_: bool, until: str | None,
           sample: int | None, as_json: bool, project: str, store: str | None) -> int:
    from composite.replay import ReplayCounts, replay as replay_one, replay_many

    chosen = [bool(decision_id), bool(batch), bool(since), bool(all_)]
    if sum(chosen) != 1:
        print("error: name one decision ID, or one of --batch ID, --since T, --all", file=sys.stderr)
        return 2
    if until and not since:
        print("error: --until goes with --since", file=sys.stderr)
        return 2
    if sample is not None and (decision_id or sample < 1):
        print("error: --sample N (N >= 1) goes with --batch, --since or --all", file=sys.stderr)
        return 2
    opened = open_store_of(project, store)
    try:
        if decision_id:
            result = replay_one(opened, opened.resolve(decision_id))  # a unique prefix will do
            print(json.dumps(result.as_dict(), default=repr) if as_json else "\n".join(result.lines()))
            return 0 if result.identical else 1
        from composite.cli._output import progress

        counts = ReplayCounts()
        results = replay_many(opened, batch_id=batch, since=since, until=until, sample=sample)
        for result in progress(results, sample, "replaying"):  # a bar on a terminal's standard error
            counts.add(result)
            if as_json:
                print(json.dumps(result.as_dict(), default=repr))
            elif not result.identical:
                print("\n".join(result.lines()))
    finally:
        opened.close()
    summary = {"replayed": counts.total, "identical": counts.identical, "different": counts.different,
               "failed": counts.failed}
    if as_json:
        print(json.dumps(summary))
    else:
        print(f"{counts.total} replayed: {counts.identical} identical, {counts.different} different, "
              f"{counts.failed} failed")
    return 0 if counts.identical == counts.total else 1


@command("verify", "Every decision and outcome row is chained to the one written before it; this recomputes "
                   "each link. Exit 1 on any finding.")
@click.option("--json", "as_json", is_flag=True, help="the findings and counts as JSON")
@store_options
def verify(as_json: bool, project: str, store: str | None) -> int:
    from composite.audit import verify_store

    opened = open_store_of(project, store)
    try:
        result = verify_store(opened)
    finally:
        opened.close()
    if as_json:
        print(json.dumps({"intact": result.intact, "rows": result.rows, "heads": result.heads,
                          "findings": [f.as_dict() for f in result.findings]}))
    else:
        for finding in result.findings:
            print(finding)
        state = "intact" if result.intact else f"{len(result.findings)} finding(s)"
        print(f"{state}: {result.rows['decisions']} decisions and {result.rows['outcomes']} outcomes walked")
    return 0 if result.intact else 1


@command("outcome", "VALUE is checked against the project's outcome concept (its model's target in "
                    "knowledge/); JSON (1, 0.5, true, \"repaid\") or plain text.")
@click.argument("decision_id")
@click.argument("value")
@click.option("--note", default=None, metavar="NOTE", help="a note kept with the outcome")
@click.option("--at", default=None, metavar="T", help="when it happened (ISO 8601; default: now)")
@store_options
def outcome(decision_id: str, value: str, note: str | None, at: str | None, project: str, store: str | None) -> int:
    from composite.engine import CompositeEngine

    try:
        parsed = json.loads(value)
    except ValueError:
        parsed = value  # plain text: repaid, default ...
    engine = CompositeEngine.from_path(project, store=store)
    try:
        decision_id = engine.store.resolve(decision_id)  # a unique prefix will do
        engine.record_outcome(decision_id, parsed, recorded_at=at, note=note)
    finally:
        engine.close()
    print(f"recorded outcome {json.dumps(parsed)} for {decision_id}")
    return 0
