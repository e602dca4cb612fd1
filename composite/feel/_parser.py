"""A hand-written recursive-descent parser for DMN 1.5 FEEL expressions and unary tests.

Precedence, loosest first: for/if/some/every/function, or, and, comparison (= != < <= > >=,
between, in, instance of), + -, * /, ** (left-associative, as the TCK reads `3 ** 4 ** 5`),
unary minus, then postfix filter `[..]`, path `.name` and invocation `(..)`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from functools import lru_cache

from composite.errors import CompositeError
from composite.feel import _ast as ast
from composite.feel._lexer import KEYWORDS, Token, is_simple_name, next_token

_COMPARISONS = ("=", "!=", "<", "<=", ">", ">=")
MAX_DEPTH = 40  # nested expressions (about 11 Python frames each): well inside the stack
# Lazy: the name ends at the first place its follower fits (`i in values in a list` defines `i`).
_NEW_NAME = r"((?:[^\W\d]|[_?$])(?:[\w?$'./+*-]|[ \t](?=[ \t]*[\w?$]))*?)"

# Type names that hold spaces; the lexer must know them to read them as one name.
TYPE_NAMES = (
    "days and time duration", "years and months duration", "date and time", "day-time-duration",
    "year-month-duration",
)


@lru_cache(maxsize=1)
def _base_known() -> frozenset[str]:
    from composite.feel import _builtin_names

    return frozenset(n for n in set(_builtin_names()) | set(TYPE_NAMES) if not is_simple_name(n))


class FeelSyntaxError(CompositeError):
    """A FEEL text that does not parse; `line` and `column` (1-based) point at the problem."""

    code = "feel_syntax"


def _line_column(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


def _describe(token: Token) -> str:
    if token.kind == "eof":
        return "the end of the text"
    if token.kind == "string":
        return f'the string "{token.value}"'
    return f"'{token.value}'"


class Parser:
    def __init__(self, text: str, names: Iterable[str]) -> None:
        self.text = text
        self._depth = 0
        self._scopes: list[set[str]] = [set(names)]
        self._known = self._compute_known()
        self.cur = self._lex(0)

    # --- tokens ----------------------------------------------------------------------------
    def _compute_known(self) -> frozenset[str]:
        # Only names a plain identifier would cut short need the lexer's greedy list.
        known = _base_known()
        added = {name for scope in self._scopes for name in scope if name not in known and not is_simple_name(name)}
        return known | added if added else known

    def _lex(self, pos: int) -> Token:
        token = next_token(self.text, pos, self._known)
        if token.kind == "error":
            self._fail(str(token.value), token.start)
        return token

    def advance(self) -> Token:
        token = self.cur
        self.cur = self._lex(token.end)
        return token

    def reset(self, token: Token) -> None:
        self.cur = self._lex(token.start)

    @contextmanager
    def scope(self, names: Iterable[str]) -> Iterator[set[str]]:
        added = set(names)
        self._scopes.append(added)
        self._known = self._compute_known()
        self.cur = self._lex(self.cur.start)  # the next token may start one of the new names
        try:
            yield added
        finally:
            self._scopes.pop()
            self._known = self._compute_known()
            # The current token was read with the inner names; read it again with the outer ones.
            self.cur = self._lex(self.cur.start)

    def declare(self, scope: set[str], name: str) -> None:
        """A name defined mid-scope (a context entry): later entries may use it."""
        if name not in scope:
            scope.add(name)
            self._known = self._compute_known()
            self.cur = self._lex(self.cur.start)

    def is_op(self, *ops: str) -> bool:
        return self.cur.kind == "op" and self.cur.value in ops

    def is_word(self, *words: str) -> bool:
        return self.cur.kind == "name" and self.cur.value in words

    def expect_op(self, op: str, what: str) -> Token:
        if not self.is_op(op):
            self._fail(f"expected '{op}' {what}, found {_describe(self.cur)}", self.cur.start)
        return self.advance()

    def expect_word(self, word: str, what: str) -> Token:
        if not self.is_word(word):
            self._fail(f"expected '{word}' {what}, found {_describe(self.cur)}", self.cur.start)
        return self.advance()

    def _fail(self, message: str, offset: int) -> None:
        line, column = _line_column(self.text, offset)
        raise FeelSyntaxError(
            f"FEEL: {message} (line {line}, column {column})", line=line, column=column,
        )

    def at_end(self) -> None:
        if self.is_op(".."):
            self._fail("a range needs its brackets: write [1..5] (ends included), (1..5) or ]1..5[ "
                       "(ends left out)", self.cur.start)
        if self.cur.kind != "eof":
            self._fail(f"expected an operator or the end of the expression, found {_describe(self.cur)}",
                       self.cur.start)

    # --- expressions -----------------------------------------------------------------------
    def expression(self) -> ast.Node:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                self._fail(f"the expression nests more than {MAX_DEPTH} levels deep here (parentheses, "
                           "lists, contexts, if, calls); split it into named parts", self.cur.start)
            return self._expression()
        finally:
            self._depth -= 1

    def _expression(self) -> ast.Node:
        if self.cur.kind == "name":
            word = self.cur.value
            if word == "if":
                return self._if()
            if word == "for":
                return self._for()
            if word in ("some", "every") and self._next_is_iteration():
                return self._quantified()
            if word == "function" and self._lex(self.cur.end).value == "(":
                return self._function()
        return self._disjunction()

    def _next_is_iteration(self) -> bool:
        after = self._lex(self.cur.end)
        return after.kind == "name" and after.value not in KEYWORDS

    def _if(self) -> ast.Node:
        start = self.advance().start
        condition = self.expression()
        self.expect_word("then", "after the condition of 'if'")
        then = self.expression()
        self.expect_word("else", "after the 'then' branch (FEEL's 'if' always has an 'else')")
        otherwise = self.expression()
        return ast.If(condition, then, otherwise, start=start, end=otherwise.end)

    def _iterations(self, keyword: str) -> tuple[list[ast.Iteration], set[str]]:
        iterations: list[ast.Iteration] = []
        names: set[str] = set()
        while True:
            start = self.cur.start
            name = self._new_name(f"a variable name after '{keyword}'", r"\s+in\b")
            self.expect_word("in", f"after '{name}' in '{keyword}'")
            # Later iterations may range over earlier variables: `for i in 1..3, j in 1..i`.
            with self.scope(names):
                domain = self.expression()
                upper = None
                if self.is_op(".."):
                    self.advance()
                    upper = self.expression()
            iterations.append(ast.Iteration(name, domain, upper, start=start, end=self.cur.start))
            names.add(name)
            if not self.is_op(","):
                return iterations, names
            self.advance()

    def _for(self) -> ast.Node:
        start = self.advance().start
        iterations, names = self._iterations("for")
        self.expect_word("return", "after the iteration contexts of 'for'")
        with self.scope(names | {"partial"}):
            body = self.expression()
        return ast.For(iterations, body, start=start, end=body.end)

    def _quantified(self) -> ast.Node:
        keyword = self.advance()
        iterations, names = self._iterations(str(keyword.value))
        self.expect_word("satisfies", f"after the iteration contexts of '{keyword.value}'")
        with self.scope(names):
            condition = self.expression()
        return ast.Quantified(keyword.value == "every", iterations, condition, start=keyword.start,
                              end=condition.end)

    def _function(self) -> ast.Node:
        start = self.advance().start
        self.expect_op("(", "after 'function'")
        params: list[tuple[str, ast.TypeRef | None]] = []
        while not self.is_op(")"):
            name = self._new_name("a parameter name", r"\s*[,):]")
            kind = None
            if self.is_op(":"):
                self.advance()
                kind = self.type_ref()
            params.append((name, kind))
            if not self.is_op(")"):
                self.expect_op(",", "between parameters")
        self.advance()
        external = False
        if self.is_word("external"):
            self.advance()
            external = True
        with self.scope(name for name, _ in params):
            body = self.expression()
        return ast.FunctionDefinition(params, body, external, start=start, end=body.end)

    def _disjunction(self) -> ast.Node:
        left = self._conjunction()
        while self.is_word("or"):
            self.advance()
            right = self._conjunction()
            left = ast.Logic("or", left, right, start=left.start, end=right.end)
        return left

    def _conjunction(self) -> ast.Node:
        left = self._comparison()
        while self.is_word("and"):
            self.advance()
            right = self._comparison()
            left = ast.Logic("and", left, right, start=left.start, end=right.end)
        return left

    def _comparison(self) -> ast.Node:
        left = self._additive()
        while True:
            if self.is_op(*_COMPARISONS):
                token = self.advance()
                op = str(token.value)
                if op == "=" and self.is_op("=") and self.cur.start == token.end:
                    self._fail("'==' is not FEEL: equality is one '='", token.start)
                right = self._additive()
                left = ast.Comparison(op, left, right, start=left.start, end=right.end)
            elif self.is_word("between"):
                self.advance()
                low = self._additive()
                self.expect_word("and", "between the two ends of 'between'")
                high = self._additive()
                left = ast.Between(left, low, high, start=left.start, end=high.end)
            elif self.is_word("in"):
                self.advance()
                tests = self._in_tests()
                left = ast.In(left, tests, start=left.start, end=tests[-1].end)
            elif self.is_word("instance") and self._lex(self.cur.end).value == "of":
                self.advance()
                self.advance()
                kind = self.type_ref()
                left = ast.InstanceOf(left, kind, start=left.start, end=kind.end)
            else:
                return left

    def _in_tests(self) -> list[ast.Node]:
        if self.is_op("("):
            # `x in (< 5, > 10)` or `x in ("a", "b")`: a parenthesised list of unary tests; a range
            # `(1..5)` does not read that way and is parsed again as a value.
            opening = self.cur
            self.advance()
            try:
                tests = self.positive_tests()
                self.expect_op(")", "after the unary tests of 'in'")
                return tests
            except FeelSyntaxError:
                self.reset(opening)
        return [self.positive_test(expression_level=self._additive)]

    def _additive(self) -> ast.Node:
        left = self._multiplicative()
        while self.is_op("+", "-"):
            op = str(self.advance().value)
            right = self._multiplicative()
            left = ast.Arithmetic(op, left, right, start=left.start, end=right.end)
        return left

    def _multiplicative(self) -> ast.Node:
        left = self._power()
        while self.is_op("*", "/"):
            op = str(self.advance().value)
            right = self._power()
            left = ast.Arithmetic(op, left, right, start=left.start, end=right.end)
        return left

    def _power(self) -> ast.Node:
        left = self._unary()
        while self.is_op("**"):
            self.advance()
            right = self._unary()
            left = ast.Arithmetic("**", left, right, start=left.start, end=right.end)
        return left

    def _unary(self) -> ast.Node:
        if self.is_op("-"):
            start = self.advance().start
            operand = self._unary()
            if isinstance(operand, ast.Literal) and isinstance(operand.value, Decimal):
                return ast.Literal(-operand.value, start=start, end=operand.end)
            return ast.Negate(operand, start=start, end=operand.end)
        return self._postfix(self._primary())

    def _postfix(self, node: ast.Node) -> ast.Node:
        while True:
            if self.is_op("[") and self._opens_filter():
                self.advance()
                with self.scope({"item"}):
                    condition = self.expression()
                end = self.expect_op("]", "to close the filter").end
                node = ast.Filter(node, condition, start=node.start, end=end)
            elif self.is_op("."):
                self.advance()
                name = self._name_words("a name after '.'")
                node = ast.Path(node, name, start=node.start, end=self.cur.start)
            elif self.is_op("("):
                node = self._call(node)
            else:
                return node

    def _opens_filter(self) -> bool:
        # `]1..10[` ends a range with '['; a filter has a condition after its '['.
        after = self._lex(self.cur.end)
        if after.kind == "eof" or (after.kind == "op" and after.value in (",", ")", "]", "}", ":", ".")):
            return False
        return not (after.kind == "name" and after.value in (
            "then", "else", "and", "or", "return", "satisfies", "in", "between", "instance"))

    def _call(self, callee: ast.Node) -> ast.Node:
        self.advance()
        args: list[ast.Node] = []
        named: list[tuple[str, ast.Node]] = []
        while not self.is_op(")"):
            key = self._named_argument()
            if key is not None:
                named.append((key, self.expression()))
            else:
                if named:
                    self._fail("positional and named arguments mixed in one call: name them all",
                               self.cur.start)
                args.append(self.expression())
            if not self.is_op(")"):
                self.expect_op(",", "between arguments")
        end = self.advance().end
        return ast.Call(callee, args, named if named else None, start=callee.start, end=end)

    def _named_argument(self) -> str | None:
        if self.cur.kind != "name" or self.cur.value in KEYWORDS:
            return None
        start = self.cur
        try:
            name = self._name_words("a parameter name")
        except FeelSyntaxError:
            self.reset(start)
            return None
        if self.is_op(":"):
            self.advance()
            return name
        self.reset(start)
        return None

    def _new_name(self, what: str, before: str) -> str:
        """A name being defined (context key, variable, parameter): it may hold `- . / ' + *`,
        which the lexer cannot know yet, so it runs up to what must follow it."""
        match = re.compile(_NEW_NAME + before).match(self.text, self.cur.start)
        if match is None or self.cur.kind != "name" or self.cur.value in KEYWORDS:
            return self._name_words(what)
        name = " ".join(match.group(1).split())
        if name.split()[-1] in KEYWORDS:  # `x in` style text the pattern read too far into
            return self._name_words(what)
        self.cur = self._lex(match.end(1))
        return name

    def _name_words(self, what: str) -> str:
        """A name, its unknown words joined: `Monthly Salary` is one name even when not in scope."""
        if self.cur.kind != "name" or self.cur.value in KEYWORDS:
            self._fail(f"expected {what}, found {_describe(self.cur)}", self.cur.start)
        words = [str(self.advance().value)]
        while self.cur.kind == "name" and self.cur.value not in KEYWORDS:
            words.append(str(self.advance().value))
        return " ".join(words)

    def _primary(self) -> ast.Node:
        token = self.cur
        if token.kind == "number":
            self.advance()
            return ast.Literal(token.value, start=token.start, end=token.end)
        if token.kind == "string":
            self.advance()
            return ast.Literal(token.value, start=token.start, end=token.end)
        if token.kind == "name":
            word = token.value
            if word in ("true", "false"):
                self.advance()
                return ast.Literal(word == "true", start=token.start, end=token.end)
            if word == "null":
                self.advance()
                return ast.Literal(None, start=token.start, end=token.end)
            if word in ("if", "for", "some", "every", "function"):
                return self.expression()
            name = self._name_words("a value")
            return ast.Name(name, start=token.start, end=self.cur.start)
        if token.kind == "op":
            if token.value == "@":
                self.advance()
                literal = self.cur
                if literal.kind != "string":
                    self._fail('expected a string after \'@\' (e.g. @"2024-01-31")', literal.start)
                self.advance()
                return ast.Temporal(str(literal.value), start=token.start, end=literal.end)
            if token.value == "(":
                return self._parenthesis()
            if token.value == "[":
                return self._bracket()
            if token.value == "]":
                return self._interval()
            if token.value == "{":
                return self._context()
            if token.value in ("<", "<=", ">", ">=", "=", "!="):
                # DMN 1.5: `< 10` (and `(=10)`, `(!=10)`) is a range value too.
                op = str(self.advance().value)
                operand = self._additive()
                return _open_range(op, operand, token.start)
        self._fail(f"expected a value, found {_describe(token)}", token.start)
        raise AssertionError  # _fail raised

    def _parenthesis(self) -> ast.Node:
        start = self.advance().start
        inner = self.expression()
        if self.is_op(".."):
            return self._interval_rest(False, inner, start)
        self.expect_op(")", "to close '('")
        return inner

    def _bracket(self) -> ast.Node:
        start = self.advance().start
        items: list[ast.Node] = []
        if self.is_op("]"):
            end = self.advance().end
            return ast.ListLiteral(items, start=start, end=end)
        first = self.expression()
        if self.is_op(".."):
            return self._interval_rest(True, first, start)
        items.append(first)
        while self.is_op(","):
            self.advance()
            items.append(self.expression())
        end = self.expect_op("]", "to close the list").end
        return ast.ListLiteral(items, start=start, end=end)

    def _interval(self) -> ast.Node:
        start = self.advance().start
        low = self.expression()
        return self._interval_rest(False, low, start)

    def _interval_rest(self, start_included: bool, low: ast.Node, start: int) -> ast.Node:
        self.expect_op("..", "between the ends of a range")
        high = self.expression()
        if self.is_op("]"):
            end_included = True
        elif self.is_op(")", "["):
            end_included = False
        else:
            self._fail(f"expected ']', ')' or '[' to close the range, found {_describe(self.cur)}",
                       self.cur.start)
        end = self.advance().end
        return ast.Interval(start_included, low, high, end_included, start=start, end=end)

    def _context(self) -> ast.Node:
        start = self.advance().start
        entries: list[tuple[str, ast.Node]] = []
        with self.scope(()) as defined:
            while not self.is_op("}"):
                if self.cur.kind == "string":
                    key = str(self.advance().value)
                else:
                    key = self._new_name("an entry name or a string", r"\s*:")
                self.expect_op(":", f"after the entry name '{key}'")
                entries.append((key, self.expression()))
                self.declare(defined, key)
                if not self.is_op("}"):
                    self.expect_op(",", "between context entries")
            end = self.cur.end
        self.advance()
        return ast.ContextLiteral(entries, start=start, end=end)

    # --- types -----------------------------------------------------------------------------
    def type_ref(self) -> ast.TypeRef:
        start = self.cur.start
        if self.cur.kind == "name" and self.cur.value in ("function",):
            self.advance()
            name = "function"
        elif self.cur.kind == "name" and self.cur.value == "null":
            self.advance()
            name = "Null"
        else:
            name = self._name_words("a type name")
        ref = ast.TypeRef(name, start=start)
        if self.is_op("<") and name in ("list", "range", "context", "function"):
            self.advance()
            while not self.is_op(">"):
                if name == "context":
                    field = self._name_words("a context entry name")
                    self.expect_op(":", "after the entry name in context<...>")
                    ref.fields.append((field, self.type_ref()))
                else:
                    ref.params.append(self.type_ref())
                if not self.is_op(">"):
                    self.expect_op(",", "between type parameters")
            self.advance()
            if name == "function" and self.is_op("->"):
                self.advance()
                ref.result = self.type_ref()
        ref.end = self.cur.start
        return ref

    # --- unary tests -----------------------------------------------------------------------
    def unary_tests(self) -> list[ast.Node]:
        if self.is_op("-") and self._lex(self.cur.end).kind == "eof":
            token = self.advance()
            return [ast.AnyValue(start=token.start, end=token.end)]
        if self.is_word("not") and self._lex(self.cur.end).value == "(":
            opening = self.cur
            self.advance()
            self.advance()
            tests = self.positive_tests()
            end = self.expect_op(")", "to close 'not('").end
            if self.cur.kind == "eof":
                return [ast.NotTests(tests, start=opening.start, end=end)]
            self.reset(opening)  # `not(x) = y`: an expression that starts with a call of not
        tests = self.positive_tests()
        return tests

    def positive_tests(self) -> list[ast.Node]:
        tests = [self.positive_test()]
        while self.is_op(","):
            self.advance()
            tests.append(self.positive_test())
        return tests

    def positive_test(self, expression_level=None) -> ast.Node:
        if self.is_op(*_COMPARISONS):
            token = self.advance()
            operand = self._additive()
            return ast.UnaryComparison(str(token.value), operand, start=token.start, end=operand.end)
        with self.scope({"?"}):
            node = (expression_level or self.expression)()
        if isinstance(node, ast.Interval):
            return node
        return ast.ExpressionTest(node, _mentions_input(node), start=node.start, end=node.end)


def _open_range(op: str, operand: ast.Node, start: int) -> ast.Node:
    if op in ("<", "<="):
        return ast.Interval(False, None, operand, op == "<=", start=start, end=operand.end, operator=op)
    return ast.Interval(op == ">=", operand, None, False, start=start, end=operand.end, operator=op)


def _mentions_input(node: object) -> bool:
    if isinstance(node, ast.Name):
        return node.name == "?"
    if isinstance(node, list):
        return any(_mentions_input(item) for item in node)
    if isinstance(node, tuple):
        return any(_mentions_input(item) for item in node)
    if isinstance(node, ast.Node):
        return any(_mentions_input(getattr(node, slot)) for slot in type(node).__slots__
                   if slot not in ("start", "end"))
    return False


def too_deep(text: str) -> FeelSyntaxError:
    return FeelSyntaxError(f"FEEL: the expression is too deeply nested or too long a chain of operators "
                           f"to evaluate ({len(text)} characters); split it into named parts", line=1, column=1)


def parse_expression(text: str, names: Iterable[str] = ()) -> ast.Node:
    parser = Parser(text, names)
    try:
        node = parser.expression()
    except RecursionError:  # the caller's stack was already deep
        raise too_deep(text) from None
    parser.at_end()
    return node


def parse_unary_tests(text: str, names: Iterable[str] = ()) -> list[ast.Node]:
    parser = Parser(text, names)
    if parser.cur.kind == "eof":
        parser._fail("expected unary tests (e.g. '< 10', '[1..5]', '\"a\", \"b\"' or '-')", 0)
    try:
        tests = parser.unary_tests()
    except RecursionError:
        raise too_deep(text) from None
    parser.at_end()
    return tests
