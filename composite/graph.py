"""DecisionGraph: the order nodes run in, derived from the names they read and write.

Edges are never written by hand: node B depends on node A when B reads a name A writes.
Inputs are the names that are read and that no node writes.
"""

from __future__ import annotations

import heapq
import re
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

from composite.errors import GraphError, Problem

_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

if TYPE_CHECKING:
    import networkx as nx

    from composite.knowledge import Knowledge


class DecisionGraph:
    """The edges between node names, checked at load time and sorted once; `graph` is the same as
    a networkx DiGraph, built when first asked for (importing networkx costs ~150 ms of every start
    that loads a project, and loading needs only the order and the cycle check)."""

    def __init__(
        self,
        nodes: Sequence[Any],
        *,
        outputs: Iterable[str] = (),
        known_inputs: Iterable[str] = (),
        locations: dict[str, tuple[str, int | None]] | None = None,
        knowledge: "Knowledge | None" = None,
        sources: Mapping[str, str] | None = None,
    ) -> None:
        """`knowledge` gives an unknown name its "did you mean"; `sources` (relative path -> text of
        the files nodes were read from) places it in a file whose node cannot say where it reads it."""
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
        # edges[a][b] = the name b reads from a (the first one, as networkx keeps one edge per pair)
        edges: dict[str, dict[str, str]] = {node.name: {} for node in nodes}
        inputs: list[str] = []
        for node in nodes:
            for name in node.reads:
                if name in writer:
                    if writer[name] == node.name:
                        problems.append(
                            Problem("self_loop", f"node '{node.name}' reads '{name}', which it writes itself", **where(node.name))
                        )
                    edges[writer[name]][node.name] = name
                elif name in known:
                    if name not in inputs:
                        inputs.append(name)
                else:
                    problems.append(_unknown_name(node, name, where(node.name), known | set(writer), knowledge,
                                                  sources or {}))
        for name in outputs:
            if name not in writer and name not in known:
                close = _closest(name, set(writer) | known, knowledge)
                meant = f"; did you mean '{close}'?" if close else ""
                problems.append(
                    Problem("unknown_output", f"output '{name}' is not written by any node{meant}",
                            file="composite.yaml", field="outputs", fix=close)
                )
        if not problems:
            cycle = _find_cycle(edges)
            if cycle:
                path = " -> ".join(f"{a} ({edges[a][b]})" for a, b in cycle) + f" -> {cycle[0][0]}"
                first = cycle[0][0]
                problems.append(Problem("cycle", f"the graph has a cycle: {path}", **where(first)))
        if problems:
            raise GraphError(f"the decision graph is invalid: {len(problems)} problem(s)", problems=problems)

        self.edges = edges
        self._graph: nx.DiGraph | None = None
        # Among nodes free to run, keep the order of composite.yaml so traces read like the file.
        order = _ordered(edges, [node.name for node in nodes])
        self.order: list[Any] = [self.nodes[name] for name in order]
        self.inputs: tuple[str, ...] = tuple(inputs)
        self.outputs: tuple[str, ...] = tuple(outputs)

    @property
    def graph(self) -> "nx.DiGraph":
        """The graph as a networkx DiGraph (node names; each edge's `name` is the value it carries)."""
        if self._graph is None:
            import networkx as nx

            graph = nx.DiGraph()
            graph.add_nodes_from(self.edges)
            for source, targets in self.edges.items():
                for target, name in targets.items():
                    graph.add_edge(source, target, name=name)
            self._graph = graph
        return self._graph

    def to_mermaid(self) -> str:
        """A Mermaid flowchart. Names that are not plain identifiers (DMN's `Should the driver be
        suspended?`) get an id of their own and are shown as quoted labels."""
        ids: dict[str, str] = {}

        def ref(prefix: str, name: str) -> str:
            key = prefix + name
            if key not in ids:
                ids[key] = key if _PLAIN.fullmatch(key) else f"{prefix}n{len(ids)}"
            return ids[key]

        def label(text: str) -> str:
            return text.replace('"', "#quot;")

        lines = ["flowchart LR"]
        for name in self.inputs:
            lines.append(f'    {ref("in_", name)}(["{label(name)}"])')
        for node in self.order:
            lines.append(f'    {ref("", node.name)}["{label(node.name)}<br/><i>{node.kind}</i>"]')
        for node in self.order:
            for name in node.reads:
                source = self.writer.get(name)
                edge = name if _PLAIN.fullmatch(name) else f'"{label(name)}"'
                lines.append(f"    {ref('', source)} -->|{edge}| {ref('', node.name)}" if source
                             else f"    {ref('in_', name)} --> {ref('', node.name)}")
        for name in self.outputs:
            lines.append(f'    {ref("out_", name)}[/"{label(name)}"/]')
            if name in self.writer:
                lines.append(f"    {ref('', self.writer[name])} --> {ref('out_', name)}")
        return "\n".join(lines) + "\n"

    def to_dot(self) -> str:
        def q(text: str) -> str:  # a Graphviz quoted string
            return text.replace("\\", "\\\\").replace('"', '\\"')

        lines = ["digraph decision {", "  rankdir=LR;"]
        for name in self.inputs:
            lines.append(f'  "in:{q(name)}" [label="{q(name)}", shape=ellipse];')
        for node in self.order:
            lines.append(f'  "{q(node.name)}" [label="{q(node.name)}\\n({node.kind})", shape=box];')
        for node in self.order:
            for name in node.reads:
                source = self.writer.get(name)
                lines.append(f'  "{q(source) if source else "in:" + q(name)}" -> "{q(node.name)}" [label="{q(name)}"];')
        for name in self.outputs:
            lines.append(f'  "out:{q(name)}" [label="{q(name)}", shape=note];')
            if name in self.writer:
                lines.append(f'  "{q(self.writer[name])}" -> "out:{q(name)}";')
        lines.append("}")
        return "\n".join(lines) + "\n"


def _unknown_name(node: Any, name: str, node_place: dict[str, Any], known: set[str], knowledge: "Knowledge | None",
                  sources: Mapping[str, str]) -> Problem:
    """A name nobody defines, reported where it is used: as unquoted text when it is one of the
    allowed values of what it is compared with, else with the concept or written name it is
    most likely a typo of."""
    use = _use_of(node, name, sources)
    place: dict[str, Any] = dict(node_place, field=f"nodes.{node.name}.reads")
    if use is not None:
        # A use found in a file's text has no field: composite.yaml's `nodes.<name>.reads` would not be in it.
        place = {"file": use.file or node_place.get("file"), "line": use.line, "column": use.column,
                 "field": use.field}
    if knowledge is not None and use is not None and getattr(use, "compared_with", None) is not None:
        from composite.expr._uses import unquoted_text

        unquoted = unquoted_text(use, knowledge)
        if unquoted is not None:
            return Problem("unquoted_text", unquoted[0], fix=unquoted[1], **place)
    close = _closest(name, known, knowledge)
    if close is not None:
        return Problem("unknown_name", f"node '{node.name}' reads '{name}', which no node writes and knowledge/ does "
                       f"not define; did you mean '{close}'?", fix=close, **place)
    return Problem("unknown_name", f"node '{node.name}' reads '{name}', which no node writes and knowledge/ does not "
                   "define as an input; define the concept in knowledge/ or add a node that writes it", **place)


def _use_of(node: Any, name: str, sources: Mapping[str, str]) -> Any:
    """Where `node` uses `name`: from the node itself (`where_read`, for kinds that parse
    expressions), else the first whole-word mention in the file it was read from, else None."""
    where_read = getattr(node, "where_read", None)
    if callable(where_read):
        use = where_read(name)
        if use is not None:
            return use
    file = getattr(node, "file", None)
    text = sources.get(file) if isinstance(file, str) else None
    if text is None:
        return None
    from composite.expr import NameUse

    word = re.compile(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])")
    for number, line in enumerate(text.splitlines(), start=1):
        if line.lstrip().startswith("#"):
            continue
        match = word.search(line)
        if match is not None:
            return NameUse(name, file, number, match.start() + 1)
    return None


def _closest(name: str, known: set[str], knowledge: "Knowledge | None") -> str | None:
    """The defined name `name` is most likely a typo of (concepts and written names), or None."""
    if knowledge is not None:
        return knowledge.closest(name, also=known - {name})
    import difflib

    matches = difflib.get_close_matches(name, sorted(known - {name}), n=1, cutoff=0.75)
    return matches[0] if matches else None


def _find_cycle(edges: Mapping[str, Mapping[str, str]]) -> list[tuple[str, str]] | None:
    """The edges of a cycle, found by depth-first search from the nodes in file order (as
    networkx's find_cycle walks), or None."""
    done: set[str] = set()
    for start in edges:
        if start in done:
            continue
        path: list[tuple[str, str]] = []  # the edges from start to the node on top of the stack
        on_path = {start: 0}
        stack = [(start, iter(edges[start]))]
        while stack:
            node, successors = stack[-1]
            following = next(successors, None)
            if following is None:
                stack.pop()
                done.add(node)
                del on_path[node]
                if path:
                    path.pop()
                continue
            if following in on_path:
                return path[on_path[following]:] + [(node, following)]
            if following in done:
                continue
            path.append((node, following))
            on_path[following] = len(path)
            stack.append((following, iter(edges[following])))
    return None


def _ordered(edges: Mapping[str, Mapping[str, str]], names: Sequence[str]) -> list[str]:
    """A topological order that, among the nodes free to run, takes the one first in the file."""
    position = {name: i for i, name in enumerate(names)}
    waiting = {name: 0 for name in names}
    for targets in edges.values():
        for target in targets:
            waiting[target] += 1
    free = [position[name] for name in names if waiting[name] == 0]
    heapq.heapify(free)
    order: list[str] = []
    while free:
        name = names[heapq.heappop(free)]
        order.append(name)
        for target in edges[name]:
            waiting[target] -= 1
            if waiting[target] == 0:
                heapq.heappush(free, position[target])
    return order
