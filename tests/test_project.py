"""Project loading: every error names its file and line, every artifact is hashed."""

from __future__ import annotations

import pytest

from composite import ProjectError, load_project
from tests.conftest import LOAN_CONCEPTS, LOAN_PROJECT, write_project


def test_yaml_syntax_error_names_file_and_line(tmp_path):
    root = write_project(tmp_path, "name: x\nnodes:\n  - {name: a, kind: expression\n", LOAN_CONCEPTS)
    with pytest.raises(ProjectError) as caught:
        load_project(root)
    problem = caught.value.problems[0]
    # Placed at the '{' left open, where the fix goes, not at the end of the file where YAML noticed.
    assert (problem.file, problem.line, problem.column, problem.code) == ("composite.yaml", 3, 5, "yaml_syntax")
    assert "the '{' opened at line 3, column 5 is not closed before line 4; add '}' at the end of line 3" in problem.message


def test_expression_syntax_error_names_file_line_and_column(tmp_path):
    root = write_project(tmp_path, """
        name: x
        nodes:
          - name: a
            kind: expression
            writes:
              r: amount / / months
    """, LOAN_CONCEPTS)
    with pytest.raises(ProjectError) as caught:
        load_project(root)
    problem = caught.value.problems[0]
    assert isinstance(caught.value, ProjectError)
    assert (problem.file, problem.line) == ("composite.yaml", 6)
    assert problem.column == 19  # the second '/'


def test_every_problem_is_reported_at_once(tmp_path):
    root = write_project(tmp_path, """
        name: x
        nodes:
          - {name: a, kind: expression, writes: {r: "1 +"}}
          - {name: b, kind: expression, writes: {s: "(2"}}
    """, LOAN_CONCEPTS)
    with pytest.raises(ProjectError) as caught:
        load_project(root)
    assert [p.line for p in caught.value.problems] == [3, 4]


def test_unknown_key_in_knowledge_names_file_line_and_field(tmp_path):
    root = write_project(tmp_path, LOAN_PROJECT, """
        concepts:
          amount: {type: number}
          months:
            type: integer
            colour: blue
    """)
    with pytest.raises(ProjectError) as caught:
        load_project(root)
    problem = caught.value.problems[0]
    assert problem.file == "knowledge/concepts.yaml" and problem.line == 5
    assert "unknown key 'colour'" in problem.message and problem.field == "concepts.months.colour"


def test_missing_project_file_says_how_to_create_one(tmp_path):
    with pytest.raises(ProjectError, match="composite init"):
        load_project(tmp_path)


def test_project_hash_changes_with_any_artifact(tmp_path):
    root = write_project(tmp_path, LOAN_PROJECT, LOAN_CONCEPTS)
    first = load_project(root).hash
    (root / "knowledge" / "concepts.yaml").write_text(
        (root / "knowledge" / "concepts.yaml").read_text().replace("Amount requested", "Amount asked"))
    assert load_project(root).hash != first


def test_an_unknown_function_is_named_with_the_known_ones(tmp_path):
    root = write_project(tmp_path, """
        name: x
        nodes:
          - {name: a, kind: expression, writes: {r: "foo(1)"}}
    """, LOAN_CONCEPTS)
    with pytest.raises(ProjectError) as caught:
        load_project(root)
    problem = caught.value.problems[0]
    assert problem.code == "expression_unknown_function"
    assert "unknown function 'foo'" in problem.message and "clip" in problem.message
    assert (problem.file, problem.line) == ("composite.yaml", 3)


def test_yes_no_on_off_stay_text_as_in_yaml_1_2():
    from composite._yaml import load_yaml

    document = load_yaml("a: no\nb: on\nc: yes\nd: true\ne: False\n", file="x.yaml")
    assert document == {"a": "no", "b": "on", "c": "yes", "d": True, "e": False}
