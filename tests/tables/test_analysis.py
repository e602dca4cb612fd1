"""Static checks for `composite validate`: overlapping UNIQUE rows, gaps, dead rows."""

from __future__ import annotations

from typing import Any, Sequence

from composite.nodes.table import DecisionTableNode
from composite.tables import DecisionTable, analyse
from composite.tables.analysis import Domain, Gap, Overlap
from composite.tables.table import Rule, TableInput, TableOutput, parse_hit_policy
from composite.tables.sfeel import parse_output_entry, parse_unary_tests


def make_table(policy: str, inputs: Sequence[Any], rows: Sequence[Sequence[Any]], *, outputs: int = 1,
               default: str | None = None) -> DecisionTable:
    hit_policy, aggregation = parse_hit_policy(policy)
    columns = [TableInput(name) if isinstance(name, str) else
               TableInput(name[0], values=parse_unary_tests(name[1]) if name[1] else None,
                          type=name[2] if len(name) > 2 else None)
               for name in inputs]
    width = len(columns)
    names = ["out", "out2"][:outputs]
    return DecisionTable(
        "t", columns,
        [TableOutput(name, default=parse_output_entry(default) if default else None) for name in names],
        [Rule(tuple(parse_unary_tests(str(c)) for c in row[:width]),
              tuple(parse_output_entry(str(c)) for c in row[width:]), line=20 + number)
         for number, row in enumerate(rows, start=1)],
        hit_policy=hit_policy, aggregation=aggregation, source="rules/t.table.yaml", line=1)


def test_unique_table_reports_rows_that_overlap_and_where() -> None:
    table = make_table("UNIQUE", ["age"], [["< 18", 1], ["[18..65]", 2], [">= 65", 3]])
    assert analyse(table).overlaps == [Overlap((2, 3), {"age": "65"})]


def test_unique_table_without_overlaps_or_gaps_has_no_problems() -> None:
    table = make_table("UNIQUE", ["age", "member"],
                       [["< 18", "-", 1], [">= 18", "true", 2], [">= 18", "false", 3]])
    assert analyse(table).problems() == []


def test_overlap_on_missing_values_counts() -> None:
    table = make_table("UNIQUE", ["x"], [["null", 1], ["-", 2]])
    assert analyse(table).overlaps == [Overlap((1, 2), {"x": "null"})]


def test_uncovered_numbers_are_reported_as_ranges() -> None:
    table = make_table("UNIQUE", ["age"], [["< 18", 1], ["[18..65)", 2], ["> 65", 3]])
    assert analyse(table).gaps == [Gap({"age": "65"})]
    table = make_table("FIRST", ["age"], [["< 18", 1], ["> 30", 2]])
    assert analyse(table).gaps == [Gap({"age": "[18..30]"})]


def test_uncovered_combinations_respect_allowed_values() -> None:
    table = make_table("UNIQUE", [("status", '"gold", "silver", "bronze"'), "amount"],
                       [['"gold"', "-", 1], ['"silver"', ">= 100", 2]])
    assert analyse(table).gaps == [Gap({"status": '"silver"', "amount": "< 100"}), Gap({"status": '"bronze"'})]


def test_strings_without_a_list_of_values_leave_any_other_string_uncovered() -> None:
    table = make_table("UNIQUE", ["status"], [['"gold"', 1], ['"silver"', 2]])
    assert analyse(table).gaps == [Gap({"status": 'not("gold", "silver")'})]
    covered = make_table("UNIQUE", ["status"], [['"gold"', 1], ['not("gold")', 2]])
    assert analyse(covered).gaps == []


def test_integer_inputs_have_no_gaps_between_consecutive_integers() -> None:
    rows = [["<= 17", 1], [">= 18", 2]]
    assert analyse(make_table("UNIQUE", ["age"], rows)).gaps == [Gap({"age": "(17..18)"})]
    assert analyse(make_table("UNIQUE", ["age"], rows), {"age": Domain("integer")}).gaps == []


def test_a_domain_range_limits_the_gaps() -> None:
    table = make_table("UNIQUE", ["age"], [["[18..65]", 1]])
    assert analyse(table).gaps == [Gap({"age": "< 18, > 65"})]
    assert analyse(table, {"age": Domain("integer", low=18, high=65)}).gaps == []


def test_gaps_are_not_reported_when_no_match_is_not_null() -> None:
    rows = [["< 18", 1]]
    assert analyse(make_table("COLLECT", ["age"], rows)).gaps == []
    assert analyse(make_table("C#", ["age"], rows)).gaps == []
    assert analyse(make_table("UNIQUE", ["age"], rows, default="0")).gaps == []
    assert analyse(make_table("C+", ["age"], rows)).gaps == [Gap({"age": ">= 18"})]


def test_first_table_reports_rows_hidden_by_earlier_rows() -> None:
    table = make_table("FIRST", ["age", "status"],
                       [["< 18", "-", 1], ["-", "-", 2], [">= 65", '"gold"', 3], ["< 10", '"gold"', 4]])
    assert analyse(table).unreachable == [3, 4]


def test_rows_that_can_never_match_are_reported() -> None:
    table = make_table("FIRST", [("tier", '"gold", "silver"'), "n"],
                       [['"platinum"', "-", 1], ["-", "[10..1]", 2], ["-", "-", 3]])
    assert analyse(table).never_match == [(1, "tier"), (2, "n")]


def test_any_table_reports_overlapping_rows_with_different_outputs() -> None:
    table = make_table("ANY", ["age"], [[">= 18", '"adult"'], ["> 65", '"senior"'], ["> 70", '"adult"']])
    result = analyse(table)
    assert result.conflicts == [Overlap((1, 2), {"age": "> 65"}), Overlap((2, 3), {"age": "> 70"})]
    assert result.overlaps == []


def test_ordered_string_tests_over_open_strings_are_undecidable() -> None:
    table = make_table("UNIQUE", ["name"], [['< "m"', 1], ['>= "m"', 2]])
    result = analyse(table)
    assert not result.decidable
    assert [p.code for p in result.problems()] == ["table_undecidable"]
    listed = make_table("UNIQUE", [("name", '"a", "z"')], [['< "m"', 1], ['>= "m"', 2]])
    assert analyse(listed).problems() == []


def test_problems_carry_codes_files_and_row_lines() -> None:
    table = make_table("UNIQUE", ["age"], [["< 18", 1], ["[18..65]", 2], [">= 65", 3], ["[10..1]", 4]])
    found = analyse(table).problems()
    assert [(p.code, p.file, p.line) for p in found] == [
        ("table_row_never_matches", "rules/t.table.yaml", 24),
        ("table_overlap", "rules/t.table.yaml", 23),
    ]
    assert found[1].message == "table 't' is UNIQUE but rows 2 and 3 both match when age: 65"


def test_node_validate_uses_knowledge_for_input_domains() -> None:
    from composite.knowledge import Knowledge

    table = make_table("UNIQUE", ["age", "housing"],
                       [["< 25", "-", 1], [">= 25", '"rent"', 2], [">= 25", '"own", "free"', 3]])
    node = DecisionTableNode.for_table(table)
    assert [p.code for p in node.validate()] == ["table_gap"]  # any other housing string
    knowledge = Knowledge.from_mapping({
        "age": {"type": "integer", "range": [18, 99]},
        "housing": {"type": "category", "values": ["rent", "own", "free"]},
    }, file="knowledge/concepts.yaml")
    assert node.validate(knowledge) == []
