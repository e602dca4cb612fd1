"""`composite test`: run a project's scenarios/*.yaml, report each PASS or FAIL and the coverage.

Exit codes: 0 every scenario passed, 1 a failure or no scenarios, 2 wrong usage.
"""

from __future__ import annotations

from pathlib import Path

from composite.cli._common import command, project_options

__all__ = ["test"]


@command("test")
@project_options(store=False)
def test(project: str) -> int:
    from composite.engine import CompositeEngine
    from composite.scenarios import load_scenarios, run_scenarios

    engine = CompositeEngine.from_path(project, store="memory")
    scenarios = load_scenarios(Path(project))
    if not scenarios:
        print(f"no scenarios in {Path(project) / 'scenarios'}; add scenarios/*.yaml")
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

