"""The `composite` command: a click group whose commands are imported only when one runs.

Exit codes: 0 success, 1 a rejected request, an invalid project or a failure, 2 wrong usage (docs/cli.md).
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any, Sequence

import click

from composite.errors import CompositeError

__all__ = ["COMMANDS", "composite", "main", "version"]

# name -> ("module:attribute" of its click command, its one-line help). `composite history` imports
# click and composite.cli.audit alone: a command costs nothing until it runs (`composite --help` and
# shell completion read this table, not the modules). The order is the order `--help` lists them.
COMMANDS: dict[str, tuple[str, str]] = {
    "decide": ("composite.cli.decide:decide", "make a decision and store it"),
    "explain": ("composite.cli.audit:explain", "explain a stored decision step by step"),
    "history": ("composite.cli.audit:history", "recent decisions, newest first"),
    "validate": ("composite.cli.project:validate",
                 "load the project and report every problem with file and line"),
    "test": ("composite.cli.scenarios:test", "run scenarios (scenarios/*.yaml, *.csv grids) and report failures and coverage"),
    "graph": ("composite.cli.project:graph", "print the decision graph"),
    "train": ("composite.cli.train:train",
              "train the project's models (models/*.model.yaml) and blends (models/*.blend.yaml)"),
    "check": ("composite.cli.check:check",
              "compare knowledge/, rules and tables with labelled data; exit 1 if the data contradicts them"),
    "serve": ("composite.cli.serve:serve", "serve decisions over HTTP (needs composite-decisions[serve])"),
    "schema": ("composite.cli.schema:schema", "print the JSON Schema of a request, generated from knowledge/"),
    "batch": ("composite.cli.batch:batch", "decide every row of a CSV, Parquet or JSON-lines file"),
    "monitor": ("composite.cli.monitor:monitor",
                "drift, rule hit rates and model performance of stored decisions; exit 1 past a threshold"),
    "whatif": ("composite.cli.monitor:whatif",
               "decide stored inputs with a candidate project version and report what changes"),
    "replay": ("composite.cli.audit:replay",
               "decide stored decisions again with their own project version and compare bit for bit"),
    "verify": ("composite.cli.audit:verify",
               "walk the store's hash chains and report edited, inserted or deleted records"),
    "outcome": ("composite.cli.audit:outcome",
                "record what happened after a stored decision (the decision itself is never changed)"),
    "compare": ("composite.cli.compare:compare",
                "compare the champion's decisions with the challengers' shadow decisions"),
    "init": ("composite.cli.project:init",
             "create a new decision project that validates, passes its scenarios and decides"),
    "plot": ("composite.cli.plot:plot", "draw a fuzzy variable's terms, or an output's surface, as SVG or PNG"),
}

DISTRIBUTION = "composite-decisions"
COMPLETE_VAR = "_COMPOSITE_COMPLETE"

# --debug of the running command: set by the group before its command runs, read by `main` when
# the command fails (the click context is gone by then)
_debug = {"on": False}


def version() -> str:
    """The installed distribution's version (package metadata), or "unknown" when it is not installed."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed(DISTRIBUTION)
    except PackageNotFoundError:
        return "unknown"


class LazyGroup(click.Group):
    """A group whose commands come from COMMANDS, imported when asked for by name."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module, attribute = COMMANDS[name][0].split(":")
        return getattr(importlib.import_module(module), attribute)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, short) for name, (_, short) in COMMANDS.items()])

    def shell_complete(self, ctx: click.Context, incomplete: str) -> list[Any]:
        from click.shell_completion import CompletionItem

        names = [CompletionItem(name, help=short) for name, (_, short) in COMMANDS.items()
                 if name.startswith(incomplete)]
        return names + click.Command.shell_complete(self, ctx, incomplete)  # the group's own options

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BrokenPipeError:  # `composite history | head`; click would make it exit 1
            _silence_stdout()
            return 0


def _show_version(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        click.echo(f"composite {version()}")
        ctx.exit(0)


@click.group("composite", cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
             help="Composite decision engine: decide, explain, validate.")
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_show_version,
              help="print the version of composite-decisions and exit")
@click.option("--debug", is_flag=True, envvar="COMPOSITE_DEBUG",
              help="on an unexpected error, print the whole traceback instead of one line")
def composite(debug: bool) -> None:
    _debug["on"] = debug


def main(argv: Sequence[str] | None = None) -> int:
    """Run the `composite` command on `argv` (default: sys.argv[1:]) and return its exit code: a
    CompositeError as `error: ...` (exit 1), wrong usage as click says it (exit 2), anything else as
    one line unless --debug."""
    args = list(sys.argv[1:] if argv is None else argv)
    _debug["on"] = False
    instruction = os.environ.get(COMPLETE_VAR)
    if instruction:
        from click.shell_completion import shell_complete

        return shell_complete(composite, {}, "composite", COMPLETE_VAR, instruction)
    try:
        code = composite.main(args, prog_name="composite", standalone_mode=False)
    except CompositeError as error:
        if _debug["on"]:
            _traceback()
        from composite.cli._output import report_error

        report_error(error)
        return 1
    except click.ClickException as error:  # usage errors: 2; a click.ClickException a command raises: 1
        _report_usage(error)
        return error.exit_code
    except click.Abort:  # Ctrl-C, or end of input at a prompt
        print("aborted", file=sys.stderr)
        return 1
    except Exception as error:
        if _debug["on"]:
            _traceback()
        else:
            print(f"error: {type(error).__name__}: {error} (run with --debug for the traceback)", file=sys.stderr)
        return 1
    return code if isinstance(code, int) else 0


def _report_usage(error: click.ClickException) -> None:
    """Click's usage and hint, then the one `error: ...` line every composite error has."""
    context = getattr(error, "ctx", None)
    if isinstance(error, click.UsageError) and context is not None:
        print(context.get_usage(), file=sys.stderr)
        print(f"Try '{context.command_path} --help' for help.", file=sys.stderr)
    print(f"error: {error.format_message()}", file=sys.stderr)


def _traceback() -> None:
    import traceback

    traceback.print_exc(file=sys.stderr)


def _silence_stdout() -> None:
    """After the reader of standard output went away: point it at /dev/null, so that the flush at exit
    does not report a second broken pipe."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # not a real file (a test's capture)
        pass


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
