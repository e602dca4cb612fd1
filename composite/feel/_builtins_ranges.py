"""FEEL's range functions (DMN 1.5 10.3.4.9): before, after, meets, overlaps, includes, during, starts, coincides...

Each takes points or ranges in the spec's combinations; a range without a start or end is unbounded on that side.
"""

from __future__ import annotations

from typing import Any, Callable

from composite.feel._library import Arguments, builtin
from composite.feel.values import Range, feel_compare, type_name

# unbounded ends: below and above every point
_BELOW = object()
_ABOVE = object()


class _Relation:
    """Comparisons between points and range ends, failing with the function's name when they cannot."""

    def __init__(self, name: str) -> None:
        self.args = Arguments(name)

    def cmp(self, a: Any, b: Any) -> int:
        if a is _BELOW or b is _ABOVE:
            return 0 if a is b else -1
        if a is _ABOVE or b is _BELOW:
            return 0 if a is b else 1
        order = feel_compare(a, b)
        if order is None:
            raise self.args.fail(f"{_name(a)} and {_name(b)} cannot be compared")
        return order

    def lt(self, a: Any, b: Any) -> bool:
        return self.cmp(a, b) < 0

    def gt(self, a: Any, b: Any) -> bool:
        return self.cmp(a, b) > 0

    def eq(self, a: Any, b: Any) -> bool:
        return self.cmp(a, b) == 0


def _name(value: Any) -> str:
    return "an unbounded end" if value is _BELOW or value is _ABOVE else (
        "null" if value is None else type_name(value))


def _start(r: Range) -> Any:
    return _BELOW if r.start is None else r.start


def _end(r: Range) -> Any:
    return _ABOVE if r.end is None else r.end


def _point(args: Arguments, param: str, value: Any) -> Any:
    if value is None:
        raise args.fail(f"{param} is null")
    return value


def _dispatch(name: str, points: Callable[[_Relation, Any, Any], bool] | None,
              point_range: Callable[[_Relation, Any, Range], bool] | None,
              range_point: Callable[[_Relation, Range, Any], bool] | None,
              ranges: Callable[[_Relation, Range, Range], bool]) -> Callable[[Any, Any], bool]:
    """One body for all of a function's signatures, chosen by whether each argument is a range."""

    def body(a: Any, b: Any) -> bool:
        rel = _Relation(name)
        _point(rel.args, "the first argument", a)
        _point(rel.args, "the second argument", b)
        a_range, b_range = type(a) is Range, type(b) is Range
        chosen: Callable[..., bool] | None = (
            ranges if a_range and b_range else point_range if b_range else range_point if a_range else points)
        if chosen is None:
            kinds = f"{'a range' if a_range else 'a point'} and {'a range' if b_range else 'a point'}"
            raise rel.args.fail(f"does not take {kinds}")
        return chosen(rel, a, b)

    return body


def _declare(name: str, signatures: list[tuple[str, str]], body: Callable[[Any, Any], bool]) -> None:
    first, *rest = signatures
    builtin(name, *first, overloads=[(names, 2) for names in rest])(body)


_declare("before", [("point1", "point2"), ("point", "range"), ("range", "point"), ("range1", "range2")], _dispatch(
    "before",
    lambda r, p, q: r.lt(p, q),
    lambda r, p, s: r.lt(p, _start(s)) or (r.eq(p, _start(s)) and not s.start_included),
    lambda r, s, p: r.lt(_end(s), p) or (r.eq(_end(s), p) and not s.end_included),
    lambda r, s, t: r.lt(_end(s), _start(t)) or (
        r.eq(_end(s), _start(t)) and not (s.end_included and t.start_included)),
))

_declare("after", [("point1", "point2"), ("point", "range"), ("range", "point"), ("range1", "range2")], _dispatch(
    "after",
    lambda r, p, q: r.gt(p, q),
    lambda r, p, s: r.gt(p, _end(s)) or (r.eq(p, _end(s)) and not s.end_included),
    lambda r, s, p: r.gt(_start(s), p) or (r.eq(_start(s), p) and not s.start_included),
    lambda r, s, t: r.gt(_start(s), _end(t)) or (
        r.eq(_start(s), _end(t)) and not (s.start_included and t.end_included)),
))

_declare("meets", [("range1", "range2")], _dispatch(
    "meets", None, None, None,
    lambda r, s, t: s.end_included and t.start_included and r.eq(_end(s), _start(t)),
))

_declare("met by", [("range1", "range2")], _dispatch(
    "met by", None, None, None,
    lambda r, s, t: s.start_included and t.end_included and r.eq(_start(s), _end(t)),
))


def _overlaps(r: _Relation, s: Range, t: Range) -> bool:
    return ((r.gt(_end(s), _start(t)) or (r.eq(_end(s), _start(t)) and s.end_included and t.start_included))
            and (r.lt(_start(s), _end(t)) or (r.eq(_start(s), _end(t)) and s.start_included and t.end_included)))


def _overlaps_before(r: _Relation, s: Range, t: Range) -> bool:
    return ((r.lt(_start(s), _start(t)) or (r.eq(_start(s), _start(t)) and s.start_included
                                           and not t.start_included))
            and (r.gt(_end(s), _start(t)) or (r.eq(_end(s), _start(t)) and s.end_included and t.start_included))
            and (r.lt(_end(s), _end(t)) or (r.eq(_end(s), _end(t)) and (not s.end_included or t.end_included))))


_declare("overlaps", [("range1", "range2")], _dispatch("overlaps", None, None, None, _overlaps))
_declare("overlaps before", [("range1", "range2")], _dispatch("overlaps before", None, None, None, _overlaps_before))
_declare("overlaps after", [("range1", "range2")], _dispatch(
    "overlaps after", None, None, None, lambda r, s, t: _overlaps_before(r, t, s)))

_declare("finishes", [("point", "range"), ("range1", "range2")], _dispatch(
    "finishes", None,
    lambda r, p, s: s.end_included and r.eq(_end(s), p),
    None,
    lambda r, s, t: (s.end_included == t.end_included and r.eq(_end(s), _end(t))
                     and (r.gt(_start(s), _start(t)) or (r.eq(_start(s), _start(t))
                                                         and (not s.start_included or t.start_included)))),
))

_declare("finished by", [("range", "point"), ("range1", "range2")], _dispatch(
    "finished by", None, None,
    lambda r, s, p: s.end_included and r.eq(_end(s), p),
    lambda r, s, t: (s.end_included == t.end_included and r.eq(_end(s), _end(t))
                     and (r.lt(_start(s), _start(t)) or (r.eq(_start(s), _start(t))
                                                         and (s.start_included or not t.start_included)))),
))


def _includes_point(r: _Relation, s: Range, p: Any) -> bool:
    return ((r.lt(_start(s), p) and r.gt(_end(s), p)) or (r.eq(_start(s), p) and s.start_included)
            or (r.eq(_end(s), p) and s.end_included))


def _includes_range(r: _Relation, s: Range, t: Range) -> bool:
    return ((r.lt(_start(s), _start(t)) or (r.eq(_start(s), _start(t)) and (s.start_included or not t.start_included)))
            and (r.gt(_end(s), _end(t)) or (r.eq(_end(s), _end(t)) and (s.end_included or not t.end_included))))


_declare("includes", [("range", "point"), ("range1", "range2")], _dispatch(
    "includes", None, None, _includes_point, _includes_range))

_declare("during", [("point", "range"), ("range1", "range2")], _dispatch(
    "during", None, lambda r, p, s: _includes_point(r, s, p), None, lambda r, s, t: _includes_range(r, t, s)))

_declare("starts", [("point", "range"), ("range1", "range2")], _dispatch(
    "starts", None,
    lambda r, p, s: s.start_included and r.eq(_start(s), p),
    None,
    lambda r, s, t: (s.start_included == t.start_included and r.eq(_start(s), _start(t))
                     and (r.lt(_end(s), _end(t)) or (r.eq(_end(s), _end(t))
                                                     and (not s.end_included or t.end_included)))),
))

_declare("started by", [("range", "point"), ("range1", "range2")], _dispatch(
    "started by", None, None,
    lambda r, s, p: s.start_included and r.eq(_start(s), p),
    lambda r, s, t: (s.start_included == t.start_included and r.eq(_start(s), _start(t))
                     and (r.gt(_end(s), _end(t)) or (r.eq(_end(s), _end(t))
                                                     and (s.end_included or not t.end_included)))),
))

_declare("coincides", [("point1", "point2"), ("range1", "range2")], _dispatch(
    "coincides",
    lambda r, p, q: r.eq(p, q),
    None, None,
    lambda r, s, t: (s.start_included == t.start_included and s.end_included == t.end_included
                     and r.eq(_start(s), _start(t)) and r.eq(_end(s), _end(t))),
))
