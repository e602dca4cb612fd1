"""The public surface: `composite.__all__` is sorted, complete and importable."""

from __future__ import annotations

import composite


def test_all_is_sorted_and_every_name_exists():
    assert composite.__all__ == sorted(composite.__all__)
    for name in composite.__all__:
        assert hasattr(composite, name), name


def test_every_public_class_in_the_package_namespace_is_listed():
    public = {name for name, value in vars(composite).items()
              if not name.startswith("_") and isinstance(value, type)}
    assert public <= set(composite.__all__)


def test_every_error_derives_from_composite_error():
    for name in composite.__all__:
        value = getattr(composite, name)
        if isinstance(value, type) and issubclass(value, Exception):
            assert issubclass(value, composite.CompositeError), name
