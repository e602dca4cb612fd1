"""The small project the hostile corpus runs against, and helpers to build, break and count it.

One concept of every type (number, integer, category, boolean, string), required and optional,
read by the three file-backed node kinds a project usually has (an expression, a decision table
from CSV, a fuzzy rule base from YAML), so a bad value or a bad file meets real parsing code.
"""

from __future__ import annotations

import shutil
import sqlite3
import textwrap
from pathlib import Path

from tests.conftest import REPO

COMPOSITE_YAML = """\
name: hostile
version: 1.0.0
outputs: [score, band_points, comfort, label]
nodes:
  - name: arithmetic
    kind: expression
    writes:
      score: amount / 100 + count * 2
      label: |
        if flag then grade else "none"
  - {name: band, kind: table, file: rules/band.csv}
  - {name: comfort_judgement, kind: fuzzy, file: rules/comfort.fuzzy.yaml}
"""
# line of each node entry in COMPOSITE_YAML (1-based), where file errors are reported
NODE_LINE = {"arithmetic": 5, "band": 11, "comfort_judgement": 12}

CONCEPTS_YAML = """\
concepts:
  amount: {type: number, unit: EUR, range: [0, 1000000], description: Amount}
  count: {type: integer, range: [0, 100], description: How many}
  grade: {type: category, values: [a, b, c], description: Grade}
  flag: {type: boolean, description: A flag}
  note: {type: string, required: false, description: A free note}
  level: {type: number, range: [0, 10], required: false, default: 5, description: A level for the fuzzy base}
  score: {type: number, description: Score}
  label: {type: category, values: [a, b, c, none], description: Label}
  band_points: {type: integer, description: Points of the amount band}
  comfort: {type: number, range: [0, 1], description: Comfort}
"""

BAND_CSV = """\
amount, -> band_points
< 1000, 1
[1000..10000), 2
>= 10000, 3
"""

FUZZY_YAML = """\
fuzzy: comfort_judgement
inputs:
  level:
    range: [0, 10]
    resolution: 101
    terms: {low: [trimf, 0, 0, 10], high: [trimf, 0, 10, 10]}
outputs:
  comfort:
    range: [0, 1]
    resolution: 101
    default: 0.5
    terms: {low: [trimf, 0, 0, 1], high: [trimf, 0, 1, 1]}
rules:
  - if: level is low
    then: comfort is low
  - if: level is high
    then: comfort is high
"""

FILES = {
    "composite.yaml": COMPOSITE_YAML,
    "knowledge/concepts.yaml": CONCEPTS_YAML,
    "rules/band.csv": BAND_CSV,
    "rules/comfort.fuzzy.yaml": FUZZY_YAML,
}

GOOD = {"amount": 2500.0, "count": 3, "grade": "b", "flag": True}
# what each request field is, for generating values of the wrong type per concept type
FIELD_TYPES = {"amount": "number", "count": "integer", "grade": "category", "flag": "boolean", "note": "string",
               "level": "number"}
REQUIRED = ("amount", "count", "grade", "flag")


def write_hostile_project(root: Path) -> Path:
    for relative, text in FILES.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def copy_default_project(target: Path) -> Path:
    """The repository's own project, copied so a test may write into it (its store included)."""
    names = ["composite.yaml", "knowledge", "rules", "models", "data", "scenarios"]
    target.mkdir(parents=True, exist_ok=True)
    for name in names:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("__pycache__", ".composite"))
        elif source.is_file():
            shutil.copy2(source, target / name)
    return target


def stored(db: Path) -> int:
    """Decisions in a SQLite store, read with sqlite3 itself (not through the code under test)."""
    if not db.exists():
        return 0
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as connection:
        tables = {row[0] for row in connection.execute("select name from sqlite_master where type = 'table'")}
        if "decisions" not in tables:
            return 0
        return connection.execute("select count(*) from decisions").fetchone()[0]


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip()
