"""YAML loading that remembers where every value was written, so errors can name the line.

Mappings load as `LineDict` and sequences as `LineList`: plain dict/list subclasses that also
know their own line and the line of each key or item (1-based).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Iterable

import yaml

from composite._files import check_utf8
from composite.errors import Problem, ProjectError


class LineDict(dict):
    line: int | None = None
    key_lines: dict[Any, int]
    value_positions: dict[Any, tuple[int, int]]

    def line_of(self, key: Any) -> int | None:
        return getattr(self, "key_lines", {}).get(key, self.line)

    def position_of_value(self, key: Any) -> tuple[int | None, int | None]:
        """(line, column) where the value's text starts: for block scalars, the first content line."""
        return getattr(self, "value_positions", {}).get(key, (self.line_of(key), None))


class LineList(list):
    line: int | None = None
    item_lines: list[int]

    def line_of(self, index: int) -> int | None:
        lines = getattr(self, "item_lines", [])
        return lines[index] if 0 <= index < len(lines) else self.line


# Bounds on what one YAML document may cost (docs/limits.md). Aliases (`*name`) re-use a node
# without copying it, but whoever walks the result (schema validation, the stored snapshot) sees
# every copy: nine levels of ten aliases ("billion laughs") is 10**9 values from a 1 KB file.
MAX_ALIAS_NODES = 100_000  # values reached through aliases, counted with repetition, per document
MAX_NESTING = 100  # mappings and lists inside one another
ALIAS_ENV = "COMPOSITE_MAX_YAML_ALIAS_NODES"
NESTING_ENV = "COMPOSITE_MAX_YAML_NESTING"


def _limit(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    try:
        return max(1, int(raw)) if raw else default
    except ValueError:
        return default


class _LineLoader(yaml.SafeLoader):
    """Safe YAML, every mapping and list knowing its lines, and YAML 1.2 booleans.

    Only true/false are booleans: a rule author's `answer: no`, `light: on` or a term called
    `yes` stays text, as YAML 1.2 and every reader of the file expect.

    Composition is bounded: nesting deeper than MAX_NESTING, or aliases that together stand for
    more than MAX_ALIAS_NODES values, is a ProjectError at the line that goes too far.
    """

    _composite_file: str | None = None
    _depth = 0
    _alias_nodes = 0
    _max_alias_nodes = MAX_ALIAS_NODES
    _max_nesting = MAX_NESTING

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            node = super().compose_node(parent, index)
            self._alias_nodes += getattr(node, "_expanded", 1)
            if self._alias_nodes > self._max_alias_nodes:
                raise self._too_much(
                    f"aliases stand for more than {self._max_alias_nodes:,} values (an alias bomb?); write the "
                    f"values out or raise {ALIAS_ENV}", event.start_mark, "yaml_alias_limit")
            return node
        starts_collection = self.check_event(yaml.SequenceStartEvent, yaml.MappingStartEvent)
        if starts_collection:
            self._depth += 1
            if self._depth > self._max_nesting:
                raise self._too_much(f"values nested more than {self._max_nesting} deep", self.peek_event().start_mark,
                                     "yaml_nesting_limit")
        try:
            node = super().compose_node(parent, index)
        finally:
            if starts_collection:
                self._depth -= 1
        if isinstance(node, yaml.SequenceNode):
            node._expanded = 1 + sum(getattr(child, "_expanded", 1) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            node._expanded = 1 + sum(getattr(key, "_expanded", 1) + getattr(value, "_expanded", 1)
                                     for key, value in node.value)
        return node

    def _too_much(self, message: str, mark: Any, code: str) -> ProjectError:
        return ProjectError(message, code=code, file=self._composite_file,
                            line=mark.line + 1 if mark else None, column=mark.column + 1 if mark else None)


_BOOL = "tag:yaml.org,2002:bool"
_LineLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _BOOL]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_LineLoader.add_implicit_resolver(_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    result.value_positions = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in result:
            raise ProjectError(
                f"duplicate key '{key}'",
                code="yaml_duplicate_key",
                file=getattr(loader, "_composite_file", None),
                line=key_node.start_mark.line + 1,
                field=str(key),
            )
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
        result.value_positions[key] = _text_start(loader, value_node)
    return result


def _text_start(loader: _LineLoader, node: yaml.Node) -> tuple[int, int]:
    mark = node.start_mark
    if isinstance(node, yaml.ScalarNode) and node.style in ("|", ">"):
        # A block scalar's mark is its indicator; its text starts on the next line, indented.
        lines = getattr(loader, "_composite_lines", None)
        if lines is not None:  # the C parser's marks keep no buffer: the loader keeps the lines
            following = lines[mark.line + 1] if mark.line + 1 < len(lines) else ""
        else:
            buffer = mark.buffer or ""
            start = buffer.find("\n", mark.pointer) + 1
            following = buffer[start:]
        indent = len(following) - len(following.lstrip(" "))
        return mark.line + 2, indent + 1
    quoted = 1 if isinstance(node, yaml.ScalarNode) and node.style in ("'", '"') else 0
    return mark.line + 1, mark.column + 1 + quoted


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode) -> LineList:
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


try:
    from yaml.cyaml import CParser as _CParser
except ImportError:  # PyYAML built without libyaml: the Python loader does everything
    _CParser = None


class _CLineLoader(_CParser or object, _LineLoader):  # type: ignore[misc]
    """The same loader on libyaml's C parser and composer (several times faster): the constructors,
    resolvers and line marks are _LineLoader's. Used only where `_shallow` shows the document cannot
    nest deeper than MAX_NESTING (the C composer recurses, and checks no bound); the alias bound is
    checked on the composed nodes before anything is constructed (`_aliases_within`)."""

    def __init__(self, stream: str) -> None:
        _CParser.__init__(self, stream)
        yaml.constructor.SafeConstructor.__init__(self)
        yaml.resolver.Resolver.__init__(self)


_LINE_START = re.compile(r"^[ \t]*", re.MULTILINE)
_BLOCK_ENTRY = re.compile(r"(?:^|[ \t])[-?:](?=[ \t])")


def _shallow(text: str, bound: int) -> bool:
    """Whether the document certainly nests at most `bound` deep. An upper bound, cheap to find:
    flow nesting is at most the brackets' nesting (quotes ignored), and block nesting at most the
    deepest indentation plus the most block indicators on one line, plus one."""
    depth = deepest = 0
    for bracket in re.findall(r"[\[\]{}]", text):
        depth = depth + 1 if bracket in "[{" else max(depth - 1, 0)
        deepest = max(deepest, depth)
    if deepest >= bound:
        return False
    indent = max((len(m.group(0)) for m in _LINE_START.finditer(text)), default=0)
    if deepest + indent >= bound:
        return False
    indicators = max((len(_BLOCK_ENTRY.findall(line)) for line in text.splitlines()), default=0)
    return deepest + indent + indicators + 1 < bound


def _aliases_within(root: yaml.Node | None, most: int) -> bool:
    """Whether the nodes reached again through aliases stand for at most `most` values: a node met
    a second time was reached through an alias, and stands for its whole expansion."""
    if root is None:
        return True
    sizes: dict[int, int] = {}
    seen: set[int] = set()
    through_aliases = 0
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            children = _children(node)
            sizes[key] = 1 + sum(sizes[id(child)] for child in children)
            continue
        if key in seen:
            through_aliases += sizes.get(key, 1)
            if through_aliases > most:
                return False
            continue
        seen.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(_children(node)))
    return True


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _load_fast(text: str, file: str) -> tuple[bool, Any]:
    """(True, the data) from the C loader, or (False, None) where the Python loader must decide:
    a document that might nest too deep, aliases over the bound, or any error (whose message,
    line and column the Python loader gives exactly)."""
    if _CParser is None or not _shallow(text, _limit(NESTING_ENV, MAX_NESTING)):
        return False, None
    loader = None
    try:
        loader = _CLineLoader(text)
        loader._composite_file = file
        loader._composite_lines = text.splitlines()
        node = loader.get_single_node()
        if not _aliases_within(node, _limit(ALIAS_ENV, MAX_ALIAS_NODES)):
            return False, None
        return True, (loader.construct_document(node) if node is not None else None)
    except ProjectError:
        raise  # a duplicate key: the constructors are the same, and so is the error
    except yaml.YAMLError:
        return False, None
    finally:
        if loader is not None:
            loader.dispose()


def load_yaml(text: str | bytes, *, file: str) -> Any:
    """Parse YAML safely; a syntax error becomes a ProjectError with the file and line."""
    if isinstance(text, bytes) and not text.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 has a BOM
        text = check_utf8(text, file=file).lstrip("\ufeff")
    if isinstance(text, str):
        done, data = _load_fast(text, file)
        if done:
            return data
    loader = None
    try:
        loader = _LineLoader(text)
        loader._composite_file = file
        loader._max_alias_nodes = _limit(ALIAS_ENV, MAX_ALIAS_NODES)
        loader._max_nesting = _limit(NESTING_ENV, MAX_NESTING)
        return loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = exc.problem or str(exc)
        if exc.context:
            message = f"{exc.context}: {message}" if exc.problem else exc.context
        raise ProjectError(
            f"YAML syntax error: {message}",
            code="yaml_syntax",
            file=file,
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None,
        ) from None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow, e.g. a control code
        where = text[: exc.position] if isinstance(text, str) else ""
        line = where.count("\n") + 1 if isinstance(text, str) else None
        column = exc.position - (where.rfind("\n") + 1) + 1 if isinstance(text, str) else None
        raise ProjectError(f"YAML error: character {_char(exc.character)} is not allowed in a YAML file",
                           code="yaml_syntax", file=file, line=line, column=column) from None
    except yaml.YAMLError as exc:
        raise ProjectError(f"YAML error: {exc}", code="yaml_syntax", file=file) from None
    finally:
        if loader is not None:
            loader.dispose()


def _char(character: Any) -> str:
    return f"U+{character:04X}" if isinstance(character, int) else repr(character)


def load_yaml_file(path: Path, *, display: str | None = None) -> Any:
    return load_yaml(path.read_bytes(), file=display or str(path))


def line_at(document: Any, loc: Iterable[Any]) -> int | None:
    """The line of the deepest value on `loc` (a pydantic error location) that has one."""
    line = getattr(document, "line", None)
    current = document
    for part in loc:
        if isinstance(current, LineDict) and part in current:
            line = current.line_of(part) or line
            current = current[part]
        elif isinstance(current, LineList) and isinstance(part, int) and 0 <= part < len(current):
            line = current.line_of(part) or line
            current = current[part]
        else:
            break
    return line


def pydantic_problems(exc: Any, document: Any, *, file: str, prefix: tuple[Any, ...] = ()) -> list[Problem]:
    """Turn a pydantic ValidationError into located problems."""
    problems = []
    for error in exc.errors():
        loc = tuple(error.get("loc", ()))
        field = ".".join(str(p) for p in prefix + loc) or None
        message = error.get("msg", "invalid")
        if error.get("type") == "extra_forbidden":
            message = f"unknown key '{loc[-1]}'" if loc else "unknown key"
        elif error.get("type") == "missing":
            message = f"missing required key '{loc[-1]}'" if loc else "missing required key"
        problems.append(
            Problem(
                code=f"schema.{error.get('type', 'invalid')}",
                message=message,
                file=file,
                line=line_at(document, loc),
                field=field,
            )
        )
    return problems
