"""DecisionGraph: derived from reads and writes; load errors name the cycle, name or writers."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from composite import GraphError, ProjectError, load_project
from tests.conftest import write_project

CONCEPTS = """
    concepts:
      a: {type: number}
      b: {type: number}
"""


def test_order_follows_dependencies_not_file_order(tmp_path):
    root = write_project(tmp_path, """
        name: g
        nodes:
          - {name: last, kind: expression, writes: {z: y + 1}}
          - {name: first, kind: expression, writes: {x: a + b}}
          - {name: middle, kind: expression, writes: {y: x * 2}}
    """, CONCEPTS)
    project = load_project(root)
    assert [n.name for n in project.graph.order] == ["first", "middle", "last"]
    assert project.graph.inputs == ("a", "b")
    assert project.outputs == ("x", "y", "z")


def test_a_cycle_is_named_with_the_names_on_it(tmp_path):
    root = write_project(tmp_path, """
        name: g
        nodes:
          - {name: n1, kind: expression, writes: {x: y + a}}
          - {name: n2, kind: expression, writes: {y: x + b}}
    """, CONCEPTS)
    with pytest.raises(GraphError) as caught:
        load_project(root)
    problem = caught.value.problems[0]
    assert problem.code == "cycle"
    assert "n1 (x) -> n2 (y) -> n1" in problem.message or "n2 (y) -> n1 (x) -> n2" in problem.message
    assert problem.file == "composite.yaml" and problem.line in (3, 4)


def test_a_name_nobody_writes_is_named_with_its_reader_and_line(tmp_path):
    root = write_project(tmp_path, """
        name: g
        nodes:
          - {name: n1, kind: expression, writes: {x: a + missing}}
    """, CONCEPTS)
    with pytest.raises(GraphError) as caught:
        load_project(root)
    problem = caught.value.problems[0]
    assert problem.code == "unknown_name"
    assert "node 'n1' reads 'missing'" in problem.message
    assert (problem.file, problem.line) == ("composite.yaml", 3)


def test_two_writers_of_one_name_are_both_named(tmp_path):
    root = write_project(tmp_path, """
        name: g
        nodes:
          - {name: n1, kind: expression, writes: {x: a}}
          - {name: n2, kind: expression, writes: {x: b}}
    """, CONCEPTS)
    with pytest.raises(GraphError) as caught:
        load_project(root)
    problem = caught.value.problems[0]
    assert problem.code == "two_writers" and "'n1'" in problem.message and "'n2'" in problem.message
    assert problem.line == 4


def test_unknown_kind_lists_the_known_ones(tmp_path):
    root = write_project(tmp_path, """
        name: g
        nodes:
          - {name: n1, kind: magic}
    """, CONCEPTS)
    with pytest.raises(ProjectError, match="unknown node kind 'magic'; known kinds: .*expression"):
        load_project(root)


def test_mermaid_and_dot_show_inputs_nodes_and_outputs(tmp_path):
    root = write_project(tmp_path, """
        name: g
        outputs: [y]
        nodes:
          - {name: first, kind: expression, writes: {x: a + b}}
          - {name: second, kind: expression, writes: {y: x * 2}}
    """, CONCEPTS)
    graph = load_project(root).graph
    mermaid = graph.to_mermaid()
    assert "first -->|x| second" in mermaid and "in_a --> first" in mermaid and "second --> out_y" in mermaid
    dot = graph.to_dot()
    assert '"first" -> "second" [label="x"];' in dot


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 9).flatmap(lambda n: st.tuples(
    st.permutations([f"n{i}" for i in range(n)]),
    st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=14))))
def test_order_and_cycle_agree_with_networkx(case):
    """Loading orders and checks the graph without networkx (a faster start); the answers are networkx's."""
    import networkx as nx

    from composite.graph import _find_cycle, _ordered

    names, pairs = case
    edges: dict[str, dict[str, str]] = {name: {} for name in names}
    graph = nx.DiGraph()
    graph.add_nodes_from(names)
    for a, b in pairs:
        if a != b and names[b] not in edges[names[a]]:
            edges[names[a]][names[b]] = "value"
            graph.add_edge(names[a], names[b])
    try:
        expected = [tuple(edge[:2]) for edge in nx.find_cycle(graph)]
    except nx.NetworkXNoCycle:
        expected = None
    assert _find_cycle(edges) == expected
    if expected is None:
        position = {name: f"{i:06d}" for i, name in enumerate(names)}
        assert _ordered(edges, list(names)) == list(nx.lexicographical_topological_sort(graph, key=position.__getitem__))


def test_mermaid_gives_names_with_spaces_and_marks_an_id_of_their_own():
    """A DMN model's outputs are named as people write them; Mermaid ids cannot hold spaces or '?'."""
    from tests.conftest import REPO

    mermaid = load_project(REPO / "examples" / "traffic_violation").graph.to_mermaid()
    line = next(text for text in mermaid.splitlines() if "Should the driver be suspended?" in text)
    node_id = line.split("[")[0].strip()
    assert node_id.startswith("out_n") and " " not in node_id and "?" not in node_id
    assert f"traffic_violation --> {node_id}" in mermaid
    assert "out_Fine[/\"Fine\"/]" in mermaid  # plain names keep their readable id
