"""Rule text: `service is very good and food is not rancid`, parsed into the rule model.

Two dialects. Ours ("strict") refuses to mix `and` with `or` without parentheses, because
readers disagree on what that means; FuzzyLite's gives `and` precedence over `or`, as its
documentation says. `format_antecedent` writes a rule back so that either dialect reads it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from composite.fuzzy.model import HEDGES, And, Consequent, Expr, Not, Or, Proposition

__all__ = ["RuleSyntaxError", "format_antecedent", "format_consequents", "parse_antecedent", "parse_consequents",
           "parse_fll_rule"]

Dialect = Literal["strict", "fuzzylite"]
KEYWORDS = frozenset({"if", "then", "with", "is", "and", "or", *HEDGES})

_TOKEN = re.compile(r"\s*(?:(?P<paren>[()])|(?P<number>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?(?![\w.]))"
                    r"|(?P<word>[A-Za-z_][\w.]*)|(?P<bad>\S))")


class RuleSyntaxError(ValueError):
    """A rule that does not parse; `column` is 1-based within the rule text."""

    def __init__(self, message: str, column: int) -> None:
        super().__init__(message)
        self.message = message
        self.column = column


@dataclass(frozen=True)
class _Token:
    kind: str  # paren, number, word, end
    text: str
    column: int  # 1-based


def _tokens(text: str) -> list[_Token]:
    tokens = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            break
        kind = match.lastgroup or "end"
        value = match.group(kind)
        column = match.start(kind) + 1
        if kind == "bad":
            raise RuleSyntaxError(f"unexpected character '{value}'", column)
        tokens.append(_Token(kind, value, column))
        pos = match.end()
    tokens.append(_Token("end", "", len(text) + 1))
    return tokens


class _Parser:
    def __init__(self, text: str, dialect: Dialect) -> None:
        self.text = text
        self.dialect = dialect
        self.tokens = _tokens(text)
        self.pos = 0

    @property
    def current(self) -> _Token:
        return self.tokens[self.pos]

    def advance(self) -> _Token:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def at(self, word: str) -> bool:
        return self.current.kind == "word" and self.current.text == word

    def expect_word(self, word: str, context: str) -> None:
        if not self.at(word):
            raise RuleSyntaxError(f"expected '{word}' {context}, found {self.describe(self.current)}",
                                  self.current.column)
        self.advance()

    @staticmethod
    def describe(token: _Token) -> str:
        return "the end of the rule" if token.kind == "end" else f"'{token.text}'"

    def name(self, what: str) -> str:
        token = self.current
        if token.kind != "word" or token.text in KEYWORDS:
            raise RuleSyntaxError(f"expected {what}, found {self.describe(token)}", token.column)
        self.advance()
        return token.text

    # expression := strict: unary (and unary)* | unary (or unary)* ; fuzzylite: and binds tighter
    def expression(self) -> Expr:
        if self.dialect == "fuzzylite":
            return self.disjunction()
        first = self.unary()
        if not (self.at("and") or self.at("or")):
            return first
        operator = self.current.text
        operands = [first]
        while self.at("and") or self.at("or"):
            token = self.advance()
            if token.text != operator:
                raise RuleSyntaxError(
                    f"'{operator}' and '{token.text}' are mixed without parentheses; say which binds first, "
                    f"e.g. (a is x {operator} b is y) {token.text} c is z", token.column)
            operands.append(self.unary())
        return And(tuple(operands)) if operator == "and" else Or(tuple(operands))

    def disjunction(self) -> Expr:
        operands = [self.conjunction()]
        while self.at("or"):
            self.advance()
            operands.append(self.conjunction())
        return operands[0] if len(operands) == 1 else Or(tuple(operands))

    def conjunction(self) -> Expr:
        operands = [self.unary()]
        while self.at("and"):
            self.advance()
            operands.append(self.unary())
        return operands[0] if len(operands) == 1 else And(tuple(operands))

    def unary(self) -> Expr:
        token = self.current
        if token.kind == "paren" and token.text == "(":
            self.advance()
            inner = self.expression()
            if not (self.current.kind == "paren" and self.current.text == ")"):
                raise RuleSyntaxError(f"expected ')' to close the '(' at column {token.column}, found "
                                      f"{self.describe(self.current)}", self.current.column)
            self.advance()
            return inner
        if self.at("not") and self.dialect == "strict":
            self.advance()
            return Not(self.unary())
        return self.proposition()

    def proposition(self) -> Proposition:
        variable = self.name("a variable name")
        self.expect_word("is", f"after '{variable}'")
        hedges = []
        while self.current.kind == "word" and self.current.text in HEDGES:
            hedges.append(self.advance().text)
            if hedges[-1] == "any":  # `x is any` holds whatever x is: no term follows
                return Proposition(variable, "", tuple(hedges))
        term = self.name(f"a term of '{variable}'")
        return Proposition(variable, term, tuple(hedges))

    def consequents(self) -> tuple[Consequent, ...]:
        result = []
        while True:
            variable = self.name("an output variable name")
            self.expect_word("is", f"after '{variable}'")
            hedges = []
            while self.current.kind == "word" and self.current.text in HEDGES:
                if self.current.text == "any":
                    raise RuleSyntaxError("'any' cannot modify a consequent", self.current.column)
                hedges.append(self.advance().text)
            term = self.name(f"a term of '{variable}'")
            result.append(Consequent(variable, term, tuple(hedges)))
            if not self.at("and"):
                return tuple(result)
            self.advance()

    def end(self) -> None:
        if self.current.kind != "end":
            token = self.current
            hint = ""
            if token.kind == "paren" and token.text == ")":
                hint = " (a ')' without its '(')"
            raise RuleSyntaxError(f"unexpected {self.describe(token)}{hint}", token.column)


def parse_antecedent(text: str, *, dialect: Dialect = "strict") -> Expr:
    """Parse the condition of a rule.

    >>> expr = parse_antecedent("service is very good and food is not rancid")
    >>> expr.operands[0]
    Proposition(variable='service', term='good', hedges=('very',))
    >>> expr.operands[1]
    Proposition(variable='food', term='rancid', hedges=('not',))
    """
    parser = _Parser(text, dialect)
    if parser.current.kind == "end":
        raise RuleSyntaxError("the condition is empty", 1)
    expr = parser.expression()
    parser.end()
    return expr


def parse_consequents(text: str) -> tuple[Consequent, ...]:
    """Parse `affordability is poor` (several joined by `and`)."""
    parser = _Parser(text, "strict")
    result = parser.consequents()
    parser.end()
    return result


def parse_fll_rule(text: str) -> tuple[Expr, tuple[Consequent, ...], float]:
    """Parse a FuzzyLite rule: `if <antecedent> then <consequents> [with <weight>]`."""
    parser = _Parser(text, "fuzzylite")
    parser.expect_word("if", "at the start of the rule")
    antecedent = parser.expression()
    parser.expect_word("then", "after the condition")
    consequents = parser.consequents()
    weight = 1.0
    if parser.at("with"):
        parser.advance()
        token = parser.current
        if token.kind != "number":
            raise RuleSyntaxError(f"expected a weight after 'with', found {parser.describe(token)}", token.column)
        parser.advance()
        weight = float(token.text)
    parser.end()
    return antecedent, consequents, weight


def format_antecedent(expr: Expr, *, top: bool = True) -> str:
    """Rule text that reads back to `expr` in both dialects (every mixed group parenthesised)."""
    if isinstance(expr, Proposition):
        return " ".join([expr.variable, "is", *expr.hedges, *([expr.term] if expr.term else [])])
    if isinstance(expr, Not):
        return f"not {format_antecedent(expr.operand, top=False)}"
    word = " and " if isinstance(expr, And) else " or "
    text = word.join(format_antecedent(e, top=False) for e in expr.operands)
    return text if top else f"({text})"


def format_consequents(consequents: tuple[Consequent, ...]) -> str:
    return " and ".join(" ".join([c.variable, "is", *c.hedges, c.term]) for c in consequents)
