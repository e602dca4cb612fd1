"""DMN 1.1-1.5 models, whole: `load_model(path)` reads a `.dmn` file (and what it imports from its folder),
`DmnModel.evaluate(inputs)` decides every decision with FEEL (docs/dmn.md)."""

from __future__ import annotations

from typing import Any

__all__ = ["DmnModel", "load_model", "read_model"]


def __getattr__(name: str) -> Any:
    # Lazy, so `composite.dmn.tck` and the tables loader import no FEEL until a model is read.
    if name in __all__:
        from composite.dmn import model

        return getattr(model, name)
    raise AttributeError(name)
