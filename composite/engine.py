"""CompositeEngine: load a decision project, decide one request or a batch, explain any decision.

The engine validates, runs the nodes in graph order with only what each declared, and stores
the decision with its full trace in one transaction.
"""

from __future__ import annotations

import gc
import os
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping

import numpy as np

from composite.errors import CompositeError, EvaluationError
from composite.ids import new_id, new_ids
from composite.project import Project, load_project
from composite.schemas import SCHEMA_VERSION, Decision, NodeTrace, Trace, trusted
from composite.store import DecisionStore, DecisionSummary, open_store

if TYPE_CHECKING:
    import pandas as pd

STORE_ENV = "COMPOSITE_STORE_URL"


@dataclass(frozen=True)
class _Loaded:
    """One loaded version of the project; a reload swaps it whole, in-flight decisions keep theirs."""

    project: Project
    plan: tuple[tuple[Any, str, str, tuple[str, ...], frozenset[str]], ...]
    artifacts: dict[str, str]


class CompositeEngine:
    """Decides requests with a decision project and keeps every decision explainable.

    Examples
    --------
    >>> engine = CompositeEngine.from_path(".", store="memory")            # doctest: +SKIP
    >>> decision = engine.decide({"duration_months": 24, ...})              # doctest: +SKIP
    >>> print(engine.explain(decision.id))                                  # doctest: +SKIP
    """

    def __init__(self, project: Project, store: DecisionStore, *, source: Path | None = None) -> None:
        self.store = store
        self._source = source
        self._reload_lock = threading.Lock()
        self._loaded = self._prepare(project)

    # -- loading -------------------------------------------------------------------------------

    @classmethod
    def from_path(cls, path: str | os.PathLike[str] = ".", *, store: str | DecisionStore | None = None) -> "CompositeEngine":
        """Load a project folder (or a .dmn / .fll file) and open its store.

        `store` is a store URL ("memory", "sqlite:///file.db", "postgresql://..."), a
        DecisionStore, or None: then $COMPOSITE_STORE_URL, else SQLite in the project's .composite/.
        """
        source = Path(path)
        project = load_project(source)
        if store is None or isinstance(store, str):
            url = store if store is not None else os.environ.get(STORE_ENV) or None
            default_root = source if source.is_dir() else source.parent
            store = open_store(url, default_root=default_root)
        return cls(project, store, source=source)

    def _prepare(self, project: Project) -> _Loaded:
        plan = tuple((node, node.name, node.kind, tuple(node.reads), frozenset(node.writes)) for node in project.graph.order)
        self.store.save_project(project.snapshot())
        return _Loaded(project=project, plan=plan, artifacts=dict(project.artifacts))

    def reload(self) -> bool:
        """Load the project's files again; True when anything changed.

        A project that fails to load raises and leaves the running version in place.
        """
        if self._source is None:
            return False
        with self._reload_lock:
            project = load_project(self._source)
            if project.hash == self._loaded.project.hash:
                return False
            self._loaded = self._prepare(project)
            return True

    @property
    def project(self) -> Project:
        return self._loaded.project

    @property
    def inputs(self) -> tuple[str, ...]:
        return self._loaded.project.graph.inputs

    # -- deciding ------------------------------------------------------------------------------

    def decide(self, request: Mapping[str, Any], *, record: bool = True) -> Decision:
        """Decide one request; store the decision with its trace unless `record` is False.

        A request that does not fit the input schema raises RequestError listing every
        problem, and nothing is stored.
        """
        loaded = self._loaded
        project = loaded.project
        started = time.perf_counter_ns()
        values = project.input_schema.validate(request)
        inputs = dict(values)
        steps: list[NodeTrace] = []
        for node, name, kind, reads, writes in loaded.plan:
            read = {key: values[key] for key in reads}
            t0 = time.perf_counter_ns()
            try:
                result = _run(node, name, kind, read)
            except EvaluationError as exc:
                raise _blame_missing(exc, loaded.plan, inputs) from None
            elapsed = (time.perf_counter_ns() - t0) / 1000
            outputs = _nulls_for_nan(result.outputs)
            if outputs.keys() != writes:
                raise EvaluationError(
                    f"node '{name}' ({kind}) wrote {sorted(outputs)} but declares {sorted(writes)}",
                    code="node_contract",
                )
            values.update(outputs)
            steps.append(trusted(NodeTrace, {
                "name": name, "kind": kind, "read": read, "wrote": outputs, "evidence": result.evidence,
                "duration_us": elapsed}))
        decision = trusted(Decision, dict(
            id=new_id(),
            created_at=datetime.now(timezone.utc),
            project=project.name,
            project_version=project.version,
            project_hash=project.hash,
            inputs=inputs,
            outputs={key: values[key] for key in project.outputs},
            trace=trusted(Trace, {"nodes": steps, "artifacts": loaded.artifacts}),
            batch_id=None,
            duration_us=(time.perf_counter_ns() - started) / 1000,
            schema_version=SCHEMA_VERSION,
        ))
        if record:
            self.store.save(decision)
        return decision

    def decide_batch(self, frame: "pd.DataFrame | Iterable[Mapping[str, Any]]", *, record: bool = True) -> "pd.DataFrame":
        """Decide every row of a DataFrame at once; the same answers as `decide`, row for row.

        Returns a DataFrame with `decision_id` and the project's outputs, in the rows' order.
        With `record`, all decisions are stored in one transaction (all or none).
        """
        import pandas as pd

        if not isinstance(frame, pd.DataFrame):
            frame = pd.DataFrame(list(frame))
        loaded = self._loaded
        project = loaded.project
        started = time.perf_counter_ns()
        size = len(frame)
        columns = project.input_schema.validate_frame(frame)
        values: dict[str, np.ndarray] = dict(columns)
        results = []
        for node, name, kind, reads, writes in loaded.plan:
            t0 = time.perf_counter_ns()
            try:
                result = _run_batch(node, name, kind, {key: values[key] for key in reads}, size)
            except EvaluationError as exc:
                raise _blame_missing(exc, loaded.plan, columns) from None
            elapsed = (time.perf_counter_ns() - t0) / 1000
            if result.outputs.keys() != writes:
                raise EvaluationError(f"node '{name}' ({kind}) wrote {sorted(result.outputs)} but declares {sorted(writes)}",
                                      code="node_contract")
            for key, column in result.outputs.items():
                column = np.asarray(column)
                if column.shape != (size,):
                    raise EvaluationError(f"node '{name}' ({kind}) returned {column.shape} values for '{key}', expected {size}",
                                          code="node_contract")
                values[key] = _null_column(column)  # NaN is null, as in `decide`
            results.append((name, kind, reads, tuple(node.writes), result.evidence, elapsed / max(size, 1)))
        ids = new_ids(size)
        out = pd.DataFrame({"decision_id": ids}, index=frame.index)
        for key in project.outputs:
            out[key] = values[key]
        if record and size:
            batch_id = new_id()
            duration = (time.perf_counter_ns() - started) / 1000 / size
            # Millions of small dicts that all stay alive: the cyclic GC would rescan them again and
            # again while they are built (most of the time of a large batch); none can form a cycle.
            gc_was_enabled = gc.isenabled()
            gc.disable()
            try:
                self.store.save_records(_records(project, ids, batch_id, columns, values, results, duration))
            finally:
                if gc_was_enabled:
                    gc.enable()
            out.attrs["batch_id"] = batch_id
        return out

    # -- reading back --------------------------------------------------------------------------

    def get(self, decision_id: str) -> Decision:
        """The stored decision (DecisionNotFound if the store does not have it)."""
        return self.store.get(decision_id)

    def explain(self, decision_id: str, *, format: str = "text", why_not: str | None = None) -> str:
        """The stored decision rendered step by step, from the store alone.

        `why_not` names a rule: the explanation then says which of its conditions failed.
        """
        from composite.explain import explain_json, explain_text

        decision = self.store.get(decision_id)
        snapshot = self.store.project(decision.project_hash) if decision.project_hash else {}
        if format == "json":
            return explain_json(decision, snapshot)
        return explain_text(decision, snapshot, why_not=why_not)

    def history(self, limit: int = 20) -> list[DecisionSummary]:
        return self.store.recent(limit)

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> "CompositeEngine":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# -- missing values ------------------------------------------------------------------------------
# One rule (docs/limits.md, "Missing values"): a value a node could not give, whether it says so with
# None or with NaN (a fuzzy output with no default when no rule fires), is null, in memory, in the
# store and for every later node. A node that cannot take null fails naming it; nothing is stored.


def _nulls_for_nan(outputs: dict[str, Any]) -> dict[str, Any]:
    """A node's outputs for one decision with NaN as None (null)."""
    for key, value in outputs.items():
        if isinstance(value, (float, np.floating)) and value != value:
            return {k: (None if isinstance(v, (float, np.floating)) and v != v else v) for k, v in outputs.items()}
    return outputs


def _null_column(column: np.ndarray) -> np.ndarray:
    """A node's output column with NaN as None: an object column where any row is missing."""
    kind = column.dtype.kind
    if kind == "f":
        missing = np.isnan(column)
        if not missing.any():
            return column
        out = column.astype(object)
        out[missing] = None
        return out
    if kind == "O" and column.size:
        try:
            missing = np.asarray(column != column, dtype=bool)  # only NaN differs from itself
        except (TypeError, ValueError):  # an element that does not compare to a plain bool
            missing = np.fromiter((isinstance(v, (float, np.floating)) and v != v for v in column.tolist()),
                                  dtype=bool, count=column.size)
        if missing.shape == column.shape and missing.any():
            column = column.copy()
            column[missing] = None
    return column


def _blame_missing(exc: EvaluationError, plan: tuple[tuple[Any, ...], ...], inputs: Mapping[str, Any]) -> EvaluationError:
    """A node's failure on a null, saying where the null came from: the node that wrote it or the request."""
    missing = getattr(exc, "missing", None)
    if not missing:
        return exc
    origin = None
    for _node, producer, kind, _reads, writes in plan:
        if missing in writes:
            why = " (no rule fired and the output has no default)" if kind == "fuzzy" else ""
            origin = f"'{missing}' is null because node '{producer}' ({kind}) gave no value for it{why}"
            break
    if origin is None:
        origin = f"'{missing}' is null because the request gave no value for it" if missing in inputs else None
    if origin is None:
        return exc
    error = EvaluationError(f"{exc.message}; {origin}", code=exc.code, file=exc.file, line=exc.line,
                            column=exc.column, field=exc.field)
    error.rows = getattr(exc, "rows", ())  # type: ignore[attr-defined]
    error.missing = missing  # type: ignore[attr-defined]
    return error


def _run(node: Any, name: str, kind: str, read: dict[str, Any]) -> Any:
    try:
        return node.evaluate(read)
    except CompositeError:
        raise
    except Exception as exc:  # a bug or an unexpected input in a node kind: say which node
        raise EvaluationError(f"node '{name}' ({kind}) failed: {type(exc).__name__}: {exc}", code="node_failed") from exc


def _run_batch(node: Any, name: str, kind: str, columns: dict[str, np.ndarray], size: int) -> Any:
    try:
        return node.evaluate_batch(columns, size)
    except CompositeError:
        raise
    except Exception as exc:
        raise EvaluationError(f"node '{name}' ({kind}) failed on the batch: {type(exc).__name__}: {exc}",
                              code="node_failed") from exc


def _records(project: Project, ids: list[str], batch_id: str, inputs: dict[str, np.ndarray],
             values: dict[str, np.ndarray], results: list[tuple[Any, ...]], duration: float) -> Iterable[dict[str, Any]]:
    """One stored record per row, built column-wise, in the compact form of `decision_record`."""
    lists = {key: column.tolist() for key, column in values.items()}
    input_names = list(inputs)
    derived_names = [key for _, _, _, writes, _, _ in results for key in writes]
    created = datetime.now(timezone.utc).isoformat()
    head = {"created_at": created, "project": project.name, "project_version": project.version,
            "project_hash": project.hash, "batch_id": batch_id, "duration_us": duration, "schema_version": SCHEMA_VERSION}
    outputs = project.outputs
    plain = [{"name": name, "duration_us": per_row} for name, _, _, _, evidence, per_row in results if evidence is None]
    with_evidence = [(name, evidence, per_row) for name, _, _, _, evidence, per_row in results if evidence is not None]
    order = [name for name, *_ in results]
    plain_by_name = {entry["name"]: entry for entry in plain}
    for i, decision_id in enumerate(ids):
        if with_evidence:
            extra = {name: {"name": name, "duration_us": per_row, "evidence": evidence[i]}
                     for name, evidence, per_row in with_evidence}
            nodes = [extra.get(name) or plain_by_name[name] for name in order]
        else:
            nodes = plain
        yield {"id": decision_id, **head,
               "inputs": {key: lists[key][i] for key in input_names},
               "outputs": {key: lists[key][i] for key in outputs},
               "derived": {key: lists[key][i] for key in derived_names},
               "nodes": nodes}
