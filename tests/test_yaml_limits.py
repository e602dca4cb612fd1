"""Issue 9, item 7: project files cost bounded work, and bad bytes are located errors.

A YAML alias bomb ("billion laughs"), YAML nested thousands deep, bytes that are not UTF-8, a
control character, and a fuzzy variable asking for a billion samples: each is a ProjectError with
the file and line, found quickly and without building the huge value.
"""

from __future__ import annotations

import textwrap

import pytest

from composite import ProjectError, load_project
from composite._yaml import MAX_ALIAS_NODES, MAX_NESTING, load_yaml
from composite.fuzzy.fll import read_fll
from composite.fuzzy.model import MAX_RESOLUTION
from composite.fuzzy.yamlformat import read_fuzzy_yaml
from composite.tables import read_table_csv
from tests.conftest import LOAN_CONCEPTS, LOAN_PROJECT, write_project


def billion_laughs(levels: int = 9) -> str:
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    previous = "a"
    for name in "bcdefghij"[: levels - 1]:
        lines.append(f"{name}: &{name} [{', '.join([f'*{previous}'] * 9)}]")
        previous = name
    return "\n".join(lines) + "\n"


def error_of(text: str | bytes, file: str = "rules/x.yaml") -> ProjectError:
    with pytest.raises(ProjectError) as caught:
        load_yaml(text, file=file)
    return caught.value


def test_an_alias_bomb_is_refused_at_the_line_that_goes_too_far():
    error = error_of(billion_laughs())
    assert (error.code, error.file) == ("yaml_alias_limit", "rules/x.yaml")
    # 9 -> 90 -> 819 -> 7,380 -> 66,429 -> 597,870 values: line 6 passes the 100,000 limit
    assert error.line == 6 and error.column is not None


def test_an_alias_bomb_in_composite_yaml_fails_the_load(tmp_path):
    root = write_project(tmp_path, LOAN_PROJECT, LOAN_CONCEPTS)
    (root / "composite.yaml").write_text((root / "composite.yaml").read_text() + "x-" + billion_laughs().replace("\n", "\nx-"))
    with pytest.raises(ProjectError) as caught:
        load_project(root)
    assert (caught.value.problems[0].code, caught.value.problems[0].file) == ("yaml_alias_limit", "composite.yaml")


def test_ordinary_aliases_still_work():
    document = load_yaml("base: &base {range: [0, 10], unit: EUR}\nother: *base\nlist: [*base, *base]\n", file="x.yaml")
    assert document["other"] == {"range": [0, 10], "unit": "EUR"} and len(document["list"]) == 2
    # many small reuses are fine: the limit counts values, MAX_ALIAS_NODES of them
    many = "v: &v 1\nall: [" + ", ".join(["*v"] * (MAX_ALIAS_NODES // 2)) + "]\n"
    assert len(load_yaml(many, file="x.yaml")["all"]) == MAX_ALIAS_NODES // 2


def test_the_alias_limit_can_be_raised(monkeypatch):
    monkeypatch.setenv("COMPOSITE_MAX_YAML_ALIAS_NODES", str(10**6))
    assert load_yaml(billion_laughs(6), file="x.yaml")["f"][0][0][0][0][0][0] == "lol"


def test_deep_nesting_is_a_located_error_not_a_recursion_error():
    error = error_of("a: " + "[" * 10_000 + "]" * 10_000 + "\n")
    assert (error.code, error.line, error.column) == ("yaml_nesting_limit", 1, 3 + MAX_NESTING)  # the 100th "[", level 101
    deep_block = "".join(" " * i + f"k{i}:\n" for i in range(MAX_NESTING + 5)) + " " * (MAX_NESTING + 5) + "v\n"
    assert error_of(deep_block).code == "yaml_nesting_limit"
    fine = "a: " + "[" * (MAX_NESTING - 1) + "1" + "]" * (MAX_NESTING - 1) + "\n"
    assert load_yaml(fine, file="x.yaml")["a"] is not None


def test_non_utf8_bytes_name_the_line_and_column():
    error = error_of(b"name: x\nversion: 1\ndescription: caf\xe9 au lait\n")
    assert (error.code, error.file, error.line, error.column) == ("file_encoding", "rules/x.yaml", 3, 17)
    assert "0xe9" in error.message


def test_non_utf8_in_a_knowledge_file_fails_the_load_at_its_line(tmp_path):
    root = write_project(tmp_path, LOAN_PROJECT, LOAN_CONCEPTS)
    (root / "knowledge" / "concepts.yaml").write_bytes(
        textwrap.dedent(LOAN_CONCEPTS).lstrip().encode().replace(b"Term", b"D\xfcree"))
    with pytest.raises(ProjectError) as caught:
        load_project(root)
    problem = caught.value.problems[0]
    assert (problem.code, problem.file, problem.line) == ("file_encoding", "knowledge/concepts.yaml", 3)


def test_a_control_character_is_a_located_yaml_error():
    error = error_of("a: 1\nb: x\x07y\n")
    assert (error.code, error.line, error.column) == ("yaml_syntax", 2, 5)


def test_non_utf8_csv_table_and_fll_are_located_errors():
    with pytest.raises(ProjectError) as caught:
        read_table_csv(b"amount, -> points\n< 1000, \xff\n", file="rules/t.csv")
    assert (caught.value.code, caught.value.line, caught.value.column) == ("file_encoding", 2, 9)
    with pytest.raises(ProjectError) as caught:
        read_fll(b"Engine: e\nInputVariable: \xc3\x28\n", file="e.fll")
    assert (caught.value.code, caught.value.line) == ("file_encoding", 2)


FUZZY = """\
fuzzy: f
inputs:
  x:
    range: [0, 1]
    resolution: {resolution}
    terms: {{low: [trimf, 0, 0, 1], high: [trimf, 0, 1, 1]}}
outputs:
  y:
    range: [0, 1]
    resolution: {resolution}
    terms: {{low: [trimf, 0, 0, 1], high: [trimf, 0, 1, 1]}}
rules:
  - if: x is low
    then: y is low
"""


def test_a_fuzzy_resolution_beyond_the_cap_is_refused_at_its_line():
    with pytest.raises(ProjectError) as caught:
        read_fuzzy_yaml(FUZZY.format(resolution=1_000_000_000), file="rules/f.fuzzy.yaml")
    lines = {(p.file, p.line) for p in caught.value.problems}
    assert lines == {("rules/f.fuzzy.yaml", 5), ("rules/f.fuzzy.yaml", 10)}
    assert all(p.code.endswith("resolution") or "resolution" in p.message for p in caught.value.problems)
    assert read_fuzzy_yaml(FUZZY.format(resolution=MAX_RESOLUTION), file="f.fuzzy.yaml").outputs[0].resolution == MAX_RESOLUTION


def test_an_fll_resolution_beyond_the_cap_is_refused():
    text = """Engine: e
InputVariable: x
  range: 0.000 1.000
  term: a Triangle 0.000 0.500 1.000
OutputVariable: y
  range: 0.000 1.000
  aggregation: Maximum
  defuzzifier: Centroid 1000000000
  default: nan
  term: b Triangle 0.000 0.500 1.000
RuleBlock:
  conjunction: Minimum
  disjunction: Maximum
  implication: Minimum
  activation: General
  rule: if x is a then y is b
"""
    with pytest.raises(ProjectError) as caught:
        read_fll(text, file="e.fll")
    problem = caught.value.problems[0]
    assert problem.file == "e.fll" and problem.line == 5 and "resolution" in problem.message
