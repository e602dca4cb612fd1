"""The decision service, `composite serve`: HTTP over one CompositeEngine (docs/service.md).

FastAPI and uvicorn are the optional extra `composite-decisions[serve]`; they are imported when the app is
built, so `import composite.service` works without them and says how to install them when used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from composite.errors import ExtraNotInstalled

if TYPE_CHECKING:
    from fastapi import FastAPI

    from composite.engine import CompositeEngine

INSTALL = "pip install 'composite-decisions[serve]'"


def require_fastapi() -> None:
    """Raise ExtraNotInstalled, saying how to install them, when FastAPI or uvicorn is missing."""
    for module in ("fastapi", "uvicorn"):
        try:
            __import__(module)
        except ImportError:
            raise ExtraNotInstalled(f"the decision service needs {module}, which is not installed: {INSTALL}",
                                    code="extra_not_installed") from None


def create_app(engine: "CompositeEngine", **options: Any) -> "FastAPI":
    """The FastAPI app serving `engine`; options as `composite.service.app.create_app`."""
    require_fastapi()
    from composite.service.app import create_app as build

    return build(engine, **options)


def from_environment() -> "FastAPI":
    """The app for uvicorn's factory mode: project and store from the environment."""
    require_fastapi()
    from composite.service.app import from_environment as build

    return build()


__all__ = ["INSTALL", "create_app", "from_environment", "require_fastapi"]
