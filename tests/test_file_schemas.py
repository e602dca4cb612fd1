"""The JSON Schemas of project files (`composite.file_schemas`) against the files that ship.

Every shipped file of every type must fit its schema's model, and a file the loader refuses for a
mistake an editor could catch must not: the schemas stay as strict and as lenient as the loaders.
"""

from __future__ import annotations

import functools
import json
import textwrap
from pathlib import Path

import pytest
from pydantic import ValidationError

from composite._yaml import load_yaml
from composite.errors import ProjectError
from composite.file_schemas import DIALECT, FILE_TYPES, file_models, file_schemas, write_file_schemas
from tests.conftest import REPO

PROJECTS = [REPO] + sorted(p.parent for p in (REPO / "examples").glob("*/composite.yaml")) \
    + sorted(p.parent for p in (REPO / "composite" / "templates").glob("*/composite.yaml"))
SUFFIXES = {"rules": ".rules.yaml", "table": ".table.yaml", "fuzzy": ".fuzzy.yaml", "model": ".model.yaml",
            "blend": ".blend.yaml"}


def _shipped() -> list[tuple[str, Path]]:
    found: list[tuple[str, Path]] = []
    for project in PROJECTS:
        found.append(("composite", project / "composite.yaml"))
        found += [("knowledge", p) for p in sorted((project / "knowledge").glob("*.y*ml"))]
        found += [("scenarios", p) for p in sorted((project / "scenarios").glob("*.y*ml"))]
        for folder in ("rules", "models"):
            for path in sorted((project / folder).rglob("*.y*ml")):
                found += [(key, path) for key, suffix in SUFFIXES.items() if path.name.endswith(suffix)]
    return found


SHIPPED = _shipped()


def test_every_project_and_every_file_type_is_found() -> None:
    assert len(PROJECTS) >= 8  # the root, four examples with composite.yaml, three templates
    kinds = {key for key, _ in SHIPPED}
    assert kinds == {t.key for t in FILE_TYPES}


@pytest.mark.parametrize("key,path", SHIPPED, ids=[str(p.relative_to(REPO)) for _, p in SHIPPED])
def test_every_shipped_file_fits_its_schema(key: str, path: Path) -> None:
    model = file_models()[key]
    document = load_yaml(path.read_bytes(), file=str(path))
    model.model_validate(document)


# One mistake each, that the loader refuses and the schema must refuse too.
BAD = {
    "composite": ("composite.yaml", """
        name: p
        nodes:
          - {name: g, kind: guard, overide: knockout, otherwise: d, output: out}
        """, "overide"),
    "knowledge": ("knowledge/concepts.yaml", """
        concepts:
          age: {type: float}
        """, "type"),
    "rules": ("rules/p.rules.yaml", """
        ruleset: p
        conflcit: first
        defaults: {d: none}
        rules:
          - {name: r, when: age < 18, then: {d: decline}}
        """, "conflcit"),
    "table": ("rules/t.table.yaml", """
        hit_policy: BEST
        inputs: [age]
        outputs: [points]
        rules:
          - ["< 18", 0]
        """, "hit_policy"),
    "fuzzy": ("rules/f.fuzzy.yaml", """
        fuzzy: f
        inputs:
          x: {range: [0, 10], terms: {low: [triangel, 0, 0, 5]}}
        outputs:
          y: {range: [0, 1], terms: {small: [trimf, 0, 0, 1]}}
        rules:
          - {if: x is low, then: y is small}
        """, "terms"),
    "model": ("models/m.model.yaml", """
        algorithm: xgboost
        target: default
        output: p
        data: data/d.csv
        features: [age]
        """, "algorithm"),
    "blend": ("models/b.blend.yaml", """
        expert: score
        model: p
        """, "output"),
    "scenarios": ("scenarios/s.yaml", """
        scenarios:
          - name: s
            inputs: {age: 20}
            expected: {d: none}
        """, "expected"),
}


def _loader_refuses(key: str, relative: str, text: str, tmp_path: Path) -> ProjectError:
    from composite.fuzzy.yamlformat import read_fuzzy_yaml
    from composite.knowledge import Knowledge
    from composite.ml.blend import load_blend_spec
    from composite.ml.spec import load_model_spec
    from composite.project import load_project
    from composite.rules.format import load_ruleset
    from composite.scenarios import load_scenarios
    from composite.tables.formats import read_table_yaml

    path = tmp_path / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    if key == "composite":
        (tmp_path / "knowledge").mkdir(exist_ok=True)
    readers = {
        "composite": lambda: load_project(tmp_path),
        "knowledge": lambda: Knowledge.load(tmp_path, [(relative, text.encode())]),
        "rules": lambda: load_ruleset(text, file=relative),
        "table": lambda: read_table_yaml(text, file=relative),
        "fuzzy": lambda: read_fuzzy_yaml(text, file=relative),
        "model": lambda: load_model_spec(text, file=relative),
        "blend": lambda: load_blend_spec(text, file=relative),
        "scenarios": lambda: load_scenarios(tmp_path),
    }
    with pytest.raises(ProjectError) as caught:
        readers[key]()
    return caught.value


@pytest.mark.parametrize("key", sorted(BAD))
def test_a_file_the_loader_refuses_does_not_fit_its_schema(key: str, tmp_path: Path) -> None:
    relative, text, field = BAD[key]
    text = textwrap.dedent(text).lstrip()
    error = _loader_refuses(key, relative, text, tmp_path)
    assert error.problems
    with pytest.raises(ValidationError) as caught:
        file_models()[key].model_validate(load_yaml(text, file=relative))
    assert any(field in map(str, problem["loc"]) for problem in caught.value.errors()), caught.value.errors()


def test_schemas_are_self_contained_draft_7_with_a_description_on_every_option(tmp_path: Path) -> None:
    schemas = file_schemas()
    assert sorted(schemas) == sorted(t.key for t in FILE_TYPES)
    for key, schema in schemas.items():
        assert schema["$schema"] == DIALECT == "http://json-schema.org/draft-07/schema#"
        text = json.dumps(schema)
        # only draft-7 spellings: what the VS Code YAML extension reads (docs/editors.md)
        assert "$defs" not in text and "prefixItems" not in text and "discriminator" not in text
        definitions = schema.get("definitions", {})
        for ref in {part.split('"')[0] for part in text.split('"$ref": "#/definitions/')[1:]}:
            assert ref in definitions, (key, ref)
        for title, node in [(key, schema)] + list(definitions.items()):
            for name, prop in node.get("properties", {}).items():
                assert name == "kind" or "description" in prop, (key, title, name)


def test_authors_do_not_see_what_the_loaders_fill_in() -> None:
    schemas = file_schemas()
    concept = schemas["knowledge"]["definitions"]["Concept"]["properties"]
    assert {"name", "file", "line"}.isdisjoint(concept) and {"type", "range", "influences"} <= set(concept)
    assert "file" not in schemas["model"]["properties"] and "name" not in schemas["model"]["required"]
    assert schemas["model"]["required"] == ["algorithm", "target", "output", "data", "features"]
    assert schemas["blend"]["required"] == ["expert", "model", "output"]
    entry = schemas["scenarios"]["definitions"]["ScenarioEntry"]["properties"]
    assert {"file", "line", "places"}.isdisjoint(entry)


def test_composite_yaml_schema_has_one_entry_per_node_kind_with_its_options() -> None:
    from composite.nodes import NODE_KINDS

    schema = file_schemas()["composite"]
    entries = [schema["definitions"][ref["$ref"].rsplit("/", 1)[1]]
               for ref in schema["properties"]["nodes"]["items"]["oneOf"]]
    kinds = {entry["properties"]["kind"]["const"]: entry for entry in entries}
    assert set(kinds) == set(NODE_KINDS)
    assert set(kinds["guard"]["required"]) == {"name", "kind", "override", "otherwise", "output"}
    assert kinds["guard"]["properties"]["passes"]["default"] == ["none", None]
    assert kinds["review"]["properties"]["keep"]["default"] == ["decline"]
    assert kinds["review"]["properties"]["refer"]["default"] == "refer"
    assert set(kinds["fallback"]["required"]) == {"name", "kind", "in_domain", "primary", "fallback", "output"}
    assert "as" in kinds["table"]["properties"]
    assert kinds["fuzzy"]["properties"]["numerics"]["anyOf"][0]["enum"] == ["skfuzzy", "fuzzylite"]
    assert kinds["expression"]["properties"]["writes"]["type"] == "object"


def test_scenario_schema_takes_given_when_the_loader_does() -> None:
    from composite.scenarios import _ScenarioFile

    assert ("given" in file_schemas()["scenarios"]["properties"]) == ("given" in _ScenarioFile.model_fields)


def test_write_file_schemas_writes_one_file_per_type(tmp_path: Path) -> None:
    written = write_file_schemas(tmp_path / "schemas")
    assert [p.name for p in written] == ["composite.schema.json", "knowledge.schema.json", "rules.schema.json",
                                         "table.schema.json", "fuzzy.schema.json", "model.schema.json",
                                         "blend.schema.json", "scenarios.schema.json"]
    schemas = file_schemas()
    for file_type, path in zip(FILE_TYPES, written):
        assert json.loads(path.read_text()) == schemas[file_type.key]


def test_composite_schema_files_writes_them_without_a_project(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from composite.cli import main

    monkeypatch.chdir(tmp_path)  # not a project: --files needs none
    assert main(["schema", "--files", "out"]) == 0
    printed = capsys.readouterr()
    assert printed.out.split() == [f"out/{t.schema_file}" for t in FILE_TYPES]
    assert "docs/editors.md" in printed.err
    assert json.loads((tmp_path / "out" / "rules.schema.json").read_text()) == file_schemas()["rules"]


def test_composite_schema_files_takes_no_other_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from composite.cli import main

    assert main(["schema", "--files", str(tmp_path), "--outputs"]) == 2
    assert "--files" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_a_plugin_kind_gets_a_free_form_entry(monkeypatch: pytest.MonkeyPatch) -> None:
    import composite.nodes

    monkeypatch.setattr(composite.nodes, "_plugin_kinds", lambda: {"scorecard_service": "acme.nodes:Remote"})
    model = file_models()["composite"]
    project = model.model_validate({"name": "p", "nodes": [
        {"name": "remote", "kind": "scorecard_service", "url": "https://example.test"},
        {"name": "g", "kind": "guard", "override": "k", "otherwise": "o", "output": "d"}]})
    assert [type(node).__name__ for node in project.nodes] == ["PluginEntry_scorecard_service", "GuardEntry"]
    schema = file_schemas()["composite"]
    entries = [schema["definitions"][ref["$ref"].rsplit("/", 1)[1]]
               for ref in schema["properties"]["nodes"]["items"]["anyOf"]]
    plugin = next(e for e in entries if e["properties"]["kind"].get("const") == "scorecard_service")
    assert plugin["additionalProperties"] is True


# -- the JSON Schemas themselves, as an editor reads them ------------------------------------------
# jsonschema is not a dependency: a draft-7 validator of the keywords these schemas use (a keyword
# it does not know fails the test, so a new one cannot slip past unchecked).

@functools.cache
def _schemas() -> dict[str, dict]:
    return file_schemas()


_ANNOTATIONS = {"$schema", "title", "description", "default", "definitions"}
_TYPES = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}


def _is(value: object, kind: str) -> bool:
    if kind in ("number", "integer"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        return kind == "number" or isinstance(value, int) or float(value).is_integer()
    return isinstance(value, _TYPES[kind])


def _errors(value: object, schema: dict, root: dict, where: str = "") -> list[str]:
    import re

    found: list[str] = []
    for keyword, rule in schema.items():
        if keyword in _ANNOTATIONS:
            continue
        if keyword == "$ref":
            target = root
            for part in rule.removeprefix("#/").split("/"):
                target = target[part]
            found += _errors(value, target, root, where)
        elif keyword == "type":
            if not any(_is(value, kind) for kind in ([rule] if isinstance(rule, str) else rule)):
                found.append(f"{where}: not {rule}")
        elif keyword in ("anyOf", "oneOf"):
            passing = sum(not _errors(value, option, root, where) for option in rule)
            if passing == 0 or (keyword == "oneOf" and passing > 1):
                found.append(f"{where}: {passing} of {keyword} match")
        elif keyword == "const":
            if value != rule:
                found.append(f"{where}: not {rule!r}")
        elif keyword == "enum":
            if not any(value == option and type(value) is type(option) or value is option for option in rule):
                found.append(f"{where}: {value!r} not in enum")
        elif isinstance(value, (int, float)) and not isinstance(value, bool) and keyword in (
                "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
            bad = {"minimum": value < rule, "maximum": value > rule, "exclusiveMinimum": value <= rule,
                   "exclusiveMaximum": value >= rule}[keyword]
            if bad:
                found.append(f"{where}: {keyword} {rule}")
        elif isinstance(value, str) and keyword in ("pattern", "minLength"):
            if keyword == "pattern" and not re.search(rule, value) or keyword == "minLength" and len(value) < rule:
                found.append(f"{where}: {keyword} {rule}")
        elif isinstance(value, list) and keyword in ("items", "minItems", "maxItems"):
            if keyword == "items":
                for index, item in enumerate(value):
                    found += _errors(item, rule, root, f"{where}[{index}]")
            elif (keyword == "minItems" and len(value) < rule) or (keyword == "maxItems" and len(value) > rule):
                found.append(f"{where}: {keyword} {rule}")
        elif isinstance(value, dict) and keyword in ("properties", "required", "additionalProperties",
                                                     "patternProperties", "minProperties"):
            if keyword == "properties":
                for name, inner in rule.items():
                    if name in value:
                        found += _errors(value[name], inner, root, f"{where}.{name}")
            elif keyword == "required":
                found += [f"{where}: missing {name}" for name in rule if name not in value]
            elif keyword == "minProperties" and len(value) < rule:
                found.append(f"{where}: minProperties {rule}")
            elif keyword == "patternProperties":
                for name, item in value.items():
                    for pattern, inner in rule.items():
                        if re.search(pattern, str(name)):
                            found += _errors(item, inner, root, f"{where}.{name}")
            elif keyword == "additionalProperties":
                known = set(schema.get("properties", {}))
                patterns = list(schema.get("patternProperties", {}))
                for name, item in value.items():
                    if name in known or any(re.search(p, str(name)) for p in patterns):
                        continue
                    if rule is False:
                        found.append(f"{where}: unknown key {name}")
                    elif isinstance(rule, dict):
                        found += _errors(item, rule, root, f"{where}.{name}")
        elif keyword not in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "pattern", "minLength",
                             "items", "minItems", "maxItems", "properties", "required", "additionalProperties",
                             "patternProperties", "minProperties"):
            raise AssertionError(f"the test's validator does not know the keyword {keyword!r}")
    return found


@pytest.mark.parametrize("key,path", SHIPPED, ids=[str(p.relative_to(REPO)) for _, p in SHIPPED])
def test_every_shipped_file_fits_its_json_schema(key: str, path: Path) -> None:
    schema = _schemas()[key]
    document = json.loads(json.dumps(load_yaml(path.read_bytes(), file=str(path))))  # as an editor sees it
    assert _errors(document, schema, schema) == []


@pytest.mark.parametrize("key", sorted(BAD))
def test_a_file_the_loader_refuses_does_not_fit_its_json_schema(key: str) -> None:
    relative, text, _ = BAD[key]
    schema = _schemas()[key]
    errors = _errors(json.loads(json.dumps(load_yaml(textwrap.dedent(text), file=relative))), schema, schema)
    assert errors


def _fuzzylite_engines() -> list[Path]:
    from tests.conftest import SHARED

    return sorted((SHARED / "conformance" / "fuzzylite-full").rglob("*.fll"))


@pytest.mark.skipif(not _fuzzylite_engines(), reason="../shared/conformance/fuzzylite-full is not here "
                    "(set COMPOSITE_SHARED_DIR to the shared/ folder)")
def test_every_fuzzylite_engine_exported_as_yaml_fits_the_fuzzy_schemas() -> None:
    """to_fuzzy_yaml writes every FuzzyLite feature (blocks, function terms, hybrid, term-less inputs, locks):
    an editor must not underline any of it, and the pydantic model must take it too."""
    from composite.fuzzy.fll import read_fll
    from composite.fuzzy.yamlformat import to_fuzzy_yaml

    schema, model = _schemas()["fuzzy"], file_models()["fuzzy"]
    wrong = {}
    for path in _fuzzylite_engines():
        text = to_fuzzy_yaml(read_fll(path.read_text(), file=str(path)))
        document = json.loads(json.dumps(load_yaml(text, file="exported.fuzzy.yaml")))
        problems = _errors(document, schema, schema)
        try:
            model.model_validate(document)
        except ValidationError as error:
            problems.append(str(error))
        if problems:
            wrong[path.name] = problems[:3]
    assert wrong == {}
