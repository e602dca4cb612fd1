"""DecisionGraph: the order nodes run in, derived from the names they read and write.

Edges are never written by hand: node B depends on node A when B reads a name A writes.
Inputs are the names that are read and that no node writes.
"""

from __future__ import annotations

from typing import Any, Iterable, Sequence

import networkx as nx

from composite.errors import GraphError, Problem


class DecisionGraph:
    """A networkx DiGraph over node names, checked at load time and sorted once."""

    def __init__(
        self,
        nodes: Sequence[Any],
        *,
        outputs: Iterable[str] = (),
        known_inputs: Iterable[str] = (),
        locations: dict[str, tuple[str, int | None]] | None = None,
    ) -> None:
        self.nodes = {node.name: node for node in nodes}
        locations = locations or {}
        problems: list[Problem] = []

        def where(name: str) -> dict[str, Any]:
            file, line = locations.get(name, (None, None))
            return {"file": file, "line": line}

        writer: dict[str, str] = {}
        for node in nodes:
            for name in node.writes:
                if name in writer:
                    first = writer[name]
                    f1, l1 = locations.get(first, (None, None))
                    problems.append(
                        Problem(
                            "two_writers",
                            f"'{name}' is written by two nodes, '{first}' ({f1}:{l1}) and '{node.name}'; "
                            "rename one of the outputs",
                            field=f"nodes.{node.name}.writes",
                            **where(node.name),
                        )
                    )
                else:
                    writer[name] = node.name
        self.writer = writer

        known = set(known_inputs)
        graph = nx.DiGraph()
        inputs: list[str] = []
        for node in nodes:
            graph.add_node(node.name)
            for name in node.reads:
                if name in writer:
                    if writer[name] == node.name:
                        problems.append(
                            Problem("self_loop", f"node '{node.name}' reads '{name}', which it writes itself", **where(node.name))
                        )
                    graph.add_edge(writer[name], node.name, name=name)
                elif name in known:
                    if name not in inputs:
                        inputs.append(name)
                else:
                    problems.append(
                        Problem(
                            "unknown_name",
                            f"node '{node.name}' reads '{name}', which no node writes and knowledge/ does not "
                            "define as an input; define the concept in knowledge/ or add a node that writes it",
                            field=f"nodes.{node.name}.reads",
                            **where(node.name),
                        )
                    )
        for name in outputs:
            if name not in writer and name not in known:
                problems.append(
                    Problem("unknown_output", f"output '{name}' is not written by any node", file="composite.yaml", field="outputs")
                )
        if not problems:
            try:
                cycle = nx.find_cycle(graph)
            except nx.NetworkXNoCycle:
                cycle = None
            if cycle:
                path = " -> ".join(f"{a} ({graph.edges[a, b]['name']})" for a, b in cycle) + f" -> {cycle[0][0]}"
                first = cycle[0][0]
                problems.append(Problem("cycle", f"the graph has a cycle: {path}", **where(first)))
        if problems:
            raise GraphError(f"the decision graph is invalid: {len(problems)} problem(s)", problems=problems)

        self.graph = graph
        # Among nodes free to run, keep the order of composite.yaml so traces read like the file.
        position = {node.name: f"{i:06d}" for i, node in enumerate(nodes)}
        order = list(nx.lexicographical_topological_sort(graph, key=position.__getitem__))
        self.order: list[Any] = [self.nodes[name] for name in order]
        self.inputs: tuple[str, ...] = tuple(inputs)
        self.outputs: tuple[str, ...] = tuple(outputs)

    def to_mermaid(self) -> str:
        lines = ["flowchart LR"]
        for name in self.inputs:
            lines.append(f'    in_{name}(["{name}"])')
        for node in self.order:
            lines.append(f'    {node.name}["{node.name}<br/><i>{node.kind}</i>"]')
        for node in self.order:
            for name in node.reads:
                source = self.writer.get(name)
                lines.append(f"    {source or 'in_' + name} -->|{name}| {node.name}" if source else f"    in_{name} --> {node.name}")
        for name in self.outputs:
            lines.append(f'    out_{name}[/"{name}"/]')
            if name in self.writer:
                lines.append(f"    {self.writer[name]} --> out_{name}")
        return "\n".join(lines) + "\n"

    def to_dot(self) -> str:
        lines = ["digraph decision {", "  rankdir=LR;"]
        for name in self.inputs:
            lines.append(f'  "in:{name}" [label="{name}", shape=ellipse];')
        for node in self.order:
            lines.append(f'  "{node.name}" [label="{node.name}\\n({node.kind})", shape=box];')
        for node in self.order:
            for name in node.reads:
                source = self.writer.get(name)
                lines.append(f'  "{source if source else "in:" + name}" -> "{node.name}" [label="{name}"];')
        for name in self.outputs:
            lines.append(f'  "out:{name}" [label="{name}", shape=note];')
            if name in self.writer:
                lines.append(f'  "{self.writer[name]}" -> "out:{name}";')
        lines.append("}")
        return "\n".join(lines) + "\n"
