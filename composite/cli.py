"""The `composite` command: decide, explain, history, validate, graph and init.

Exit codes: 0 success, 1 a rejected request or an invalid project, 2 wrong usage.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from importlib import resources
from pathlib import Path
from typing import Any, Sequence

from composite.errors import CompositeError, DecisionNotFound, ProjectError, RequestError


def _engine(args: argparse.Namespace) -> Any:
    from composite.engine import CompositeEngine

    return CompositeEngine.from_path(args.project, store=args.store)


def _store(args: argparse.Namespace) -> Any:
    """The project's store alone, for `explain` and `history`: they read what was stored (the
    decision and its project snapshot), so the project, its models and tables are not loaded."""
    from composite.store import project_store

    source = Path(args.project)
    if not source.is_file() and not (source / "composite.yaml").is_file():
        # what loading it would say; and no .composite/ folder is made where there is no project
        raise ProjectError(f"'{source}' is not a decision project: it has no composite.yaml "
                           "(create one with `composite init DIR`)", code="not_a_project",
                           file=str(source / "composite.yaml"))
    return project_store(source, args.store)


def _report(error: CompositeError, stream: Any = None) -> None:
    stream = stream or sys.stderr
    if len(error.problems) > 1 or isinstance(error, RequestError):
        print(f"error: {error.message}", file=stream)
        for problem in error.problems:
            print(f"  {problem}", file=stream)
    else:
        print(f"error: {error}", file=stream)


def _read_input(spec: str) -> Any:
    """The request: JSON text read within the default `Limits` (size, nesting, no key twice)."""
    from composite.limits import DEFAULT_LIMITS, parse_json_request

    most = DEFAULT_LIMITS.max_request_bytes
    if spec == "-":
        data = sys.stdin.buffer.read(most + 1)
        where = "standard input"
    else:
        path = Path(spec)
        try:
            if not path.is_file():
                raise CompositeError("the input is not a regular file", code="input_unreadable", file=spec)
            with path.open("rb") as handle:
                data = handle.read(most + 1)  # never more than the limit, whatever the file is
        except OSError as exc:
            raise CompositeError(f"cannot read the input file: {exc.strerror}", code="input_unreadable", file=spec) from None
        where = spec
    return parse_json_request(data, where=where, limits=DEFAULT_LIMITS)


def cmd_decide(args: argparse.Namespace) -> int:
    from composite.store._codec import dumps

    engine = _engine(args)
    request = _read_input(args.input)
    decision = engine.decide(request)
    if args.json:
        print(dumps(decision.model_dump(mode="json")))
        return 0
    print(f"decision {decision.id}")
    knowledge = engine.project.knowledge
    for name, value in decision.outputs.items():
        concept = knowledge.get(name)
        shown = "null" if value is None else concept.format(value) if concept else value
        print(f"  {name} = {shown}")
    if args.explain:
        print()
        print(engine.explain(decision.id), end="")
    else:
        print(f"explain it with: composite explain {decision.id}" + (f" --project {args.project}" if args.project != "." else ""))
    return 0


def cmd_explain(args: argparse.Namespace) -> int:
    from composite.explain import explain_stored

    store = _store(args)
    try:
        from composite.audit import files_on_disk

        # which of the decision's project files differ from those in the project folder now
        text = explain_stored(store, args.decision_id, format="json" if args.json else "text", why_not=args.why_not,
                              current_artifacts=lambda stored: files_on_disk(args.project, stored))
    finally:
        store.close()
    print(text, end="" if not args.json else "\n")
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    store = _store(args)
    try:
        rows = store.recent(args.limit)
    finally:
        store.close()
    if not rows:
        print("no decisions yet")
        return 0
    for row in rows:
        outputs = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in row.outputs.items())
        print(f"{row.id}  {row.created_at[:23]}  {row.project} {row.project_version}  {outputs}")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from composite.missing import missing_value_paths
    from composite.project import load_project

    project = load_project(args.project)
    problems = []
    defined = set(project.graph.writer) | set(project.knowledge.concepts)
    for node in project.graph.order:
        check = getattr(node, "validate", None)
        if callable(check):
            problems.extend(check(project.knowledge, defined=defined) or [])
    problems.extend(missing_value_paths(project))  # where a null can reach a node that cannot take it
    errors = [p for p in problems if p.is_error]
    for problem in problems:
        print(f"{problem}", file=sys.stderr if problem.is_error else sys.stdout)
    if errors:
        print(f"{len(errors)} error(s), {len(problems) - len(errors)} warning(s) in project '{project.name}'",
              file=sys.stderr)
        return 1
    print(f"ok: project '{project.name}' {project.version}: {len(project.nodes)} nodes, "
          f"{len(project.graph.inputs)} inputs, outputs {', '.join(project.outputs)}")
    return 0


def cmd_test(args: argparse.Namespace) -> int:
    from composite.engine import CompositeEngine
    from composite.scenarios import load_scenarios, run_scenarios

    engine = CompositeEngine.from_path(args.project, store="memory")
    scenarios = load_scenarios(Path(args.project))
    if not scenarios:
        print(f"no scenarios in {Path(args.project) / 'scenarios'}; add scenarios/*.yaml")
        return 1
    report = run_scenarios(engine, scenarios)
    for outcome in report.outcomes:
        where = f"{outcome.scenario.file}:{outcome.scenario.line}"
        print(f"{'PASS' if outcome.passed else 'FAIL'}  {outcome.scenario.name}  ({where})")
        for difference in outcome.differences:
            print(f"      {difference}")
    passed = len(report.outcomes) - len(report.failed)
    print()
    print(f"{passed} passed, {len(report.failed)} failed")
    if report.total_items:
        done = report.total_items - len(report.uncovered)
        print(f"coverage: {done} of {report.total_items} rules and table rows exercised")
        for item in report.uncovered:
            print(f"  not exercised: {item}")
    return 1 if report.failed else 0


def cmd_graph(args: argparse.Namespace) -> int:
    from composite.project import load_project

    graph = load_project(args.project).graph
    print(graph.to_dot() if args.format == "dot" else graph.to_mermaid(), end="")
    return 0


TEMPLATES = {
    "credit": "a loan pre-screen: an expression, a fuzzy rule base, a decision table, a rule set with a chain",
    "triage": "insurance claim triage: an expression, a fuzzy rule base, a COLLECT table, a rule set with a chain",
    "blank": "one expression node and one scenario file, to fill in",
}
SAMPLES = {"credit": "data/sample_application.json", "triage": "data/sample_claim.json", "blank": "data/sample.json"}


def cmd_init(args: argparse.Namespace) -> int:
    target = Path(args.directory)
    if target.exists() and any(target.iterdir()):
        print(f"error: {target} exists and is not empty; choose a new folder", file=sys.stderr)
        return 1
    template = resources.files("composite") / "templates" / args.template
    with resources.as_file(template) as source:
        shutil.copytree(source, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".composite", "__pycache__"))
    print(f"created a decision project in {target} ({TEMPLATES[args.template]})")
    print(f"  try: composite validate --project {target}")
    print(f"       composite test --project {target}")
    print(f"       composite decide --project {target} --input {target}/{SAMPLES[args.template]} --explain")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="composite", description="Composite decision engine: decide, explain, validate.")
    sub = parser.add_subparsers(dest="command", required=True)

    def project_options(p: argparse.ArgumentParser, store: bool = True) -> None:
        p.add_argument("--project", default=".", help="decision project folder, .dmn or .fll file (default: .)")
        if store:
            p.add_argument("--store", default=None,
                           help="store URL: memory, sqlite:///file.db (default: $COMPOSITE_STORE_URL or <project>/.composite/decisions.db)")

    p = sub.add_parser("decide", help="make a decision and store it")
    project_options(p)
    p.add_argument("--input", required=True, help="JSON file with the request, or - for standard input")
    p.add_argument("--json", action="store_true", help="print the whole decision as one JSON object")
    p.add_argument("--explain", action="store_true", help="also print its explanation")
    p.set_defaults(run=cmd_decide)

    p = sub.add_parser("explain", help="explain a stored decision step by step")
    p.add_argument("decision_id")
    project_options(p)
    p.add_argument("--json", action="store_true", help="the stored decision and project snapshot as JSON")
    p.add_argument("--why-not", metavar="RULE", help="say which condition of RULE failed (or how it fired)")
    p.set_defaults(run=cmd_explain)

    p = sub.add_parser("history", help="recent decisions, newest first")
    project_options(p)
    p.add_argument("--limit", type=int, default=20)
    p.set_defaults(run=cmd_history)

    p = sub.add_parser("validate", help="load the project and report every problem with file and line")
    project_options(p, store=False)
    p.set_defaults(run=cmd_validate)

    p = sub.add_parser("test", help="run scenarios/*.yaml and report failures and coverage")
    project_options(p, store=False)
    p.set_defaults(run=cmd_test)

    p = sub.add_parser("graph", help="print the decision graph")
    project_options(p, store=False)
    p.add_argument("--format", choices=("mermaid", "dot"), default="mermaid")
    p.set_defaults(run=cmd_graph)

    from composite.cli_train import add_train_command

    add_train_command(sub)

    from composite.cli_check import add_check_command

    add_check_command(sub)

    from composite.cli_serve import add_serve_commands

    add_serve_commands(sub)

    from composite.cli_batch import add_batch_command

    add_batch_command(sub)

    from composite.cli_monitor import add_monitor_commands

    add_monitor_commands(sub)

    from composite.cli_audit import add_audit_commands

    add_audit_commands(sub)

    from composite.cli_compare import add_compare_command

    add_compare_command(sub)

    p = sub.add_parser("init", help="create a new decision project that validates, passes its scenarios and decides",
                       description="Templates: " + "; ".join(f"{name}: {what}" for name, what in TEMPLATES.items()))
    p.add_argument("directory")
    p.add_argument("--template", choices=sorted(TEMPLATES), default="credit",
                   help="what the project starts from (default: credit)")
    p.set_defaults(run=cmd_init)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except DecisionNotFound as error:
        _report(error)
        return 1
    except CompositeError as error:
        _report(error)
        return 1
    except BrokenPipeError:  # `composite history | head`
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
