"""`CompositeEngine.from_path("x.dmn")` runs whole DMN models: structured inputs, Camunda 7 style fields."""

from __future__ import annotations

from pathlib import Path

import pytest

from composite import CompositeEngine
from composite.errors import RequestError

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def traffic() -> CompositeEngine:
    engine = CompositeEngine.from_path(FIXTURES / "traffic-violation.dmn", store="memory")
    yield engine
    engine.close()


@pytest.fixture
def dinner() -> CompositeEngine:
    engine = CompositeEngine.from_path(FIXTURES / "dinner.dmn", store="memory")
    yield engine
    engine.close()


def test_traffic_violation_decides_its_sample_request(traffic: CompositeEngine) -> None:
    decision = traffic.decide({"Driver": {"Points": 2},
                               "Violation": {"Type": "speed", "Actual Speed": 120, "Speed Limit": 100}})
    assert decision.outputs["Fine"] == {"Amount": 500, "Points": 3}
    assert decision.outputs["Should the driver be suspended?"] == "No"


def test_the_request_schema_takes_contexts_where_the_model_declares_them(traffic: CompositeEngine) -> None:
    concepts = traffic.project.input_schema.concepts
    assert concepts["Violation"].type == "context"
    assert concepts["Driver"].type == "context"
    with pytest.raises(RequestError) as caught:
        traffic.decide({"Driver": 2, "Violation": {"Type": "parking"}})
    assert "expected an object" in str(caught.value)


def test_a_parking_violation_needs_no_speeds(traffic: CompositeEngine) -> None:
    decision = traffic.decide({"Driver": {"Points": 19}, "Violation": {"Type": "parking"}})
    assert decision.outputs["Fine"] == {"Amount": 100, "Points": 1}
    assert decision.outputs["Should the driver be suspended?"] == "Yes"


@pytest.mark.parametrize(("season", "guests", "children", "dish", "beverages"), [
    ("Spring", 7, False, "Steak", ["Pinot Noir", "Water"]),
    ("Spring", 3, False, "Dry Aged Gourmet Steak", ["Pinot Noir", "Water"]),
    ("Fall", 4, True, "Spareribs", ["Aecht Schlenkerla Rauchbier", "Apple Juice", "Water"]),
    ("Winter", 10, False, "Stew", ["Guiness", "Water"]),
    ("Summer", 20, True, "Light Salad and a nice Steak", ["Pinot Noir", "Apple Juice", "Water"]),
])
def test_a_camunda_style_model_reads_request_fields_and_chains_decisions(
        dinner: CompositeEngine, season: str, guests: int, children: bool, dish: str, beverages: list[str]) -> None:
    decision = dinner.decide({"season": season, "guestCount": guests, "guestsWithChildren": children})
    assert decision.outputs == {"Dish": dish, "Beverages": beverages}


def test_a_camunda_style_models_fields_are_typed_by_its_input_expressions(dinner: CompositeEngine) -> None:
    concepts = dinner.project.input_schema.concepts
    assert {name: concepts[name].type for name in ("season", "guestCount", "guestsWithChildren")} == {
        "season": "string", "guestCount": "number", "guestsWithChildren": "boolean"}


def test_decide_batch_agrees_with_decide(dinner: CompositeEngine) -> None:
    rows = [{"season": "Spring", "guestCount": 7, "guestsWithChildren": False},
            {"season": "Fall", "guestCount": 4, "guestsWithChildren": True}]
    batch = dinner.decide_batch(rows)
    singles = [dinner.decide(row).outputs for row in rows]
    assert [list(batch["Dish"]), list(batch["Beverages"])] == [[s["Dish"] for s in singles],
                                                               [s["Beverages"] for s in singles]]
