"""`composite test`: run a project's scenarios (scenarios/*.yaml and *.csv grids, docs/scenarios.md),
report each PASS or FAIL and the coverage of rules and table rows; or the report as JSON or JUnit XML.

Exit codes: 0 every scenario selected passed; 1 a failure, no scenarios (or none matches --filter), a
scenario file with errors or a project that cannot be loaded; 2 wrong usage.
"""

from __future__ import annotations

from pathlib import Path

import click

from composite.cli._common import command, project_options

__all__ = ["test"]


@command("test", "Run the scenarios in scenarios/ (YAML files and CSV grids; docs/scenarios.md): PASS or FAIL for "
                 "each, with its differences, then the rules and table rows that no scenario exercised.")
@project_options(store=False)
@click.option("--filter", "filters", multiple=True, metavar="TEXT",
              help="run only the scenarios whose name contains TEXT (ignoring case), or matches it as a glob "
                   "with * ? [...]; repeat it for any of several")
@click.option("--json", "as_json", is_flag=True, help="print the report as JSON instead of text")
@click.option("--junit", metavar="FILE", type=click.Path(dir_okay=False),
              help="also write the report as JUnit XML to FILE, for CI")
def test(project: str, filters: tuple[str, ...], as_json: bool, junit: str | None) -> int:
    from composite.cli._output import print_json, status
    from composite.engine import CompositeEngine
    from composite.scenarios import load_scenarios, run_scenarios, select_scenarios, write_junit

    engine = CompositeEngine.from_path(project, store="memory")
    scenarios = load_scenarios(Path(project), knowledge=engine.project.knowledge)
    nothing = None
    if not scenarios:
        nothing = f"no scenarios in {Path(project) / 'scenarios'}; add scenarios/*.yaml or a scenarios/*.csv grid"
    elif filters and not select_scenarios(scenarios, filters):
        shown = ", ".join(repr(text) for text in filters)
        nothing = (f"no scenario name matches --filter {shown} "
                   f"({len(scenarios)} scenarios in {Path(project) / 'scenarios'})")
    if nothing:
        if as_json:  # standard output stays JSON for the CI step that parses it
            print_json({"error": nothing, "scenarios": [], "totals": {"scenarios": 0, "passed": 0, "failed": 0}})
        else:
            print(nothing)
        return 1
    report = run_scenarios(engine, scenarios, name_filter=list(filters) or None)
    if junit:
        write_junit(report, junit, suite=engine.project.name)
    if as_json:
        print_json(report.to_dict())
        return 1 if report.failed else 0
    for outcome in report.outcomes:
        where = f"{outcome.scenario.file}:{outcome.scenario.line}"
        print(f"{status(outcome.passed)}  {outcome.scenario.name}  ({where})")
        for difference in outcome.differences:
            print(f"      {difference}")
    print()
    print(f"{len(report.passed)} passed, {len(report.failed)} failed"
          + (f" (selected by --filter from {len(scenarios)})" if filters else ""))
    if report.total_items:
        done = report.total_items - len(report.uncovered)
        print(f"coverage: {done} of {report.total_items} rules and table rows exercised"
              + (" by the selected scenarios" if filters else ""))
        if not filters:  # with a filter, most rules are unexercised on purpose
            for item in report.uncovered:
                print(f"  not exercised: {item}")
    if junit:
        print(f"JUnit XML written to {junit}")
    return 1 if report.failed else 0
