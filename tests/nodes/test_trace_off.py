"""`decide_batch(record=False, trace="off")`: outputs only, the same values as with the trace.

Issue 10 item 1 (the trace-free batch path): every node kind takes `evaluate_batch(..., evidence=False)`
and returns the same outputs with no evidence; the engine asks for that when the trace is off. Checked
on every shipped project (the root and examples/*, which between them hold every node kind) over all of
the project's data, value for value and dtype for dtype (compared by `repr`, so 1, 1.0 and True, or
0.0 and -0.0, are told apart).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from composite import CompositeEngine
from composite.engine import _evaluate
from composite.nodes import NODE_KINDS
from composite.nodes.base import BatchResult, accepts_evidence_keyword
from tests.conftest import REPO
from tests.nodes.test_conformance import _projects, _sample_rows

PROJECTS = _projects()


def _rows(engine: CompositeEngine, root: Path) -> pd.DataFrame:
    known = set(engine.project.input_schema.concepts)
    rows = [{k: v for k, v in row.items() if k in known} for row in _sample_rows(root, limit=100_000)]
    return pd.DataFrame(rows)


def _same_column(a: Any, b: Any, where: Any) -> None:
    a, b = np.asarray(a), np.asarray(b)
    assert a.dtype == b.dtype, where
    assert repr(a.tolist()) == repr(b.tolist()), where


@pytest.fixture(scope="module", params=PROJECTS, ids=lambda p: p.name if p != REPO else "default")
def project(request: Any) -> tuple[Path, CompositeEngine, pd.DataFrame]:
    root = request.param
    engine = CompositeEngine.from_path(root, store="memory")
    return root, engine, _rows(engine, root)


def test_every_shipped_project_decides_the_same_with_the_trace_off(project):
    root, engine, frame = project
    on = engine.decide_batch(frame, record=False, on_error="collect")
    off = engine.decide_batch(frame, record=False, on_error="collect", trace="off")
    assert len(on.decided), root
    assert list(off.decided.columns) == list(on.decided.columns)
    assert off.decided.index.equals(on.decided.index)
    assert off.decided["decision_id"].notna().all()  # ids are assigned as with the trace on
    for column in on.decided.columns:
        if column != "decision_id":
            _same_column(off.decided[column].to_numpy(), on.decided[column].to_numpy(), (root.name, column))
    pd.testing.assert_frame_equal(off.rejected, on.rejected)
    good = frame.loc[on.decided.index]
    raised = engine.decide_batch(good, record=False, trace="off")  # on_error="raise" takes the same path
    for column in on.decided.columns:
        if column != "decision_id":
            _same_column(raised[column].to_numpy(), on.decided[column].to_numpy(), (root.name, column))


def test_every_node_gives_the_same_outputs_without_evidence(project):
    root, engine, frame = project
    on = engine.decide_batch(frame, record=False, on_error="collect")
    good = frame.loc[on.decided.index]
    columns = engine.project.input_schema.validate_frame(good, limits=engine.limits)
    size = len(good)
    values, _ = _evaluate(engine._loaded, columns, size)
    for node in engine.project.graph.order:
        read = {key: values[key] for key in node.reads}
        full = node.evaluate_batch(read, size)
        lean = node.evaluate_batch(read, size, evidence=False)
        assert isinstance(lean, BatchResult) and lean.evidence is None, (root.name, node.name)
        assert lean.outputs.keys() == full.outputs.keys(), (root.name, node.name)
        for key in full.outputs:
            _same_column(lean.outputs[key], full.outputs[key], (root.name, node.name, key))


def test_the_shipped_projects_hold_every_node_kind():
    kinds = set()
    for root in PROJECTS:
        kinds |= {node.kind for node in CompositeEngine.from_path(root, store="memory").project.nodes}
    assert kinds >= set(NODE_KINDS), sorted(set(NODE_KINDS) - kinds)


def test_every_built_in_kind_takes_the_keyword():
    from composite.nodes import node_class

    for kind in NODE_KINDS:
        cls = node_class(kind)
        assert accepts_evidence_keyword(type("Probe", (), {"evaluate_batch": cls.evaluate_batch})()), kind


def test_trace_off_needs_record_false():
    engine = CompositeEngine.from_path(REPO, store="memory")
    frame = _rows(engine, REPO).head(3)
    with pytest.raises(ValueError, match="record=False"):
        engine.decide_batch(frame, trace="off")
    with pytest.raises(ValueError, match="record=False"):
        engine.decide_batch(frame, record=True, trace="off", on_error="collect")
    with pytest.raises(ValueError, match="'on' or 'off'"):
        engine.decide_batch(frame, record=False, trace="none")  # type: ignore[arg-type]
    assert len(engine.history()) == 0  # nothing was decided or stored


class _OldStyle:
    """A plugin node written before the keyword: `evaluate_batch(columns, size)` only."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.kind, self.name, self.reads, self.writes = inner.kind, inner.name, inner.reads, inner.writes
        self.calls = 0

    def evaluate(self, values: Any) -> Any:
        return self.inner.evaluate(values)

    def evaluate_batch(self, columns: Any, size: int) -> BatchResult:
        self.calls += 1
        return self.inner.evaluate_batch(columns, size)


def test_a_node_without_the_keyword_is_called_without_it():
    engine = CompositeEngine.from_path(REPO, store="memory")
    frame = _rows(engine, REPO).head(50)
    on = engine.decide_batch(frame, record=False)
    loaded = engine._loaded
    wrapped = [(_OldStyle(node), *rest) if kind in ("table", "review") else (node, *rest)
               for node, *rest in loaded.plan
               for kind in [rest[1]]]
    assert not accepts_evidence_keyword(wrapped[1][0])
    engine._loaded = dataclasses.replace(loaded, plan=tuple(wrapped),
                                         lean=tuple(accepts_evidence_keyword(n) for n, *_ in wrapped))
    off = engine.decide_batch(frame, record=False, trace="off")
    assert all(node.calls == 1 for node, *_ in wrapped if isinstance(node, _OldStyle))
    for column in on.columns:
        if column != "decision_id":
            _same_column(off[column].to_numpy(), on[column].to_numpy(), column)
