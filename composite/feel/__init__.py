"""FEEL, the expression language of DMN 1.5: values, built-in functions and the evaluator.

Text is parsed once by a hand-written parser (never Python's eval) and evaluated per row or over
columns; a runtime problem is null plus a note, a text that does not parse a `FeelSyntaxError`.

>>> from decimal import Decimal
>>> compile_expression("Monthly Salary * 12", names=["Monthly Salary"]).evaluate(
...     {"Monthly Salary": Decimal("1000.10")})
Decimal('12001.20')
>>> compile_unary_tests("< 10, [20..30]").test(Decimal(25))
True
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from composite.feel import _ast
from composite.feel._eval import Compiler, Env, any_test
from composite.feel._parser import FeelSyntaxError, parse_expression, parse_unary_tests

__all__ = ["Expression", "FeelSyntaxError", "UnaryTests", "builtin", "compile_expression",
           "compile_unary_tests"]

# Built-in names with spaces the parser must read as one name even before builtins.py has them.
_SPEC_NAMES = (
    "date and time", "years and months duration", "string length", "upper case", "lower case",
    "substring before", "substring after", "starts with", "ends with", "list contains", "insert before",
    "index of", "distinct values", "get value", "get entries", "context put", "context merge",
    "day of year", "day of week", "month of year", "week of year", "round up", "round down",
    "round half up", "round half down", "string join", "list replace", "met by", "overlaps before",
    "overlaps after", "finished by", "started by", "is defined",
)


def _builtins() -> Mapping[str, Any]:
    try:
        from composite.feel.builtins import BUILTINS
    except ImportError:  # the library lands separately; the language works without it
        return {}
    return BUILTINS


@lru_cache(maxsize=1)
def _builtin_names() -> frozenset[str]:
    return frozenset(_builtins()) | frozenset(_SPEC_NAMES)


def builtin(name: str) -> Any:
    """The built-in function called `name`, or None."""
    return _builtins().get(name)


class Expression:
    """A FEEL expression parsed once; `evaluate` per row, `evaluate_columns` over whole columns."""

    def __init__(self, text: str, node: _ast.Node) -> None:
        self.text = text
        self.node = node
        self._row = Compiler(text).compile(node)
        self._columns: Any = None

    def __repr__(self) -> str:
        return f"Expression({self.text!r})"

    def evaluate(self, scope: Mapping[str, Any], *, notes: list[str] | None = None) -> Any:
        """The value on one row of FEEL values; a runtime problem gives None and a note in `notes`."""
        return self._row(Env(scope, None, notes))

    def evaluate_columns(self, columns: Mapping[str, Any], *, notes: list[str] | None = None) -> list[Any]:
        """The value on every row of `columns` (name -> sequence, numpy array or pandas Series).

        Plain Python values are read as FEEL values (ints and floats as decimals). The answer is the
        list of FEEL values `evaluate` would give row by row: numbers, booleans and strings are
        computed a column at a time, anything else row by row for that part of the expression.
        """
        from composite.feel._vector import evaluate_columns

        if self._columns is None:
            from composite.feel._vector import VectorCompiler

            self._columns = VectorCompiler(self.text).compile(self.node)
        return evaluate_columns(self._columns, columns, notes)


class UnaryTests:
    """DMN unary tests (`< 5, [10..20]`, `-`, `not("a")`, `? > x`) parsed once."""

    def __init__(self, text: str, tests: list[_ast.Node]) -> None:
        self.text = text
        self.nodes = tests
        compiler = Compiler(text)
        self._tests = [compiler.compile_test(test) for test in tests]

    def __repr__(self) -> str:
        return f"UnaryTests({self.text!r})"

    def test(self, value: Any, scope: Mapping[str, Any] | None = None, *,
             notes: list[str] | None = None) -> bool | None:
        """Whether `value` passes: True, False, or None when a test cannot tell (a type mismatch)."""
        return any_test(self._tests, value, Env(scope or {}, None, notes))


def compile_expression(text: str, *, names: Iterable[str] = ()) -> Expression:
    """Parse a FEEL expression; `names` are the names in scope (needed for names with spaces)."""
    return Expression(text, parse_expression(text, names))


def compile_unary_tests(text: str, *, names: Iterable[str] = ()) -> UnaryTests:
    """Parse DMN unary tests (an input entry of a decision table)."""
    return UnaryTests(text, parse_unary_tests(text, names))
