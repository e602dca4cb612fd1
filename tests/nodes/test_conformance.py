"""One contract for every node kind, checked on every project that ships with composite.

Like scikit-learn's `parametrize_with_checks`: each project's sample rows are decided one by one
and as a batch; the two must agree step by step, every evidence must validate against its kind's
evidence model, and every node must describe itself.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from composite import CompositeEngine
from composite._yaml import load_yaml
from tests.conftest import REPO


def _projects() -> list[Path]:
    found = [REPO]
    examples = REPO / "examples"
    if examples.is_dir():
        found += sorted(p for p in examples.iterdir() if (p / "composite.yaml").is_file())
    return found


def _sample_rows(root: Path, limit: int = 200) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for file in sorted((root / "scenarios").glob("*.y*ml")) if (root / "scenarios").is_dir() else []:
        document = load_yaml(file.read_text(), file=str(file)) or {}
        rows += [dict(s["inputs"]) for s in document.get("scenarios", []) if "inputs" in s and not s.get("rejected")]
    for file in sorted((root / "data").glob("*.csv")) if (root / "data").is_dir() else []:
        rows += [_request(record) for record in pd.read_csv(file).head(limit).to_dict("records")]
    return rows


def _request(record: dict[str, Any]) -> dict[str, Any]:
    """A CSV row as a caller sends it: an empty cell (NaN to pandas) is a field left out, not NaN."""
    return {key: value for key, value in record.items() if not (isinstance(value, float) and math.isnan(value))}


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b


@pytest.mark.parametrize("root", _projects(), ids=lambda p: p.name if p != REPO else "default")
def test_every_node_agrees_between_single_and_batch_with_valid_evidence(root: Path):
    engine = CompositeEngine.from_path(root, store="memory")
    rows = _sample_rows(root)
    assert rows, f"project {root} ships no sample rows (scenarios/ or data/*.csv)"
    known = set(engine.project.input_schema.concepts)
    rows = [{k: v for k, v in row.items() if k in known} for row in rows]
    batch = engine.decide_batch(pd.DataFrame(rows))
    nodes = {node.name: node for node in engine.project.nodes}
    for i, row in enumerate(rows):
        single = engine.decide(row, record=False)
        stored = engine.get(batch["decision_id"].iloc[i])
        assert _same(stored.outputs, single.outputs), (root.name, i)
        for one, many in zip(single.trace.nodes, stored.trace.nodes):
            assert one.name == many.name
            assert _same(one.read, many.read), (root.name, i, one.name)
            assert _same(one.wrote, many.wrote), (root.name, i, one.name)
            assert _same(one.evidence, many.evidence), (root.name, i, one.name)
            model = type(nodes[one.name]).evidence_model
            if model is not None:
                model.model_validate(one.evidence)


@pytest.mark.parametrize("root", _projects(), ids=lambda p: p.name if p != REPO else "default")
def test_every_node_describes_itself(root: Path):
    engine = CompositeEngine.from_path(root, store="memory")
    for node in engine.project.nodes:
        described = node.describe()
        assert described["kind"] == node.kind and described["name"] == node.name
        assert list(described["reads"]) == list(node.reads) and list(described["writes"]) == list(node.writes)
        assert isinstance(described.get("summary"), str) and described["summary"]
