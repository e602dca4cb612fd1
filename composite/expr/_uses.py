"""Where a name is used in a parsed expression: the file position of its first use, and the name
it is compared with, so that load errors point at the use and can tell a typo from unquoted text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from composite.expr._ast import Compare, In, Literal, Name, walk

if TYPE_CHECKING:
    from composite.expr._parser import Expression
    from composite.knowledge import Knowledge


@dataclass(frozen=True)
class NameUse:
    """One use of a name: where it is written, and what it is compared with there.

    `compared_with` is the name on the other side of `==`, `!=`, `<`, ... or the item of an
    `in [...]` list the name is written in: in `claim_type == auto`, the use of `auto` is
    compared with `claim_type`, the hint that `auto` was meant as the text "auto".
    """

    name: str
    file: str | None
    line: int
    column: int
    compared_with: str | None = None
    operator: str | None = None  # the comparison (`==`, `in`, ...) that `compared_with` comes from
    field: str | None = None
    items: tuple[Any, ...] | None = None  # for `in [...]`: the list, a Name or a constant per item


def first_use(expression: Expression, name: str, *, field: str | None = None) -> NameUse | None:
    """The first use of `name` in `expression` (in reading order), or None when it does not use it.

    >>> from composite.expr import parse
    >>> use = first_use(parse("x > 1 and claim_type == auto", source="r.yaml", line=3, column=11), "auto")
    >>> (use.file, use.line, use.column, use.compared_with)
    ('r.yaml', 3, 35, 'claim_type')
    """
    partner: dict[int, tuple[str, str]] = {}  # id of a Name node -> (the name it is compared with, how)
    lists: dict[int, tuple[Any, ...]] = {}  # id of a Name node in a list -> the list's items
    found: list[Name] = []
    for node in walk(expression.ast):
        if isinstance(node, Compare) and isinstance(node.left, Name) and isinstance(node.right, Name):
            partner[id(node.left)] = (node.right.name, node.op)
            partner[id(node.right)] = (node.left.name, node.op)
        elif isinstance(node, In) and isinstance(node.item, Name):
            items = tuple(option if isinstance(option, (Name, Literal)) else None for option in node.options.items)
            for option in node.options.items:
                if isinstance(option, Name):
                    partner[id(option)] = (node.item.name, "not in" if node.negated else "in")
                    lists[id(option)] = items
        elif isinstance(node, Name) and node.name == name:
            found.append(node)
    if not found:
        return None
    first = min(found, key=lambda node: node.start)
    line, column = expression.location(first)
    compared_with, operator = partner.get(id(first), (None, None))
    return NameUse(name, expression.source, line, column, compared_with, operator, field, lists.get(id(first)))


def unquoted_text(use: NameUse, knowledge: "Knowledge") -> tuple[str, str] | None:
    """(message, fix) when the bare word `use.name` is, or nearly is, one of the allowed values of
    the concept it is compared with: `claim_type == auto` meant the text "auto". None otherwise."""
    if use.compared_with is None:
        return None
    meant = knowledge.value_meant(use.compared_with, use.name)
    if meant is None:
        return None
    text = _text(meant)
    operator = use.operator or "=="
    if operator in ("in", "not in") and use.items is not None and all(item is not None for item in use.items):
        written = []
        for item in use.items:
            if isinstance(item, Name):
                value = knowledge.value_meant(use.compared_with, item.name)
                written.append(_text(value) if value is not None else item.name)
            else:
                written.append(_text(item.value) if isinstance(item.value, str) else _constant(item.value))
        fix = f"{use.compared_with} {operator} [{', '.join(written)}]"
    elif operator in ("in", "not in"):
        fix = f"{text} in the list"
    else:
        fix = f"{use.compared_with} {operator} {text}"
    return f"'{use.name}' is not a name: did you mean the text {text}? write {fix}", fix


def _text(value: Any) -> str:
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _constant(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value)


__all__ = ["NameUse", "first_use", "unquoted_text"]
