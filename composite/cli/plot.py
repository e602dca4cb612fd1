"""`composite plot`: a fuzzy variable's terms, or an output's surface over two inputs, as SVG or PNG.

The drawing is composite.plot's; this module reads the options and writes the file (docs/fuzzy.md#plotting).
"""

from __future__ import annotations

import click

from composite.cli._common import command
from composite.cli._output import write_output

__all__ = ["plot"]


def _held(values: tuple[str, ...]) -> dict[str, float]:
    """--at NAME=VALUE options as a mapping; a malformed one is a usage error naming it."""
    held: dict[str, float] = {}
    for text in values:
        name, sep, number = text.partition("=")
        try:
            if not sep or not name.strip():
                raise ValueError
            held[name.strip()] = float(number)
        except ValueError:
            raise click.BadParameter(f"'{text}' is not NAME=NUMBER, e.g. --at checking_level=1",
                                     param_hint="--at") from None
    return held


@command("plot", "Draw every term of a fuzzy VARIABLE over its range, or with --surface the output VARIABLE "
                 "over a grid of two inputs, from a *.fuzzy.yaml or .fll FILE or a project folder. SVG needs "
                 "nothing extra; PNG needs matplotlib: pip install 'composite-decisions[plot]'.")
@click.argument("source", metavar="FILE")
@click.argument("variable")
@click.option("-o", "--output", default=None, metavar="OUT",
              help="write the picture to OUT (default: SVG to standard output)")
@click.option("--format", "fmt", type=click.Choice(["svg", "png"]), default=None,
              help="picture format (default: from OUT's suffix, else svg)")
@click.option("--node", default=None, metavar="NAME", help="in a project folder: the fuzzy node to draw from")
@click.option("--surface", is_flag=True, help="draw the output VARIABLE over a grid of two inputs")
@click.option("--over", nargs=2, default=None, metavar="INPUT INPUT",
              help="the two inputs of the surface (needed when the rule base has more than two)")
@click.option("--at", "at", multiple=True, metavar="NAME=VALUE",
              help="hold another input at VALUE on the surface (default: the middle of its range); repeatable")
@click.option("--points", default=41, show_default=True, type=click.IntRange(2, 400),
              help="grid points per axis of the surface")
@click.option("--width", default=None, type=click.IntRange(50, 10_000), help="width in pixels")
@click.option("--height", default=None, type=click.IntRange(50, 10_000), help="height in pixels")
def plot(source: str, variable: str, output: str | None, fmt: str | None, node: str | None, surface: bool,
         over: tuple[str, str] | None, at: tuple[str, ...], points: int, width: int | None,
         height: int | None) -> int:
    from composite.plot import plot_surface, plot_variable

    if fmt is None:
        fmt = "png" if output is not None and output.lower().endswith(".png") else "svg"
    if fmt == "png" and output is None:
        raise click.UsageError("PNG is written to a file: give -o OUT.png (or --format svg for standard output)")
    if (over or at) and not surface:
        raise click.UsageError("--over and --at shape a surface: add --surface")
    size = {key: value for key, value in (("width", width), ("height", height)) if value is not None}
    if surface:
        picture = plot_surface(source, variable, over, format=fmt, node=node, points=points, fixed=_held(at), **size)
    else:
        picture = plot_variable(source, variable, format=fmt, node=node, **size)
    if output is None:
        assert isinstance(picture, str)
        click.echo(picture, nl=False)
        return 0
    write_output(output, picture, what="the picture", label=fmt.upper())
    return 0
