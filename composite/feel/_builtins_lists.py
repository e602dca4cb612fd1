"""FEEL's list functions (DMN 1.5 10.3.4.4) and the statistics over lists of numbers (10.3.4.5's sum to mode).

Positions count from 1 (-1 is the last item); equality is FEEL's (`list contains([1.0], 1)` is true).
"""

from __future__ import annotations

import functools
from decimal import Decimal
from typing import Any

from composite.feel._library import MISSING, Arguments, builtin
from composite.feel.values import (
    FEEL_CONTEXT,
    FeelFunction,
    feel_compare,
    feel_equal,
    feel_number,
    type_name,
)

# min(list) or min(c1, c2, ...): the aggregates take a list or their items one by one
_LIST_OR_ITEMS = dict(overloads=[(("c",), 2, True)])


def _items(args: Arguments, value: Any) -> list[Any]:
    return args.list("list", value)


def _numbers(args: Arguments, value: Any) -> list[Decimal]:
    items = _items(args, value)
    for position, item in enumerate(items, start=1):
        if type(item) is not Decimal:
            raise args.fail(f"item {position} is {'null' if item is None else type_name(item)}, not a number")
    return items


def _position(args: Arguments, param: str, value: Any, size: int) -> int:
    """A 1-based position (negative counts from the end) as a 0-based index, checked against the size."""
    position = args.integer(param, value)
    if position == 0 or position > size or -position > size:
        raise args.fail(f"{param} {position} is outside a list of {size} items")
    return position - 1 if position > 0 else size + position


@builtin("list contains", "list", "element")
def list_contains(items: Any, element: Any) -> bool:
    return any(feel_equal(item, element) is True for item in _items(Arguments("list contains"), items))


@builtin("count", "list")
def count(items: Any) -> Decimal:
    return Decimal(len(_items(Arguments("count"), items)))


def _extreme(name: str, items: Any, sign: int) -> Any:
    args = Arguments(name)
    values = _items(args, items)
    if not values:
        return None
    best = values[0]
    for item in values:
        order = feel_compare(item, best)
        if order is None:
            raise args.fail(f"{'null' if item is None else type_name(item)} and "
                            f"{'null' if best is None else type_name(best)} items cannot be compared")
        if order * sign > 0:
            best = item
    return best


@builtin("min", "list", **_LIST_OR_ITEMS)
def minimum(items: Any) -> Any:
    return _extreme("min", items, -1)


@builtin("max", "list", **_LIST_OR_ITEMS)
def maximum(items: Any) -> Any:
    return _extreme("max", items, 1)


@builtin("sum", "list", **_LIST_OR_ITEMS)
def sum_(items: Any) -> Decimal | None:
    numbers = _numbers(Arguments("sum"), items)
    if not numbers:
        return None
    total = Decimal(0)
    for n in numbers:
        total = FEEL_CONTEXT.add(total, n)
    return feel_number(total)


@builtin("mean", "list", **_LIST_OR_ITEMS)
def mean(items: Any) -> Decimal | None:
    numbers = _numbers(Arguments("mean"), items)
    if not numbers:
        return None
    return feel_number(FEEL_CONTEXT.divide(sum_(numbers), Decimal(len(numbers))))


@builtin("product", "list", **_LIST_OR_ITEMS)
def product(items: Any) -> Decimal:
    args = Arguments("product")
    numbers = _numbers(args, items)
    if not numbers:
        raise args.fail("the list is empty")
    result = Decimal(1)
    for n in numbers:
        result = FEEL_CONTEXT.multiply(result, n)
    return feel_number(result)


@builtin("median", "list", **_LIST_OR_ITEMS)
def median(items: Any) -> Decimal | None:
    numbers = sorted(_numbers(Arguments("median"), items))
    if not numbers:
        return None
    middle = len(numbers) // 2
    if len(numbers) % 2:
        return numbers[middle]
    return feel_number(FEEL_CONTEXT.divide(FEEL_CONTEXT.add(numbers[middle - 1], numbers[middle]), Decimal(2)))


@builtin("stddev", "list", **_LIST_OR_ITEMS)
def stddev(items: Any) -> Decimal:
    """The sample standard deviation (n - 1 in the denominator)."""
    args = Arguments("stddev")
    numbers = _numbers(args, items)
    if len(numbers) < 2:
        raise args.fail("a standard deviation needs at least two numbers")
    average = mean(numbers)
    squares = Decimal(0)
    for n in numbers:
        deviation = FEEL_CONTEXT.subtract(n, average)
        squares = FEEL_CONTEXT.add(squares, FEEL_CONTEXT.multiply(deviation, deviation))
    return FEEL_CONTEXT.sqrt(FEEL_CONTEXT.divide(squares, Decimal(len(numbers) - 1)))


@builtin("mode", "list", **_LIST_OR_ITEMS)
def mode(items: Any) -> list[Decimal]:
    """The most frequent numbers, ascending (several when tied; [] for an empty list)."""
    numbers = _numbers(Arguments("mode"), items)
    counts: dict[Decimal, int] = {}
    for n in numbers:
        counts[n] = counts.get(n, 0) + 1  # Decimal hashing makes 1 and 1.0 one key, as FEEL equality does
    if not counts:
        return []
    top = max(counts.values())
    return sorted(n for n, c in counts.items() if c == top)


def _truth(name: str, items: Any, stop: bool) -> bool | None:
    """all (stop at false) and any (stop at true): a null item makes the answer null unless decided."""
    args = Arguments(name)
    if items is None:
        raise args.wrong("list", items, "a list of booleans")
    unknown = False
    for position, item in enumerate(_items(args, items), start=1):
        if item is None:
            unknown = True
        elif type(item) is not bool:
            raise args.fail(f"item {position} is {type_name(item)}, not a boolean")
        elif item is stop:
            return stop
    return None if unknown else not stop


@builtin("all", "list", **_LIST_OR_ITEMS)
def all_(items: Any) -> bool | None:
    return _truth("all", items, False)


@builtin("any", "list", **_LIST_OR_ITEMS)
def any_(items: Any) -> bool | None:
    return _truth("any", items, True)


@builtin("sublist", "list", "start position", "length", required=2)
def sublist(items: Any, start: Any, length: Any = MISSING) -> list[Any]:
    args = Arguments("sublist")
    values = _items(args, items)
    first = _position(args, "start position", start, len(values))
    if length is MISSING:
        return values[first:]
    size = args.integer("length", length)
    if size < 0 or first + size > len(values):
        raise args.fail(f"length {size} from position {first + 1} goes past the end of a list of {len(values)}")
    return values[first:first + size]


@builtin("append", "list", "item", required=1, variadic=True)
def append(items: Any, new: list[Any] = MISSING) -> list[Any]:
    values = _items(Arguments("append"), items)
    return values + ([] if new is MISSING else new)


@builtin("concatenate", "list", required=0, variadic=True)
def concatenate(lists: list[Any]) -> list[Any]:
    args = Arguments("concatenate")
    result: list[Any] = []
    for position, value in enumerate(lists, start=1):
        if not isinstance(value, list):
            raise args.wrong(f"argument {position}", value, "a list")
        result.extend(value)
    return result


@builtin("insert before", "list", "position", "newItem")
def insert_before(items: Any, position: Any, new: Any) -> list[Any]:
    args = Arguments("insert before")
    values = _items(args, items)
    index = _position(args, "position", position, len(values))
    return values[:index] + [new] + values[index:]


@builtin("remove", "list", "position")
def remove(items: Any, position: Any) -> list[Any]:
    args = Arguments("remove")
    values = _items(args, items)
    index = _position(args, "position", position, len(values))
    return values[:index] + values[index + 1:]


@builtin("reverse", "list")
def reverse(items: Any) -> list[Any]:
    return list(reversed(_items(Arguments("reverse"), items)))


@builtin("index of", "list", "match")
def index_of(items: Any, match: Any) -> list[Decimal]:
    values = _items(Arguments("index of"), items)
    return [Decimal(i) for i, item in enumerate(values, start=1) if feel_equal(item, match) is True]


def _distinct(values: list[Any]) -> list[Any]:
    kept: list[Any] = []
    for item in values:
        if not any(feel_equal(item, seen) is True for seen in kept):
            kept.append(item)
    return kept


@builtin("union", "list", required=0, variadic=True)
def union(lists: list[Any]) -> list[Any]:
    return _distinct(_joined("union", lists))


def _joined(name: str, lists: list[Any]) -> list[Any]:
    args = Arguments(name)
    result: list[Any] = []
    for position, value in enumerate(lists, start=1):
        result.extend(args.list(f"argument {position}", value))
    return result


@builtin("distinct values", "list")
def distinct_values(items: Any) -> list[Any]:
    return _distinct(_items(Arguments("distinct values"), items))


@builtin("flatten", "list")
def flatten(items: Any) -> list[Any]:
    result: list[Any] = []

    def walk(value: list[Any]) -> None:
        for item in value:
            if isinstance(item, list):
                walk(item)
            else:
                result.append(item)

    walk(_items(Arguments("flatten"), items))
    return result


def _two_parameters(args: Arguments, param: str, function: FeelFunction) -> FeelFunction:
    if not function.accepts(2):
        raise args.fail(f"{param} must take two parameters, it takes ({', '.join(function.params)})")
    return function


def _boolean_result(args: Arguments, function: FeelFunction, call_args: list[Any], what: str) -> bool:
    answer = function.call(call_args)
    if type(answer) is not bool:
        raise args.fail(f"{what} must return true or false, not {'null' if answer is None else type_name(answer)}")
    return answer


@builtin("sort", "list", "precedes", required=1)
def sort(items: Any, precedes: Any = MISSING) -> list[Any]:
    """Sorted by `precedes(x, y)` (true when x comes first); without it, ascending (stable)."""
    args = Arguments("sort")
    values = list(_items(args, items))
    if precedes is MISSING or precedes is None:
        def natural(x: Any, y: Any) -> int:
            order = feel_compare(x, y)
            if order is None:
                raise args.fail(f"{type_name(x)} and {type_name(y)} items cannot be ordered")
            return order

        return sorted(values, key=functools.cmp_to_key(natural))
    function = _two_parameters(args, "precedes", args.function("precedes", precedes))

    def ordered(x: Any, y: Any) -> int:
        if _boolean_result(args, function, [x, y], "precedes"):
            return -1
        if _boolean_result(args, function, [y, x], "precedes"):
            return 1
        return 0

    return sorted(values, key=functools.cmp_to_key(ordered))


@builtin("list replace", "list", "position", "newItem", overloads=[(("list", "match", "newItem"), 3)])
def list_replace(items: Any, where: Any, new: Any) -> list[Any]:
    """The item at `position`, or every item for which `match(item, newItem)` is true, replaced by newItem."""
    args = Arguments("list replace")
    values = list(_items(args, items))
    if isinstance(where, FeelFunction):
        _two_parameters(args, "match", where)
        return [new if _boolean_result(args, where, [item, new], "match") else item for item in values]
    index = _position(args, "position", where, len(values))
    values[index] = new
    return values
