"""Kinds built from one file (model, blend) say so at composite.yaml's line."""

from __future__ import annotations

import pytest

from composite import ProjectError, load_project
from tests.conftest import write_project

CONCEPTS = """
    concepts:
      a: {type: number}
"""


@pytest.mark.parametrize("kind, what", [("model", "its model file"), ("blend", "its blend file")])
def test_a_file_node_without_its_file_names_the_line(tmp_path, kind, what):
    root = write_project(tmp_path, f"""
        name: p
        nodes:
          - {{name: n, kind: {kind}}}
    """, CONCEPTS)
    with pytest.raises(ProjectError) as caught:
        load_project(root)
    problem = caught.value.problems[0]
    assert problem.code == f"{kind}_needs_file" and what in problem.message and problem.line == 3


@pytest.mark.parametrize("kind", ["model", "blend"])
def test_an_option_that_belongs_in_the_file_is_refused(tmp_path, kind):
    root = write_project(tmp_path, f"""
        name: p
        nodes:
          - {{name: n, kind: {kind}, file: models/x.yaml, weight: 0.5}}
    """, CONCEPTS)
    with pytest.raises(ProjectError) as caught:
        load_project(root)
    problem = caught.value.problems[0]
    assert problem.code == f"{kind}_option" and "'weight'" in problem.message and "models/x.yaml" in problem.message
    assert problem.field == "nodes.n.weight"
