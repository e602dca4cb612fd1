"""`composite init`: every template makes a project that validates, passes its own scenarios with
every rule and table row exercised, and decides and explains its sample request, from a new folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from composite import CompositeEngine
from composite.cli import main
from composite.cli.project import SAMPLES, TEMPLATES
from composite.project import load_project
from composite.scenarios import load_scenarios, run_scenarios


@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_every_template_validates_passes_its_scenarios_and_decides(template: str, tmp_path: Path, capsys):
    target = tmp_path / "p"
    assert main(["init", str(target), "--template", template]) == 0
    assert f"composite test --project {target}" in capsys.readouterr().out
    assert main(["validate", "--project", str(target)]) == 0
    assert main(["test", "--project", str(target)]) == 0
    engine = CompositeEngine.from_path(target, store="memory")
    report = run_scenarios(engine, load_scenarios(target))
    assert report.outcomes and all(outcome.passed for outcome in report.outcomes)
    assert not report.uncovered  # every rule and table row is exercised by a scenario
    request = json.loads((target / SAMPLES[template]).read_text())
    decision = engine.decide(request)
    assert set(decision.outputs) == set(engine.project.outputs)
    assert decision.id in engine.explain(decision.id)
    for folder in ("knowledge", "rules", "scenarios", "models", "data"):
        readme = (target / folder / "README.md")
        if readme.exists():
            assert 2 <= len(readme.read_text().strip().splitlines()) <= 4, readme


@pytest.mark.parametrize("template", ["credit", "triage"])
def test_the_teaching_templates_hold_each_kind_of_knowledge(template: str, tmp_path: Path):
    target = tmp_path / "p"
    assert main(["init", str(target), "--template", template]) == 0
    kinds = {node.kind for node in load_project(target).graph.order}
    assert {"expression", "fuzzy", "table", "rules"} <= kinds
    rules = next((target / "rules").glob("*.rules.yaml")).read_text()
    assert "chain" in rules  # the rule file says what a chain is, and has one


def test_init_refuses_a_folder_that_is_not_empty(tmp_path: Path, capsys):
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "keep.txt").write_text("mine")
    assert main(["init", str(tmp_path / "p")]) == 1
    assert "not empty" in capsys.readouterr().err
    assert (tmp_path / "p" / "keep.txt").read_text() == "mine"
