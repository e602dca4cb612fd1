"""What the `composite` commands share below the output: the --project and --store options, how a
command opens its project, engine or store, and how a request is read."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Callable

import click

from composite.errors import CompositeError, ProjectError

__all__ = ["PROJECT_HELP", "STORE_HELP", "command", "engine_of", "open_store_of", "project_options",
           "read_input", "store_options"]

PROJECT_HELP = "decision project folder, .dmn or .fll file (default: .)"
STORE_HELP = ("store URL: memory, sqlite:///file.db (default: $COMPOSITE_STORE_URL or "
              "<project>/.composite/decisions.db)")
CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}

Decorator = Callable[[Callable[..., Any]], Any]


def command(name: str, description: str | None = None, **settings: Any) -> Decorator:
    """A `composite NAME` command whose one-line help is the registry's (composite.cli.COMMANDS), so that
    `composite --help` shows what `composite NAME --help` begins with, without importing NAME."""
    from composite.cli import COMMANDS

    short = COMMANDS[name][1]
    return click.command(name, help=description or short, short_help=short, context_settings=CONTEXT, **settings)


def project_option(help: str = PROJECT_HELP) -> Decorator:
    return click.option("--project", default=".", metavar="PROJECT", help=help)


def store_option(help: str = STORE_HELP, metavar: str = "STORE") -> Decorator:
    return click.option("--store", default=None, metavar=metavar, help=help)


def project_options(store: bool = True, project_help: str = PROJECT_HELP, store_help: str = STORE_HELP) -> Decorator:
    """--project, and --store unless `store` is False."""
    def decorate(function: Callable[..., Any]) -> Any:
        if store:
            function = store_option(store_help)(function)
        return project_option(project_help)(function)

    return decorate


# --project and --store, for the commands that read a store (see `open_store_of`)
store_options = project_options(
    project_help="decision project folder whose store to read (default: .)",
    store_help="store URL (default: $COMPOSITE_STORE_URL or <project>/.composite/decisions.db)")


def engine_of(project: str, store: str | None) -> Any:
    from composite.engine import CompositeEngine

    return CompositeEngine.from_path(project, store=store)


def open_store_of(project: str, store: str | None) -> Any:
    """The store `--store` names, else the project's (`--project`, which must then be a project):
    what the commands that read stored decisions (replay, verify, outcome, compare) open."""
    from composite.store import project_store

    source = Path(project)
    if store is None and not source.is_file() and not (source / "composite.yaml").is_file():
        raise ProjectError(f"'{source}' is not a decision project: it has no composite.yaml (name its store with "
                           "--store, or the project with --project)", code="not_a_project",
                           file=str(source / "composite.yaml"))
    return project_store(source, store)


def read_input(spec: str) -> Any:
    """The request: JSON text read within the default `Limits` (size, nesting, no key twice)."""
    from composite.limits import DEFAULT_LIMITS, parse_json_request

    most = DEFAULT_LIMITS.max_request_bytes
    if spec == "-":
        data = sys.stdin.buffer.read(most + 1)
        where = "standard input"
    else:
        path = Path(spec)
        try:
            if not path.is_file():
                raise CompositeError("the input is not a regular file", code="input_unreadable", file=spec)
            with path.open("rb") as handle:
                data = handle.read(most + 1)  # never more than the limit, whatever the file is
        except OSError as exc:
            raise CompositeError(f"cannot read the input file: {exc.strerror}", code="input_unreadable", file=spec) from None
        where = spec
    return parse_json_request(data, where=where, limits=DEFAULT_LIMITS)
