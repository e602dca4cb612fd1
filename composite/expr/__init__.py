"""The safe expression language of rule files: `parse` once, evaluate on a row or on columns.

User text is tokenized and parsed by hand; it never reaches Python's eval, exec or ast.

Grammar, loosest binding first::

    if c then a else b      (an else-if chain nests to the right)
    or
    and
    not x
    ==  !=  <  <=  >  >=  in [..]  not in [..]      (never chained: a < b < c is an error)
    +  -
    *  /  %
    -x  +x
    **                      (right-associative; -2 ** 2 == -4)
    f(...)  (...)  names  literals: 12  1.5  1e3  .5  "s"  's'  true  false  null

Functions: abs, ceil, clip(x, lo, hi), coalesce(x, y, ...) (the first argument that is not
null; later ones are evaluated only when needed), exp, floor, log, max(a, b, ...), min(a, b, ...),
round(x) / round(x, digits) (half away from zero; digits an integer literal), sqrt.

Dates, times and durations (composite.temporal; the FEEL values of composite.feel.values):
date("2026-03-01"), datetime("2026-03-01T14:30:00"), time("14:30"), duration("P90D") or
duration("P1Y6M") (a text constant is checked when the expression is parsed); date(dt), datetime(d)
and time(dt) convert; days(d) (the days of a duration, a float), year(d), month(d), day(d). A date
minus a date is a duration; a date plus or minus a duration a date; durations add and multiply by
a number; values of one kind compare. On columns, dates and durations are computed with numpy.

Semantics: `and`/`or`/`not` and `if` need booleans; arithmetic needs numbers (`+` also joins two
strings); ints stay ints where Python keeps them (`/` always gives a float) and must fit in 64
bits; `==`/`!=` between different types is simply false/true; `null` equals only `null`.

Missing values: `null` is the one missing value. It may be compared with `==`/`!=`, tested with
`in`/`not in`, and replaced with `coalesce` or `if x == null then ... else ...`; reaching
arithmetic, an ordering (`<` ...), a function other than `coalesce`, or a place that needs
true/false (`and`, `or`, `not`, the condition of `if`) it is an `EvaluationError` with code
`expression_null` naming the name that held it, on a row and on columns alike.
"""

from __future__ import annotations

from composite.expr._ast import (
    FUNCTIONS,
    Binary,
    BoolOp,
    Call,
    Compare,
    Function,
    IfElse,
    In,
    ListLiteral,
    Literal,
    Name,
    Node,
    Not,
    Unary,
    unparse,
    walk,
)
from composite.expr._parser import Expression, parse
from composite.expr._uses import NameUse, first_use

__all__ = [
    "FUNCTIONS",
    "Binary",
    "BoolOp",
    "Call",
    "Compare",
    "Expression",
    "Function",
    "IfElse",
    "In",
    "ListLiteral",
    "Literal",
    "Name",
    "NameUse",
    "Node",
    "Not",
    "Unary",
    "first_use",
    "parse",
    "unparse",
    "walk",
]
