"""Scenarios: the expected outcomes rule authors write in scenarios/*.yaml, and their runner.

`composite test` runs every scenario, shows a readable diff for each failure, and reports the
rules and table rows that no scenario exercised.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from composite._yaml import LineList, load_yaml, pydantic_problems
from composite.errors import CompositeError, Problem, ProjectError


class Approx(BaseModel):
    model_config = ConfigDict(extra="forbid")
    approx: float
    tol: float = 1e-6


class Scenario(BaseModel):
    """One case: the inputs, the outputs expected, optionally the rules or rows expected to fire."""

    model_config = ConfigDict(extra="forbid")

    name: str
    description: str | None = None
    inputs: dict[str, Any]
    expect: dict[str, Any] = Field(default_factory=dict)
    fired: list[str] = Field(default_factory=list)
    rejected: bool = False  # the request is expected to be rejected by the input schema
    file: str = Field(default="", exclude=True)
    line: int | None = Field(default=None, exclude=True)


class _ScenarioFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    scenarios: list[dict[str, Any]]


def load_scenarios(root: Path) -> list[Scenario]:
    """Every scenario under root/scenarios, each knowing its file and line."""
    scenarios: list[Scenario] = []
    problems: list[Problem] = []
    folder = root / "scenarios"
    for path in sorted(folder.glob("*.y*ml")) if folder.is_dir() else []:
        relative = path.relative_to(root).as_posix()
        document = load_yaml(path.read_bytes(), file=relative)
        try:
            _ScenarioFile.model_validate(document)
        except ValidationError as exc:
            problems.extend(pydantic_problems(exc, document, file=relative))
            continue
        items = document["scenarios"]
        for index, item in enumerate(items):
            line = items.line_of(index) if isinstance(items, LineList) else None
            try:
                scenarios.append(Scenario.model_validate({**item, "file": relative, "line": line}))
            except ValidationError as exc:
                problems.extend(pydantic_problems(exc, item, file=relative, prefix=("scenarios", index)))
    if problems:
        raise ProjectError("scenarios/ has errors", problems=problems)
    return scenarios


@dataclass
class Outcome:
    scenario: Scenario
    passed: bool
    differences: list[str] = field(default_factory=list)
    decision_id: str | None = None


@dataclass
class Report:
    outcomes: list[Outcome]
    uncovered: list[str]
    total_items: int

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.passed]


_TABLE_ROW = re.compile(r"^(.+?) row (\d+)(?: \((.+)\))?$")  # "<table> row <n> (<id>)", see DecisionTableNode


def _matches(expected: Any, actual: Any) -> bool:
    if isinstance(expected, dict) and set(expected) <= {"approx", "tol"} and "approx" in expected:
        return isinstance(actual, (int, float)) and math.isclose(actual, expected["approx"], rel_tol=0,
                                                                 abs_tol=expected.get("tol", 1e-6))
    if isinstance(expected, float) and isinstance(actual, (int, float)):
        return math.isclose(actual, expected, rel_tol=1e-9, abs_tol=1e-12)
    return bool(expected == actual)


def run_scenarios(engine: Any, scenarios: list[Scenario]) -> Report:
    """Decide each scenario (nothing stored) and compare; collect what the decisions exercised."""
    nodes = {node.name: node for node in engine.project.nodes}
    all_items: list[str] = []
    for node in nodes.values():
        items = getattr(node, "coverage_items", None)
        if callable(items):
            all_items += list(items())
    covered: set[str] = set()
    outcomes = []
    for scenario in scenarios:
        differences = []
        try:
            decision = engine.decide(scenario.inputs, record=False)
        except CompositeError as error:
            if scenario.rejected:
                outcomes.append(Outcome(scenario, True))
            else:
                outcomes.append(Outcome(scenario, False, [f"the decision failed: {error}"]))
            continue
        if scenario.rejected:
            outcomes.append(Outcome(scenario, False, ["expected the request to be rejected, but it was decided"]))
            continue
        values = {**decision.inputs, **{k: v for step in decision.trace.nodes for k, v in step.wrote.items()}}
        hit: set[str] = set()
        for step in decision.trace.nodes:
            node = nodes.get(step.name)
            items_of = getattr(node, "covered_items", None)
            if callable(items_of):
                hit.update(items_of(step.evidence))
        covered |= hit
        for name, expected in scenario.expect.items():
            if name not in values:
                differences.append(f"{name}: expected {expected!r}, but the decision has no value named '{name}'")
            elif not _matches(expected, values[name]):
                differences.append(f"{name}: expected {_show(expected)}, got {_show(values[name])}")
        short = {item.split(":", 1)[-1] for item in hit} | hit
        for item in hit:  # a table row is also named by its id, as written in the table file
            row = _TABLE_ROW.match(item.split(":", 1)[-1])
            if row and row.group(3):
                short |= {row.group(3), f"{row.group(1)}:{row.group(3)}"}
        for name in scenario.fired:
            if name not in short:
                differences.append(f"expected '{name}' to fire; fired: {sorted(hit) or 'nothing'}")
        outcomes.append(Outcome(scenario, not differences, differences, decision.id))
    uncovered = [item for item in all_items if item not in covered]
    return Report(outcomes, uncovered, len(all_items))


def _show(value: Any) -> str:
    if isinstance(value, dict) and "approx" in value:
        return f"{value['approx']} ± {value.get('tol', 1e-6)}"
    return repr(value)
