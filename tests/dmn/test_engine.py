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


@pytest.mark.parametrize(("temperature", "day", "children", "outputs"), [
    (20, "Weekend", False, {"Season": "Spring", "Guest Count": 15, "Dish": "Stew", "Beverages": ["Guiness", "Water"]}),
    (15, "WeekDay", False, {"Season": "Spring", "Guest Count": 4, "Dish": "Dry Aged Gourmet Steak",
                            "Beverages": ["Pinot Noir", "Water"]}),
    (5, "Holiday", True, {"Season": "Winter", "Guest Count": 10, "Dish": "Stew",
                          "Beverages": ["Guiness", "Apple Juice", "Water"]}),
    (35, "WeekDay", True, {"Season": "Summer", "Guest Count": 4, "Dish": "Light Salad and a nice Steak",
                           "Beverages": ["Pinot Noir", "Apple Juice", "Water"]}),
])
def test_a_camunda_style_model_reads_request_fields_and_required_decisions_output_names(
        dinner: CompositeEngine, temperature: int, day: str, children: bool, outputs: dict) -> None:
    decision = dinner.decide({"temperature": temperature, "dayType": day, "guestsWithChildren": children})
    assert decision.outputs == outputs


def test_a_camunda_style_models_fields_are_typed_by_its_input_expressions(dinner: CompositeEngine) -> None:
    # season, guestCount and desiredDish are read too, but required decisions give them: not request fields.
    assert {name: concept.type for name, concept in dinner.project.input_schema.concepts.items()} == {
        "temperature": "number", "dayType": "string", "guestsWithChildren": "boolean"}


def test_a_day_type_outside_the_input_values_decides_null_with_a_note(dinner: CompositeEngine) -> None:
    decision = dinner.decide({"temperature": 20, "dayType": "Sunday"})
    assert decision.outputs["Guest Count"] is None
    assert decision.outputs["Season"] == "Spring"


def test_decide_batch_agrees_with_decide(dinner: CompositeEngine) -> None:
    rows = [{"temperature": 20, "dayType": "Weekend", "guestsWithChildren": False},
            {"temperature": 35, "dayType": "WeekDay", "guestsWithChildren": True}]
    batch = dinner.decide_batch(rows)
    singles = [dinner.decide(row).outputs for row in rows]
    assert [list(batch["Dish"]), list(batch["Beverages"])] == [[s["Dish"] for s in singles],
                                                               [s["Beverages"] for s in singles]]


def test_a_dmn_node_in_a_project_reads_its_imports_as_artifacts(tmp_path: Path) -> None:
    from tests.conftest import write_project

    ns = 'xmlns="https://www.omg.org/spec/DMN/20230324/MODEL/"'
    root = write_project(tmp_path / "greeter", """
        name: greeter
        version: 1.0.0
        outputs: [Shout]
        nodes:
          - {name: greeting, kind: dmn, file: rules/top.dmn}
        """, """
        concepts:
          Name: {type: string}
        """, {
        "rules/base.dmn": f"""
            <definitions {ns} name="base" namespace="urn:base" id="b">
              <inputData id="n" name="Name"><variable name="Name" typeRef="string"/></inputData>
              <decision id="g" name="Greeting">
                <informationRequirement><requiredInput href="#n"/></informationRequirement>
                <literalExpression><text>"Hello " + Name</text></literalExpression></decision>
            </definitions>""",
        "rules/top.dmn": f"""
            <definitions {ns} name="top" namespace="urn:top" id="t">
              <import namespace="urn:base" name="base" importType="https://www.omg.org/spec/DMN/20230324/MODEL/"/>
              <decision id="s" name="Shout">
                <informationRequirement><requiredDecision href="urn:base#g"/></informationRequirement>
                <literalExpression><text>upper case(base.Greeting)</text></literalExpression></decision>
            </definitions>"""})
    engine = CompositeEngine.from_path(root, store="memory")
    try:
        assert engine.decide({"Name": "Ada"}).outputs == {"Shout": "HELLO ADA"}
        assert {"rules/top.dmn", "rules/base.dmn"} <= set(engine.project.artifacts)
    finally:
        engine.close()


def test_validate_reports_a_models_warnings(tmp_path: Path) -> None:
    from composite.validate import validate_project

    (tmp_path / "m.dmn").write_text(
        '<definitions xmlns="https://www.omg.org/spec/DMN/20230324/MODEL/" name="m" namespace="urn:m" id="d">'
        '<decision id="a" name="Base"><literalExpression><text>20</text></literalExpression></decision>'
        '<decision id="b" name="Twice"><literalExpression><text>Base * 2</text></literalExpression></decision>'
        '</definitions>')
    report = validate_project(tmp_path / "m.dmn")
    assert [problem.code for problem in report.problems] == ["dmn_requirement"]


def test_iso_text_in_a_structured_input_is_read_by_its_components_type(tmp_path: Path) -> None:
    (tmp_path / "claim.dmn").write_text("""
        <definitions xmlns="https://www.omg.org/spec/DMN/20230324/MODEL/" name="claim" namespace="urn:c" id="d">
          <itemDefinition name="tClaim">
            <itemComponent name="Loss"><typeRef>date</typeRef></itemComponent>
            <itemComponent name="Wait"><typeRef>days and time duration</typeRef></itemComponent>
          </itemDefinition>
          <inputData id="c" name="Claim"><variable name="Claim" typeRef="tClaim"/></inputData>
          <decision id="r" name="Reported"><variable name="Reported" typeRef="date"/>
            <informationRequirement><requiredInput href="#c"/></informationRequirement>
            <literalExpression><text>Claim.Loss + Claim.Wait</text></literalExpression></decision>
        </definitions>""")
    engine = CompositeEngine.from_path(tmp_path / "claim.dmn", store="memory")
    try:
        assert engine.decide({"Claim": {"Loss": "2026-02-27", "Wait": "P3D"}}).outputs == {"Reported": "2026-03-02"}
        assert engine.decide({"Claim": {"Loss": "27/02/2026", "Wait": "P3D"}}).outputs == {"Reported": None}
    finally:
        engine.close()


def test_input_data_no_expression_names_are_still_the_requests_fields_when_nothing_else_is_read(
        tmp_path: Path) -> None:
    # Only Camunda 7 style models (expressions reading names that are no element) take drawn inputs for decoration.
    (tmp_path / "m.dmn").write_text("""
        <definitions xmlns="https://www.omg.org/spec/DMN/20230324/MODEL/" name="m" namespace="urn:m" id="d">
          <inputData id="i" name="input_001"><variable name="input_001" typeRef="string"/></inputData>
          <decision id="a" name="Text"><informationRequirement><requiredInput href="#i"/></informationRequirement>
            <literalExpression><text>"input_001"</text></literalExpression></decision>
        </definitions>""")
    engine = CompositeEngine.from_path(tmp_path / "m.dmn", store="memory")
    try:
        assert list(engine.project.input_schema.concepts) == ["input_001"]
        assert engine.decide({"input_001": "x"}).outputs == {"Text": "input_001"}
    finally:
        engine.close()
