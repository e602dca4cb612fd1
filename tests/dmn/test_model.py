"""Whole DMN models read by composite.dmn: boxed expressions, types, BKMs, services, imports, errors."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from composite.dmn import load_model, read_model
from composite.errors import ProjectError

FIXTURES = Path(__file__).parent / "fixtures"
NS = 'xmlns="https://www.omg.org/spec/DMN/20230324/MODEL/"'


def model(body: str, *, name: str = "m", namespace: str = "urn:m") -> str:
    return f'<definitions {NS} name="{name}" namespace="{namespace}" id="d">{body}</definitions>'


def decide(body: str, inputs: dict | None = None, notes: list | None = None) -> dict:
    return read_model(model(body), file="m.dmn").evaluate(inputs or {}, notes=notes)


def test_traffic_violation_fines_a_speeding_driver() -> None:
    dmn = load_model(FIXTURES / "traffic-violation.dmn")
    result = dmn.evaluate({"Driver": {"Points": Decimal(2)},
                           "Violation": {"Type": "speed", "Actual Speed": Decimal(120), "Speed Limit": Decimal(100)}})
    assert result == {"Fine": {"Amount": Decimal(500), "Points": Decimal(3)}, "Should the driver be suspended?": "No"}


def test_traffic_violation_suspends_a_driver_over_twenty_points() -> None:
    dmn = load_model(FIXTURES / "traffic-violation.dmn")
    result = dmn.evaluate({"Driver": {"Points": Decimal(15)},
                           "Violation": {"Type": "speed", "Actual Speed": Decimal(140), "Speed Limit": Decimal(100)}})
    assert result["Fine"] == {"Amount": Decimal(1000), "Points": Decimal(7)}
    assert result["Should the driver be suspended?"] == "Yes"


def test_an_input_expression_that_is_not_a_name_is_feel() -> None:
    body = """
      <inputData id="v" name="Violation"/>
      <decision id="o" name="Over">
        <decisionTable>
          <input><inputExpression><text>Violation.Actual Speed - Violation.Speed Limit</text></inputExpression></input>
          <output name="over"/>
          <rule><inputEntry><text>[10..30)</text></inputEntry><outputEntry><text>"some"</text></outputEntry></rule>
          <rule><inputEntry><text>&gt;= 30</text></inputEntry><outputEntry><text>"much"</text></outputEntry></rule>
        </decisionTable>
      </decision>"""
    violation = {"Actual Speed": Decimal(145), "Speed Limit": Decimal(100)}
    assert decide(body, {"Violation": violation}) == {"Over": "much"}


def test_a_literal_expression_reads_required_decisions_and_input_data() -> None:
    body = """
      <inputData id="a" name="Monthly Salary"><variable name="Monthly Salary" typeRef="number"/></inputData>
      <decision id="y" name="Yearly"><literalExpression><text>Monthly Salary * 12</text></literalExpression></decision>
      <decision id="b" name="Bonus">
        <informationRequirement><requiredDecision href="#y"/></informationRequirement>
        <literalExpression><text>Yearly / 10</text></literalExpression>
      </decision>"""
    assert decide(body, {"Monthly Salary": Decimal("1000.10")}) == {"Yearly": Decimal("12001.20"),
                                                                     "Bonus": Decimal("1200.12")}


def test_a_boxed_context_and_a_bkm_invocation() -> None:
    body = """
      <businessKnowledgeModel id="k" name="Payment">
        <encapsulatedLogic>
          <formalParameter name="amount" typeRef="number"/><formalParameter name="months" typeRef="number"/>
          <literalExpression><text>amount / months</text></literalExpression>
        </encapsulatedLogic>
      </businessKnowledgeModel>
      <decision id="p" name="Plan">
        <knowledgeRequirement><requiredKnowledge href="#k"/></knowledgeRequirement>
        <context>
          <contextEntry><variable name="Total"/><literalExpression><text>1200</text></literalExpression></contextEntry>
          <contextEntry><variable name="Monthly"/>
            <invocation>
              <literalExpression><text>Payment</text></literalExpression>
              <binding><parameter name="amount"/><literalExpression><text>Total</text></literalExpression></binding>
              <binding><parameter name="months"/><literalExpression><text>12</text></literalExpression></binding>
            </invocation>
          </contextEntry>
        </context>
      </decision>"""
    assert decide(body) == {"Plan": {"Total": Decimal(1200), "Monthly": Decimal(100)}}


def test_a_value_not_of_the_declared_type_is_null_with_a_note() -> None:
    body = """
      <itemDefinition name="tRisk"><typeRef>string</typeRef>
        <allowedValues><text>"Low", "High"</text></allowedValues></itemDefinition>
      <decision id="r" name="Risk"><variable name="Risk" typeRef="tRisk"/>
        <literalExpression><text>"Medium"</text></literalExpression></decision>
      <decision id="n" name="Count"><variable name="Count" typeRef="number"/>
        <literalExpression><text>"three"</text></literalExpression></decision>"""
    notes: list[str] = []
    assert decide(body, notes=notes) == {"Risk": None, "Count": None}
    assert any("decision 'Risk' does not conform to type 'tRisk'" in note for note in notes)


def test_a_decision_service_is_a_function_of_its_inputs() -> None:
    body = """
      <inputData id="x" name="x"><variable name="x" typeRef="number"/></inputData>
      <decision id="d1" name="Double">
        <informationRequirement><requiredInput href="#x"/></informationRequirement>
        <literalExpression><text>x * 2</text></literalExpression></decision>
      <decisionService id="s" name="Doubler">
        <outputDecision href="#d1"/><inputData href="#x"/>
      </decisionService>
      <decision id="d2" name="Twenty">
        <knowledgeRequirement><requiredKnowledge href="#s"/></knowledgeRequirement>
        <literalExpression><text>Doubler(10)</text></literalExpression></decision>"""
    dmn = read_model(model(body), file="m.dmn")
    assert dmn.evaluate({"x": Decimal(1)}) == {"Double": Decimal(2), "Twenty": Decimal(20)}
    assert dmn.invoke("Doubler", {"x": Decimal(4)}) == Decimal(8)


def test_a_model_imports_another_from_its_folder(tmp_path: Path) -> None:
    (tmp_path / "base.dmn").write_text(model("""
      <inputData id="n" name="Name"><variable name="Name" typeRef="string"/></inputData>
      <decision id="g" name="Greeting">
        <informationRequirement><requiredInput href="#n"/></informationRequirement>
        <literalExpression><text>"Hello " + Name</text></literalExpression></decision>""",
                                             name="base", namespace="urn:base"))
    (tmp_path / "top.dmn").write_text(model("""
      <import namespace="urn:base" name="base" importType="https://www.omg.org/spec/DMN/20230324/MODEL/"/>
      <decision id="t" name="Shout">
        <informationRequirement><requiredDecision href="urn:base#g"/></informationRequirement>
        <literalExpression><text>upper case(base.Greeting)</text></literalExpression></decision>""",
                                            name="top", namespace="urn:top"))
    assert load_model(tmp_path / "top.dmn").evaluate({"Name": "Ada"}) == {"Shout": "HELLO ADA"}


def test_a_feel_syntax_error_names_the_file_and_line() -> None:
    text = model("""
      <decision id="x" name="Broken">
        <literalExpression><text>1 +* 2</text></literalExpression></decision>""")
    with pytest.raises(ProjectError) as caught:
        read_model(text, file="broken.dmn")
    problem = caught.value.problems[0]
    assert problem.file == "broken.dmn"
    assert problem.line == 3
    assert "Broken" in problem.message


def test_a_model_read_leniently_decides_null_where_the_expression_does_not_parse() -> None:
    text = model("""
      <decision id="x" name="Broken"><literalExpression><text>1 +* 2</text></literalExpression></decision>
      <decision id="y" name="Fine"><literalExpression><text>1 + 2</text></literalExpression></decision>""")
    assert read_model(text, file="m.dmn", strict=False).evaluate({}) == {"Broken": None, "Fine": Decimal(3)}


def test_collect_with_sum_and_priority_rank_by_output_values() -> None:
    body = """
      <inputData id="a" name="Age"><variable name="Age" typeRef="number"/></inputData>
      <decision id="s" name="Score"><decisionTable hitPolicy="COLLECT" aggregation="SUM">
        <input><inputExpression><text>Age</text></inputExpression></input><output/>
        <rule><inputEntry><text>&gt; 18</text></inputEntry><outputEntry><text>10</text></outputEntry></rule>
        <rule><inputEntry><text>&gt; 60</text></inputEntry><outputEntry><text>5</text></outputEntry></rule>
      </decisionTable></decision>
      <decision id="p" name="Band"><decisionTable hitPolicy="PRIORITY">
        <input><inputExpression><text>Age</text></inputExpression></input>
        <output><outputValues><text>"senior", "adult"</text></outputValues></output>
        <rule><inputEntry><text>&gt; 18</text></inputEntry><outputEntry><text>"adult"</text></outputEntry></rule>
        <rule><inputEntry><text>&gt; 60</text></inputEntry><outputEntry><text>"senior"</text></outputEntry></rule>
      </decisionTable></decision>"""
    assert decide(body, {"Age": Decimal(70)}) == {"Score": Decimal(15), "Band": "senior"}


def test_a_juel_expression_is_refused_with_its_feel_spelling() -> None:
    text = model("""
      <decision id="x" name="Camunda">
        <decisionTable>
          <input><inputExpression><text>${input1}</text></inputExpression></input><output name="o"/>
          <rule><inputEntry><text>-</text></inputEntry><outputEntry><text>1</text></outputEntry></rule>
        </decisionTable></decision>""")
    with pytest.raises(ProjectError) as caught:
        read_model(text, file="camunda.dmn")
    message = caught.value.problems[0].message
    assert "JUEL" in message and "write 'input1' in FEEL" in message


def test_a_decision_reading_another_it_does_not_require_gets_it_with_a_warning() -> None:
    dmn = read_model(model("""
      <decision id="a" name="Base"><literalExpression><text>20</text></literalExpression></decision>
      <decision id="b" name="Twice"><literalExpression><text>Base * 2</text></literalExpression></decision>"""),
                     file="m.dmn")
    assert dmn.evaluate({}) == {"Base": Decimal(20), "Twice": Decimal(40)}
    warning = next(problem for problem in dmn.problems if problem.code == "dmn_requirement")
    assert warning.severity == "warning" and warning.line == 3
    assert '<requiredDecision href="#a"/>' in warning.message


def test_a_java_function_definition_runs_a_listed_jdk_method() -> None:
    body = """
      <decision id="j" name="Larger"><context>
        <contextEntry><variable name="maxDouble"/>
          <functionDefinition kind="Java">
            <formalParameter name="a" typeRef="number"/><formalParameter name="b" typeRef="number"/>
            <context>
              <contextEntry><variable name="class"/><literalExpression><text>"java.lang.Math"</text>
                </literalExpression></contextEntry>
              <contextEntry><variable name="method signature"/><literalExpression><text>"max(double, double)"</text>
                </literalExpression></contextEntry>
            </context>
          </functionDefinition></contextEntry>
        <contextEntry><literalExpression><text>maxDouble(123.45, 456.78)</text></literalExpression></contextEntry>
      </context></decision>"""
    assert decide(body) == {"Larger": Decimal("456.78")}


def test_instance_of_a_model_type_checks_its_structure_not_its_allowed_values() -> None:
    body = """
      <itemDefinition name="tPair"><itemComponent name="a"><typeRef>string</typeRef></itemComponent>
        <itemComponent name="b"><typeRef>string</typeRef></itemComponent></itemDefinition>
      <itemDefinition name="tNumbers" isCollection="true"><typeRef>number</typeRef></itemDefinition>
      <itemDefinition name="tByte"><typeRef>number</typeRef><allowedValues><text>[0..255]</text></allowedValues>
        </itemDefinition>
      <decision id="a" name="Checks"><literalExpression>
        <text>[{a: "x", b: "y", c: 1} instance of tPair, {a: "x"} instance of tPair, [1, 2] instance of tNumbers,
               1 instance of tNumbers, 256 instance of tByte, "256" instance of tByte]</text>
      </literalExpression></decision>"""
    assert decide(body) == {"Checks": [True, False, True, False, True, False]}


def test_a_nonconforming_input_is_null_with_a_note_naming_the_component() -> None:
    dmn = load_model(FIXTURES / "traffic-violation.dmn")
    notes: list[str] = []
    result = dmn.evaluate({"Driver": {"Points": Decimal(1)},
                           "Violation": {"Type": "speed", "Actual Speed": "fast", "Speed Limit": Decimal(100)}},
                          notes=notes)
    assert result["Fine"] is None
    assert notes == ["input data 'Violation' does not conform to type 'tViolation': 'Actual Speed' is a string, "
                     "not a number; it is null"]
