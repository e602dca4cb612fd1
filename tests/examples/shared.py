"""Assertions every example project's tests share."""

from __future__ import annotations

from composite import CompositeEngine


def assert_scenarios_pass(engine: CompositeEngine, project, *, scenarios: int, items: int) -> None:
    """The project's scenarios all pass, in Python and through `composite test`, exercising every one
    of its `items` rules and table rows, and storing nothing."""
    from composite.scenarios import load_scenarios, run_scenarios
    from tests.test_cli import run

    report = run_scenarios(engine, load_scenarios(project))
    assert len(report.outcomes) == scenarios
    assert report.failed == []
    assert engine.store.count() == 0
    result = run("test", "--project", str(project))
    assert result.returncode == 0, result.stdout
    assert f"{scenarios} passed, 0 failed" in result.stdout
    assert f"{items} of {items} rules and table rows exercised" in result.stdout
