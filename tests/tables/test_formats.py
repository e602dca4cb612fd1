"""Reading tables from .table.yaml, .csv and DMN XML, and the errors authors see."""

from __future__ import annotations

import textwrap
from decimal import Decimal as D
from pathlib import Path

import numpy as np
import pytest

from composite.errors import ProjectError
from composite.nodes.base import LoadContext, NodeSpec
from composite.nodes.table import DecisionTableNode, dmn_project
from composite.tables import HitPolicy, read_dmn, read_table_csv, read_table_yaml
from composite.tables.formats import table_name_for


def yaml_table(text: str, file: str = "rules/checking_points.table.yaml"):
    return read_table_yaml(textwrap.dedent(text).lstrip(), file=file)


def csv_table(text: str, file: str = "rules/risk.csv"):
    return read_table_csv(textwrap.dedent(text).lstrip(), file=file)


def problems_of(call) -> list:
    with pytest.raises(ProjectError) as caught:
        call()
    return caught.value.problems


# -- .table.yaml -------------------------------------------------------------------------------

CHECKING = """
    table: checking_points
    hit_policy: FIRST
    inputs: [checking_status]
    outputs: [points]
    rules:
      - ['"overdrawn"', 0]
      - ['"below_200"', 2]
      - {checking_status: '"no_account"', points: 4, id: no_account, annotation: no account is no risk}
      - ['-', 3]
"""


def test_yaml_table_rows_as_lists_or_mappings() -> None:
    table = yaml_table(CHECKING)
    assert (table.name, table.hit_policy, len(table.rules)) == ("checking_points", HitPolicy.FIRST, 4)
    assert [rule.line for rule in table.rules] == [6, 7, 8, 9]
    assert (table.rules[2].id, table.rules[2].annotation) == ("no_account", "no account is no risk")
    assert table.evaluate({"checking_status": "overdrawn"}).value == 0
    assert table.evaluate({"checking_status": "no_account"}).value == 4
    assert table.evaluate({"checking_status": "above_200"}).value == 3


def test_yaml_table_name_defaults_to_the_file_name() -> None:
    table = yaml_table(CHECKING.replace("table: checking_points\n", ""), file="rules/duration.table.yaml")
    assert table.name == "duration"
    assert table_name_for("rules/x.csv") == "x" and table_name_for("m.dmn") == "m"


def test_yaml_columns_with_types_allowed_values_and_defaults() -> None:
    table = yaml_table("""
        hit_policy: PRIORITY
        inputs:
          - {name: age, type: integer, values: '[18..120]'}
          - {name: housing, values: [rent, own, free]}
        outputs:
          - {name: risk, values: [high, medium, low], default: '"low"'}
        rules:
          - {age: '< 25', risk: '"high"'}
          - {housing: '"rent"', risk: '"medium"'}
          - {age: '>= 60', housing: '"own"', risk: '"low"'}
    """)
    assert table.inputs[0].type == "number" and table.inputs[1].values.matches("own")
    assert table.evaluate({"age": 22, "housing": "rent"}).value == "high"
    assert table.evaluate({"age": 40, "housing": "rent"}).value == "medium"
    assert table.evaluate({"age": 40, "housing": "own"}).value == "low"  # the default
    assert table.evaluate({"age": 40, "housing": "own"}).defaulted


def test_yaml_numbers_and_booleans_may_be_written_as_yaml_scalars() -> None:
    table = yaml_table("""
        inputs: [member, years]
        outputs: [rate]
        rules:
          - [true, 5, 0.5]
          - [false, '-', 1.25]
          - [true, '!= 5', ~]
    """)
    assert table.evaluate({"member": True, "years": 5}).value == D("0.5")
    assert table.evaluate({"member": False, "years": 1}).value == D("1.25")
    assert table.evaluate({"member": True, "years": 1}).value is None


def test_yaml_entry_errors_name_file_line_and_cell() -> None:
    found = problems_of(lambda: yaml_table("""
        inputs: [status, age]
        outputs: [points]
        rules:
          - ['"ok"', '>= 18', 1]
          - [overdrawn, '>= 18', 0]
          - {status: '"x"', age: '[1..', points: 2}
    """))
    assert [(p.file, p.line, p.field) for p in found] == [
        ("rules/checking_points.table.yaml", 5, "rules[2].status"),
        ("rules/checking_points.table.yaml", 6, "rules[3].age"),
    ]
    assert 'a string is written in quotes: "overdrawn"' in found[0].message
    assert found[1].column == 31


def test_yaml_shape_errors_are_all_reported() -> None:
    found = problems_of(lambda: yaml_table("""
        hit_policy: FIRTS
        inputs: [a]
        output: [b]
        rules:
          - ['-', 1, 2]
    """))
    messages = [(p.line, p.message) for p in found]
    assert (3, "unknown key 'output'; did you mean 'outputs'?") in messages
    assert any(line == 1 and "unknown hit policy 'FIRTS'" in message for line, message in messages)
    assert any(line is not None and "missing required key 'outputs'" in message for line, message in messages)


def test_yaml_row_problems_name_the_row() -> None:
    found = problems_of(lambda: yaml_table("""
        inputs: [a]
        outputs: [b, c]
        rules:
          - ['-', 1]
          - {a: '-', b: 1}
          - {a: '-', b: 1, c: 2, d: 3}
          - [~, 1, 2]
    """))
    assert [(p.line, p.code) for p in found] == [
        (4, "table_row_shape"), (5, "table_missing_output"), (6, "table_unknown_column"), (7, "table_empty_entry")]


def test_yaml_syntax_errors_have_a_line() -> None:
    found = problems_of(lambda: yaml_table("inputs: [a\noutputs: [b]\n"))
    assert found[0].code == "yaml_syntax" and found[0].line is not None


# -- .csv --------------------------------------------------------------------------------------

RISK_CSV = """
    # hit_policy: PRIORITY
    # values risk: 'high', 'medium', 'low'
    # Source: Siddiqi (2006), chapter 6, adapted
    age, income, -> risk, annotation: why
    < 25, -, 'high', young applicants
    [25..60], > 3000, 'low',
    [25..60], "<= 3000", 'medium', modest income
    > 60,, 'medium',
"""


def test_csv_table_with_directives_outputs_and_annotations() -> None:
    table = csv_table(RISK_CSV)
    assert (table.name, table.hit_policy) == ("risk", HitPolicy.PRIORITY)
    assert [i.name for i in table.inputs] == ["age", "income"]
    assert table.output_names == ("risk",)
    assert [rule.line for rule in table.rules] == [5, 6, 7, 8]
    assert table.rules[0].annotation == "young applicants"
    assert table.rules[3].inputs[1].is_any  # an empty input cell means '-'
    assert table.evaluate({"age": 30, "income": 1000}).value == "medium"
    assert table.evaluate({"age": 22, "income": 9000}).value == "high"


def test_csv_accepts_out_prefix_doubled_quotes_and_an_id_column() -> None:
    table = csv_table('''
        # table: tier_discount
        # hit_policy: C+
        id:, tier, out: discount
        gold, """gold""", 10
        all, -, 1
    ''', file="rules/discount.csv")
    assert table.name == "tier_discount" and table.label == "COLLECT SUM"
    assert [rule.id for rule in table.rules] == ["gold", "all"]
    assert table.evaluate({"tier": "gold"}).value == 11


def test_csv_errors_name_the_line_and_column() -> None:
    found = problems_of(lambda: csv_table("""
        # hit_policy: FIRST
        status, -> points
        'ok', 1
        overdrawn, 0
        'x'
        'y',
    """))
    assert [(p.line, p.field, p.code) for p in found] == [
        (4, "status", "sfeel_syntax"), (5, "row 3", "table_row_shape"), (6, "points", "table_missing_output")]
    assert "'overdrawn'" in found[0].message


def test_csv_needs_an_output_column_and_flags_directive_typos() -> None:
    found = problems_of(lambda: csv_table("""
        # hitpolicy: FIRST
        a, b
        1, 2
    """))
    assert [(p.line, p.code) for p in found] == [(1, "table_unknown_directive"), (2, "table_no_outputs")]
    assert "did you mean '# hit_policy:'" in found[0].message


# -- DMN ---------------------------------------------------------------------------------------

DMN_13 = "https://www.omg.org/spec/DMN/20191111/MODEL/"
DMN_11 = "http://www.omg.org/spec/DMN/20151101/dmn.xsd"


def chained_dmn(namespace: str) -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="{namespace}" name="loan" id="d" namespace="http://example.com">
  <itemDefinition name="tTier"><typeRef>string</typeRef>
    <allowedValues><text>"gold", "silver"</text></allowedValues></itemDefinition>
  <inputData id="i1" name="Tier"><variable name="Tier" typeRef="tTier"/></inputData>
  <inputData id="i2" name="Amount"><variable name="Amount" typeRef="number"/></inputData>
  <decision id="d2" name="Approval">
    <informationRequirement><requiredDecision href="#d1"/></informationRequirement>
    <decisionTable hitPolicy="UNIQUE">
      <input><inputExpression typeRef="number"><text>Discount</text></inputExpression></input>
      <output name="Approval"/>
      <rule id="a1"><inputEntry><text>&gt;= 10</text></inputEntry><outputEntry><text>"fast"</text></outputEntry></rule>
      <rule id="a2"><inputEntry><text>&lt; 10</text></inputEntry><outputEntry><text>"normal"</text></outputEntry></rule>
    </decisionTable>
  </decision>
  <decision id="d1" name="Discount">
    <decisionTable hitPolicy="COLLECT" aggregation="SUM">
      <input><inputExpression typeRef="string"><text>Tier</text></inputExpression></input>
      <input><inputExpression typeRef="number"><text>Amount</text></inputExpression></input>
      <output/>
      <rule id="r1"><description>gold tier</description>
        <inputEntry><text>"gold"</text></inputEntry><inputEntry><text>-</text></inputEntry>
        <outputEntry><text>10</text></outputEntry></rule>
      <rule id="r2"><inputEntry><text>-</text></inputEntry><inputEntry><text>&gt; 1000</text></inputEntry>
        <outputEntry><text>2.5</text></outputEntry></rule>
    </decisionTable>
  </decision>
</definitions>
"""


@pytest.mark.parametrize("namespace", [DMN_11, DMN_13])
def test_dmn_decisions_run_in_dependency_order(namespace: str) -> None:
    model = read_dmn(chained_dmn(namespace), file="loan.dmn")
    assert [decision.name for decision in model.decisions] == ["Discount", "Approval"]
    assert model.reads == ("Tier", "Amount") and model.writes == ("Discount", "Approval")
    results = model.evaluate({"Tier": "gold", "Amount": 5000})
    assert (results["Discount"].value, results["Approval"].value) == (D("12.5"), "fast")
    assert model.evaluate({"Tier": "silver", "Amount": 5000})["Approval"].value == "normal"
    batch = model.evaluate_batch({"Tier": np.array(["gold", "silver"], dtype=object),
                                  "Amount": np.array([10, 5000])}, 2)
    assert [batch["Approval"].row(row).value for row in (0, 1)] == ["fast", "normal"]
    assert model.decision("Discount").table.rules[0].annotation == "gold tier"
    assert model.inputs["Tier"].type == "string" and model.inputs["Tier"].values == ("gold", "silver")


def test_dmn_errors_name_the_line() -> None:
    text = chained_dmn(DMN_13).replace("<text>&gt; 1000</text>", "<text>&gt; lots</text>")
    found = problems_of(lambda: read_dmn(text, file="loan.dmn"))
    assert [(p.file, p.line, p.code) for p in found] == [("loan.dmn", 24, "sfeel_syntax")]
    broken = problems_of(lambda: read_dmn("<definitions><decision></definitions>", file="x.dmn"))
    assert broken[0].code == "dmn_syntax" and broken[0].line == 1


def test_dmn_with_a_literal_expression_decision_is_reported_as_unsupported() -> None:
    text = f"""<definitions xmlns="{DMN_13}" name="m">
  <decision id="d" name="Total">
    <literalExpression><text>a + b</text></literalExpression>
  </decision>
</definitions>"""
    found = problems_of(lambda: read_dmn(text, file="m.dmn"))
    assert (found[0].line, found[0].code) == (2, "dmn_unsupported")
    assert "decision 'Total' is a literalExpression" in found[0].message


def test_dmn_refuses_doctype_declarations() -> None:
    text = '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa">]><definitions/>'
    assert problems_of(lambda: read_dmn(text, file="x.dmn"))[0].code == "dmn_doctype"


def test_dmn_input_expressions_must_name_inputs_or_decisions() -> None:
    text = chained_dmn(DMN_13).replace("<text>Amount</text>", "<text>Amount * 2</text>")
    found = problems_of(lambda: read_dmn(text, file="loan.dmn"))
    assert found[0].code == "dmn_unsupported" and "'Amount * 2'" in found[0].message


def test_dmn_project_describes_the_model_as_a_project(tmp_path: Path) -> None:
    path = tmp_path / "0004-loan.dmn"
    path.write_text(chained_dmn(DMN_13))
    project = dmn_project(path)
    assert project == {
        "name": "loan",
        "version": "0",
        "nodes": [{"name": "_0004_loan", "kind": "table", "file": "0004-loan.dmn"}],
        "outputs": ["Discount", "Approval"],
        "concepts": {
            "Tier": {"type": "string", "required": False, "values": ["gold", "silver"]},
            "Amount": {"type": "number", "required": False},
        },
    }


# -- the node from composite.yaml ----------------------------------------------------------------


def test_node_from_spec_reads_the_file_and_records_its_hash(tmp_path: Path) -> None:
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "checking_points.table.yaml").write_text(textwrap.dedent(CHECKING).lstrip())
    context = LoadContext(root=tmp_path)
    spec = NodeSpec(name="checking", kind="table", options={}, file="rules/checking_points.table.yaml", line=4)
    node = DecisionTableNode.from_spec(spec, context)
    assert (node.reads, node.writes) == (("checking_status",), ("points",))
    assert list(context.artifacts) == ["rules/checking_points.table.yaml"]
    assert context.artifacts["rules/checking_points.table.yaml"].startswith("sha256:")
    assert node.evaluate({"checking_status": "overdrawn"}).outputs == {"points": 0}


def test_node_from_spec_checks_declared_reads_and_writes(tmp_path: Path) -> None:
    (tmp_path / "t.table.yaml").write_text(textwrap.dedent(CHECKING).lstrip())
    spec = NodeSpec(name="checking", kind="table", options={}, file="t.table.yaml", reads=("status",),
                    writes=("points",), line=12)
    with pytest.raises(ProjectError) as caught:
        DecisionTableNode.from_spec(spec, LoadContext(root=tmp_path))
    problem = caught.value.problems[0]
    assert (problem.file, problem.line, problem.field) == ("composite.yaml", 12, "nodes.checking.reads")
    assert "also reads checking_status" in problem.message and "does not read status" in problem.message


def test_node_from_spec_with_as_writes_one_dict_and_rejects_unknown_options(tmp_path: Path) -> None:
    (tmp_path / "t.table.yaml").write_text("inputs: [x]\noutputs: [a, b]\nrules:\n  - ['-', 1, 2]\n")
    spec = NodeSpec(name="n", kind="table", options={"as": "pair"}, file="t.table.yaml")
    node = DecisionTableNode.from_spec(spec, LoadContext(root=tmp_path))
    assert node.writes == ("pair",) and node.evaluate({"x": 0}).outputs == {"pair": {"a": 1, "b": 2}}
    bad = NodeSpec(name="n", kind="table", options={"hit": "FIRST"}, file="t.table.yaml", line=3)
    with pytest.raises(ProjectError, match="unknown option") as caught:
        DecisionTableNode.from_spec(bad, LoadContext(root=tmp_path))
    assert (caught.value.file, caught.value.line) == ("composite.yaml", 3)


def test_node_from_a_dmn_file_writes_one_value_per_decision(tmp_path: Path) -> None:
    (tmp_path / "loan.dmn").write_text(chained_dmn(DMN_13))
    spec = NodeSpec(name="loan", kind="table", options={}, file="loan.dmn")
    node = DecisionTableNode.from_spec(spec, LoadContext(root=tmp_path))
    assert node.writes == ("Discount", "Approval")
    result = node.evaluate({"Tier": "gold", "Amount": 5000})
    assert result.outputs == {"Discount": 12.5, "Approval": "fast"}
    assert [step["table"] for step in result.evidence["tables"]] == ["Discount", "Approval"]


def test_node_reports_a_missing_file_at_its_composite_yaml_line(tmp_path: Path) -> None:
    spec = NodeSpec(name="n", kind="table", options={}, file="rules/none.csv", line=9)
    with pytest.raises(ProjectError) as caught:
        DecisionTableNode.from_spec(spec, LoadContext(root=tmp_path))
    assert (caught.value.code, caught.value.line) == ("missing_file", 9)
