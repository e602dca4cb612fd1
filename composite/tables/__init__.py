"""Decision tables: S-FEEL entries, DMN hit policies, file formats and static checks.

    sfeel.py     input entries (unary tests) and output entries, for one value or a column
    table.py     DecisionTable (hit policies, per row and vectorised) and DecisionModel (DMN)
    formats.py   readers for *.table.yaml, *.csv and DMN 1.1-1.5 XML
    analysis.py  overlapping UNIQUE rows, uncovered inputs, rows that never match
"""

from __future__ import annotations

import typing

from composite._lazy import lazy_exports

if typing.TYPE_CHECKING:
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

# public name -> the module that defines it: imported on first use, so that reading one
# module of the package (e.g. a model artifact to explain a decision) does not import the others
_EXPORTS: dict[str, str] = {
    "Aggregation": "composite.tables.table",
    "Analysis": "composite.tables.analysis",
    "Decision": "composite.tables.table",
    "DecisionModel": "composite.tables.table",
    "DecisionTable": "composite.tables.table",
    "Domain": "composite.tables.analysis",
    "HitPolicy": "composite.tables.table",
    "InputData": "composite.tables.table",
    "Rule": "composite.tables.table",
    "TableBatch": "composite.tables.table",
    "TableInput": "composite.tables.table",
    "TableOutput": "composite.tables.table",
    "TableResult": "composite.tables.table",
    "UnaryTests": "composite.tables.sfeel",
    "analyse": "composite.tables.analysis",
    "from_feel": "composite.tables.sfeel",
    "load_dmn": "composite.tables.formats",
    "load_table": "composite.tables.formats",
    "parse_hit_policy": "composite.tables.table",
    "parse_output_entry": "composite.tables.sfeel",
    "parse_unary_tests": "composite.tables.sfeel",
    "read_dmn": "composite.tables.formats",
    "read_table": "composite.tables.formats",
    "read_table_csv": "composite.tables.formats",
    "read_table_yaml": "composite.tables.formats",
    "to_feel": "composite.tables.sfeel",
}

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


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
