"""The C fast path of `load_yaml` (libyaml's parser and composer) gives what the Python loader
gives: the same values, the same line of every mapping, key and list item, the same (line, column)
of every value, and leaves every error, deep nesting and alias bound to the Python loader."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from composite import _yaml
from composite._yaml import _LineLoader, load_yaml
from composite.errors import ProjectError
from tests.conftest import REPO

pytestmark = pytest.mark.skipif(_yaml._CParser is None, reason="PyYAML is built without libyaml here")


def _python(text: str) -> Any:
    loader = _LineLoader(text)
    loader._composite_file = "x.yaml"
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def _same(a: Any, b: Any, path: str = "") -> None:
    assert type(a) is type(b), (path, type(a), type(b))
    if isinstance(a, dict):
        assert list(a) == list(b), path
        assert getattr(a, "line", None) == getattr(b, "line", None), path
        assert getattr(a, "key_lines", {}) == getattr(b, "key_lines", {}), path
        assert getattr(a, "value_positions", {}) == getattr(b, "value_positions", {}), path
        for key in a:
            _same(a[key], b[key], f"{path}/{key}")
    elif isinstance(a, list):
        assert len(a) == len(b), path
        assert getattr(a, "line", None) == getattr(b, "line", None), path
        assert getattr(a, "item_lines", []) == getattr(b, "item_lines", []), path
        for i, (x, y) in enumerate(zip(a, b)):
            _same(x, y, f"{path}[{i}]")
    else:
        assert a == b or (a != a and b != b), (path, a, b)


def _fast(text: str) -> Any:
    done, data = _yaml._load_fast(text, "x.yaml")
    assert done
    return data


SHIPPED = sorted(p for p in REPO.rglob("*.y*ml") if ".venv" not in p.parts and ".git" not in p.parts
                 and "node_modules" not in p.parts)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(REPO)))
def test_every_shipped_yaml_file_loads_the_same_both_ways(path: Path):
    text = path.read_text(encoding="utf-8")
    _same(_fast(text), _python(text), str(path))


scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6),
                    st.floats(allow_nan=False, allow_infinity=False, width=32),
                    st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=12),
                    st.sampled_from(["yes", "no", "on", "off", "~", "null", "1e3", "0x10", "- x", "a: b", "#c"]))
keys = st.text(st.characters(min_codepoint=97, max_codepoint=122), min_size=1, max_size=6)
documents = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                          st.dictionaries(keys, inner, max_size=4)), max_leaves=25)


@settings(max_examples=200, deadline=None)
@given(documents, st.sampled_from([None, False, True]), st.sampled_from([None, '"', "'", "|"]),
       st.integers(2, 6))
def test_random_documents_load_the_same_both_ways(document, flow, style, indent):
    text = yaml.safe_dump({"root": document}, default_flow_style=flow, default_style=style, indent=indent,
                          allow_unicode=True, sort_keys=False)
    _same(_fast(text), _python(text))


@pytest.mark.parametrize("text", [
    "a: 1\n  b: 2\n",                      # bad indentation
    "a: [1, 2\n",                          # unclosed flow sequence
    "a: 1\na: 2\n",                        # a key twice (the constructors' error)
    "x: \x07\n",                           # a control character
    "a: *nowhere\n",                       # an unknown alias
    "x: " + "[" * 150 + "]" * 150 + "\n",  # deeper than MAX_NESTING
    "a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n" + "".join(
        f"{c}: &{c} [{', '.join(['*' + p] * 10)}]\n" for p, c in zip("abcdefgh", "bcdefghi")),  # an alias bomb
])
def test_errors_are_the_python_loaders_errors(text, monkeypatch):
    with pytest.raises(ProjectError) as fast:
        load_yaml(text, file="x.yaml")
    monkeypatch.setattr(_yaml, "_CParser", None)  # the Python loader alone
    with pytest.raises(ProjectError) as slow:
        load_yaml(text, file="x.yaml")
    assert str(fast.value) == str(slow.value)
    assert [(p.code, p.line, p.column) for p in fast.value.problems] == \
        [(p.code, p.line, p.column) for p in slow.value.problems]


def test_deep_documents_never_reach_the_c_composer():
    assert not _yaml._shallow("x: " + "[" * 5_000 + "]" * 5_000, 100)
    assert not _yaml._shallow("a:\n" + "".join(" " * i + f"k{i}:\n" for i in range(1, 120)), 100)
    assert not _yaml._shallow("- " * 120 + "x\n", 100)
    assert _yaml._shallow("a:\n  b: [1, {c: 2}]\n  - x\n", 100)
