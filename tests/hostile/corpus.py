"""The hostile corpus, generated in code: bad requests (values, JSON texts, frames) and bad project files.

Each case says what must happen: the error type, and where it must point (the field of a
request; the file and line of a project file). Big values are built when a case is run, not at
import, so collecting the suite costs nothing.
"""

from __future__ import annotations

import decimal
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from composite.errors import CompositeError, EvaluationError, GraphError, ProjectError, RequestError
from tests.hostile.project import BAND_CSV, GOOD, NODE_LINE

MB10 = 10_000_000


def deep_list(depth: int) -> Any:
    value: Any = []
    for _ in range(depth):  # iteratively: building it must not recurse either
        value = [value]
    return value


def deep_dict(depth: int) -> Any:
    value: Any = {}
    for _ in range(depth):
        value = {"a": value}
    return value


# -- requests as Python values (decide, decide_batch) ------------------------------------------


@dataclass(frozen=True)
class BadValue:
    """`field` set to the value made by `make` in an otherwise good request; `where` is the field reported."""

    id: str
    field: Any
    make: Callable[[], Any]
    where: str | None = None  # defaults to `field`
    error: type[CompositeError] = RequestError
    known_defect: str | None = None  # the suite asserts the right behaviour; xfail(strict) until fixed

    @property
    def reported(self) -> str:
        return self.where if self.where is not None else str(self.field)

    def request(self) -> dict[Any, Any]:
        return {**GOOD, self.field: self.make()}


# Known-nasty values, each on the concept type it is wrong for.
NASTY_VALUES: list[BadValue] = [
    # huge and inexact integers
    BadValue("int-10e400-number", "amount", lambda: 10**400),
    BadValue("int-10e400-integer", "count", lambda: 10**400),
    BadValue("int-2e64-integer", "count", lambda: 2**64),
    BadValue("int-minus-2e64-number", "amount", lambda: -(2**64)),
    BadValue("int-2e63-integer", "count", lambda: 2**63),
    BadValue("int-2e53+1-number", "amount", lambda: 2**53 + 1),
    BadValue("numpy-uint64-max-integer", "count", lambda: np.uint64(2**64 - 1)),
    BadValue("decimal-1e400-number", "amount", lambda: decimal.Decimal("1e400")),
    # numbers written as strings, non-finite numbers
    BadValue("str-1e400-number", "amount", lambda: "1e400"),
    BadValue("str-1e400-integer", "count", lambda: "1e400"),
    BadValue("str-5-number", "amount", lambda: "5"),
    BadValue("str-NaN-number", "amount", lambda: "NaN"),
    BadValue("nan-number", "amount", lambda: math.nan),
    BadValue("numpy-nan-number", "amount", lambda: np.float64("nan")),
    BadValue("inf-number", "amount", lambda: math.inf),
    BadValue("minus-inf-optional-number", "level", lambda: -math.inf),
    BadValue("inf-integer", "count", lambda: math.inf),
    BadValue("float-1e400-number", "amount", lambda: float("1e400")),
    BadValue("complex-number", "amount", lambda: complex(1, 2)),
    # out of range, not integral, not allowed
    BadValue("above-range-number", "amount", lambda: 1e12),
    BadValue("below-range-integer", "count", lambda: -1),
    BadValue("fraction-integer", "count", lambda: 2.5),
    BadValue("above-range-optional", "level", lambda: 11),
    BadValue("unknown-category", "grade", lambda: "z"),
    BadValue("category-case", "grade", lambda: "A"),
    # wrong types per concept type
    BadValue("bool-number", "amount", lambda: True),
    BadValue("bool-integer", "count", lambda: False),
    BadValue("int-boolean", "flag", lambda: 1),
    BadValue("str-true-boolean", "flag", lambda: "true"),
    BadValue("int-category", "grade", lambda: 1),
    BadValue("list-category", "grade", lambda: ["a"]),
    BadValue("int-string", "note", lambda: 5),
    BadValue("bytes-string", "note", lambda: b"\xff\xfe"),
    BadValue("dict-number", "amount", lambda: {"value": 5}),
    BadValue("set-number", "amount", lambda: {1, 2}),
    BadValue("object-number", "amount", lambda: object()),
    BadValue("null-required-number", "amount", lambda: None),
    BadValue("null-required-boolean", "flag", lambda: None),
    # deep nesting and huge containers
    BadValue("list-100k-deep", "count", lambda: deep_list(100_000)),
    BadValue("dict-100k-deep", "grade", lambda: deep_dict(100_000)),
    BadValue("list-1M-items", "amount", lambda: [1] * 1_000_000),
    # 10 MB strings
    BadValue("str-10MB-string", "note", lambda: "x" * MB10),
    BadValue("str-10MB-category", "grade", lambda: "a" * MB10),
    BadValue("str-10MB-digits-number", "amount", lambda: "9" * MB10),
    # lone surrogates: text no store can hold
    BadValue("surrogate-string", "note", lambda: "\ud800"),
    BadValue("surrogate-pair-halves-string", "note", lambda: "ok \udfff"),
    BadValue("surrogate-category", "grade", lambda: "\ud800"),
    # unknown and non-string field names
    BadValue("unknown-field", "amout", lambda: 1),
    BadValue("unknown-field-10MB-name", "y" * MB10, lambda: 1, where="y" * 200),
    BadValue("unknown-field-surrogate-name", "\ud800", lambda: 1),
    BadValue("int-key", 7, lambda: 1, where="7"),
    BadValue("tuple-key", (1, 2), lambda: 1, where="(1, 2)"),
    BadValue("bytes-key", b"amount", lambda: 1, where="b'amount'"),
    BadValue("float-nan-key", math.nan, lambda: 1, where="nan"),
    BadValue("none-key", None, lambda: 1, where="None"),  # in a batch too (pandas once made it NaN: 'nan')
    # a null where a node cannot take one: not a bad request, but the node's located error
    BadValue("null-optional-into-fuzzy", "level", lambda: None, error=EvaluationError),
]


def field_names(error: CompositeError) -> set[str]:
    return {str(p.field) for p in error.problems if p.field is not None}


# -- whole requests that are not a mapping of fields ---------------------------------------------

NOT_A_REQUEST: list[tuple[str, Callable[[], Any]]] = [
    ("none", lambda: None),
    ("list", lambda: [GOOD]),
    ("string", lambda: "amount=1"),
    ("int", lambda: 5),
    ("too-many-fields", lambda: {**GOOD, **{f"f{i}": i for i in range(100_000)}}),
    ("empty", lambda: {}),
]


# -- JSON request texts (composite decide --input FILE) ----------------------------------------------


def _json(**changes: str) -> bytes:
    fields = {"amount": "2500", "count": "3", "grade": '"b"', "flag": "true", **changes}
    return ("{" + ", ".join(f'"{k}": {v}' for k, v in fields.items()) + "}").encode()


@dataclass(frozen=True)
class BadText:
    """A request file's bytes; `where` is what stderr must name: a field, or None for the input file."""

    id: str
    make: Callable[[], bytes]
    where: str | None = None
    known_defect: str | None = None
    cli_defect: str | None = None  # wrong only through the CLI


BAD_TEXTS: list[BadText] = [
    BadText("duplicate-key", lambda: _json(amount="2500, \"amount\": 1")),
    BadText("duplicate-nested-key", lambda: _json(grade='{"a": 1, "a": 2}')),
    BadText("literal-1e400", lambda: _json(amount="1e400"), "amount"),
    BadText("literal-minus-1e400", lambda: _json(amount="-1e400"), "amount"),
    BadText("literal-NaN", lambda: _json(amount="NaN"), "amount"),
    BadText("literal-Infinity", lambda: _json(count="Infinity"), "count"),
    BadText("int-1-and-400-zeros", lambda: _json(count="1" + "0" * 400), "count"),
    BadText("int-5000-digits", lambda: _json(amount="9" * 5_000)),
    BadText("int-2e64", lambda: _json(amount=str(2**64)), "amount"),
    BadText("string-1e400", lambda: _json(amount='"1e400"'), "amount"),
    BadText("string-number", lambda: _json(count='"3"'), "count"),
    BadText("number-boolean", lambda: _json(flag="1"), "flag"),
    BadText("number-category", lambda: _json(grade="2"), "grade"),
    BadText("null-required", lambda: _json(grade="null"), "grade"),
    BadText("unknown-field", lambda: _json(amout="1"), "amout"),
    BadText("missing-field", lambda: b'{"amount": 2500, "count": 3, "grade": "b"}', "flag"),
    BadText("array-100k-deep", lambda: b"[" * 100_000 + b"]" * 100_000),
    BadText("value-100k-deep", lambda: _json(note="[" * 100_000 + "]" * 100_000)),
    BadText("unclosed-100k-deep", lambda: b'{"a": ' + b"[" * 100_000),
    BadText("string-9MB", lambda: _json(note='"' + "x" * 9_000_000 + '"'), "note"),
    BadText("string-10MB", lambda: _json(note='"' + "x" * MB10 + '"')),
    BadText("non-utf8-bytes", lambda: _json(note=b'"\xff\xfe"'.decode("latin-1")).replace(b"\xc3\xbf\xc3\xbe", b"\xff\xfe")),
    BadText("utf16-text", lambda: _json().decode().encode("utf-16")),
    BadText("not-json", lambda: b"amount=2500&count=3"),
    BadText("empty-file", lambda: b""),
    BadText("top-level-array", lambda: b"[1, 2, 3]"),
    BadText("top-level-string", lambda: b'"amount"'),
    BadText("top-level-null", lambda: b"null"),
    BadText("escaped-surrogate-in-string", lambda: _json(note='"\\ud800"'), "note"),
    BadText("escaped-surrogate-in-key", lambda: _json(**{"\\ud800": "1"}), "\\ud800"),
    BadText("nul-in-key", lambda: _json(**{"am\\u0000ount": "1"}), "am\x00ount"),
]


# -- frames (decide_batch only) ----------------------------------------------------------------------


# -- project files ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class BadProject:
    """A break of the hostile project; the load must fail with `error` at `file` (and `line`, if given)."""

    id: str
    breaks: Callable[[Path], None]
    file: str
    line: int | None  # ANY: some line; None: the problem is the file itself (a file with no reference)
    error: type[CompositeError] = ProjectError
    code: str | None = None
    needs: str | None = None  # a platform feature: "fifo", "/dev/zero", "symlink"


def _write(path: Path, data: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data)


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1))


def billion_laughs(levels: int = 9, prefix: str = "x-") -> str:
    lines = [f'{prefix}a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    previous = "a"
    for name in "bcdefghij"[: levels - 1]:
        lines.append(f"{prefix}{name}: &{name} [{', '.join([f'*{previous}'] * 9)}]")
        previous = name
    return "\n".join(lines) + "\n"


def _append(relative: str, text: str | bytes) -> Callable[[Path], None]:
    def breaks(root: Path) -> None:
        path = root / relative
        old = path.read_bytes()
        path.write_bytes(old + (text if isinstance(text, bytes) else text.encode()))
    return breaks


def _replace(relative: str, old: str, new: str) -> Callable[[Path], None]:
    return lambda root: _edit(root / relative, old, new)


def _replace_bytes(relative: str, old: bytes, new: bytes) -> Callable[[Path], None]:
    def breaks(root: Path) -> None:
        path = root / relative
        path.write_bytes(path.read_bytes().replace(old, new, 1))
    return breaks


def _put(relative: str, data: str | bytes) -> Callable[[Path], None]:
    return lambda root: _write(root / relative, data)


def _symlink_out(relative: str, text: str) -> Callable[[Path], None]:
    def breaks(root: Path) -> None:
        outside = root.parent / f"outside-{Path(relative).name}"
        outside.write_text(text)
        (root / relative).unlink()
        (root / relative).symlink_to(outside)
    return breaks


def _replace_with(relative: str, how: str) -> Callable[[Path], None]:
    def breaks(root: Path) -> None:
        path = root / relative
        path.unlink()
        if how == "dir":
            path.mkdir()
        elif how == "fifo":
            os.mkfifo(path)
        elif how == "/dev/zero":
            path.symlink_to("/dev/zero")
        elif how == "dangling":
            path.symlink_to(root / "nowhere.csv")
        elif how == "loop":
            path.symlink_to(path.name)
    return breaks


def _expression(text: str) -> Callable[[Path], None]:
    return _replace("composite.yaml", "score: amount / 100 + count * 2", f"score: {text}")


BAND = NODE_LINE["band"]
FUZZY = NODE_LINE["comfort_judgement"]
SCORE_LINE = 8  # `score:` in composite.yaml
END = 13  # the first line appended to composite.yaml
ANY = -1  # any line, as long as there is one

BAD_PROJECTS: list[BadProject] = [
    # YAML that costs unbounded work
    BadProject("alias-bomb-composite-yaml", _append("composite.yaml", billion_laughs()), "composite.yaml", ANY,
               code="yaml_alias_limit"),
    BadProject("alias-bomb-knowledge", _append("knowledge/concepts.yaml", billion_laughs()), "knowledge/concepts.yaml",
               ANY, code="yaml_alias_limit"),
    BadProject("alias-bomb-fuzzy", _append("rules/comfort.fuzzy.yaml", billion_laughs()), "rules/comfort.fuzzy.yaml",
               ANY, code="yaml_alias_limit"),
    BadProject("yaml-5000-deep", _append("composite.yaml", "x-deep: " + "[" * 5_000 + "]" * 5_000 + "\n"),
               "composite.yaml", END, code="yaml_nesting_limit"),
    BadProject("yaml-control-character", _append("knowledge/concepts.yaml", "  other: {type: number, description: a\x07b}\n"),
               "knowledge/concepts.yaml", 12, code="yaml_syntax"),
    # bytes that are not UTF-8
    BadProject("non-utf8-composite-yaml", _replace_bytes("composite.yaml", b"version: 1.0.0", b"version: 1.0.0 # caf\xe9"),
               "composite.yaml", 2, code="file_encoding"),
    BadProject("non-utf8-knowledge", _append("knowledge/concepts.yaml", b"  other: {type: number, description: \xff}\n"),
               "knowledge/concepts.yaml", 12, code="file_encoding"),
    BadProject("non-utf8-table-csv", _put("rules/band.csv", BAND_CSV.encode() + b">= 10000000, \xc3\x28\n"),
               "rules/band.csv", 5, code="file_encoding"),
    BadProject("non-utf8-fuzzy", _append("rules/comfort.fuzzy.yaml", b"# \xfe\xff\n"), "rules/comfort.fuzzy.yaml", 18,
               code="file_encoding"),
    # files that are not the project's regular files
    BadProject("directory-as-table", _replace_with("rules/band.csv", "dir"), "composite.yaml", BAND,
               code="file_not_regular"),
    BadProject("fifo-as-table", _replace_with("rules/band.csv", "fifo"), "composite.yaml", BAND,
               code="file_not_regular", needs="fifo"),
    BadProject("fifo-as-fuzzy", _replace_with("rules/comfort.fuzzy.yaml", "fifo"), "composite.yaml", FUZZY,
               code="file_not_regular", needs="fifo"),
    BadProject("dev-zero-symlink", _replace_with("rules/band.csv", "/dev/zero"), "composite.yaml", BAND,
               code="file_outside_project", needs="/dev/zero"),
    BadProject("dev-zero-absolute", _replace("composite.yaml", "file: rules/band.csv", "file: /dev/zero"),
               "composite.yaml", BAND, code="file_outside_project", needs="/dev/zero"),
    BadProject("symlink-out-of-project", _symlink_out("rules/band.csv", BAND_CSV), "composite.yaml", BAND,
               code="file_outside_project"),
    BadProject("knowledge-symlink-out", _symlink_out("knowledge/concepts.yaml", "concepts: {}\n"),
               "knowledge/concepts.yaml", None, code="file_outside_project"),
    BadProject("dot-dot-path", _replace("composite.yaml", "file: rules/band.csv", "file: ../band.csv"),
               "composite.yaml", BAND, code="file_outside_project"),
    BadProject("dangling-symlink", _replace_with("rules/band.csv", "dangling"), "composite.yaml", BAND),
    BadProject("symlink-loop", _replace_with("rules/band.csv", "loop"), "composite.yaml", BAND),
    BadProject("missing-file", _replace("composite.yaml", "file: rules/band.csv", "file: rules/nowhere.csv"),
               "composite.yaml", BAND, code="missing_file"),
    # expressions
    BadProject("parentheses-1000-deep", _expression("(" * 1_000 + "amount" + ")" * 1_000), "composite.yaml", SCORE_LINE,
               code="expression_too_deep"),
    BadProject("unary-minus-1000-deep", _expression("-" * 1_000 + "amount"), "composite.yaml", SCORE_LINE,
               code="expression_too_deep"),
    BadProject("unclosed-parentheses", _expression("(" * 1_000 + "amount"), "composite.yaml", SCORE_LINE),
    BadProject("integer-literal-400-digits", _expression("amount + 1" + "0" * 400), "composite.yaml", SCORE_LINE),
    # at the formula that uses the name, not at the node
    BadProject("expression-unknown-name", _expression("amount + nobody"), "composite.yaml", SCORE_LINE, error=GraphError),
    # tables, fuzzy bases, nodes, graphs
    BadProject("table-row-shape", _put("rules/band.csv", BAND_CSV + "< 1000, 1, 2\n"), "rules/band.csv", 5),
    BadProject("fuzzy-resolution-1e9", _replace("rules/comfort.fuzzy.yaml", "resolution: 101", "resolution: 1000000000"),
               "rules/comfort.fuzzy.yaml", 5),
    BadProject("fuzzy-resolution-1e400", _replace("rules/comfort.fuzzy.yaml", "resolution: 101", "resolution: 1e400"),
               "rules/comfort.fuzzy.yaml", 5),
    BadProject("unknown-node-kind", _replace("composite.yaml", "kind: table", "kind: spreadsheet"), "composite.yaml", BAND,
               code="unknown_node_kind"),
    BadProject("cycle", _append("composite.yaml", "  - {name: c1, kind: expression, writes: {cx: cy + 1}}\n"
                                                  "  - {name: c2, kind: expression, writes: {cy: cx + 1}}\n"),
               "composite.yaml", END, error=GraphError),
    BadProject("two-writers", _append("composite.yaml", "  - {name: again, kind: expression, writes: {score: amount}}\n"),
               "composite.yaml", END, error=GraphError),
    BadProject("knowledge-wrong-type", _replace("knowledge/concepts.yaml", "type: integer, range: [0, 100]",
                                                "type: integr, range: [0, 100]"), "knowledge/concepts.yaml", 3),
    BadProject("composite-yaml-not-a-mapping", _put("composite.yaml", "- just\n- a list\n"), "composite.yaml", 1),
    BadProject("composite-yaml-directory", lambda root: ((root / "composite.yaml").unlink(), (root / "composite.yaml").mkdir())
               and None, "composite.yaml", None),
]

# Loads (a table may list a row twice), but is wrong: `validate` reports it at the rows' lines and a
# decision the duplicate rows match is an EvaluationError at the table file, nothing stored.
DUPLICATE_ROWS = BAND_CSV + "< 1000, 1\n< 1000, 1\n"
DUPLICATE_LINES = (5, 6)
