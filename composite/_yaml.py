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
    value_sources: dict[Any, tuple[str, int, int]]  # texts over several lines, as written (source_of_value)

    def line_of(self, key: Any) -> int | None:
        return getattr(self, "key_lines", {}).get(key, self.line)

    def position_of_value(self, key: Any) -> tuple[int | None, int | None]:
        """(line, column) where the value's text starts: for block scalars, the first content line."""
        return getattr(self, "value_positions", {}).get(key, (self.line_of(key), None))

    def source_of_value(self, key: Any) -> tuple[str, int | None, int | None]:
        """The value's text as an expression parser should see it, with the (line, column) it starts at.

        A text over several lines (a `|` or `>` block, or plain text continued on the next lines)
        is given as the file has it, every line after the first keeping its indentation, so that
        an offset into it maps to the file's own line and column; YAML's folding changed only
        whitespace, which means nothing to an expression. Any other value: str(value) at its
        position.
        """
        value = self[key]
        kept = getattr(self, "value_sources", {}).get(key)
        if kept is not None and isinstance(value, str) and " ".join(kept[0].split()) == " ".join(value.split()):
            return kept
        line, column = self.position_of_value(key)
        if isinstance(value, bool):  # as the expression language spells it
            return ("true" if value else "false"), line, column
        return str(value), line, column


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
        if isinstance(value_node, yaml.ScalarNode) and value_node.style in (None, "", "|", ">", "'", '"') \
                and value_node.end_mark.line > value_node.start_mark.line:
            if not hasattr(result, "value_sources"):
                result.value_sources = {}
            kept = _scalar_source(loader, value_node)
            if kept is not None:
                result.value_sources[key] = kept
        _check_flow_entry(loader, node, key_node, value_node)
    return result


def _scalar_source(loader: _LineLoader, node: yaml.ScalarNode) -> tuple[str, int, int] | None:
    """A multi-line plain or block scalar as written: (text, line, column of its first character)."""
    lines = getattr(loader, "_composite_lines", None)
    if lines is None:
        return None
    start, end = node.start_mark, node.end_mark
    if node.style in ("|", ">"):
        first = start.line + 1  # the text starts on the line after the indicator
        last = end.line if end.column > 0 else end.line - 1
        body = lines[first : last + 1]
        while body and not body[-1].strip():
            body.pop()
        if not body:
            return None
        indent = len(body[0]) - len(body[0].lstrip(" "))
        return "\n".join([body[0][indent:]] + body[1:]), first + 1, indent + 1
    quoted = 1 if node.style in ("'", '"') else 0  # the quotes are not part of the text
    body = lines[start.line : end.line + 1]
    if len(body) < 2:
        return None
    body[-1] = body[-1][: end.column - quoted]
    body[0] = body[0][start.column + quoted :]
    written = "\n".join(body)
    if quoted and ("\\" in written or "''" in written):
        return None  # escapes: the value is not the text as written
    return written, start.line + 1, start.column + 1 + quoted


def _check_flow_entry(loader: _LineLoader, mapping: yaml.MappingNode, key_node: yaml.Node,
                      value_node: yaml.Node) -> None:
    """In `{...}` a comma ends an entry: `{note: large (over 20,000 easily)}` is `note: large (over 20`
    and a key `000 easily)` with no value. A key with no `:` after a plain text is that split."""
    # Plain scalars have style None from the Python parser and "" from the C one.
    if not mapping.flow_style or not isinstance(key_node, yaml.ScalarNode) or key_node.style not in (None, ""):
        return
    if not (isinstance(value_node, yaml.ScalarNode) and value_node.value == "" and value_node.style in (None, "")):
        return
    lines = getattr(loader, "_composite_lines", None)
    if lines is None:
        return
    between = _slice(lines, key_node.end_mark, value_node.start_mark)
    if between is None or ":" in between:
        return  # `key: ` written with a colon and no value: a null, as meant
    entries = mapping.value
    index = next(i for i, (k, _) in enumerate(entries) if k is key_node)
    if index == 0:
        return
    before_key, before = entries[index - 1]
    if not (isinstance(before, yaml.ScalarNode) and before.style in (None, "") and before.value):
        return
    written = _slice(lines, before.start_mark, key_node.end_mark) or f"{before.value}, {key_node.value}"
    written = " ".join(written.split())
    name = before_key.value if isinstance(before_key, yaml.ScalarNode) else "..."
    mark = before.end_mark  # the comma
    raise ProjectError(
        f"the ',' before '{key_node.value}' split the text '{written}': inside {{...}} a comma separates "
        f"entries, so '{key_node.value}' was read as a key of its own; quote the text: "
        f"{name}: \"{written}\"",
        code="yaml_flow_comma", file=getattr(loader, "_composite_file", None),
        line=mark.line + 1, column=mark.column + 1, field=str(name), fix=f'{name}: "{written}"')


def _slice(lines: list[str], start: Any, end: Any) -> str | None:
    """The file's text from one mark to another (marks are 0-based line and column)."""
    if start.line >= len(lines) or end.line >= len(lines) + 1 or (start.line, start.column) > (end.line, end.column):
        return None
    if start.line == end.line:
        return lines[start.line][start.column : end.column]
    middle = lines[start.line + 1 : end.line]
    last = lines[end.line][: end.column] if end.line < len(lines) else ""
    return "\n".join([lines[start.line][start.column :], *middle, last])


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


def _construct_timestamp(loader: _LineLoader, node: yaml.ScalarNode) -> Any:
    # 2026-13-01 has a date's shape but is no date: keep its text, so that whatever reads it (a
    # date concept, a scenario) says what is wrong with it, at its field, instead of the loader failing.
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_timestamp(loader, node)
    except ValueError:
        return loader.construct_scalar(node)


_LineLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)
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
        loader._composite_lines = text.splitlines() if isinstance(text, str) else None
        loader._max_alias_nodes = _limit(ALIAS_ENV, MAX_ALIAS_NODES)
        loader._max_nesting = _limit(NESTING_ENV, MAX_NESTING)
        return loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        message, mark = explain_yaml_error(exc, text.splitlines() if isinstance(text, str) else [])
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


_KEY = re.compile(r"^(\s*(?:-\s+)*)([^\s#'\"{\[][^:#]*?):(?:\s|$)")


def explain_yaml_error(exc: yaml.MarkedYAMLError, lines: list[str]) -> tuple[str, Any]:
    """PyYAML's complaint in plain words with the fix, and the mark to report it at.

    PyYAML says what its parser expected ("mapping values are not allowed here"); a rule author
    needs what they did (a ':' inside unquoted text, a line indented too far) and what to write
    instead. PyYAML's own words follow in parentheses, for whoever knows YAML.
    """
    problem, context = exc.problem or "", exc.context or ""
    original = f"{context}: {problem}" if context and problem else (problem or context or str(exc))
    mark, opened = exc.problem_mark or exc.context_mark, exc.context_mark

    def text(at: Any) -> str:
        return lines[at.line] if at is not None and 0 <= at.line < len(lines) else ""

    def said(words: str, where: Any = None) -> tuple[str, Any]:
        return f"{words} (YAML: {original})", where or mark

    line = text(mark)
    number = mark.line + 1 if mark else None
    if "'\\t'" in problem:
        indent = line[: len(line) - len(line.lstrip(" \t"))]
        if "\t" in indent:
            return said(f"line {number} is indented with a tab; YAML indents with spaces only: replace the tab "
                        "with spaces, lining the line up with the lines it belongs with")
        return said(f"a tab at line {number}, column {mark.column + 1}, where YAML expects a value; replace it with "
                    "a space")
    starts = re.match(r"found character '(.)' that cannot start any token", problem)
    if starts and mark is not None:
        return said(f"a value cannot start with '{starts.group(1)}' in YAML; quote the text: "
                    f"{_quoted(_value_at(line, mark.column))}")
    if "while scanning a block scalar" in context and opened is not None:
        return said(f"a value starting with '{text(opened)[opened.column:opened.column + 1]}' begins a block of text "
                    f"in YAML; quote the text: {_quoted(_value_at(text(opened), opened.column))}", opened)
    if problem.startswith("could not determine a constructor for the tag '!") and mark is not None:
        written = _value_at(line, mark.column)
        negated = re.match(r"!\s*([A-Za-z_][A-Za-z0-9_]*)", written)
        instead = f"write 'not {negated.group(1)}{written[negated.end():]}' for a negation, or " if negated else ""
        return said(f"a value starting with '!' is a YAML tag; {instead}quote the text: {_quoted(written)}")
    if problem.startswith("found undefined alias") and mark is not None:
        return said("a value starting with '*' is a YAML alias; quote the text: "
                    f"{_quoted(_value_at(line, mark.column))}")
    stray = re.match(r"expected <block end>, but found '([}\]])'", problem)
    if stray and mark is not None:
        return said(f"a '{stray.group(1)}' at line {number}, column {mark.column + 1} closes nothing; remove it "
                    f"(or quote the text it belongs to)")
    if problem == "mapping values are not allowed here" and mark is not None:
        key = _KEY.match(line)
        if key and key.end(2) < mark.column:
            name = key.group(2).strip()
            value = line[key.end():].strip()
            quoted = f'"{value}"' if '"' not in value else "'" + value.replace("'", "''") + "'"
            return said(f"the text after '{name}:' contains ': ', which YAML reads as the start of another key; "
                        f"put the whole text in quotes: {name}: {quoted}")
        above = _line_above(lines, mark.line)
        if above is not None:
            above_key = _KEY.match(lines[above])
            this_key = key.group(2).strip() if key else line.strip()
            if above_key:
                column = above_key.start(2) + 1
                return said(f"line {number} ('{this_key}:') is indented more than line {above + 1} "
                            f"('{above_key.group(2).strip()}:'), so YAML reads it as more of the text on line "
                            f"{above + 1} and cannot place its ':'; align '{this_key}:' with "
                            f"'{above_key.group(2).strip()}:' (column {column}), or quote the text if the line "
                            "belongs to it")
            if not above_key and lines[above].strip():
                shown = lines[above].strip()
                shown = shown if len(shown) <= 40 else shown[:37] + "..."
                return said(f"line {number} ('{this_key}:') follows line {above + 1} ('{shown}'), which has no "
                            f"'key:', so YAML reads both lines as one text and cannot place the ':'; add the "
                            f"missing ':' on line {above + 1}, or quote its text")
        return said(f"a ':' at line {number}, column {mark.column + 1} where YAML cannot start a key: check this "
                    "line's indentation, and quote text that contains ': '")
    if "quoted scalar" in context and opened is not None:
        quote = text(opened)[opened.column : opened.column + 1] or "quote"
        return said(f"the {quote} opened at line {opened.line + 1}, column {opened.column + 1} is never closed; "
                    f"add the closing {quote} at the end of the text", opened)
    if context in ("while parsing a flow mapping", "while parsing a flow sequence") and opened is not None:
        bracket, closer = ("{", "}") if "mapping" in context else ("[", "]")
        opener = text(opened)[opened.column :]
        for quote in ('"', "'"):
            if opener.count(quote) % 2:  # an odd quote on the opening line: the text's quote is not closed
                at = opened.column + (opener.index(quote) if opener.count(quote) == 1 else opener.rindex(quote))
                return said(f"the {quote} opened at line {opened.line + 1}, column {at + 1} is not closed on its line; "
                            f"add the closing {quote} at the end of the text",
                            yaml.Mark("", 0, opened.line, at, None, None))
        if mark is not None and mark.line == opened.line:
            return said(f"expected ',' or '{closer}' at line {number}, column {mark.column + 1}: inside "
                        f"{bracket}...{closer} entries are separated by commas, and text holding ',' ':' "
                        f"'{bracket}' or '{closer}' must be quoted")
        return said(f"the '{bracket}' opened at line {opened.line + 1}, column {opened.column + 1} is not closed "
                    f"before line {number}; add '{closer}' at the end of line {opened.line + 1} (or quote the "
                    f"text if the '{bracket}' is part of it)", opened)
    if context == "while scanning a simple key" and opened is not None:
        return said(f"line {opened.line + 1} holds text that is neither 'key: value' nor a '- ' item: add the "
                    "missing ':' after the key, or, if the text continues the value above, indent it more than "
                    "that value's key (or quote the whole text)", opened)
    if problem.startswith("expected <block end>") and opened is not None and mark is not None:
        indent = len(line) - len(line.lstrip(" "))
        if "'-'" in problem:
            return said(f"line {number} starts a list item '- ' where the entries around it are 'key: value'; "
                        "put the list under a key (key: then the items indented below it)")
        if "<scalar>" in problem and mark.line == (exc.context_mark.line if exc.context_mark else -1):
            return said(f"text follows the value at line {number}, column {mark.column + 1}; if it is all one "
                        "text, quote the whole of it")
        if context == "while parsing a block collection" and indent == opened.column:
            above = _line_above(lines, mark.line)
            above_key = _KEY.match(lines[above]) if above is not None else None
            this_key = _KEY.match(line)
            shown = f" ('{this_key.group(2).strip()}:')" if this_key else ""
            belong = (f"indent it to column {above_key.start(2) + 1}, like '{above_key.group(2).strip()}:' on line "
                      f"{above + 1}, to belong to the item above, or " if above_key and above is not None else "")
            return said(f"line {number}{shown} starts at the column of the list's '- ' items (column {indent + 1}) "
                        f"but is not an item: {belong}start it with '- ' to make it an item of its own")
        above = _line_above(lines, mark.line)
        above_key = _KEY.match(lines[above]) if above is not None else None
        if above_key and above_key.start(2) != opened.column:
            return said(f"line {number} starts at column {indent + 1}, between the entries at column "
                        f"{opened.column + 1} (from line {opened.line + 1}) and at column {above_key.start(2) + 1} "
                        f"(line {above + 1}); indent it to the column of the entries it belongs with")
        return said(f"line {number} starts at column {indent + 1}, which lines up with none of the entries "
                    f"around it (the block starting at line {opened.line + 1} has its entries at column "
                    f"{opened.column + 1}); indent it like the entries it belongs with")
    return f"{original}", mark


def _value_at(line: str, column: int) -> str:
    """The value written from `column` on: to the end of the line, or inside {...}/[...] to the next , } or ]."""
    rest = line[column:]
    if re.search(r"[{\[]", line[:column]):
        rest = re.split(r"[,}\]]", rest, maxsplit=1)[0]
    return rest.split(" #", 1)[0].strip()


def _quoted(value: str) -> str:
    """`value` in YAML quotes: single ones (which keep S-FEEL's double quotes as they are), or double."""
    if "'" not in value:
        return f"'{value}'"
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _line_above(lines: list[str], index: int) -> int | None:
    """The nearest line above `index` that holds more than blanks or a comment."""
    for above in range(min(index, len(lines)) - 1, -1, -1):
        stripped = lines[above].strip()
        if stripped and not stripped.startswith("#"):
            return above
    return None


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
