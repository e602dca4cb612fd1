"""FuzzyLite `Function` formulas (`lt(x, 0.5) * x + sin(speed)`), parsed into a tree and never eval'd.

Arithmetic (+ - * / % ^ **), unary - + and ! (logical not), `and`/`or`, comparisons as functions
(gt ge lt le eq neq), fuzzylite's math functions and the constants pi and e; names are variables.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Mapping, Union

import numpy as np

__all__ = ["Formula", "FormulaError", "parse_formula"]


class FormulaError(ValueError):
    """A formula that does not parse; `column` is 1-based within the formula."""

    def __init__(self, message: str, column: int) -> None:
        super().__init__(f"{message} (column {column})")
        self.message = message
        self.column = column


def _eq(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.where((a == b) | (np.isnan(a) & np.isnan(b)), 1.0, 0.0)


# name -> (arity, function): fuzzylite's FunctionFactory, comparisons giving 1.0 or 0.0
_FUNCTIONS: dict[str, tuple[int, Callable[..., np.ndarray]]] = {
    "gt": (2, lambda a, b: np.where(a > b, 1.0, 0.0)),
    "ge": (2, lambda a, b: np.where((a >= b) | (np.isnan(a) & np.isnan(b)), 1.0, 0.0)),
    "lt": (2, lambda a, b: np.where(a < b, 1.0, 0.0)),
    "le": (2, lambda a, b: np.where((a <= b) | (np.isnan(a) & np.isnan(b)), 1.0, 0.0)),
    "eq": (2, _eq),
    "neq": (2, lambda a, b: 1.0 - _eq(a, b)),
    "min": (2, np.fmin),
    "max": (2, np.fmax),
    "pow": (2, np.float_power),
    "acos": (1, np.arccos), "asin": (1, np.arcsin), "atan": (1, np.arctan),
    "ceil": (1, np.ceil), "cos": (1, np.cos), "cosh": (1, np.cosh), "exp": (1, np.exp),
    "abs": (1, np.abs), "fabs": (1, np.abs), "floor": (1, np.floor), "log": (1, np.log),
    "log10": (1, np.log10), "round": (1, np.round), "sin": (1, np.sin), "sinh": (1, np.sinh),
    "sqrt": (1, np.sqrt), "tan": (1, np.tan), "tanh": (1, np.tanh), "log1p": (1, np.log1p),
    "acosh": (1, np.arccosh), "asinh": (1, np.arcsinh), "atanh": (1, np.arctanh),
}
_CONSTANTS = {"pi": float(np.pi), "e": float(np.e)}

# binary operators: precedence (higher binds tighter), right-associative?, function
_BINARY: dict[str, tuple[int, bool, Callable[[np.ndarray, np.ndarray], np.ndarray]]] = {
    "or": (1, False, lambda a, b: np.where((a != 0) | (b != 0), 1.0, 0.0)),
    "and": (2, False, lambda a, b: np.where((a != 0) & (b != 0), 1.0, 0.0)),
    "+": (3, False, np.add),
    "-": (3, False, np.subtract),
    "*": (4, False, np.multiply),
    "/": (4, False, np.true_divide),
    "%": (4, False, np.remainder),
    "^": (6, True, np.float_power),
    "**": (6, True, np.float_power),
}
_UNARY_PRECEDENCE = 5  # -x^2 is -(x^2), as in fuzzylite and in mathematics

_TOKEN = re.compile(r"\s*(?:(?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)|(?P<name>[A-Za-z_][\w.]*)"
                    r"|(?P<op>\*\*|[-+*/%^(),!~])|(?P<bad>\S))")


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    column: int


@dataclass(frozen=True)
class _Number:
    value: float


@dataclass(frozen=True)
class _Name:
    name: str


@dataclass(frozen=True)
class _Call:
    function: str
    arguments: tuple["_Node", ...]


@dataclass(frozen=True)
class _Binary:
    operator: str
    left: "_Node"
    right: "_Node"


@dataclass(frozen=True)
class _Unary:
    operator: str
    operand: "_Node"


_Node = Union[_Number, _Name, _Call, _Binary, _Unary]


def _tokens(text: str) -> list[_Token]:
    tokens = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            break
        kind = match.lastgroup or "end"
        column = match.start(kind) + 1
        if kind == "bad":
            raise FormulaError(f"unexpected character '{match.group(kind)}'", column)
        value = match.group(kind)
        if kind == "name" and value in ("and", "or"):
            kind = "op"
        tokens.append(_Token(kind, value, column))
        pos = match.end()
    tokens.append(_Token("end", "", len(text) + 1))
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.pos = 0

    @property
    def current(self) -> _Token:
        return self.tokens[self.pos]

    def advance(self) -> _Token:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def expect(self, text: str, context: str) -> None:
        if self.current.text != text or self.current.kind != "op":
            found = "the end" if self.current.kind == "end" else f"'{self.current.text}'"
            raise FormulaError(f"expected '{text}' {context}, found {found}", self.current.column)
        self.advance()

    def expression(self, minimum: int = 0) -> _Node:
        left = self.unary()
        while self.current.kind == "op" and self.current.text in _BINARY:
            precedence, right_assoc, _ = _BINARY[self.current.text]
            if precedence < minimum:
                break
            operator = self.advance().text
            right = self.expression(precedence if right_assoc else precedence + 1)
            left = _Binary(operator, left, right)
        return left

    def unary(self) -> _Node:
        token = self.current
        if token.kind == "op" and token.text in ("-", "+", "!", "~"):
            self.advance()
            return _Unary(token.text, self.expression(_UNARY_PRECEDENCE))
        return self.primary()

    def primary(self) -> _Node:
        token = self.advance()
        if token.kind == "number":
            return _Number(float(token.text))
        if token.kind == "name":
            if self.current.kind == "op" and self.current.text == "(":
                if token.text not in _FUNCTIONS:
                    raise FormulaError(f"unknown function '{token.text}'; known: {', '.join(sorted(_FUNCTIONS))}",
                                       token.column)
                self.advance()
                arguments = [self.expression()]
                while self.current.kind == "op" and self.current.text == ",":
                    self.advance()
                    arguments.append(self.expression())
                self.expect(")", f"to close '{token.text}('")
                arity = _FUNCTIONS[token.text][0]
                if len(arguments) != arity:
                    raise FormulaError(f"'{token.text}' takes {arity} argument(s), got {len(arguments)}", token.column)
                return _Call(token.text, tuple(arguments))
            return _Name(token.text)
        if token.kind == "op" and token.text == "(":
            inner = self.expression()
            self.expect(")", f"to close the '(' at column {token.column}")
            return inner
        found = "the end of the formula" if token.kind == "end" else f"'{token.text}'"
        raise FormulaError(f"expected a number, a name or '(', found {found}", token.column)


Environment = Mapping[str, "np.ndarray | float"]


class Formula:
    """A parsed formula: `evaluate(env)` gives numpy values; `names` are the variables it reads."""

    def __init__(self, text: str) -> None:
        parser = _Parser(text)
        if parser.current.kind == "end":
            raise FormulaError("the formula is empty", 1)
        self.text = text
        self._root = parser.expression()
        if parser.current.kind != "end":
            raise FormulaError(f"unexpected '{parser.current.text}'", parser.current.column)
        names: set[str] = set()
        _collect(self._root, names)
        self.names = frozenset(names - set(_CONSTANTS))

    def evaluate(self, env: Environment) -> np.ndarray:
        """The formula's value; a name missing from `env` is nan (fuzzylite fails; we flag it at load)."""
        with np.errstate(all="ignore"):
            return np.asarray(_evaluate(self._root, env), dtype=np.float64)


def _collect(node: _Node, names: set[str]) -> None:
    if isinstance(node, _Name):
        names.add(node.name)
    elif isinstance(node, _Call):
        for argument in node.arguments:
            _collect(argument, names)
    elif isinstance(node, _Binary):
        _collect(node.left, names)
        _collect(node.right, names)
    elif isinstance(node, _Unary):
        _collect(node.operand, names)


def _evaluate(node: _Node, env: Environment) -> np.ndarray:
    if isinstance(node, _Number):
        return np.float64(node.value)
    if isinstance(node, _Name):
        if node.name in env:
            return np.asarray(env[node.name], dtype=np.float64)
        return np.float64(_CONSTANTS.get(node.name, np.nan))
    if isinstance(node, _Call):
        return _FUNCTIONS[node.function][1](*(_evaluate(a, env) for a in node.arguments))
    if isinstance(node, _Binary):
        return _BINARY[node.operator][2](_evaluate(node.left, env), _evaluate(node.right, env))
    value = _evaluate(node.operand, env)
    if node.operator == "-" or node.operator == "~":
        return np.negative(value)
    if node.operator == "!":
        return np.where(value == 0, 1.0, 0.0)
    return value


def parse_formula(text: str) -> Formula:
    """Parse `text`, raising FormulaError with the column of the first problem.

    >>> parse_formula("lt(x, 0.5) * 2 * x + -1").evaluate({"x": 0.25}).item()
    -0.5
    >>> sorted(parse_formula("fabs(a - b) / pi").names)
    ['a', 'b']
    """
    return Formula(text)
