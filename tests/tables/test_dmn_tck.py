"""The DMN TCK cases in shared/conformance/dmn-tck pass, through the library and the engine.

Values compare as decimals: 64.32 from the engine equals the TCK's xsd:decimal 64.32.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from composite.tables import from_feel, load_dmn

REPO = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("COMPOSITE_SHARED_DIR", REPO.parent / "shared"))
TCK = SHARED / "conformance" / "dmn-tck"
NS = {"t": "http://www.omg.org/spec/DMN/20160719/testcase"}
XSI = "{http://www.w3.org/2001/XMLSchema-instance}"


def _value(element: ET.Element) -> Any:
    """A TCK value element: a <value>, a set of <component>s or a <list> of <item>s."""
    value = element.find("t:value", NS)
    if value is not None:
        if value.get(f"{XSI}nil") == "true":
            return None
        kind = (value.get(f"{XSI}type") or "xsd:string").rpartition(":")[2]
        text = value.text or ""
        if kind in ("decimal", "integer", "int", "long", "double", "float"):
            return Decimal(text.strip())
        if kind == "boolean":
            return text.strip() == "true"
        return text
    components = element.findall("t:component", NS)
    if components:
        return {component.get("name"): _value(component) for component in components}
    items = element.find("t:list", NS)
    if items is not None:
        return [_value(item) for item in items.findall("t:item", NS)]
    return None


def _cases() -> list[Any]:
    if not TCK.is_dir():
        return []
    cases = []
    for test_file in sorted(TCK.glob("*/*-test-01.xml")):
        root = ET.parse(test_file).getroot()
        model = test_file.parent / (root.findtext("t:modelName", namespaces=NS) or "")
        for case in root.findall("t:testCase", NS):
            inputs = {node.get("name"): _value(node) for node in case.findall("t:inputNode", NS)}
            expected = {node.get("name"): _value(node.find("t:expected", NS))
                        for node in case.findall("t:resultNode", NS)}
            cases.append(pytest.param(model, inputs, expected, id=f"{test_file.parent.name}-{case.get('id')}"))
    return cases


CASES = _cases()
needs_tck = pytest.mark.skipif(not CASES, reason=f"DMN TCK cases not found under {TCK} "
                                                 "(set COMPOSITE_SHARED_DIR to the shared/ folder)")


def _as_decimals(value: Any) -> Any:
    """Numbers as Decimal (floats through their repr), so 64.32 == Decimal('64.32')."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, Decimal):
        return value
    if isinstance(value, (int, float)):
        return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if isinstance(value, dict):
        return {key: _as_decimals(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_as_decimals(item) for item in value]
    if hasattr(value, "item"):  # numpy scalars
        return _as_decimals(value.item())
    return value


@needs_tck
def test_the_tck_folder_holds_the_ten_cases() -> None:
    assert len({param.values[0] for param in CASES}) == 10


@needs_tck
@pytest.mark.parametrize(("model_file", "inputs", "expected"), CASES)
def test_tck_case_passes_through_the_library(model_file: Path, inputs: dict, expected: dict) -> None:
    model = load_dmn(model_file)
    results = model.evaluate(inputs)
    for name, value in expected.items():
        assert _as_decimals(results[name].value) == value


@needs_tck
@pytest.mark.parametrize(("model_file", "inputs", "expected"), CASES)
def test_tck_case_passes_column_wise(model_file: Path, inputs: dict, expected: dict) -> None:
    import numpy as np

    model = load_dmn(model_file)
    columns = {}
    for name, value in inputs.items():
        column = np.empty(3, dtype=object)
        for row in range(3):
            column[row] = value
        columns[name] = column
    batches = model.evaluate_batch(columns, 3)
    for name, value in expected.items():
        for row in range(3):
            assert _as_decimals(batches[name].row(row).value) == value


@needs_tck
@pytest.mark.parametrize(("model_file", "inputs", "expected"), CASES)
def test_tck_case_passes_through_the_engine(model_file: Path, inputs: dict, expected: dict) -> None:
    try:
        import composite.engine  # noqa: F401
        from composite import CompositeEngine
    except ImportError as error:
        pytest.skip(f"composite.engine is not importable yet: {error}")
    engine = CompositeEngine.from_path(model_file, store="memory")
    try:
        decision = engine.decide({name: from_feel(value) for name, value in inputs.items()})
    finally:
        engine.close()
    for name, value in expected.items():
        assert _as_decimals(decision.outputs[name]) == value
