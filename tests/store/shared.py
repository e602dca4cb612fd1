"""What several store test files use: a project whose outputs can be inf, -inf and NaN, and an
equality that tells NaN from nothing and an int from a float."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from tests.conftest import write_project

NONFINITE_PROJECT = """
    name: nonfinite
    outputs: [y, w, g]
    nodes:
      - {name: big, kind: expression, writes: {y: a * b, w: 0 - a * b}}
      - {name: gap, kind: expression, writes: {g: y + w}}
"""
NONFINITE_CONCEPTS = """
    concepts:
      a: {type: number}
      b: {type: number}
      x: {type: number, range: [0, 10]}
"""


def nonfinite_project(root: Path) -> Path:
    """y = a*b and w = -a*b overflow to inf and -inf, g = y + w is then NaN; x is an optional input."""
    return write_project(root, NONFINITE_PROJECT, NONFINITE_CONCEPTS)


def same(a: Any, b: Any) -> bool:
    """Equal, where NaN equals NaN and an int is not a float."""
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b
