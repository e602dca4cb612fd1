"""The examples of the format pages (docs/project.md, docs/knowledge.md, docs/editors.md) are real.

A page marks each code block it means to be checked, with an HTML comment on the line before it:

    <!-- example NAME: PATH -->      a file of the example project NAME (composite.yaml, rules/x.rules.yaml)
    <!-- example NAME: uses DIR -->  NAME runs on the shipped project DIR; its file blocks must equal
                                     the shipped files (as YAML)
    <!-- example NAME: request -->   a request, decided by NAME's project ...
    <!-- example NAME: outputs -->   ... and the outputs it gives (numbers to the digits written)
    <!-- example NAME: rejected -->  ... or the problems that reject it, one per line
    <!-- example NAME: explains -->  ... and lines its `explain(id, full=True)` holds
    <!-- example NAME: load-problems -->   the problems loading NAME's project reports, one per line
    <!-- example NAME: monotone -->  per feature of NAME's models/*.model.yaml: its encoding and the
                                     monotone direction knowledge/ gives it (`name kind sign`)
    <!-- fragment: KEY -->           a piece of a file, valid against that file type's schema
                                     (KEY: composite, knowledge, ..., or node for node entries)
    <!-- vscode: DIR PROJECT... -->  the `yaml.schemas` settings `vscode_settings(DIR, PROJECTS)` gives

Every YAML block of these pages is one or the other, so none can drift from what composite reads.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from composite import CompositeEngine
from composite._yaml import load_yaml
from composite.errors import ProjectError, RequestError
from composite.file_schemas import FILE_TYPES, file_models, vscode_settings
from composite.project import load_project
from tests.conftest import REPO

PAGES = ["docs/project.md", "docs/knowledge.md", "docs/editors.md"]
_MARK = re.compile(r"<!--\s*(example\s+(?P<name>[\w-]+)\s*:\s*(?P<what>[^>]*?)|fragment\s*:\s*(?P<key>\w+)"
                   r"|vscode\s*:\s*(?P<vscode>[^>]*?))\s*-->")
_FENCE = re.compile(r"^```(\w*)\s*$")


@dataclass
class Block:
    page: str
    line: int
    language: str
    text: str
    mark: re.Match[str] | None


@dataclass
class Example:
    name: str
    page: str
    files: dict[str, str] = field(default_factory=dict)
    uses: str | None = None
    cases: list[dict[str, str]] = field(default_factory=list)  # request, and outputs / rejected / explains
    checks: dict[str, str] = field(default_factory=dict)  # load-problems, monotone


def _blocks(page: str) -> list[Block]:
    lines = (REPO / page).read_text().splitlines()
    blocks, i = [], 0
    while i < len(lines):
        fence = _FENCE.match(lines[i])
        if fence is None:
            i += 1
            continue
        start = i
        i += 1
        body = []
        while i < len(lines) and not lines[i].startswith("```"):
            body.append(lines[i])
            i += 1
        before = next((lines[j] for j in range(start - 1, -1, -1) if lines[j].strip()), "")
        blocks.append(Block(page, start + 1, fence.group(1), "\n".join(body) + "\n", _MARK.fullmatch(before.strip())))
        i += 1
    return blocks


def _examples() -> dict[str, Example]:
    examples: dict[str, Example] = {}
    for page in PAGES:
        text = (REPO / page).read_text()
        for mark in _MARK.finditer(text):  # `uses` marks stand alone, with no block after them
            if mark.group("name") and mark.group("what").startswith("uses "):
                examples.setdefault(mark.group("name"), Example(mark.group("name"), page)).uses = \
                    mark.group("what")[5:].strip()
        for block in _blocks(page):
            if block.mark is None or not block.mark.group("name"):
                continue
            name, what = block.mark.group("name"), block.mark.group("what").strip()
            example = examples.setdefault(name, Example(name, page))
            if what == "request":
                example.cases.append({"request": block.text})
            elif what in ("outputs", "rejected", "explains"):
                assert example.cases, f"{page}:{block.line}: {what} before any request"
                example.cases[-1][what] = block.text
            elif what in ("load-problems", "monotone"):
                example.checks[what] = block.text
            else:
                example.files[what] = block.text
    return examples


EXAMPLES = _examples()


def test_every_yaml_block_of_the_format_pages_is_checked() -> None:
    unmarked = [f"{b.page}:{b.line}" for page in PAGES for b in _blocks(page)
                if b.language in ("yaml", "yml") and b.mark is None]
    assert not unmarked, f"YAML blocks neither an example nor a fragment: {unmarked}"


def test_the_pages_hold_the_examples_they_promise() -> None:
    assert {"guard", "blend", "fallback", "review"} <= set(EXAMPLES)
    for example in EXAMPLES.values():
        assert example.cases or example.checks, example.name
        for case in example.cases:
            assert "outputs" in case or "rejected" in case, (example.name, case)


def _project(example: Example, tmp_path: Path) -> Path:
    if example.uses is not None:
        root = REPO / example.uses
        for relative, text in example.files.items():
            shown, shipped = load_yaml(text, file=relative), load_yaml((root / relative).read_bytes(), file=relative)
            assert shown == shipped, f"{example.page} shows {relative} other than {example.uses}/{relative} is"
        return root
    for relative, text in example.files.items():
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    if not (tmp_path / "composite.yaml").exists():
        (tmp_path / "composite.yaml").write_text(f"name: {example.name}\n")
    return tmp_path


def _same(expected: Any, actual: Any) -> bool:
    """Numbers to the digits the page writes; everything else exactly."""
    if isinstance(expected, float) and isinstance(actual, (int, float)) and not isinstance(actual, bool):
        digits = len(repr(expected).partition(".")[2])
        return round(actual, digits) == expected
    return bool(expected == actual) and type(expected) is type(actual)


@pytest.mark.parametrize("name", sorted(n for n, e in EXAMPLES.items() if e.cases))
def test_example_decides_as_the_page_says(name: str, tmp_path: Path) -> None:
    example = EXAMPLES[name]
    engine = CompositeEngine.from_path(_project(example, tmp_path), store="memory")
    for case in example.cases:
        values = json.loads(case["request"])
        if "rejected" in case:
            with pytest.raises(RequestError) as caught:
                engine.decide(values)
            assert [p.message for p in caught.value.problems] == case["rejected"].strip().splitlines()
            continue
        decision = engine.decide(values)
        for key, value in json.loads(case["outputs"]).items():
            assert _same(value, decision.outputs[key]), (example.page, name, key, value, decision.outputs[key])
        if "explains" in case:
            told = engine.explain(decision.id, full=True)
            for line in case["explains"].strip().splitlines():
                assert line.strip() in told, (example.page, name, line, told)


@pytest.mark.parametrize("name", sorted(n for n, e in EXAMPLES.items() if "load-problems" in e.checks))
def test_example_fails_to_load_as_the_page_says(name: str, tmp_path: Path) -> None:
    example = EXAMPLES[name]
    with pytest.raises(ProjectError) as caught:
        load_project(_project(example, tmp_path))
    assert [str(p) for p in caught.value.problems] == example.checks["load-problems"].strip().splitlines()


@pytest.mark.parametrize("name", sorted(n for n, e in EXAMPLES.items() if "monotone" in e.checks))
def test_example_models_take_their_directions_from_knowledge(name: str, tmp_path: Path) -> None:
    from composite.ml.features import FeatureEncoder
    from composite.ml.spec import load_model_spec

    example = EXAMPLES[name]
    root = _project(example, tmp_path)
    knowledge = load_project(root).knowledge
    found = []
    for path in sorted((root / "models").glob("*.model.yaml")):
        relative = path.relative_to(root).as_posix()
        encoder = FeatureEncoder.from_knowledge(load_model_spec(path.read_text(), file=relative), knowledge)
        found += [f"{f.name} {f.kind} {f.monotone:+d}" if f.monotone else f"{f.name} {f.kind} 0"
                  for f in encoder.features]
    assert found == [" ".join(line.split()) for line in example.checks["monotone"].strip().splitlines()]


def _fragments() -> list[Block]:
    return [b for page in PAGES for b in _blocks(page) if b.mark is not None and b.mark.group("key")]


@pytest.mark.parametrize("block", _fragments(), ids=lambda b: f"{b.page}:{b.line}")
def test_fragment_fits_its_schema(block: Block) -> None:
    key = block.mark.group("key")  # type: ignore[union-attr]
    document = load_yaml(block.text, file=f"{block.page}:{block.line}")
    if key == "node":
        entries = document if isinstance(document, list) else [document]
        file_models()["composite"].model_validate({"name": "fragment", "nodes": entries})
    else:
        file_models()[key].model_validate(document)
    modeline = re.match(r"# yaml-language-server: \$schema=(\S+)", block.text)
    if modeline:  # the schema file it names is the one `composite schema --files` writes for this type
        assert Path(modeline.group(1)).name == next(t.schema_file for t in FILE_TYPES if t.key == key)


def test_editors_page_shows_the_settings_vscode_settings_gives() -> None:
    shown = [b for b in _blocks("docs/editors.md") if b.mark is not None and b.mark.group("vscode")]
    assert shown
    for block in shown:
        schema_dir, *projects = block.mark.group("vscode").split()  # type: ignore[union-attr]
        assert json.loads(block.text) == vscode_settings(schema_dir, tuple(projects))


def test_editors_page_lists_every_schema_file() -> None:
    text = (REPO / "docs/editors.md").read_text()
    for file_type in FILE_TYPES:
        assert f"| `{file_type.schema_file}` |" in text


def test_every_option_the_loaders_take_has_a_row_on_its_page() -> None:
    from composite.knowledge import Concept
    from composite.ml.blend import BlendSpec
    from composite.ml.spec import ModelSpec
    from composite.nodes.combiners import FallbackOptions, GuardOptions, ReviewOptions
    from composite.project import MonitoringConfig, NodeEntry, ProjectConfig

    project, knowledge = (REPO / "docs/project.md").read_text(), (REPO / "docs/knowledge.md").read_text()
    for model in (ProjectConfig, NodeEntry, MonitoringConfig, GuardOptions, FallbackOptions, ReviewOptions,
                  BlendSpec, ModelSpec):
        for name in model.model_fields:
            if name != "file" or model is NodeEntry:
                assert f"| `{name}` |" in project, (model.__name__, name)
    for name in Concept.model_fields:
        if name not in ("name", "file", "line"):
            assert f"| `{name}` |" in knowledge, name


def test_the_blend_example_quotes_the_trained_blend() -> None:
    import math

    blend = json.loads((REPO / "models/risk_blend.blend.json").read_text())
    page = " ".join((REPO / "docs/project.md").read_text().split())
    w, (ea, eb), (ca, cb) = blend["weight"], (blend["expert"]["a"], blend["expert"]["b"]), \
        (blend["calibration"]["a"], blend["calibration"]["b"])
    request = json.loads(EXAMPLES["blend"].cases[0]["request"])
    outputs = CompositeEngine.from_path(REPO, store="memory").decide(request).outputs
    score, model = outputs["expert_score"], outputs["default_probability"]
    z = w * math.log(model / (1 - model)) + (1 - w) * (ea * score + eb)
    expert = outputs["expert_probability"]
    for quoted in (f"a weight of {w:.2f}", f"{ea:.4f} × {score} + {eb:.3f}",
                   f"{w:.2f} × logit({model:.3f}) + {1 - w:.2f} × logit({expert:.2f})` = {z:.3f}",
                   f"{ca:.3f} × {z:.3f} + {cb:.3f}"):
        assert quoted in page, quoted


def test_every_kinds_evidence_is_described() -> None:
    from composite.nodes import NODE_KINDS, node_class

    page = (REPO / "docs/project.md").read_text()
    section = page[page.index("## What each step records"):page.index("## monitoring")]
    for kind in NODE_KINDS:
        row = next(line for line in section.splitlines() if line.startswith(f"| `{kind}` |"))
        for name in node_class(kind).evidence_model.model_fields:
            assert f"`{name}`" in row, (kind, name)
