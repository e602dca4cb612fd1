"""The `table` node: a decision table (`.table.yaml`, `.csv`) or a DMN model (`.dmn`) in a graph.

A table reads its input names and writes its output names (several outputs: one name each, or
one dict with `as: name`). A DMN model reads its input data and writes one value per decision.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, TYPE_CHECKING, Any, ClassVar, Mapping, Sequence

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from composite.errors import Problem, ProjectError
from composite.nodes.base import BatchResult, LoadContext, NodeResult, NodeSpec, describe_node, typed_column
from composite.project_files import one_node_project, read_single_file
from composite.tables.formats import read_dmn, read_table, table_name_for
from composite.tables.sfeel import from_feel
from composite.tables.table import Decision, DecisionModel, DecisionTable, TableBatch, TableResult

if TYPE_CHECKING:
    from composite.tables.analysis import Domain
    from composite.knowledge import Knowledge

_OPTIONS = ("as", "description")
_SINGLE_HIT = ("UNIQUE", "ANY", "PRIORITY", "FIRST")
_LISTS = ("COLLECT", "RULE ORDER", "OUTPUT ORDER")


class RuleHit(BaseModel):
    """A table row that matched: its number (1-based), id, annotation and conditions."""

    model_config = ConfigDict(extra="forbid")

    row: int
    id: str | None = None
    annotation: str | None = None
    conditions: list[str] = Field(default_factory=list)


class TableStep(BaseModel):
    """One table's part of a decision: which rows matched, which were used, what came out."""

    model_config = ConfigDict(extra="forbid")

    table: str
    hit_policy: str
    file: str | None = None
    matched: list[RuleHit] = Field(default_factory=list)
    selected: list[int] = Field(default_factory=list)
    output: dict[str, Any] = Field(default_factory=dict)
    default: bool = False


class TableEvidence(BaseModel):
    """The evidence of a table node: one step per table, in evaluation order."""

    model_config = ConfigDict(extra="forbid")

    tables: list[TableStep]


class DecisionTableNode:
    """A `table` node. `writes` are, per decision, either its whole value or its output columns."""

    kind: ClassVar[str] = "table"
    evidence_model: ClassVar[type[BaseModel]] = TableEvidence

    def __init__(self, name: str, model: DecisionModel, *, writes: Sequence[tuple[str, str, str | None]],
                 file: str | None = None, description: str | None = None) -> None:
        self.name = name
        self.model = model
        self.file = file
        self.description = description
        # (written name, decision name, output column or None for the decision's whole value)
        self._plan = tuple(writes)
        self.reads: tuple[str, ...] = model.reads
        self.writes: tuple[str, ...] = tuple(written for written, _, _ in self._plan)

    # -- building ------------------------------------------------------------------------------

    @classmethod
    def for_table(cls, table: DecisionTable, *, name: str | None = None, as_name: str | None = None,
                  file: str | None = None, description: str | None = None) -> "DecisionTableNode":
        """A node for one table: one written name per output, or all outputs as one dict `as_name`."""
        model = DecisionModel(table.name, [Decision(table.name, table)], source=table.source)
        if as_name:
            plan = [(as_name, table.name, None)]
        else:
            plan = [(output, table.name, output) for output in table.output_names]
        return cls(name or table.name, model, writes=plan, file=file, description=description or table.description)

    @classmethod
    def for_model(cls, model: DecisionModel, *, name: str | None = None, file: str | None = None,
                  description: str | None = None) -> "DecisionTableNode":
        """A node for a DMN model: one written name per decision."""
        plan = [(decision.name, decision.name, None) for decision in model.decisions]
        return cls(name or model.name, model, writes=plan, file=file, description=description)

    @classmethod
    def from_spec(cls, spec: NodeSpec, context: LoadContext) -> "DecisionTableNode":
        where = {"file": spec.source, "line": spec.line}
        if not spec.file:
            raise ProjectError(
                "a table node needs 'file:', the table it runs (rules/<name>.table.yaml, .csv or .dmn)",
                code="table_needs_file", field=f"nodes.{spec.name}.file", **where)
        unknown = [key for key in spec.options if key not in _OPTIONS]
        if unknown:
            raise ProjectError(
                f"unknown option(s) {', '.join(map(repr, unknown))} for a table node; known: {', '.join(_OPTIONS)}",
                code="table_option", field=f"nodes.{spec.name}.{unknown[0]}", **where)
        as_name = spec.options.get("as")
        if as_name is not None and (not isinstance(as_name, str) or not as_name.strip()):
            raise ProjectError("'as' is the one name the table's outputs are written under, as a dict",
                               code="table_option", field=f"nodes.{spec.name}.as", **where)
        description = spec.options.get("description")
        _, data = context.read_artifact(spec.file, spec=spec)
        suffix = Path(spec.file).suffix.lower()
        if suffix == ".dmn":
            if as_name is not None:
                raise ProjectError("'as' applies to a single table; a DMN model writes one name per decision",
                                   code="table_option", field=f"nodes.{spec.name}.as", **where)
            node = cls.for_model(read_dmn(data, file=spec.file), name=spec.name, file=spec.file,
                                 description=description)
        elif suffix in (".csv", ".yaml", ".yml"):
            node = cls.for_table(read_table(data, file=spec.file), name=spec.name, as_name=as_name,
                                 file=spec.file, description=description)
        else:
            raise ProjectError(f"'{spec.file}' is not a decision table; use .table.yaml, .csv or .dmn",
                               code="table_format", field=f"nodes.{spec.name}.file", **where)
        problems = []
        for what, declared, actual in (("reads", spec.reads, node.reads), ("writes", spec.writes, node.writes)):
            if declared is not None and set(declared) != set(actual):
                missing = sorted(set(actual) - set(declared))
                extra = sorted(set(declared) - set(actual))
                detail = "; ".join(part for part in (
                    f"the table also {what} {', '.join(missing)}" if missing else "",
                    f"the table does not {what[:-1]} {', '.join(extra)}" if extra else "") if part)
                problems.append(Problem(
                    f"table_declared_{what}",
                    f"node '{spec.name}' declares {what} {sorted(declared)} but {spec.file} {what} "
                    f"{sorted(actual)} ({detail})", file=spec.source, line=spec.line,
                    field=f"nodes.{spec.name}.{what}"))
        if problems:
            raise ProjectError(f"node '{spec.name}' does not match {spec.file}", problems=problems)
        return node

    # -- deciding ------------------------------------------------------------------------------

    def evaluate(self, values: Mapping[str, Any]) -> NodeResult:
        results = self.model.evaluate(values)
        outputs = {written: from_feel(_pick(results[decision], key)) for written, decision, key in self._plan}
        return NodeResult(outputs, {"tables": [self._step(name, result) for name, result in results.items()]})

    def evaluate_batch(self, columns: Mapping[str, np.ndarray], size: int, *,
                       evidence: bool = True) -> BatchResult:
        """Outputs per distinct result spread over the rows by index; with `evidence=False` no
        step (matched rows, selected rows) is built for any row."""
        batches = self.model.evaluate_batch(columns, size)
        outputs = {written: _spread([from_feel(_pick(result, key)) for result in batches[decision].results],
                                   batches[decision].index)
                   for written, decision, key in self._plan}
        return BatchResult(outputs, self._batch_evidence(batches, size) if evidence else None)

    def _batch_evidence(self, batches: Mapping[str, TableBatch], size: int) -> list[dict[str, Any]]:
        # Rows that took the same path through every table share one evidence dict.
        if size == 0:
            return []
        names = list(batches)
        stacked = np.stack([batches[name].index for name in names], axis=1)
        combos, inverse = np.unique(stacked, axis=0, return_inverse=True)
        steps = {name: {} for name in names}  # type: dict[str, dict[int, dict[str, Any]]]
        evidence = []
        for combo in combos:
            parts = []
            for name, code in zip(names, combo):
                cache = steps[name]
                if int(code) not in cache:
                    cache[int(code)] = self._step(name, batches[name].results[int(code)])
                parts.append(cache[int(code)])
            evidence.append({"tables": parts})
        return [evidence[code] for code in inverse.reshape(-1)]

    def _step(self, decision: str, result: TableResult) -> dict[str, Any]:
        table = self.model.decision(decision).table
        return {
            "table": decision,
            "hit_policy": table.label,
            "file": table.source,
            "matched": [_hit(table, position) for position in result.matched],
            "selected": [position + 1 for position in result.selected],
            "output": {name: from_feel(value) for name, value in result.outputs.items()},
            "default": result.defaulted,
        }

    # -- describing ----------------------------------------------------------------------------

    def describe(self) -> dict[str, Any]:
        tables = [decision.table for decision in self.model.decisions]
        if len(tables) == 1:
            summary = tables[0].summary
        else:
            summary = f"{len(tables)} decisions: " + "; ".join(f"{t.name} ({t.summary})" for t in tables)
        return describe_node(self, summary, file=self.file,
                             tables=[{"name": t.name, "hit_policy": t.label, "rows": len(t.rules),
                                      "inputs": [i.name for i in t.inputs], "outputs": list(t.output_names)}
                                     for t in tables])

    @staticmethod
    def render(evidence: Mapping[str, Any], *, read: Mapping[str, Any], wrote: Mapping[str, Any],
               knowledge: "Knowledge | None") -> list[str]:
        """`table 'checking_points' (FIRST): row 2 matched (checking_status = "overdrawn") -> points = 0`."""
        lines: list[str] = []
        for step in evidence.get("tables", []):
            head = f"table '{step.get('table')}' ({step.get('hit_policy')})"
            output = ", ".join(f"{name} = {_format(name, value, knowledge)}"
                               for name, value in (step.get("output") or {}).items())
            matched = step.get("matched") or []
            selected = step.get("selected") or []
            if not matched:
                how = "no row matched; defaults used" if step.get("default") else "no row matched"
                lines.append(f"{head}: {how} -> {output}")
                continue
            if step.get("hit_policy") in _SINGLE_HIT and len(selected) == 1:
                hit = next((h for h in matched if h.get("row") == selected[0]), matched[0])
                others = [str(h.get("row")) for h in matched if h is not hit]
                also = f"; row{'s' if len(others) > 1 else ''} {', '.join(others)} also matched" if others else ""
                lines.append(f"{head}: row {hit.get('row')} matched ({_conditions(hit)}){_note(hit)} -> {output}{also}")
                continue
            numbers = ", ".join(str(hit.get("row")) for hit in matched)
            plural = "s" if len(matched) > 1 else ""
            lines.append(f"{head}: row{plural} {numbers} matched -> {output}")
            # For the list policies, the k-th item of each output list came from selected[k].
            columns = step.get("output") or {}
            listed = step.get("hit_policy") in _LISTS and all(
                isinstance(values, list) and len(values) == len(selected) for values in columns.values())
            for hit in matched:
                gave = ""
                if listed and hit.get("row") in selected:
                    k = selected.index(hit.get("row"))
                    gave = " -> " + ", ".join(f"{name} = {_format(name, values[k], knowledge)}"
                                              for name, values in columns.items())
                lines.append(f"  row {hit.get('row')}: {_conditions(hit)}{_note(hit)}{gave}")
        return lines

    # -- for `composite validate` and `composite test` -----------------------------------------

    def validate(self, knowledge: "Knowledge | None" = None, *, defined: Iterable[str] | None = None) -> list[Problem]:
        """Overlapping UNIQUE rows, gaps, rows that never match or are hidden (see tables.analysis)."""
        from composite.tables.analysis import analyse  # only validate needs it, not a decision

        problems: list[Problem] = []
        for decision in self.model.decisions:
            table = decision.table
            domains = _domains(table, knowledge, self.model)
            problems.extend(analyse(table, domains).problems())
        return problems

    def rows(self) -> list[dict[str, Any]]:
        """Every table row, for coverage: {"table", "row", "id", "annotation", "file", "line"}."""
        return [{"table": decision.name, "row": number, "id": rule.id, "annotation": rule.annotation,
                 "file": decision.table.source, "line": rule.line}
                for decision in self.model.decisions
                for number, rule in enumerate(decision.table.rules, start=1)]

    def _item(self, table: str, row: int, row_id: str | None) -> str:
        return f"{self.name}:{table} row {row}" + (f" ({row_id})" if row_id else "")

    def coverage_items(self) -> list[str]:
        """Every row as `<node>:<table> row <n> (<id>)`, for the coverage report of `composite test`."""
        return [self._item(row["table"], row["row"], row["id"]) for row in self.rows()]

    def covered_items(self, evidence: Mapping[str, Any]) -> set[str]:
        ids = {(row["table"], row["row"]): row["id"] for row in self.rows()}
        return {self._item(table, row, ids.get((table, row))) for table, row in self.rows_hit(evidence)}

    @staticmethod
    def rows_hit(evidence: Mapping[str, Any]) -> set[tuple[str, int]]:
        """(table, row) pairs one decision's evidence shows as matched."""
        return {(step.get("table"), hit.get("row")) for step in evidence.get("tables", [])
                for hit in step.get("matched") or []}


def _pick(result: TableResult, key: str | None) -> Any:
    return result.value if key is None else result.outputs[key]


def _hit(table: DecisionTable, position: int) -> dict[str, Any]:
    rule = table.rules[position]
    return {"row": position + 1, "id": rule.id, "annotation": rule.annotation,
            "conditions": table.conditions(position)}


def _spread(values: list[Any], index: np.ndarray) -> np.ndarray:
    """Per-result values spread over the rows that share each result."""
    return typed_column(values)[index]


def _conditions(hit: Mapping[str, Any]) -> str:
    conditions = hit.get("conditions") or []
    return " and ".join(conditions) if conditions else "any input"


def _note(hit: Mapping[str, Any]) -> str:
    note = hit.get("annotation")
    return f" [{note}]" if note else ""


def _format(name: str, value: Any, knowledge: Any) -> str:
    concept = knowledge.get(name) if knowledge is not None and hasattr(knowledge, "get") else None
    if isinstance(value, str):
        text = f'"{value}"'
    elif value is None:
        text = "null"
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, list):
        return "[" + ", ".join(_format(name, item, knowledge) for item in value) + "]"
    elif isinstance(value, dict):
        return "{" + ", ".join(f"{key}: {_format(key, item, knowledge)}" for key, item in value.items()) + "}"
    elif concept is not None and hasattr(concept, "format"):
        try:
            return str(concept.format(value))
        except Exception:  # a concept that cannot format this value: show it plain
            text = str(value)
    else:
        text = str(value)
    return text


def _domains(table: DecisionTable, knowledge: Any, model: DecisionModel) -> dict[str, Domain]:
    from composite.tables.analysis import Domain

    domains: dict[str, Domain] = {}
    for table_input in table.inputs:
        name = table_input.name
        data = model.inputs.get(name)
        concept = knowledge.get(name) if knowledge is not None and hasattr(knowledge, "get") else None
        if concept is not None:
            kind = {"number": "number", "integer": "integer", "category": "string", "string": "string",
                    "boolean": "boolean"}.get(getattr(concept, "type", None) or "")
            low, high = (getattr(concept, "range", None) or (None, None))
            values = getattr(concept, "values", None)
            domains[name] = Domain(kind, tuple(values) if values else None, low, high)
        elif data is not None and (data.type or data.values):
            domains[name] = Domain(data.type, data.values)
    return domains


def dmn_project(path: Path) -> dict[str, Any]:
    """A DMN file as a project of its own: its input data are the inputs, its decisions the outputs."""
    path = Path(path)
    data = read_single_file(path)
    try:
        model = read_dmn(data, file=path.name)
    except ProjectError:
        # Not decision tables over plain names alone: the whole-model reader takes it (or says why not).
        from composite.nodes.dmn import dmn_model_project

        return dmn_model_project(path, data)
    concepts: dict[str, Any] = {}
    for name, item in model.inputs.items():
        concept: dict[str, Any] = {"required": False}
        if item.type:
            concept["type"] = item.type
        if item.values and item.type == "string":  # knowledge/ lists values for categories only
            concept["values"] = [from_feel(value) for value in item.values]
        concepts[name] = concept
    return one_node_project(path, kind="table", stem=table_name_for(path), name=model.name, outputs=model.writes,
                            concepts=concepts)


__all__ = ["DecisionTableNode", "RuleHit", "TableEvidence", "TableStep", "dmn_project"]
