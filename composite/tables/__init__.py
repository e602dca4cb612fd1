"""Decision tables: S-FEEL entries, DMN hit policies, file formats and static checks.

    sfeel.py     input entries (unary tests) and output entries, for one value or a column
    table.py     DecisionTable (hit policies, per row and vectorised) and DecisionModel (DMN)
    formats.py   readers for *.table.yaml, *.csv and DMN 1.1-1.5 XML
    analysis.py  overlapping UNIQUE rows, uncovered inputs, rows that never match
"""

from __future__ import annotations

from composite.tables.analysis import Analysis, Domain, analyse
from composite.tables.formats import load_dmn, load_table, read_dmn, read_table, read_table_csv, read_table_yaml
from composite.tables.sfeel import UnaryTests, from_feel, parse_output_entry, parse_unary_tests, to_feel
from composite.tables.table import (
    Aggregation,
    Decision,
    DecisionModel,
    DecisionTable,
    HitPolicy,
    InputData,
    Rule,
    TableBatch,
    TableInput,
    TableOutput,
    TableResult,
    parse_hit_policy,
)

__all__ = [
    "Aggregation",
    "Analysis",
    "Decision",
    "DecisionModel",
    "DecisionTable",
    "Domain",
    "HitPolicy",
    "InputData",
    "Rule",
    "TableBatch",
    "TableInput",
    "TableOutput",
    "TableResult",
    "UnaryTests",
    "analyse",
    "from_feel",
    "load_dmn",
    "load_table",
    "parse_hit_policy",
    "parse_output_entry",
    "parse_unary_tests",
    "read_dmn",
    "read_table",
    "read_table_csv",
    "read_table_yaml",
    "to_feel",
]
