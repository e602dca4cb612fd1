"""Hit policies with DMN semantics, per row and column-wise, with hand-computed expectations."""

from __future__ import annotations

from decimal import Decimal as D
from typing import Any, Sequence

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from composite.errors import EvaluationError, ProjectError
from composite.nodes.table import DecisionTableNode, TableEvidence
from composite.tables import (
    DecisionTable,
    HitPolicy,
    Rule,
    TableInput,
    TableOutput,
    parse_hit_policy,
    parse_output_entry,
    parse_unary_tests,
)


def make_table(policy: str, inputs: Sequence[str], outputs: Sequence[str], rows: Sequence[Sequence[Any]], *,
               values: dict[str, str] | None = None, defaults: dict[str, str] | None = None,
               input_values: dict[str, str] | None = None) -> DecisionTable:
    hit_policy, aggregation = parse_hit_policy(policy)
    values, defaults, input_values = values or {}, defaults or {}, input_values or {}
    return DecisionTable(
        "t",
        [TableInput(name, values=parse_unary_tests(input_values[name]) if name in input_values else None)
         for name in inputs],
        [TableOutput(name, values=parse_unary_tests(values[name]) if name in values else None,
                     default=parse_output_entry(defaults[name]) if name in defaults else None) for name in outputs],
        [Rule(tuple(parse_unary_tests(str(cell)) for cell in row[: len(inputs)]),
              tuple(parse_output_entry(str(cell)) for cell in row[len(inputs):]), id=f"r{number}", line=10 + number)
         for number, row in enumerate(rows, start=1)],
        hit_policy=hit_policy, aggregation=aggregation, source="rules/t.table.yaml")


# The discount table: gold customers get 15 from 100 on, 10 below; silver 5 from 100; anyone 20
# from 1000. Rows matched per request (hand-computed):
#   gold 500 -> rows 1, 2      gold 2000 -> rows 1, 2, 4     silver 50 -> none
#   silver 100 -> row 3        bronze 1000 -> row 4
DISCOUNT_ROWS = [
    ['"gold"', ">= 100", 15],
    ['"gold"', "-", 10],
    ['"silver"', ">= 100", 5],
    ["-", ">= 1000", 20],
]
GOLD_500 = {"tier": "gold", "amount": 500}
GOLD_2000 = {"tier": "gold", "amount": 2000}
SILVER_50 = {"tier": "silver", "amount": 50}
SILVER_100 = {"tier": "silver", "amount": 100}
BRONZE_1000 = {"tier": "bronze", "amount": 1000}


def discount(policy: str, **kwargs: Any) -> DecisionTable:
    return make_table(policy, ["tier", "amount"], ["discount"], DISCOUNT_ROWS, **kwargs)


def test_first_returns_the_first_matching_row_in_rule_order() -> None:
    table = discount("FIRST")
    assert table.evaluate(GOLD_500).value == 15
    result = table.evaluate(GOLD_2000)
    assert (result.value, result.matched, result.selected) == (15, (0, 1, 3), (0,))
    assert table.evaluate(SILVER_100).value == 5
    assert table.evaluate(BRONZE_1000).value == 20


def test_no_matching_row_gives_null_for_single_hit_policies() -> None:
    for policy in ("UNIQUE", "ANY", "PRIORITY", "FIRST"):
        result = discount(policy, values={"discount": "10, 15, 20, 5"}).evaluate(SILVER_50)
        assert (result.value, result.matched, result.outputs) == (None, (), {"discount": None})


def test_unique_returns_the_only_matching_row() -> None:
    table = discount("UNIQUE")
    assert table.evaluate(SILVER_100).value == 5
    assert table.evaluate(BRONZE_1000).value == 20


def test_unique_with_two_matching_rows_is_an_error_naming_them() -> None:
    with pytest.raises(EvaluationError, match=r"rows 1 \(id r1, line 11\), 2 \(id r2, line 12\) matched") as caught:
        discount("UNIQUE").evaluate(GOLD_500)
    assert caught.value.code == "unique_violation"
    assert caught.value.rules == [1, 2]
    assert caught.value.file == "rules/t.table.yaml"


def test_unique_violation_in_a_batch_names_the_batch_rows() -> None:
    tiers = np.array(["silver", "gold", "bronze", "gold"], dtype=object)
    amounts = np.array([100, 500, 1000, 600])
    with pytest.raises(EvaluationError, match=r"batch rows 1, 3") as caught:
        discount("UNIQUE").evaluate_batch({"tier": tiers, "amount": amounts}, 4)
    assert caught.value.rows == [1, 3]
    assert caught.value.rules == [1, 2]


def test_any_requires_every_matching_row_to_agree() -> None:
    with pytest.raises(EvaluationError, match="ANY") as caught:
        discount("ANY").evaluate(GOLD_500)  # rows 1 and 2 give 15 and 10
    assert caught.value.code == "any_conflict"
    agreeing = make_table("ANY", ["age"], ["status"], [[">= 18", '"adult"'], ["> 65", '"adult"'], ["< 18", '"minor"']])
    result = agreeing.evaluate({"age": 70})
    assert (result.value, result.matched, result.selected) == ("adult", (0, 1), (0,))


def test_priority_picks_the_highest_ranked_output_value_not_the_first_row() -> None:
    table = discount("PRIORITY", values={"discount": "10, 15, 20, 5"})
    result = table.evaluate(GOLD_500)  # rows 1 (15) and 2 (10): 10 ranks first
    assert (result.value, result.selected) == (10, (1,))
    assert table.evaluate(GOLD_2000).value == 10
    assert table.evaluate(BRONZE_1000).value == 20


def test_priority_over_several_outputs_ranks_by_the_first_listed_output_then_rule_order() -> None:
    table = make_table(
        "PRIORITY", ["score"], ["decision", "reason"],
        [["< 500", '"refer"', '"low score"'],
         ["< 400", '"decline"', '"very low score"'],
         ["< 450", '"decline"', '"below cut-off"'],
         ["-", '"approve"', '"default"']],
        values={"decision": '"decline", "refer", "approve"'})
    assert table.evaluate({"score": 300}).value == {"decision": "decline", "reason": "very low score"}
    assert table.evaluate({"score": 420}).value == {"decision": "decline", "reason": "below cut-off"}
    assert table.evaluate({"score": 480}).value == {"decision": "refer", "reason": "low score"}
    assert table.evaluate({"score": 700}).value == {"decision": "approve", "reason": "default"}


def test_priority_and_output_order_need_ranked_output_values() -> None:
    with pytest.raises(ProjectError, match="ranks rows by the order"):
        discount("PRIORITY")
    with pytest.raises(ProjectError, match="ranks rows by the order"):
        discount("OUTPUT ORDER")


def test_rule_order_lists_every_match_in_row_order() -> None:
    table = discount("RULE ORDER")
    assert table.evaluate(GOLD_2000).value == [15, 10, 20]
    assert table.evaluate(GOLD_500).value == [15, 10]
    assert table.evaluate(SILVER_50).value == []


def test_output_order_lists_every_match_by_output_priority() -> None:
    table = discount("OUTPUT ORDER", values={"discount": "10, 15, 20, 5"})
    result = table.evaluate(GOLD_2000)
    assert (result.value, result.selected) == ([10, 15, 20], (1, 0, 3))
    assert table.evaluate(SILVER_50).value == []


def test_collect_lists_every_match() -> None:
    table = discount("COLLECT")
    assert table.evaluate(GOLD_2000).value == [15, 10, 20]
    assert table.evaluate(SILVER_100).value == [5]
    assert table.evaluate(SILVER_50).value == []


def test_collect_with_several_outputs_gives_one_dict_per_match_and_one_list_per_column() -> None:
    table = make_table("C", ["x"], ["code", "weight"], [["> 0", '"pos"', 1], ["> 10", '"big"', 2], ["< 0", '"neg"', 3]])
    result = table.evaluate({"x": 20})
    assert result.value == [{"code": "pos", "weight": 1}, {"code": "big", "weight": 2}]
    assert result.outputs == {"code": ["pos", "big"], "weight": [1, 2]}


@pytest.mark.parametrize(("policy", "request_", "expected", "selected"), [
    ("C+", GOLD_2000, D(45), (0, 1, 3)),
    ("C+", GOLD_500, D(25), (0, 1)),
    ("C+", SILVER_50, None, ()),
    ("C<", GOLD_2000, D(10), (1,)),
    ("C<", SILVER_50, None, ()),
    ("C>", GOLD_2000, D(20), (3,)),
    ("C#", GOLD_2000, D(3), (0, 1, 3)),
    ("C#", SILVER_50, D(0), ()),
    ("COLLECT SUM", BRONZE_1000, D(20), (3,)),
])
def test_collect_aggregations(policy: str, request_: dict, expected: Any, selected: tuple) -> None:
    result = discount(policy).evaluate(request_)
    assert result.value == expected
    assert result.outputs == {"discount": expected}
    assert result.selected == selected


def test_collect_count_counts_distinct_outputs() -> None:
    table = make_table("C#", ["x"], ["flag"], [["> 0", '"a"'], ["> 1", '"a"'], ["> 2", '"b"']])
    assert table.evaluate({"x": 5}).value == D(2)


def test_collect_sum_adds_decimals_exactly() -> None:
    table = make_table("C+", ["x"], ["amount"], [["> 0", "0.1"], ["> 1", "0.2"]])
    assert table.evaluate({"x": 2}).value == D("0.3")


def test_aggregations_check_their_outputs_at_load() -> None:
    with pytest.raises(ProjectError, match="COLLECT SUM adds numbers"):
        make_table("C+", ["x"], ["y"], [["-", '"a"']])
    with pytest.raises(ProjectError, match="needs exactly one output"):
        make_table("C<", ["x"], ["y", "z"], [["-", 1, 2]])
    with pytest.raises(ProjectError, match="mixes number, string"):
        make_table("C>", ["x"], ["y"], [["-", 1], ["-", '"a"']])


def test_default_outputs_apply_when_no_row_matches() -> None:
    table = make_table("UNIQUE", ["x"], ["status", "rate"], [["> 0", '"approved"', '"best"']],
                       defaults={"status": '"declined"'})
    result = table.evaluate({"x": -1})
    assert (result.value, result.defaulted) == ({"status": "declined", "rate": None}, True)
    listed = make_table("RULE ORDER", ["x"], ["status"], [["> 0", '"approved"']], defaults={"status": '"declined"'})
    assert listed.evaluate({"x": -1}).value == ["declined"]
    summed = make_table("C+", ["x"], ["points"], [["> 0", 5]], defaults={"points": "0"})
    assert summed.evaluate({"x": -1}).value == D(0)


def test_output_values_restrict_literal_outputs_at_load() -> None:
    with pytest.raises(ProjectError, match='"maybe", which is not one of its allowed values') as caught:
        make_table("FIRST", ["x"], ["y"], [["-", '"maybe"']], values={"y": '"yes", "no"'})
    assert caught.value.line == 11


def test_input_values_reject_values_outside_them_but_allow_null() -> None:
    table = discount("FIRST", input_values={"tier": '"gold", "silver", "bronze"'})
    with pytest.raises(EvaluationError, match='tier = "platinum" is not one of its allowed values') as caught:
        table.evaluate({"tier": "platinum", "amount": 5})
    assert caught.value.code == "table_input_not_allowed"
    assert table.evaluate({"tier": None, "amount": 2000}).value == 20
    with pytest.raises(EvaluationError, match="batch rows 1") as batch:
        table.evaluate_batch({"tier": np.array(["gold", "platinum"], dtype=object), "amount": np.array([1, 2])}, 2)
    assert batch.value.rows == [1]


def test_computed_outputs_use_the_row_values() -> None:
    table = make_table("FIRST", ["amount"], ["fee"], [["< 100", "5"], ["-", "amount * 0.02"]])
    assert table.reads == ("amount",)
    assert table.evaluate({"amount": 1000}).value == D("20.00")
    batch = table.evaluate_batch({"amount": np.array([50.0, 1000.0, 2500.0])}, 3)
    assert [batch.row(row).value for row in range(3)] == [D(5), D(20), D(50)]


def test_output_names_used_by_computed_outputs_are_read() -> None:
    table = make_table("FIRST", ["x"], ["y"], [["-", "base + x"]])
    assert table.reads == ("x", "base")


def test_missing_inputs_are_null() -> None:
    table = make_table("FIRST", ["x"], ["y"], [["null", '"missing"'], ["-", '"given"']])
    assert table.evaluate({}).value == "missing"
    assert table.evaluate_batch({}, 2).row(1).value == "missing"


def test_hit_policy_spellings() -> None:
    assert parse_hit_policy("rule_order") == (HitPolicy.RULE_ORDER, None)
    assert parse_hit_policy("collect", "sum")[1].value == "SUM"
    with pytest.raises(ValueError, match="unknown hit policy 'FIST'"):
        parse_hit_policy("FIST")
    with pytest.raises(ValueError, match="needs the COLLECT hit policy"):
        parse_hit_policy("FIRST", "SUM")


def test_a_row_with_the_wrong_number_of_entries_is_rejected_with_its_line() -> None:
    rule = Rule((parse_unary_tests("-"),), (parse_output_entry("1"),), line=7)
    with pytest.raises(ProjectError, match="row 1 has 1 input entries, the table has 2 inputs") as caught:
        DecisionTable("t", [TableInput("a"), TableInput("b")], [TableOutput("y")], [rule])
    assert caught.value.line == 7


# -- row by row equals column-wise -------------------------------------------------------------

X_ENTRIES = ["-", "< 5", ">= 5", "[0..10]", "not(3)", "null", "3", "> 2.5", '"A"', "not(< 0)"]
S_ENTRIES = ["-", '"A"', '"A","B"', 'not("A")', "null", '< "B"', "1", "not(null)"]
NUMERIC_OUTPUTS = ["1", "2", "2.5", "-1", "0.1"]
ANY_OUTPUTS = NUMERIC_OUTPUTS + ['"p"', '"q"', "null", "x + 1"]
POLICIES = ["U", "A", "P", "F", "R", "O", "C", "C+", "C<", "C>", "C#"]

x_values = st.one_of(st.none(), st.integers(-2, 12), st.sampled_from([2.5, 3.0, 0.1, float("nan")]))
s_values = st.one_of(st.none(), st.sampled_from(["A", "B", "C", 1, True]))


@st.composite
def tables(draw: Any) -> DecisionTable:
    policy = draw(st.sampled_from(POLICIES))
    aggregated = policy in ("C+", "C<", "C>")
    width = 1 if policy.startswith("C") and len(policy) == 2 else draw(st.integers(1, 2))
    pool = NUMERIC_OUTPUTS if aggregated else ANY_OUTPUTS
    rows = draw(st.lists(st.tuples(st.sampled_from(X_ENTRIES), st.sampled_from(S_ENTRIES),
                                   *[st.sampled_from(pool) for _ in range(width)]), min_size=0, max_size=6))
    outputs = ["y", "z"][:width]
    # "q" and computed values are left out on purpose: unlisted values rank last.
    values = {"y": '2, 1, -1, 2.5, "p", 0.1'} if policy in ("P", "O") else None
    try:
        return make_table(policy, ["x", "s"], outputs, rows, values=values)
    except ProjectError:  # a "q" where the allowed values do not list it
        return make_table(policy, ["x", "s"], outputs, [row for row in rows if '"q"' not in row], values=values)


def _outcome(call: Any) -> Any:
    try:
        return call()
    except EvaluationError as error:
        return error


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables(), st.lists(st.tuples(x_values, s_values), min_size=1, max_size=12))
def test_column_wise_evaluation_equals_row_by_row(table: DecisionTable, rows: list[tuple[Any, Any]]) -> None:
    xs = np.empty(len(rows), dtype=object)
    xs[:] = [x for x, _ in rows]
    ss = np.empty(len(rows), dtype=object)
    ss[:] = [s for _, s in rows]
    singles = [_outcome(lambda x=x, s=s: table.evaluate({"x": x, "s": s})) for x, s in rows]
    failed = [row for row, single in enumerate(singles) if isinstance(single, EvaluationError)]
    for columns in ({"x": xs, "s": ss}, {"x": _floats(xs), "s": ss}):
        if columns["x"] is None:
            continue
        batch = _outcome(lambda columns=columns: table.evaluate_batch(columns, len(rows)))
        if failed:
            assert isinstance(batch, EvaluationError)
            assert batch.rows == failed
            continue
        assert not isinstance(batch, EvaluationError), batch
        for row, single in enumerate(singles):
            got = batch.row(row)
            assert (got.value, got.matched, got.selected, dict(got.outputs)) == (
                single.value, single.matched, single.selected, dict(single.outputs))


def _floats(column: np.ndarray) -> np.ndarray | None:
    """The same column as float64 (NaN for null), when every value is a number."""
    if not all(v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)) for v in column):
        return None
    return np.array([np.nan if v is None else float(v) for v in column], dtype=np.float64)


# -- the node ----------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.one_of(st.none(), st.sampled_from(["gold", "silver", "bronze"])),
                          st.one_of(st.integers(0, 3000), st.sampled_from([100, 1000]))), min_size=1, max_size=15),
       st.sampled_from(["FIRST", "RULE ORDER", "C+", "C#", "OUTPUT ORDER", "PRIORITY"]))
def test_node_outputs_and_evidence_agree_between_evaluate_and_evaluate_batch(rows: list, policy: str) -> None:
    node = DecisionTableNode.for_table(discount(policy, values={"discount": "10, 15, 20, 5"}))
    tiers = np.empty(len(rows), dtype=object)
    tiers[:] = [tier for tier, _ in rows]
    amounts = np.array([amount for _, amount in rows], dtype=np.int64)
    batch = node.evaluate_batch({"tier": tiers, "amount": amounts}, len(rows))
    assert set(batch.outputs) == set(node.writes) == {"discount"}
    for row, (tier, amount) in enumerate(rows):
        single = node.evaluate({"tier": tier, "amount": amount})
        got = batch.outputs["discount"][row]
        assert (got.tolist() if isinstance(got, np.generic) else got) == single.outputs["discount"]
        assert batch.evidence[row] == single.evidence
        TableEvidence.model_validate(single.evidence)


def test_node_outputs_are_json_friendly() -> None:
    node = DecisionTableNode.for_table(make_table("C+", ["x"], ["total"], [["> 0", "2.5"], ["> 1", "0.5"]]))
    assert node.evaluate({"x": 5}).outputs == {"total": 3}
    assert type(node.evaluate({"x": 5}).outputs["total"]) is int
    assert node.evaluate({"x": 0.5}).outputs == {"total": 2.5}
    batch = node.evaluate_batch({"x": np.array([5.0, 0.5, -1.0])}, 3)
    assert batch.outputs["total"].dtype == object
    assert batch.outputs["total"].tolist() == [3, 2.5, None]


def test_node_with_several_outputs_writes_each_or_one_dict_with_as() -> None:
    table = make_table("FIRST", ["x"], ["status", "rate"], [["> 0", '"approved"', "1.5"], ["-", '"declined"', "0"]])
    apart = DecisionTableNode.for_table(table)
    assert apart.writes == ("status", "rate")
    assert apart.evaluate({"x": 1}).outputs == {"status": "approved", "rate": 1.5}
    together = DecisionTableNode.for_table(table, as_name="approval")
    assert together.writes == ("approval",)
    assert together.evaluate({"x": 1}).outputs == {"approval": {"status": "approved", "rate": 1.5}}
    batch = together.evaluate_batch({"x": np.array([1, -1])}, 2)
    assert batch.outputs["approval"].tolist() == [
        {"status": "approved", "rate": 1.5}, {"status": "declined", "rate": 0}]


def test_node_evidence_names_matched_and_selected_rows_and_renders_them() -> None:
    node = DecisionTableNode.for_table(discount("FIRST"), name="discount_table")
    result = node.evaluate(GOLD_2000)
    evidence = TableEvidence.model_validate(result.evidence)
    step = evidence.tables[0]
    assert (step.table, step.hit_policy, step.selected, step.output) == ("t", "FIRST", [1], {"discount": 15})
    assert [(hit.row, hit.id, hit.conditions) for hit in step.matched] == [
        (1, "r1", ['tier = "gold"', "amount >= 100"]), (2, "r2", ['tier = "gold"']), (4, "r4", ["amount >= 1000"])]
    lines = DecisionTableNode.render(result.evidence, read=GOLD_2000, wrote=result.outputs, knowledge=None)
    assert lines == ["table 't' (FIRST): row 1 matched (tier = \"gold\" and amount >= 100) -> discount = 15; "
                     "rows 2, 4 also matched"]
    none = node.evaluate(SILVER_50)
    assert DecisionTableNode.render(none.evidence, read={}, wrote={}, knowledge=None) == [
        "table 't' (FIRST): no row matched -> discount = null"]
    listed = DecisionTableNode.for_table(discount("C+")).evaluate(GOLD_500)
    assert DecisionTableNode.render(listed.evidence, read={}, wrote={}, knowledge=None) == [
        "table 't' (COLLECT SUM): rows 1, 2 matched -> discount = 25",
        '  row 1: tier = "gold" and amount >= 100',
        '  row 2: tier = "gold"']


def test_node_describes_itself_and_lists_its_rows_for_coverage() -> None:
    node = DecisionTableNode.for_table(discount("FIRST"), name="discount_table", file="rules/t.table.yaml")
    description = node.describe()
    assert {key: description[key] for key in ("kind", "name", "reads", "writes", "summary")} == {
        "kind": "table", "name": "discount_table", "reads": ["tier", "amount"], "writes": ["discount"],
        "summary": "FIRST, 4 rows"}
    assert [row["row"] for row in node.rows()] == [1, 2, 3, 4]
    assert node.rows_hit(node.evaluate(GOLD_2000).evidence) == {("t", 1), ("t", 2), ("t", 4)}
