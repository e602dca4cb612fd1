"""CompositeEngine: load a decision project, decide one request or a batch, explain any decision.

The engine validates, runs the nodes in graph order with only what each declared, and stores
the decision with its full trace in one transaction.
"""

from __future__ import annotations

import gc
import logging
import math
import os
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Literal, Mapping, NamedTuple, Sequence

import numpy as np

from composite.errors import CompositeError, EvaluationError, ProjectError, RequestError
from composite.knowledge import AS_GIVEN
from composite.ids import new_id, new_ids
from composite.limits import DEFAULT_LIMITS, INT64_MAX, INT64_MIN, Limits, short
from composite.nodes.base import BatchResult, accepts_evidence_keyword
from composite.project import Project, load_project
from composite.schemas import LAZY_SCHEMA_VERSION, SCHEMA_VERSION, Decision, NodeTrace, Trace, on_demand, trusted
from composite.store import STORE_ENV, DecisionStore, DecisionSummary, project_store  # noqa: F401 (STORE_ENV)
from composite.store._codec import SAME_MIN_CHARS, decision_record, derived_names, nonfinite_name

if TYPE_CHECKING:
    from composite.replay import ReplayResult
    import pandas as pd


Evidence = Literal["lazy", "eager"]

challenger_log = logging.getLogger("composite.challengers")


def _evidence_mode(mode: Any) -> Evidence:
    if mode not in ("lazy", "eager"):
        raise ValueError(f"evidence must be 'lazy' (built when asked for) or 'eager' (built and stored with every "
                         f"decision), got {short(mode)}")
    return mode  # type: ignore[no-any-return]


def _lazy_decision(fields: dict[str, Any], values: dict[str, Any], timings: list[tuple[str, str, float]],
                   witness: dict[str, Any], project: Project, loaded: "_Loaded") -> Decision:
    """A decision whose trace is built from `values` by `composite.evidence` when it is read."""
    artifacts = loaded.artifacts

    def build() -> Trace:
        from composite.evidence import build_trace

        return build_trace(project, values, timings, artifacts, witness)

    decision = on_demand(fields, timings, build)
    private = decision.__pydantic_private__
    private["values"] = values  # inputs and every derived value, for the compact record
    private["witness"] = witness
    private["derived_names"] = loaded.derived_names
    return decision


@dataclass(frozen=True)
class _Loaded:
    """One loaded version of the project; a reload swaps it whole, in-flight decisions keep theirs."""

    project: Project
    plan: tuple[tuple[Any, str, str, tuple[str, ...], frozenset[str]], ...]
    artifacts: dict[str, str]
    # per plan entry: does the node's evaluate_batch take `evidence=`? (inspected once, at load)
    lean: tuple[bool, ...] = ()
    # per plan entry: does the node's evaluate take `evidence=`? (the single path without evidence)
    lean_single: tuple[bool, ...] = ()
    # the order of a compact record's derived values (store/_codec.derived_names)
    derived_names: tuple[str, ...] = ()
    # per plan entry: the derived names no later node reads and no output is (let go when not storing)
    release: tuple[tuple[str, ...], ...] = ()


class BatchOutcome(NamedTuple):
    """What `decide_batch(frame, on_error="collect")` returns: the decided rows and the rejected ones.

    decided   DataFrame, one row per good row of the frame, indexed by the frame's labels:
              `decision_id` and the project's outputs, as `decide_batch` returns them (with
              `attrs["batch_id"]` when recorded).
    rejected  DataFrame, one row per problem: `row` (position in the frame), `label` (its index
              label), `field`, `code` and `message` (the message `decide` gives for that value);
              a row with two bad fields is listed twice. Empty when every row was decided.
    """

    decided: "pd.DataFrame"
    rejected: "pd.DataFrame"


class CompositeEngine:
    """Decides requests with a decision project and keeps every decision explainable.

    Examples
    --------
    >>> engine = CompositeEngine.from_path(".", store="memory")            # doctest: +SKIP
    >>> decision = engine.decide({"duration_months": 24, ...})              # doctest: +SKIP
    >>> print(engine.explain(decision.id))                                  # doctest: +SKIP
    """

    def __init__(self, project: Project, store: DecisionStore, *, source: Path | None = None,
                 limits: Limits | None = None, evidence: Evidence = "lazy") -> None:
        self.store = store
        self.limits = limits or DEFAULT_LIMITS
        self.evidence = _evidence_mode(evidence)
        self._source = source
        self._reload_lock = threading.Lock()
        self._saved_snapshots: set[str] = set()
        self._loaded = self._prepare(project)
        # champion/challenger (docs/challengers.md): engines deciding every recorded request in the
        # shadow, into the same store; empty, the champion's path does no extra work
        self._challengers: tuple[CompositeEngine, ...] = ()
        self.challenger_failures: dict[str, int] = {}

    # -- loading -------------------------------------------------------------------------------

    @classmethod
    def from_path(cls, path: str | os.PathLike[str] = ".", *, store: str | DecisionStore | None = None,
                  limits: Limits | None = None, evidence: Evidence = "lazy",
                  challengers: Sequence[str | os.PathLike[str]] | None = None) -> "CompositeEngine":
        """Load a project folder (or a .dmn / .fll file) and open its store.

        `store` is a store URL ("memory", "sqlite:///file.db", "sqlite:///file.db?mode=ro",
        "postgresql://..."), a DecisionStore, or None: then $COMPOSITE_STORE_URL, else SQLite in
        the project's .composite/. `limits` bounds each request (see `Limits`, docs/limits.md).
        Opening writes nothing: the project's snapshot is stored with its first decision, so a
        read-only store serves `get`, `explain` and `history`.

        `evidence`: "lazy" (the default) makes and stores each decision with its inputs, derived
        values, step durations and witnesses, and builds the evidence (matched rows, fired rules,
        memberships, contributions, reasons) when it is asked for: `decision.trace`, `explain`.
        "eager" builds it with every decision and stores it in the record. `explain` says the
        same either way (composite.evidence).

        `challengers`: project folders deciding every recorded request in the shadow, besides the
        ones composite.yaml names under `challengers:` (relative to the project); see
        `challengers` below and docs/challengers.md.
        """
        source = Path(path)
        project = load_project(source)
        if store is None or isinstance(store, str):
            store = project_store(source, store)
        engine = cls(project, store, source=source, limits=limits, evidence=evidence)
        named = [(source / entry, source / "composite.yaml", f"challengers[{i}]")
                 for i, entry in enumerate(project.config.challengers)]
        named += [(Path(entry), None, "challengers") for entry in challengers or ()]
        if named:
            try:
                engine._challengers = tuple(engine._challenger(folder, file, field) for folder, file, field in named)
            except BaseException:
                store.close()
                raise
        return engine

    @property
    def challengers(self) -> tuple["CompositeEngine", ...]:
        """The engines deciding each recorded request in the shadow of this one (the champion).

        Each takes the champion's inputs; its decision is stored in the champion's store with
        `shadow_of` (the champion decision's id) and `challenger` (its project name) in the record,
        never returned, and left out of `history` and `store.select()` (`select(shadows=True)`
        reads them). A challenger that fails is logged ("composite.challengers") and counted in
        `challenger_failures`; the champion's decision stands.
        """
        return self._challengers

    def _challenger(self, folder: Path, file: Path | None, field: str) -> "CompositeEngine":
        """A challenger engine on this engine's store, checked to need no input the champion lacks."""
        try:
            project = load_project(folder)
        except ProjectError as exc:
            raise ProjectError(f"challenger '{folder}' cannot be loaded: {exc.message}", code="challenger_invalid",
                               problems=exc.problems, file=str(file) if file else None, field=field) from None
        schema = project.input_schema
        required = [name for name in project.graph.inputs if name not in schema.defaults]
        foreign = sorted(set(required) - set(self.inputs))
        if foreign:
            raise ProjectError(
                f"challenger '{folder}' ({project.name} {project.version}) needs input(s) {foreign} that the champion "
                f"'{self.project.name}' does not take: a challenger decides the champion's requests, so every input it "
                "requires must be one of the champion's (give those inputs a default in the challenger's knowledge/, "
                "or remove the challenger)", code="challenger_inputs", file=str(file) if file else None, field=field)
        return CompositeEngine(project, self.store, source=folder, limits=self.limits, evidence=self.evidence)

    def _challenger_failed(self, challenger: "CompositeEngine", champion_id: str, exc: BaseException) -> None:
        label = f"{challenger.project.name} {challenger.project.version}"
        with self._reload_lock:
            self.challenger_failures[label] = self.challenger_failures.get(label, 0) + 1
        challenger_log.warning("challenger %s failed in the shadow of %s (the champion's decision stands): %s: %s",
                               label, champion_id, type(exc).__name__, exc)

    def _shadow(self, decision: Decision, evidence: Evidence | None) -> None:
        """Every challenger decides the champion decision's inputs; stored linked, never returned."""
        for challenger in self._challengers:
            try:
                names = challenger.inputs
                shadow = challenger.decide({key: value for key, value in decision.inputs.items() if key in names},
                                           record=False, evidence=evidence)
                record = decision_record(shadow)
                record["shadow_of"] = decision.id
                record["challenger"] = challenger.project.name
                challenger._save_snapshot(challenger.project)
                self.store.save_records([record])
            except Exception as exc:  # a challenger never fails the champion
                self._challenger_failed(challenger, decision.id, exc)

    def _shadow_batch(self, frame: "pd.DataFrame", champion_ids: list[str], lazy: bool) -> None:
        for challenger in self._challengers:
            try:
                challenger._decide_shadow_batch(frame, champion_ids, lazy)
            except Exception as exc:
                self._challenger_failed(challenger, f"batch of {len(champion_ids)} from {champion_ids[0]}", exc)

    def _decide_shadow_batch(self, frame: "pd.DataFrame", champion_ids: list[str], lazy: bool) -> None:
        """Decide the champion's (good) rows as this challenger and store them, row i linked to
        champion_ids[i]."""
        started = time.perf_counter_ns()
        loaded = self._loaded
        project = loaded.project
        names = set(project.graph.inputs)
        own = frame.loc[:, [column for column in frame.columns if column in names]]
        own.attrs.update(frame.attrs)
        columns = project.input_schema.validate_frame(own, limits=self.limits)
        size = len(own)
        values, results = _evaluate(loaded, columns, size, evidence=not lazy, keep=True)
        ids = new_ids(size)
        duration = (time.perf_counter_ns() - started) / 1000 / size
        name = project.name

        def linked() -> Iterable[dict[str, Any]]:
            for record, champion_id in zip(_records(loaded, ids, new_id(), columns, values, results, duration,
                                                    lazy=lazy), champion_ids):
                record["shadow_of"] = champion_id
                record["challenger"] = name
                yield record

        self._save_snapshot(project)
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            self.store.save_records(linked())
        finally:
            if gc_was_enabled:
                gc.enable()

    def _prepare(self, project: Project) -> _Loaded:
        from composite.evidence import register

        plan = tuple((node, node.name, node.kind, tuple(node.reads), frozenset(node.writes)) for node in project.graph.order)
        lean = tuple(accepts_evidence_keyword(node) for node, *_ in plan)
        lean_single = tuple(accepts_evidence_keyword(node, "evaluate") for node, *_ in plan)
        register(project)
        names = derived_names([{"writes": list(node.writes)} for node in project.graph.order],
                              project.graph.inputs, project.outputs)
        last_read: dict[str, int] = {}
        for step, (_, _, _, reads, writes) in enumerate(plan):
            for key in (*reads, *writes):
                last_read[key] = step
        release: list[list[str]] = [[] for _ in plan]
        for key, step in last_read.items():
            if key not in project.outputs and key not in project.graph.inputs:
                release[step].append(key)
        return _Loaded(project=project, plan=plan, artifacts=dict(project.artifacts), lean=lean,
                       lean_single=lean_single, derived_names=tuple(names),
                       release=tuple(tuple(keys) for keys in release))

    def reload(self) -> bool:
        """Load the project's files again; True when anything changed.

        A project that fails to load raises and leaves the running version in place.
        """
        if self._source is None:
            return False
        with self._reload_lock:
            project = load_project(self._source)
            if project.hash == self._loaded.project.hash:
                changed = False
            else:
                self._loaded = self._prepare(project)
                changed = True
        for challenger in self._challengers:
            try:
                challenger.reload()
            except CompositeError as exc:  # the running challenger version stays, as the champion's would
                challenger_log.warning("challenger %s not reloaded: %s", challenger._source, exc)
        return changed

    @property
    def project(self) -> Project:
        return self._loaded.project

    @property
    def inputs(self) -> tuple[str, ...]:
        return self._loaded.project.graph.inputs

    # -- deciding ------------------------------------------------------------------------------

    def _save_snapshot(self, project: Project) -> None:
        # Written with the first decision of a version, not at open: opening a store to read it
        # must not write (a read-only store, an auditor's copy). Idempotent in every store.
        if project.hash not in self._saved_snapshots:
            self.store.save_project(project.snapshot())
            self._saved_snapshots.add(project.hash)

    def decide(self, request: Mapping[str, Any], *, record: bool = True, evidence: Evidence | None = None) -> Decision:
        """Decide one request; store the decision unless `record` is False.

        A request that does not fit the input schema (or the engine's `limits`) raises
        RequestError listing every problem, and nothing is stored. Outputs are stored exactly as
        returned, inf and NaN included: `get(decision.id).outputs` equals `decision.outputs`.
        `evidence` overrides the engine's mode for this decision ("lazy": the trace is built when
        `decision.trace` is first read; "eager": now, and stored with the decision).
        """
        eager = _evidence_mode(evidence or self.evidence) == "eager"
        loaded = self._loaded
        project = loaded.project
        started = time.perf_counter_ns()
        values = project.input_schema.validate(request, limits=self.limits)
        inputs = dict(values)
        steps: list[NodeTrace] = []
        timings: list[tuple[str, str, float]] = []
        witness: dict[str, Any] = {}
        lean_single = loaded.lean_single or (False,) * len(loaded.plan)
        for (node, name, kind, reads, writes), lean in zip(loaded.plan, lean_single):
            read = {key: values[key] for key in reads}
            t0 = time.perf_counter_ns()
            try:
                result = run_node(node, name, kind, read, evidence=eager or not lean)
            except EvaluationError as exc:
                raise _blame_missing(exc, loaded.plan, inputs) from None
            elapsed = (time.perf_counter_ns() - t0) / 1000
            outputs = _nulls_for_nan(result.outputs)
            if outputs.keys() != writes:
                raise EvaluationError(
                    f"node '{name}' ({kind}) wrote {sorted(outputs)} but declares {sorted(writes)}",
                    code="node_contract",
                )
            for key, value in outputs.items():
                if type(value) is int and not INT64_MIN <= value <= INT64_MAX:
                    raise EvaluationError(f"node '{name}' ({kind}) wrote {short(value)} to '{key}', outside the 64-bit "
                                          "integer range a decision can be stored with", code="value_out_of_range",
                                          field=key)
            values.update(outputs)
            if eager:
                steps.append(trusted(NodeTrace, {
                    "name": name, "kind": kind, "read": read, "wrote": outputs, "evidence": result.evidence,
                    "duration_us": elapsed}))
            else:
                timings.append((name, kind, float(round(elapsed))))  # whole µs, as the record keeps them
                if lean and result.evidence:
                    witness[name] = result.evidence  # a lean node's evidence is its witness
        fields = dict(
            id=new_id(),
            created_at=datetime.now(timezone.utc),
            project=project.name,
            project_version=project.version,
            project_hash=project.hash,
            inputs=inputs,
            outputs={key: values[key] for key in project.outputs},
            batch_id=None,
            duration_us=(time.perf_counter_ns() - started) / 1000 if eager else
            round((time.perf_counter_ns() - started) / 1000, 1),  # as a compact record keeps it
            schema_version=SCHEMA_VERSION if eager else LAZY_SCHEMA_VERSION,
        )
        if eager:
            decision = trusted(Decision, {**fields, "trace": trusted(Trace, {
                "nodes": steps, "artifacts": loaded.artifacts, "note": None})})
        else:
            decision = _lazy_decision(fields, values, timings, witness, project, loaded)
        if record:
            self._save_snapshot(project)
            self.store.save(decision)
            if self._challengers:
                self._shadow(decision, evidence)
        return decision

    def decide_batch(self, frame: "pd.DataFrame | Iterable[Mapping[str, Any]]", *, record: bool = True,
                     on_error: Literal["raise", "collect"] = "raise",
                     trace: Literal["on", "off"] = "on",
                     evidence: Evidence | None = None) -> "pd.DataFrame | BatchOutcome":
        """Decide every row of a DataFrame at once; the same answers as `decide`, row for row.

        Every row is checked as `decide` checks one request (no value is converted: a "5" or a
        True is not a number, integers stay exact). Rows given as mappings become object columns,
        so their values reach the check as they were given; in a DataFrame, None, NaN and pd.NA
        are null, as a JSON null is for `decide`.

        on_error="raise" (the default): all or nothing. One bad row raises RequestError naming
        each field and its rows (by index label) and nothing is decided or stored. Returns a
        DataFrame with `decision_id` and the project's outputs, in the rows' order and index;
        with `record`, all decisions are stored in one transaction and `attrs["batch_id"]` set.

        on_error="collect": the good rows are decided and stored (in one transaction, all of
        them or none), the bad ones are not, and a `BatchOutcome(decided, rejected)` is returned:
        `decided` as above for the good rows only, `rejected` one row per problem with columns
        row (position), label (index label), field, code, message. A row that a node cannot
        decide (an EvaluationError) is rejected too, with the node's error. Problems of the frame
        as a whole (an unknown or missing column, a column given twice, too many columns) raise
        RequestError in both modes: they make every row bad alike.

        trace="off" (only with record=False: a stored decision keeps its trace): every node is
        asked for its outputs alone (`evaluate_batch(..., evidence=False)`), so no trace or
        evidence is built for any row; the returned DataFrame is the same, value for value, as
        with trace="on" (the default). With evidence on demand (the engine's default, or
        `evidence="lazy"`) that is also how a stored batch is decided: each record keeps the
        inputs, derived values, durations and witnesses, and `get(id).trace` derives the rest.
        """
        if trace not in ("on", "off"):
            raise ValueError(f"trace must be 'on' or 'off', got {short(trace)}")
        if trace == "off" and record:
            raise ValueError("trace='off' needs record=False: a stored decision is stored with its trace "
                             "(decide_batch(frame, record=False, trace='off'))")
        # Evidence is built only to be stored: eagerly, with record=True. Otherwise every node is
        # asked for its outputs (and witnesses) alone, and the evidence is derived when asked for.
        evidence = record and _evidence_mode(evidence or self.evidence) == "eager"
        if on_error not in ("raise", "collect"):
            raise RequestError(f"on_error must be 'raise' or 'collect', got {short(on_error)}", code="bad_argument",
                               field="on_error")
        loaded = self._loaded
        project = loaded.project
        schema = project.input_schema
        frame = _as_frame(frame, self.limits, schema.defaults)
        started = time.perf_counter_ns()
        if on_error == "raise":
            columns = schema.validate_frame(frame, limits=self.limits)
            values, results = _evaluate(loaded, columns, len(frame), evidence=evidence, keep=record)
            return self._finish_batch(loaded, frame, columns, values, results, record, started, lazy=not evidence)

        import pandas as pd

        checked = schema.check_frame(frame, limits=self.limits)
        rejected = list(checked.problems)
        good, columns = frame, checked.columns
        positions = np.arange(len(frame))
        if checked.rows:
            keep = np.ones(len(frame), dtype=bool)
            keep[checked.rows] = False
            positions = positions[keep]
            good = frame.iloc[positions]
            columns = schema.validate_frame(good, limits=self.limits)
        try:
            values, results = _evaluate(loaded, columns, len(good), evidence=evidence, keep=record)
        except EvaluationError:
            # Which rows? Decide them one by one (without storing), then the rest as a batch.
            keep = np.ones(len(good), dtype=bool)
            for i, row in enumerate(_requests(good)):
                try:
                    self.decide(row, record=False)
                except CompositeError as exc:
                    keep[i] = False
                    rejected += [(int(positions[i]), p.field, p.code, p.message) for p in exc.problems]
            positions = positions[keep]
            good = frame.iloc[positions]
            columns = schema.validate_frame(good, limits=self.limits)
            values, results = _evaluate(loaded, columns, len(good), evidence=evidence, keep=record)
        decided = self._finish_batch(loaded, good, columns, values, results, record, started,
                                     lazy=not evidence)
        rejected.sort(key=lambda p: p[0])
        labels = frame.index
        table = pd.DataFrame({
            "row": pd.Series([p[0] for p in rejected], dtype="int64"),
            "label": pd.Series([labels[p[0]] for p in rejected], dtype=object),
            "field": pd.Series([p[1] for p in rejected], dtype=object),
            "code": pd.Series([p[2] for p in rejected], dtype=object),
            "message": pd.Series([p[3] for p in rejected], dtype=object),
        })
        return BatchOutcome(decided, table)

    def _finish_batch(self, loaded: _Loaded, frame: "pd.DataFrame", columns: dict[str, np.ndarray],
                      values: dict[str, np.ndarray], results: list[tuple[Any, ...]], record: bool,
                      started: int, *, lazy: bool) -> "pd.DataFrame":
        import pandas as pd

        project = loaded.project
        size = len(frame)
        ids = new_ids(size)
        out = pd.DataFrame({"decision_id": ids}, index=frame.index)
        for key in project.outputs:
            out[key] = values[key]
        if record and size:
            batch_id = new_id()
            duration = (time.perf_counter_ns() - started) / 1000 / size
            self._save_snapshot(project)
            # Millions of small dicts that all stay alive: the cyclic GC would rescan them again and
            # again while they are built (most of the time of a large batch); none can form a cycle.
            gc_was_enabled = gc.isenabled()
            gc.disable()
            try:
                self.store.save_records(_records(loaded, ids, batch_id, columns, values, results, duration,
                                                 lazy=lazy))
            finally:
                if gc_was_enabled:
                    gc.enable()
            out.attrs["batch_id"] = batch_id
            if self._challengers:
                self._shadow_batch(frame, ids, lazy)
        return out

    # -- reading back --------------------------------------------------------------------------

    def get(self, decision_id: str) -> Decision:
        """The stored decision (DecisionNotFound if the store does not have it)."""
        return self.store.get(decision_id)

    def explain(self, decision_id: str, *, format: str = "text", why_not: str | None = None,
                full: bool = False) -> str:
        """The stored decision explained from the store alone: the outcome and the steps that decided
        it, or with `full=True` every step with what it read and wrote.

        `why_not` names a rule, a table row (`node:3`) or a fuzzy rule (`node:rule`): the explanation
        then says why it did or did not decide; an unknown name raises CompositeError `unknown_name`.
        """
        from composite.explain import explain_stored

        return explain_stored(self.store, decision_id, format=format, why_not=why_not,
                              current_artifacts=self.project.artifacts, full=full)

    def history(self, limit: int = 20) -> list[DecisionSummary]:
        return self.store.recent(limit)

    # -- audit: replay and outcomes (composite/replay.py, composite/audit.py) -----------------------

    def replay(self, decision_id: str) -> "ReplayResult":
        """Decide a stored decision again with its own project version (from its snapshot, not the
        files now) and compare every node's values, witnesses and the outputs bit for bit."""
        from composite.replay import replay

        return replay(self.store, decision_id)

    def record_outcome(self, decision_id: str, value: Any, *, recorded_at: str | None = None,
                       note: str | None = None) -> None:
        """Keep what happened after a stored decision, checked against the project's outcome concept
        (composite.yaml `outcome:`, else its model's `target:`); the decision is never changed."""
        from composite.audit import check_outcome

        self.store.record_outcome(decision_id, check_outcome(self.project, value), recorded_at=recorded_at, note=note)

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


def run_node(node: Any, name: str, kind: str, read: dict[str, Any], *, evidence: bool = True) -> Any:
    """`node.evaluate(read)`, failures named by node; `evidence=False` (only for a node whose
    `evaluate` takes the keyword) asks for the outputs and the node's witness alone."""
    try:
        return node.evaluate(read) if evidence else node.evaluate(read, evidence=False)
    except CompositeError:
        raise
    except Exception as exc:  # a bug or an unexpected input in a node kind: say which node
        raise EvaluationError(f"node '{name}' ({kind}) failed: {type(exc).__name__}: {exc}", code="node_failed") from exc


def _run_batch(node: Any, name: str, kind: str, columns: dict[str, np.ndarray], size: int, *,
               evidence: bool = True, lean: bool = True) -> Any:
    """`evaluate_batch`; without evidence, asked for outputs only when the node takes `evidence=`
    (`lean`), else called as before and its evidence dropped."""
    try:
        if evidence:
            return node.evaluate_batch(columns, size)
        if lean:
            return node.evaluate_batch(columns, size, evidence=False)
        result = node.evaluate_batch(columns, size)
        return BatchResult(result.outputs, None)
    except CompositeError:
        raise
    except Exception as exc:
        raise EvaluationError(f"node '{name}' ({kind}) failed on the batch: {type(exc).__name__}: {exc}",
                              code="node_failed") from exc


def _evaluate(loaded: _Loaded, columns: dict[str, np.ndarray], size: int, *, evidence: bool = True,
              keep: bool = True) -> tuple[dict[str, np.ndarray], list[tuple[Any, ...]]]:
    """Every node of the plan on the checked columns, in graph order (`evidence=False`: outputs only).

    `keep=False` (nothing is stored): a derived column is let go once the last node reading it has
    run, unless it is an output, so a batch holds only the columns still to be read."""
    values: dict[str, np.ndarray] = dict(columns)
    results = []
    lean = loaded.lean or (True,) * len(loaded.plan)
    release = loaded.release if not keep else ()
    for step, ((node, name, kind, reads, writes), takes_keyword) in enumerate(zip(loaded.plan, lean)):
        t0 = time.perf_counter_ns()
        try:
            result = _run_batch(node, name, kind, {key: values[key] for key in reads}, size, evidence=evidence,
                                lean=takes_keyword)
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
            _check_storable(name, kind, key, column)
            values[key] = _null_column(column)  # NaN is null, as in `decide`
        for key in release[step] if release else ():
            values.pop(key, None)
        results.append((name, kind, reads, tuple(node.writes), result.evidence, elapsed / max(size, 1),
                        getattr(result, "witness", None) if not evidence else None))
    return values, results


def _check_storable(name: str, kind: str, key: str, column: np.ndarray) -> None:
    """Integers a decision can be stored with: what `decide` checks value by value, per column."""
    if column.dtype == np.uint64 and column.size and column.max() > INT64_MAX:
        bad = column[column > INT64_MAX][0]
    elif column.dtype.kind == "O" and int in set(map(type, column)):
        outside = [v for v in column if type(v) is int and not INT64_MIN <= v <= INT64_MAX]
        if not outside:
            return
        bad = outside[0]
    else:
        return
    raise EvaluationError(f"node '{name}' ({kind}) wrote {short(int(bad))} to '{key}', outside the 64-bit integer "
                          "range a decision can be stored with", code="value_out_of_range", field=key)


def _as_frame(rows: "pd.DataFrame | Iterable[Mapping[str, Any]]", limits: Limits,
              defaults: Mapping[str, Any]) -> "pd.DataFrame":
    """A DataFrame as given, or rows of mappings as object columns: no value converted by pandas.

    A row that leaves out an input with a `default` gets the default, as `decide` gives it to a
    request that leaves it out (a null given in the row stays null, as it does for `decide`).
    """
    import pandas as pd

    if isinstance(rows, pd.DataFrame):
        return rows
    rows = list(rows)
    names: dict[Any, None] = {}
    for i, row in enumerate(rows):
        if not isinstance(row, Mapping):
            raise RequestError(f"row {i} is {type(row).__name__}, not a mapping of fields", code="request_not_object")
        for key in row:
            names.setdefault(key, None)
        if len(names) > limits.max_fields:
            raise RequestError(f"the rows name more than {limits.max_fields:,} fields (Limits.max_fields)",
                               code="too_many_fields")
    frame = pd.DataFrame({i: pd.Series([row.get(key, defaults.get(key)) for row in rows], dtype=object)
                          for i, key in enumerate(names)}, index=pd.RangeIndex(len(rows)))
    # The names as given: a dict key would let pandas turn a None name into NaN (reported as 'nan').
    frame = frame.set_axis(pd.Index(list(names), dtype=object), axis=1)
    frame.attrs[AS_GIVEN] = True  # a float NaN in a row is a value, checked as `decide` checks it
    return frame


def _requests(frame: "pd.DataFrame") -> Iterable[dict[str, Any]]:
    """The rows of a frame as `decide` requests: null cells as None."""
    nulls = {name: frame[name].isna().to_numpy() for name in frame.columns}
    cells = {name: frame[name].to_numpy(dtype=object) for name in frame.columns}
    for i in range(len(frame)):
        yield {name: None if nulls[name][i] else cells[name][i] for name in frame.columns}


def _records(loaded: _Loaded, ids: list[str], batch_id: str, inputs: dict[str, np.ndarray],
             values: dict[str, np.ndarray], results: list[tuple[Any, ...]], duration: float,
             lazy: bool) -> Iterable[dict[str, Any]]:
    """One stored record per row, built column-wise, in the compact form of `decision_record`
    (schema version 2 when `lazy`: derived values by position, durations, witnesses)."""
    project = loaded.project
    lists = {key: column.tolist() for key, column in values.items()}
    input_names = list(inputs)
    outputs = project.outputs
    created = datetime.now(timezone.utc).isoformat()
    head = {"created_at": created, "project": project.name, "project_version": project.version,
            "project_hash": project.hash, "batch_id": batch_id,
            "duration_us": round(duration, 1) if lazy else duration,
            "schema_version": LAZY_SCHEMA_VERSION if lazy else SCHEMA_VERSION}
    if lazy:
        derived_names = list(loaded.derived_names)
        durations = [round(per_row) for *_, per_row, _ in results]
        witnesses = [(name, {key: np.asarray(column).tolist() for key, column in witness.items()})
                     for name, *_, witness in results if witness]
        nonfinite = _nonfinite_rows(values, outputs, derived_names, positions=True)
        same = _same_as_outputs(values, derived_names, outputs)
        for i, decision_id in enumerate(ids):
            derived = [lists[key][i] for key in derived_names]
            record = {"id": decision_id, **head,
                      "inputs": {key: lists[key][i] for key in input_names},
                      "outputs": {key: lists[key][i] for key in outputs},
                      "derived": derived,
                      "us": durations}
            if same:
                shared: dict[str, str | int] = {}
                for at, reference, mask in same:
                    if mask[i] and str(at) not in shared:
                        shared[str(at)] = reference
                        derived[at] = None
                if shared:
                    record["same"] = shared
            if witnesses:
                record["witness"] = {name: {key: column[i] for key, column in witness.items()}
                                     for name, witness in witnesses}
            if i in nonfinite:
                record["nonfinite"] = nonfinite[i]
            yield record
        return
    derived_names = [key for _, _, _, writes, *_ in results for key in writes]
    plain = [{"name": name, "duration_us": per_row} for name, _, _, _, evidence, per_row, _ in results
             if evidence is None]
    with_evidence = [(name, evidence, per_row) for name, _, _, _, evidence, per_row, _ in results
                     if evidence is not None]
    order = [name for name, *_ in results]
    plain_by_name = {entry["name"]: entry for entry in plain}
    nonfinite = _nonfinite_rows(values, outputs, derived_names)
    for i, decision_id in enumerate(ids):
        if with_evidence:
            extra = {name: {"name": name, "duration_us": per_row, "evidence": evidence[i]}
                     for name, evidence, per_row in with_evidence}
            nodes = [extra.get(name) or plain_by_name[name] for name in order]
        else:
            nodes = plain
        record = {"id": decision_id, **head,
                  "inputs": {key: lists[key][i] for key in input_names},
                  "outputs": {key: lists[key][i] for key in outputs},
                  "derived": {key: lists[key][i] for key in derived_names},
                  "nodes": nodes}
        if i in nonfinite:
            record["nonfinite"] = nonfinite[i]
        yield record


def _same_as_outputs(values: dict[str, np.ndarray], derived: list[str],
                     outputs: Iterable[str]) -> list[tuple[int, str | int, np.ndarray]]:
    """(position in `derived`, the output or earlier position holding the same text, rows): texts
    longer than SAME_MIN_CHARS that those rows store once (store/_codec.py, `same`). Column-wise."""
    earlier: list[tuple[str | int, np.ndarray, np.ndarray]] = []  # (reference, column, rows it holds a long text)
    for key in outputs:
        column = values[key]
        if column.dtype == object:
            earlier.append((key, column, _long_texts(column)))
    found = []
    for at, key in enumerate(derived):
        column = values[key]
        if column.dtype != object:
            continue
        long = _long_texts(column)
        if not long.any():
            continue
        kept = long.copy()
        for reference, other, other_long in earlier:
            mask = long & other_long & (column == other)
            if mask.any():
                found.append((at, reference, mask))
                long = long & ~mask
        earlier.append((at, column, kept & long))  # stored here: later copies may point to it
    return found


def _long_texts(column: np.ndarray) -> np.ndarray:
    return np.fromiter((type(v) is str and len(v) > SAME_MIN_CHARS for v in column), dtype=bool, count=len(column))


def _nonfinite_rows(values: dict[str, np.ndarray], outputs: Iterable[str], derived: Iterable[str], *,
                    positions: bool = False) -> dict[int, dict[str, dict[Any, str]]]:
    """Row -> the record's `nonfinite` entry (see store/_codec.py), found column-wise; `positions`:
    derived values named by their position in the record's `derived` list."""
    found: dict[int, dict[str, dict[Any, str]]] = {}
    for part, names in (("outputs", outputs), ("derived", derived)):
        for at, key in enumerate(names):
            column = values[key]
            if column.dtype.kind == "f":
                rows = np.flatnonzero(~np.isfinite(column))
            elif column.dtype.kind == "O" and any(issubclass(t, (float, np.floating)) for t in set(map(type, column))):
                rows = [i for i, v in enumerate(column) if isinstance(v, (float, np.floating)) and not math.isfinite(v)]
            else:
                continue
            for i in (rows.tolist() if isinstance(rows, np.ndarray) else rows):
                name = at if positions and part == "derived" else key
                found.setdefault(i, {}).setdefault(part, {})[name] = nonfinite_name(float(column[i]))
    return found
