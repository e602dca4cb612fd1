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
from composite.feel._eval import Compiler, Env, TypeResolver, any_test
from composite.feel._parser import FeelSyntaxError, parse_expression, parse_unary_tests, too_deep

__all__ = ["Expression", "FeelSyntaxError", "UnaryTests", "builtin", "compile_expression",
           "compile_unary_tests", "free_names"]

@lru_cache(maxsize=1)
def _builtins() -> Mapping[str, Any]:
    from composite.feel.builtins import BUILTINS

    return BUILTINS


@lru_cache(maxsize=1)
def _builtin_names() -> frozenset[str]:
    """The built-ins' names: the parser reads `string length` or `date and time` as one name."""
    return frozenset(_builtins())


def builtin(name: str) -> Any:
    """The built-in function called `name`, or None."""
    return _builtins().get(name)


class Expression:
    """A FEEL expression parsed once; `evaluate` per row, `evaluate_columns` over whole columns."""

    def __init__(self, text: str, node: _ast.Node, types: TypeResolver | None = None) -> None:
        self.text = text
        self.node = node
        self._types = types
        try:
            self._row = Compiler(text, types).compile(node)
        except RecursionError:  # a chain of thousands of operators: a located error, not a crash
            raise too_deep(text) from None
        self._columns: Any = None

    def __repr__(self) -> str:
        return f"Expression({self.text!r})"

    @property
    def free_names(self) -> frozenset[str]:
        """The names the expression reads from its scope (built-in functions and the names it
        defines itself, like `for` variables, parameters and context entries, left out)."""
        return free_names(self.node)

    def evaluate(self, scope: Mapping[str, Any], *, notes: list[str] | None = None) -> Any:
        """The value on one row of FEEL values; a runtime problem gives None and a note in `notes`."""
        try:
            return self._row(Env(scope, None, notes))
        except RecursionError:  # a user function calling itself without end
            if notes is not None:
                notes.append(f"{self.text[:60]}: recursion too deep (a function that never stops calling "
                             "itself?) -> null")
            return None

    def evaluate_columns(self, columns: Mapping[str, Any], *, notes: list[str] | None = None) -> list[Any]:
        """The value on every row of `columns` (name -> sequence, numpy array or pandas Series).

        Plain Python values are read as FEEL values (ints and floats as decimals). The answer is the
        list of FEEL values `evaluate` would give row by row: numbers, booleans and strings are
        computed a column at a time, anything else row by row for that part of the expression.
        """
        from composite.feel._vector import evaluate_columns

        if self._columns is None:
            from composite.feel._vector import VectorCompiler

            self._columns = VectorCompiler(self.text, self._types).compile(self.node)  # parsed: cannot be deeper
        return evaluate_columns(self._columns, columns, notes, _names_read(self.node))


def _names_read(node: Any) -> frozenset[str]:
    """Every name the text mentions, bound inside it or not, built-in or not."""
    found: set[str] = set()
    _collect(node, frozenset(), found)
    return frozenset(found)


def free_names(node: Any, bound: frozenset[str] = frozenset()) -> frozenset[str]:
    """The names `node` reads that nothing inside it defines, minus the built-ins not shadowed."""
    found: set[str] = set()
    _collect(node, bound, found)
    return frozenset(name for name in found if builtin(name) is None)


def _collect(node: Any, bound: frozenset[str], found: set[str]) -> None:
    if isinstance(node, list | tuple):
        for item in node:
            _collect(item, bound, found)
        return
    if not isinstance(node, _ast.Node):
        return
    if isinstance(node, _ast.Name):
        if node.name not in bound:
            found.add(node.name)
        return
    if isinstance(node, _ast.For | _ast.Quantified):
        inner = bound | {"partial"} if isinstance(node, _ast.For) else bound
        for iteration in node.iterations:
            _collect([iteration.domain, iteration.upper], inner, found)
            inner = inner | {iteration.name}
        _collect(node.body if isinstance(node, _ast.For) else node.condition, inner, found)
        return
    if isinstance(node, _ast.FunctionDefinition):
        _collect(node.body, bound | {name for name, _ in node.params}, found)
        return
    if isinstance(node, _ast.ContextLiteral):
        inner = bound
        for key, value in node.entries:
            _collect(value, inner, found)
            inner = inner | {key}
        return
    if isinstance(node, _ast.Filter):
        _collect(node.target, bound, found)
        names: set[str] = set()
        _collect(node.condition, bound | {"item"}, names)
        # Inside a filter a bare name may be an entry of the items: it is read only if no item has it.
        found |= names
        return
    if isinstance(node, _ast.ExpressionTest):
        _collect(node.expression, bound | {"?"}, found)
        return
    if isinstance(node, _ast.TypeRef):
        return
    for slot in type(node).__slots__:
        if slot not in ("start", "end"):
            _collect(getattr(node, slot), bound, found)


class UnaryTests:
    """DMN unary tests (`< 5, [10..20]`, `-`, `not("a")`, `? > x`) parsed once."""

    def __init__(self, text: str, tests: list[_ast.Node], types: TypeResolver | None = None) -> None:
        self.text = text
        self.nodes = tests
        self._types = types
        self._columns: Any = None
        compiler = Compiler(text, types)
        try:
            self._tests = [compiler.compile_test(test) for test in tests]
        except RecursionError:
            raise too_deep(text) from None

    def __repr__(self) -> str:
        return f"UnaryTests({self.text!r})"

    @property
    def free_names(self) -> frozenset[str]:
        """The names the tests read from their scope (the input `?` left out)."""
        return free_names(self.nodes, frozenset({"?"}))

    def test(self, value: Any, scope: Mapping[str, Any] | None = None, *,
             notes: list[str] | None = None) -> bool | None:
        """Whether `value` passes: True, False, or None when a test cannot tell (a type mismatch)."""
        return any_test(self._tests, value, Env(scope or {}, None, notes))

    def test_columns(self, values: Any, columns: Mapping[str, Any] | None = None, *,
                     notes: list[str] | None = None) -> list[bool | None]:
        """`test` on every row: `values` is the input column, `columns` the other names' columns."""
        from composite.feel._vector import VectorCompiler, evaluate_columns

        given = dict(columns or {})
        given["?"] = values
        if self._columns is None:
            positive = self.nodes[0].tests if isinstance(self.nodes[0], _ast.NotTests) else self.nodes
            if isinstance(positive[0], _ast.AnyValue):
                node: _ast.Node = _ast.Literal(True, start=0, end=len(self.text))
            else:
                node = _ast.In(_ast.Name("?", start=0, end=0), positive, start=0, end=len(self.text))
            self._columns = VectorCompiler(self.text, self._types).compile(node)
        result = evaluate_columns(self._columns, given, notes, _names_read(self.nodes) | {"?"})
        if isinstance(self.nodes[0], _ast.NotTests):
            return [None if r is None else not r for r in result]
        return result


def compile_expression(text: str, *, names: Iterable[str] = (), types: TypeResolver | None = None) -> Expression:
    """Parse a FEEL expression; `names` are the names in scope (needed for names with spaces).

    `types(name)` answers the model's own type names for `instance of` and typed parameters (DMN
    item definitions): a test of a value, or None for a name it does not know.
    """
    return Expression(text, parse_expression(text, names), types)


def compile_unary_tests(text: str, *, names: Iterable[str] = (), types: TypeResolver | None = None) -> UnaryTests:
    """Parse DMN unary tests (an input entry of a decision table)."""
    return UnaryTests(text, parse_unary_tests(text, names), types)
