"""FEEL's semantics on one row: the parsed tree compiled once into nested Python closures.

A runtime problem (a type mismatch, division by zero, a missing name) gives null and a note in
the caller's list, as DMN prescribes; it never raises.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from composite.feel import _ast as ast
from composite.feel.values import (
    FEEL_CONTEXT,
    FeelFunction,
    FeelRuntimeError,
    Range,
    feel_add,
    feel_compare,
    feel_divide,
    feel_equal,
    feel_multiply,
    feel_negate,
    feel_power,
    feel_subtract,
    instance_of,
    parse_temporal,
    temporal_property,
    type_name,
)

_MISSING = object()
# Other languages' words for FEEL's constants, named in the note when one is used as a name.
_SPELLING = {"True": " (FEEL writes true)", "False": " (FEEL writes false)", "None": " (FEEL writes null)",
             "TRUE": " (FEEL writes true)", "FALSE": " (FEEL writes false)", "NULL": " (FEEL writes null)",
             "nil": " (FEEL writes null)"}


class Env:
    """One scope level: its values, the enclosing level, and the evaluation's list of notes."""

    __slots__ = ("values", "parent", "notes")

    def __init__(self, values: Mapping[str, Any], parent: Env | None, notes: list[str] | None) -> None:
        self.values = values
        self.parent = parent
        self.notes = notes

    def lookup(self, name: str) -> Any:
        env: Env | None = self
        while env is not None:
            value = env.values.get(name, _MISSING)
            if value is not _MISSING:
                return value
            env = env.parent
        return _MISSING

    def note(self, message: str) -> None:
        if self.notes is not None:
            self.notes.append(message)


RowFn = Callable[[Env], Any]
# A model's own type names (DMN item definitions): name -> a test of a value, or None if unknown.
TypeResolver = Callable[[str], Callable[[Any], bool] | None]


class Compiler:
    """Turns nodes into closures; `text` is kept to quote the failing part in notes."""

    def __init__(self, text: str, types: TypeResolver | None = None) -> None:
        self.text = text
        self.types = types

    def quote(self, node: ast.Node) -> str:
        snippet = " ".join(self.text[node.start:node.end].split())
        return snippet if len(snippet) <= 60 else snippet[:57] + "..."

    def compile(self, node: ast.Node) -> RowFn:
        method = getattr(self, "_" + type(node).__name__)
        return method(node)

    # --- leaves ----------------------------------------------------------------------------
    def _Literal(self, node: ast.Literal) -> RowFn:
        value = node.value
        return lambda env: value

    def _Temporal(self, node: ast.Temporal) -> RowFn:
        quoted = self.quote(node)
        try:
            value = parse_temporal(node.text)
            problem = None
        except FeelRuntimeError as error:
            value, problem = None, f"{quoted}: {error} -> null"

        def temporal(env: Env) -> Any:
            if problem is not None:
                env.note(problem)
            return value

        return temporal

    def _Name(self, node: ast.Name) -> RowFn:
        from composite.feel import builtin

        name = node.name
        function = builtin(name)  # what the name means when no scope level has it

        def lookup(env: Env) -> Any:
            value = env.values.get(name, _MISSING)
            if value is _MISSING:
                value = env.parent.lookup(name) if env.parent is not None else _MISSING
                if value is _MISSING:
                    if function is not None:
                        return function
                    env.note(f"no value named '{name}'{_SPELLING.get(name, '')} -> null")
                    return None
            return value

        return lookup

    # --- operators -------------------------------------------------------------------------
    def _Negate(self, node: ast.Negate) -> RowFn:
        operand = self.compile(node.operand)
        quoted = self.quote(node)

        def negate(env: Env) -> Any:
            value = operand(env)
            if type(value) is Decimal:
                # in decimal128 itself: -x under Python's default context would keep 28 digits
                return FEEL_CONTEXT.minus(value)
            try:
                return feel_negate(value)
            except FeelRuntimeError as error:
                env.note(f"{quoted}: {error} -> null")
                return None

        return negate

    def _Arithmetic(self, node: ast.Arithmetic) -> RowFn:
        left, right = self.compile(node.left), self.compile(node.right)
        operation = ARITHMETIC[node.op]
        decimal_operation = _DECIMAL_OPERATIONS.get(node.op)
        divides = node.op == "/"
        quoted = self.quote(node)

        def arithmetic(env: Env) -> Any:
            a = left(env)
            b = right(env)
            if a is None or b is None:
                return None
            if decimal_operation is not None and type(a) is Decimal and type(b) is Decimal and (
                    b or not divides):
                # the common case without the general dispatch: a finite non-zero result is
                # already what feel_number would make of it (zeros and infinities go the long way)
                result = decimal_operation(a, b)
                if result and result.is_finite():
                    return result
            try:
                return operation(a, b)
            except FeelRuntimeError as error:
                env.note(f"{quoted}: {error} -> null")
                return None

        return arithmetic

    def _Comparison(self, node: ast.Comparison) -> RowFn:
        left, right = self.compile(node.left), self.compile(node.right)
        op = node.op
        quoted = self.quote(node)

        def comparison(env: Env) -> Any:
            a = left(env)
            b = right(env)
            result = compare(op, a, b)
            if result is None and a is not None and b is not None:
                env.note(f"{quoted}: cannot compare {type_name(a)} with {type_name(b)} -> null")
            return result

        return comparison

    def _Logic(self, node: ast.Logic) -> RowFn:
        left, right = self.compile(node.left), self.compile(node.right)
        if node.op == "and":
            def conjunction(env: Env) -> Any:
                a = left(env)
                if a is False:
                    return False
                b = right(env)
                if b is False:
                    return False
                return True if a is True and b is True else None

            return conjunction

        def disjunction(env: Env) -> Any:
            a = left(env)
            if a is True:
                return True
            b = right(env)
            if b is True:
                return True
            return False if a is False and b is False else None

        return disjunction

    def _Between(self, node: ast.Between) -> RowFn:
        value, low, high = self.compile(node.value), self.compile(node.low), self.compile(node.high)

        def between(env: Env) -> Any:
            v = value(env)
            return and3(compare("<=", low(env), v), compare("<=", v, high(env)))

        return between

    def _In(self, node: ast.In) -> RowFn:
        value = self.compile(node.value)
        tests = [self.compile_test(test) for test in node.tests]

        def membership(env: Env) -> Any:
            return any_test(tests, value(env), env)

        return membership

    def _InstanceOf(self, node: ast.InstanceOf) -> RowFn:
        value = self.compile(node.value)
        check = type_check(node.type, self.types)
        quoted = self.quote(node)

        def instance(env: Env) -> Any:
            try:
                return check(value(env))
            except FeelRuntimeError as error:
                env.note(f"{quoted}: {error} -> null")
                return None

        return instance

    def _If(self, node: ast.If) -> RowFn:
        condition, then, otherwise = (self.compile(node.condition), self.compile(node.then),
                                      self.compile(node.otherwise))

        def choose(env: Env) -> Any:
            return then(env) if condition(env) is True else otherwise(env)

        return choose

    def _iterations(self, iterations: list[ast.Iteration]) -> list[tuple[str, RowFn, RowFn | None]]:
        return [(it.name, self.compile(it.domain), self.compile(it.upper) if it.upper else None)
                for it in iterations]

    def _For(self, node: ast.For) -> RowFn:
        iterations = self._iterations(node.iterations)
        body = self.compile(node.body)
        quoted = self.quote(node)

        def loop(env: Env) -> Any:
            results: list[Any] = []
            scope: dict[str, Any] = {"partial": results}
            inner = Env(scope, env, env.notes)
            for ok in bind_iterations(iterations, 0, scope, inner, quoted):
                if not ok:
                    return None
                results.append(body(inner))
            return results

        return loop

    def _Quantified(self, node: ast.Quantified) -> RowFn:
        iterations = self._iterations(node.iterations)
        condition = self.compile(node.condition)
        every = node.every
        quoted = self.quote(node)

        def quantified(env: Env) -> Any:
            scope: dict[str, Any] = {}
            inner = Env(scope, env, env.notes)
            for ok in bind_iterations(iterations, 0, scope, inner, quoted):
                if not ok:
                    return None
                satisfied = condition(inner) is True
                if satisfied != every:
                    return satisfied
            return every

        return quantified

    def _ListLiteral(self, node: ast.ListLiteral) -> RowFn:
        items = [self.compile(item) for item in node.items]
        return lambda env: [item(env) for item in items]

    def _ContextLiteral(self, node: ast.ContextLiteral) -> RowFn:
        entries = [(key, self.compile(value)) for key, value in node.entries]
        quoted = self.quote(node)

        def context(env: Env) -> Any:
            built: dict[str, Any] = {}
            inner = Env(built, env, env.notes)
            for key, value in entries:
                if key in built:
                    env.note(f"{quoted}: the entry '{key}' is defined twice -> null")
                    return None
                built[key] = value(inner)
            return built

        return context

    def _Interval(self, node: ast.Interval) -> RowFn:
        low = self.compile(node.low) if node.low is not None else None
        high = self.compile(node.high) if node.high is not None else None
        start_included, end_included = node.start_included, node.end_included
        quoted = self.quote(node)
        if node.operator is not None:
            operand = low or high
            operator = node.operator

            def comparison(env: Env) -> Any:
                value = operand(env)
                return None if value is None else Range.comparison(operator, value)

            return comparison

        def interval(env: Env) -> Any:
            a = low(env) if low else None
            b = high(env) if high else None
            if (low is not None and a is None) or (high is not None and b is None):
                # a null end makes no range: `5 in [1..null)` is null and `(null..10)` is not `< 10`
                # (TCK 0068, 0072); `< 10` writes an open one
                return None
            if a is not None and b is not None and feel_compare(a, b) is None:
                env.note(f"{quoted}: the ends of a range must be of one comparable kind -> null")
                return None
            return Range(a, b, start_included, end_included)

        return interval

    def _Filter(self, node: ast.Filter) -> RowFn:
        target = self.compile(node.target)
        condition = self.compile(node.condition)
        quoted = self.quote(node)

        def filtered(env: Env) -> Any:
            value = target(env)
            items = value if isinstance(value, list) else [value]
            if not items:
                probe = condition(Env({"item": None}, env, None))
                return None if isinstance(probe, Decimal) else []
            kept = []
            for position, item in enumerate(items):
                scope = {"item": item}
                if isinstance(item, dict):
                    scope = {"item": item, **item}  # an entry called item wins over the item
                result = condition(Env(scope, env, env.notes))
                if position == 0 and isinstance(result, Decimal):
                    return index(items, result, env, quoted)
                if result is True:
                    kept.append(item)
            return kept

        return filtered

    def _Path(self, node: ast.Path) -> RowFn:
        target = self.compile(node.target)
        name = node.name
        quoted = self.quote(node)

        def path(env: Env) -> Any:
            value = target(env)
            if isinstance(value, list):
                return [member(item, name, env, quoted) for item in value]
            return member(value, name, env, quoted)

        return path

    def _Call(self, node: ast.Call) -> RowFn:
        callee = self.compile(node.callee)
        args = [self.compile(arg) for arg in node.args]
        named = [(key, self.compile(value)) for key, value in node.named] if node.named else None
        quoted = self.quote(node)

        def call(env: Env) -> Any:
            function = callee(env)
            if not isinstance(function, FeelFunction):
                if function is not None:
                    env.note(f"{quoted}: a {type_name(function)} is not a function -> null")
                return None
            positional = [arg(env) for arg in args]
            keywords = {key: value(env) for key, value in named} if named is not None else None
            return invoke(function, positional, keywords, env, quoted)

        return call

    def _FunctionDefinition(self, node: ast.FunctionDefinition) -> RowFn:
        params = tuple(name for name, _ in node.params)
        checks = [type_check(kind_ref, self.types) if kind_ref is not None else None
                  for _, kind_ref in node.params]
        types = tuple(self.text[ref.start:ref.end].strip() if ref is not None else None
                      for _, ref in node.params)
        body = self.compile(node.body)
        quoted = self.quote(node)
        if node.external:
            # imported here, once per definition: only models with external functions pay for it
            from composite.feel._java import java_method

            def external(env: Env) -> Any:
                method, problem = java_method(body(env))
                if method is None:
                    env.note(f"{quoted}: {problem} -> null")
                    return None
                return FeelFunction(params, lambda *args: method(list(args)), name=quoted,
                                    variadic=False)

            return external

        def define(env: Env) -> Any:
            return DefinedFunction(params, checks, body, env, quoted, types)

        return define

    # --- unary tests -----------------------------------------------------------------------
    def compile_test(self, node: ast.Node) -> Callable[[Any, Env], Any]:
        """A test as a closure of (input value, env) -> True, False or None."""
        if isinstance(node, ast.AnyValue):
            return lambda value, env: True
        if isinstance(node, ast.NotTests):
            tests = [self.compile_test(test) for test in node.tests]

            def negation(value: Any, env: Env) -> Any:
                result = any_test(tests, value, env)
                return None if result is None else not result

            return negation
        if isinstance(node, ast.UnaryComparison):
            operand = self.compile(node.operand)
            op = node.op
            return lambda value, env: compare(op, value, operand(env))
        if isinstance(node, ast.Interval):
            interval = self.compile(node)
            return lambda value, env: in_range(value, interval(env))
        assert isinstance(node, ast.ExpressionTest)
        expression = self.compile(node.expression)
        if node.uses_input:
            def with_input(value: Any, env: Env) -> Any:
                result = expression(Env({"?": value}, env, env.notes))
                if result is None or isinstance(result, bool):
                    return result  # `? > 3` on a null input is null: no match, and not a null = null
                return matches(value, result)

            return with_input
        return lambda value, env: matches(value, expression(env))


# --- semantics shared by the row and the column evaluators -----------------------------------

def and3(a: Any, b: Any) -> Any:
    if a is False or b is False:
        return False
    return True if a is True and b is True else None


def compare(op: str, a: Any, b: Any) -> Any:
    if op == "=":
        return feel_equal(a, b)
    if op == "!=":
        equal = feel_equal(a, b)
        return None if equal is None else not equal
    order = feel_compare(a, b)
    if order is None:
        return None
    if op == "<":
        return order < 0
    if op == "<=":
        return order <= 0
    if op == ">":
        return order > 0
    return order >= 0


def in_range(value: Any, interval: Any) -> Any:
    if not isinstance(interval, Range):
        return None
    return interval.contains(value)


def matches(value: Any, expected: Any) -> Any:
    """An expression used as a unary test: equal to the input, or a list or range holding it."""
    if isinstance(expected, list):
        if isinstance(value, list) and feel_equal(value, expected) is True:
            return True
        # an item that cannot be compared with the value (null) is no match: the answer stays false
        for item in expected:
            if isinstance(item, Range):
                equal = in_range(value, item)
            else:
                equal = feel_equal(value, item)
            if equal is True:
                return True
        return False
    if isinstance(expected, Range):
        return in_range(value, expected)
    return feel_equal(value, expected)


def any_test(tests: list[Callable[[Any, Env], Any]], value: Any, env: Env) -> Any:
    result: Any = False
    for test in tests:
        outcome = test(value, env)
        if outcome is True:
            return True
        if outcome is None:
            result = None
    return result


def index(items: list[Any], position: Decimal, env: Env, quoted: str) -> Any:
    if position != position.to_integral_value():
        env.note(f"{quoted}: a list index must be a whole number, not {position} -> null")
        return None
    i = int(position)
    if i > 0 and i <= len(items):
        return items[i - 1]
    if i < 0 and -i <= len(items):
        return items[i]
    env.note(f"{quoted}: index {i} is outside a list of {len(items)} -> null")
    return None


def member(value: Any, name: str, env: Env, quoted: str) -> Any:
    if isinstance(value, dict):
        return value.get(name)
    if value is None:
        return None
    try:
        return temporal_property(value, name)
    except FeelRuntimeError as error:
        env.note(f"{quoted}: {error} -> null")
        return None


def bind_iterations(iterations: list[tuple[str, RowFn, RowFn | None]], level: int, scope: dict[str, Any],
                    env: Env, quoted: str):
    """Yields once per combination with `scope` bound (first iteration outermost); False: bad domain."""
    if level == len(iterations):
        yield True
        return
    name, domain, upper = iterations[level]
    values = iteration_domain(domain(env), upper(env) if upper else _MISSING)
    if values is None:
        env.note(f"{quoted}: '{name}' must range over a list, an ascending range, or from one whole number "
                 f"(or date) to another -> null")
        yield False
        return
    for value in values:
        scope[name] = value
        for ok in bind_iterations(iterations, level + 1, scope, env, quoted):
            yield ok
            if not ok:
                return


def iteration_domain(low: Any, high: Any) -> Any:
    if high is not _MISSING:
        return integer_steps(low, high)
    if isinstance(low, list):
        return low
    if isinstance(low, Range):
        if isinstance(low.start, Decimal) and isinstance(low.end, Decimal) and low.start <= low.end:
            first = low.start if low.start_included else low.start + 1
            last = low.end if low.end_included else low.end - 1
            return integer_steps(first, last) if first <= last else []
        return None  # an open or descending range is no domain to iterate over
    return [low]


def integer_steps(low: Any, high: Any) -> Any:
    if type(low) is dt.date and type(high) is dt.date:
        step = dt.timedelta(days=1 if high >= low else -1)
        days = abs((high - low).days)
        return [low + step * i for i in range(days + 1)]
    if not (isinstance(low, Decimal) and isinstance(high, Decimal)):
        return None
    if low != low.to_integral_value() or high != high.to_integral_value():
        return None
    a, b = int(low), int(high)
    step = 1 if b >= a else -1
    return [Decimal(i) for i in range(a, b + step, step)]


def invoke(function: FeelFunction, args: list[Any], named: dict[str, Any] | None, env: Env,
           quoted: str) -> Any:
    try:
        if isinstance(function, DefinedFunction):
            return function.call_in(args, named, env)
        return function.call(args, named)
    except RecursionError:
        env.note(f"{quoted}: recursion too deep (a function that never stops calling itself?) -> null")
        return None
    except Exception as error:  # a built-in's failure is a null and a note, never a crash (DMN)
        message = str(error) or type(error).__name__
        env.note(f"{quoted}: {message} -> null")
        return None


class DefinedFunction(FeelFunction):
    """A `function(a, b) body` value: a closure over the scope it was defined in."""

    def __init__(self, params: tuple[str, ...], checks: list[Any], body: RowFn, env: Env, quoted: str,
                 param_types: tuple[str | None, ...]) -> None:
        super().__init__(params, self._positional, name=quoted, param_types=param_types)
        self._checks = checks
        self._body = body
        self._env = env
        self._quoted = quoted

    def _positional(self, *args: Any) -> Any:
        return self.call_in(list(args), None, self._env)

    def __repr__(self) -> str:
        return f"<FEEL function {self._quoted}>"

    def call(self, args: Any = None, named: Any = None) -> Any:
        return self.call_in(list(args or ()), dict(named) if named else None, self._env)

    def call_in(self, args: list[Any], named: dict[str, Any] | None, caller: Env) -> Any:
        scope: dict[str, Any] = dict.fromkeys(self.params)
        if named is not None:
            unknown = [key for key in named if key not in scope]
            if unknown:
                caller.note(f"{self._quoted}: no parameter named '{unknown[0]}' "
                            f"(parameters: {', '.join(self.params)}) -> null")
                return None
            scope.update(named)
        else:
            if len(args) > len(self.params):
                caller.note(f"{self._quoted}: {len(args)} arguments for {len(self.params)} parameters -> null")
                return None
            scope.update(zip(self.params, args))
        for name, check in zip(self.params, self._checks):
            if check is not None and scope[name] is not None and check(scope[name]) is not True:
                caller.note(f"{self._quoted}: parameter '{name}' got a {type_name(scope[name])} -> null")
                return None
        return self._body(Env(scope, self._env, caller.notes))


# --- arithmetic and types -------------------------------------------------------------------

_DECIMAL_OPERATIONS: dict[str, Callable[[Decimal, Decimal], Decimal]] = {
    "+": FEEL_CONTEXT.add, "-": FEEL_CONTEXT.subtract, "*": FEEL_CONTEXT.multiply, "/": FEEL_CONTEXT.divide,
}

ARITHMETIC: dict[str, Callable[[Any, Any], Any]] = {
    "+": feel_add, "-": feel_subtract, "*": feel_multiply, "/": feel_divide, "**": feel_power,
}


def type_tree(ref: ast.TypeRef) -> tuple:
    """The parsed type in values.instance_of's form."""
    if ref.name in ("list", "range") and ref.params:
        return (ref.name, type_tree(ref.params[0]))
    if ref.name == "context" and ref.fields:
        return ("context", tuple((key, type_tree(sub)) for key, sub in ref.fields))
    if ref.name == "function" and (ref.params or ref.result is not None):
        result = type_tree(ref.result) if ref.result is not None else ("name", "Any")
        return ("function", tuple(type_tree(p) for p in ref.params), result)
    return ("name", ref.name)


def type_check(ref: ast.TypeRef, types: TypeResolver | None = None) -> Callable[[Any], Any]:
    tree = type_tree(ref)
    return lambda value: instance_of(value, tree, types)
