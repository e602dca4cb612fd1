"""The examples in the fuzzy package's docstrings run and say what they show."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["composite.fuzzy.membership", "composite.fuzzy.rules", "composite.fuzzy.evaluate",
           "composite.fuzzy.evidence", "composite.fuzzy.formula", "composite.fuzzy.yamlformat"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_hold(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_public_api_lists_every_name_once_in_order() -> None:
    import composite.fuzzy as fuzzy

    assert fuzzy.__all__ == sorted(set(fuzzy.__all__))
    assert all(hasattr(fuzzy, name) for name in fuzzy.__all__)
