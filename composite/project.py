"""A decision project: composite.yaml and the files it names, loaded into nodes and a graph.

Every artifact read is hashed; the project hash (over all artifact hashes) names the exact
version that each decision records.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Mapping

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from composite._yaml import LineDict, LineList, load_yaml, pydantic_problems
from composite.errors import CompositeError, Problem, ProjectError
from composite.graph import DecisionGraph
from composite.knowledge import InputSchema, Knowledge
from composite.nodes import node_class
from composite.nodes.base import LoadContext, NodeSpec
from composite.project_files import single_file_project

PROJECT_FILE = "composite.yaml"


class NodeEntry(BaseModel):
    """One node as written in composite.yaml; keys beyond these are the kind's own options."""

    model_config = ConfigDict(extra="allow")

    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    kind: str
    file: str | None = None
    description: str | None = None
    reads: list[str] | None = None
    writes: list[str] | dict[str, Any] | None = None


class MonitoringConfig(BaseModel):
    """`monitoring:` in composite.yaml: the thresholds `composite monitor` exits 1 on (docs/monitoring.md)."""

    model_config = ConfigDict(extra="forbid")

    psi: float | None = Field(default=None, ge=0)
    p_value: float | None = Field(default=None, ge=0, le=1)
    auc_drop: float | None = Field(default=None, ge=0, le=1)


class ProjectConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    version: str = "0"
    description: str | None = None
    outputs: list[str] = Field(default_factory=list)
    nodes: list[NodeEntry] = Field(default_factory=list)
    monitoring: MonitoringConfig | None = None
    # project folders, relative to this one, that decide every request in the shadow (docs/challengers.md)
    challengers: list[str] = Field(default_factory=list)


class Project:
    """Everything loaded from one project folder (or one standalone DMN / FLL file)."""

    def __init__(self, root: Path, config: ProjectConfig, knowledge: Knowledge, nodes: list[Any],
                 graph: DecisionGraph, artifacts: dict[str, str], sources: dict[str, str]) -> None:
        self.root = root
        self.config = config
        self.name = config.name
        self.version = config.version
        self.knowledge = knowledge
        self.nodes = nodes
        self.graph = graph
        self.artifacts = dict(sorted(artifacts.items()))
        self.sources = sources  # relative path -> text, for the stored snapshot
        self.hash = "sha256:" + hashlib.sha256(
            "\n".join(f"{path} {digest}" for path, digest in self.artifacts.items()).encode()
        ).hexdigest()
        self.outputs = tuple(config.outputs) or tuple(n for node in graph.order for n in node.writes)
        self.input_schema = InputSchema(knowledge, graph.inputs, derived=graph.writer)

    def snapshot(self) -> dict[str, Any]:
        """What the store keeps once per project version, so explanations never need the files."""
        return {
            "hash": self.hash,
            "name": self.name,
            "version": self.version,
            "description": self.config.description,
            "inputs": list(self.graph.inputs),
            "outputs": list(self.outputs),
            "nodes": [node.describe() for node in self.graph.order],
            "artifacts": self.artifacts,
            "sources": self.sources,
            "concepts": {
                name: concept.model_dump(exclude_none=True, exclude={"name", "file", "line"}, mode="json")
                for name, concept in self.knowledge.concepts.items()
            },
        }


def load_project(path: str | Path) -> Project:
    """Load a project folder, or a standalone .dmn / .fll file as a project of its own.

    Every problem found is reported at once, each with its file and line.
    """
    path = Path(path)
    if path.is_file():
        return _load_single_file(path)
    root = path
    if not (root / PROJECT_FILE).is_file():
        raise ProjectError(
            f"'{root}' is not a decision project: it has no {PROJECT_FILE} "
            "(create one with `composite init DIR`)",
            code="not_a_project",
            file=str(root / PROJECT_FILE),
        )
    context = LoadContext(root=root.resolve())
    _, data = context.read_artifact(PROJECT_FILE)
    sources = {PROJECT_FILE: data.decode("utf-8", errors="replace")}
    document = load_yaml(data, file=PROJECT_FILE)
    config = _config(document, file=PROJECT_FILE)

    knowledge_files = []
    for file in sorted((root / "knowledge").glob("*.y*ml")):
        relative = file.relative_to(root).as_posix()  # as found: a symlink out is refused, not followed
        _, content = context.read_artifact(relative, referenced_from=(relative, None))
        sources[relative] = content.decode("utf-8", errors="replace")
        knowledge_files.append((relative, content))
    knowledge = Knowledge.load(root, knowledge_files)
    context.knowledge = knowledge
    node_documents = document.get("nodes") if isinstance(document, Mapping) else None
    return _build(root, config, knowledge, context, sources, node_documents)


def _config(document: Any, *, file: str) -> ProjectConfig:
    if not isinstance(document, Mapping):
        raise ProjectError("composite.yaml must be a mapping with name, version, outputs and nodes",
                           code="schema", file=file, line=1)
    try:
        return ProjectConfig.model_validate(document)
    except ValidationError as exc:
        raise ProjectError(f"{file} is invalid", problems=pydantic_problems(exc, document, file=file)) from None


def _load_single_file(path: Path) -> Project:
    definition = single_file_project(path)
    if definition is None:
        raise ProjectError(
            f"'{path}' is a file composite cannot load as a project; give a project folder, a .dmn or a .fll file",
            code="not_a_project",
            file=str(path),
        )
    root = path.parent.resolve()
    concepts = definition.pop("concepts", {})
    config = _config(definition, file=path.name)
    knowledge = Knowledge.from_mapping(concepts, file=path.name)
    context = LoadContext(root=root, knowledge=knowledge)
    return _build(root, config, knowledge, context, {}, None)


def _build(root: Path, config: ProjectConfig, knowledge: Knowledge, context: LoadContext,
           sources: dict[str, str], node_documents: Any) -> Project:
    problems: list[Problem] = []
    nodes: list[Any] = []
    locations: dict[str, tuple[str, int | None]] = {}
    seen: dict[str, int | None] = {}
    for index, entry in enumerate(config.nodes):
        raw = node_documents[index] if isinstance(node_documents, LineList) else entry.model_dump(exclude_none=True)
        line = node_documents.line_of(index) if isinstance(node_documents, LineList) else None
        if entry.name in seen:
            problems.append(Problem("duplicate_node", f"node name '{entry.name}' is used twice (first at line {seen[entry.name]})",
                                    file=PROJECT_FILE, line=line, field=f"nodes[{index}].name"))
            continue
        seen[entry.name] = line
        locations[entry.name] = (PROJECT_FILE, line)
        declared_writes = entry.writes if isinstance(entry.writes, list) else None
        options = {k: v for k, v in raw.items() if k not in ("name", "kind", "file", "reads")} if isinstance(raw, Mapping) else {}
        if declared_writes is not None:
            options.pop("writes", None)
        spec = NodeSpec(
            name=entry.name,
            kind=entry.kind,
            options=options,
            file=entry.file,
            reads=tuple(entry.reads) if entry.reads is not None else None,
            writes=tuple(declared_writes) if declared_writes is not None else None,
            source=PROJECT_FILE,
            line=line,
        )
        try:
            node = node_class(entry.kind, spec=spec).from_spec(spec, context)
        except CompositeError as exc:
            problems.extend(exc.problems)
            continue
        problems.extend(_check_declared(spec, node))
        nodes.append(node)
    if problems:
        raise ProjectError(f"the project has {len(problems)} problem(s)", problems=problems)
    # The text of every artifact read, for the stored snapshot: from the bytes already read, so
    # what is stored is exactly what was hashed.
    for relative, data in context.contents.items():
        if relative not in sources and Path(relative).suffix in (".yaml", ".yml", ".csv", ".dmn", ".fll", ".json", ".txt"):
            try:
                sources[relative] = data.decode("utf-8")
            except UnicodeDecodeError:
                pass
    graph = DecisionGraph(nodes, outputs=config.outputs, known_inputs=knowledge.concepts, locations=locations,
                          knowledge=knowledge, sources=sources)
    return Project(root, config, knowledge, nodes, graph, context.artifacts, sources)


def _check_declared(spec: NodeSpec, node: Any) -> list[Problem]:
    problems = []
    for what, declared, actual in (("reads", spec.reads, node.reads), ("writes", spec.writes, node.writes)):
        if declared is not None and set(declared) != set(actual):
            problems.append(Problem(
                f"declared_{what}",
                f"node '{spec.name}' declares {what} {sorted(declared)} but its {spec.file or 'spec'} "
                f"{what} {sorted(actual)}",
                file=spec.source, line=spec.line, field=f"nodes.{spec.name}.{what}"))
    return problems
