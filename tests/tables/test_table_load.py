"""Issue 9, item 8: loading a decision table is linear in its rows.

A 20,000-row generated table loads (before the fix, the distinct-entry scan made this take minutes)
and decides from its first, middle and last rows, one row at a time and column-wise; entries
written on many rows are still shared, tested once per decision. Values only: no test asserts a
time (benchmarks/table_load.py reports the times).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from composite.errors import ProjectError
from composite.tables import DecisionTable, read_table_csv, read_table_yaml

ROWS = 20_000
GRADES = ("A", "B", "C", "D")


def big_table_csv(rows: int) -> str:
    lines = ["# hit_policy: FIRST", "score, grade, -> points, -> band"]
    lines += [f"[{i}..{i + 1}), '{GRADES[i % 4]}', {i}, '{GRADES[i % 4]}{i % 10}'" for i in range(rows)]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def big_table():
    return read_table_csv(big_table_csv(ROWS), file="rules/big.csv")


def test_a_20000_row_table_loads_and_decides_from_any_row(big_table):
    assert len(big_table.rules) == ROWS
    for i in (0, 1, ROWS // 2, ROWS - 1):
        result = big_table.evaluate({"score": i + 0.25, "grade": GRADES[i % 4]})
        assert result.outputs == {"points": i, "band": f"{GRADES[i % 4]}{i % 10}"}
    assert big_table.evaluate({"score": 7.5, "grade": "A"}).value is None  # row 7 wants grade D
    scores = np.array([0.5, 10_000.0, ROWS - 0.5, ROWS + 1.0])
    grades = np.array([GRADES[0], GRADES[10_000 % 4], GRADES[(ROWS - 1) % 4], "A"], dtype=object)
    batch = big_table.evaluate_batch({"score": scores, "grade": grades}, 4)
    assert batch.output("points").to_array().tolist() == [0, 10_000, ROWS - 1, None]


def test_entries_written_on_many_rows_are_shared(big_table):
    # 20,000 distinct score ranges, but only four distinct grade entries
    assert len(big_table._distinct[0]) == ROWS
    assert [entry.text for entry in big_table._distinct[1]] == [f"'{g}'" for g in GRADES]
    grade_refs = {index for refs in big_table._refs for position, index in refs if position == 1}
    assert grade_refs == {0, 1, 2, 3}


class CountingText(str):
    """Entry text that counts how often it is compared: the measure of the work of loading."""

    comparisons = 0

    def __eq__(self, other: object) -> bool:
        CountingText.comparisons += 1
        return str.__eq__(self, other)

    __hash__ = str.__hash__


def test_loading_compares_entries_a_number_of_times_linear_in_the_rows():
    rows = 2_000
    table = read_table_csv(big_table_csv(rows), file="rules/big.csv")
    counted = [dataclasses.replace(rule, inputs=tuple(dataclasses.replace(entry, text=CountingText(entry.text))
                                                      for entry in rule.inputs)) for rule in table.rules]
    CountingText.comparisons = 0
    again = DecisionTable(table.name, table.inputs, table.outputs, counted, hit_policy=table.hit_policy)
    # a scan of the entries seen so far made ~rows**2 / 2 (two million) comparisons here
    assert CountingText.comparisons <= 2 * rows
    assert again.evaluate({"score": 1_234.5, "grade": GRADES[1_234 % 4]}).outputs["points"] == 1_234


def test_a_large_yaml_table_loads_too():
    rows = "\n".join(f"  - ['[{i}..{i + 1})', {i}]" for i in range(5_000))
    table = read_table_yaml(f"table: t\nhit_policy: UNIQUE\ninputs: [x]\noutputs: [y]\nrules:\n{rows}\n",
                            file="rules/t.table.yaml")
    assert table.evaluate({"x": 4_321.5}).value == 4_321
    assert table.rules[4_321].line == 6 + 4_321


def test_duplicate_outputs_are_still_detected_in_a_large_table():
    text = big_table_csv(2_000).replace("-> points, -> band", "-> points, -> points")
    with pytest.raises(ProjectError) as caught:
        read_table_csv(text, file="rules/big.csv")
    assert any(p.code == "table_duplicate_output" for p in caught.value.problems)


def test_identical_rows_in_a_unique_table_still_conflict_at_decision_time():
    text = "# hit_policy: UNIQUE\nx, -> y\n" + "".join(f"{i}, {i}\n" for i in range(3_000)) + "2999, 0\n"
    table = read_table_csv(text, file="rules/u.csv")
    assert table.evaluate({"x": 17}).value == 17
    assert len(table._distinct[0]) == 3_000  # the repeated entry is one distinct test
    with pytest.raises(Exception) as caught:
        table.evaluate({"x": 2_999})
    assert "UNIQUE" in str(caught.value) or "unique" in str(caught.value).lower()
