"""Pictures of fuzzy rule bases: a variable's terms, and a two-input rule base's output surface.

SVG is written by hand (no dependency); PNG needs matplotlib, the `plot` extra. The curves are
sampled with the membership code decisions use, so a picture shows the numbers a decision sees.
"""

from __future__ import annotations

import difflib
import io
import math
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np

from composite.errors import ExtraNotInstalled, ProjectError
from composite.fuzzy.evaluate import FuzzyEvaluator
from composite.fuzzy.model import FuzzyRuleBase, OutputVariable, Variable
from composite.fuzzy.norms import AND_VECTOR, OR_VECTOR

if TYPE_CHECKING:
    from composite.knowledge import Knowledge

__all__ = [
    "FuzzySource",
    "Surface",
    "aggregated_curve",
    "load_fuzzy",
    "plot_surface",
    "plot_variable",
    "surface",
    "surface_svg",
    "term_curves",
    "variable_svg",
]

INSTALL = "pip install 'composite-decisions[plot]'"
FORMATS = ("svg", "png")
COLOURS = ("#3366cc", "#dc3912", "#ff9900", "#109618", "#990099", "#0099c6", "#dd4477", "#66aa00")
# viridis at five stops: perceptually even and readable in grey, for the surface's colour scale
_SCALE = ((0x44, 0x01, 0x54), (0x3B, 0x52, 0x8B), (0x21, 0x91, 0x8C), (0x5E, 0xC9, 0x62), (0xFD, 0xE7, 0x25))
# fuzzylite evaluates a term's function exactly, not on the universe's samples: draw it this finely
_EXACT_SAMPLES = 1001


# -- where the rule base comes from ----------------------------------------------------------


@dataclass(frozen=True)
class FuzzySource:
    """A rule base to draw, with the numerics its decisions use and the concepts that give units."""

    rule_base: FuzzyRuleBase
    numerics: str
    file: str  # named in messages: the rule base's file (inside its project when there is one)
    knowledge: "Knowledge | None" = None
    node: str | None = None

    def unit(self, name: str) -> str | None:
        concept = self.knowledge.get(name) if self.knowledge is not None else None
        return getattr(concept, "unit", None) or None

    def variable(self, name: str) -> Variable:
        """The variable `name`, or a ProjectError naming the file and the variables there are."""
        found = self.rule_base.variable(name)
        if found is None:
            known = [*self.rule_base.input_names, *self.rule_base.output_names]
            close = difflib.get_close_matches(name, known, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            owner = f"fuzzy node '{self.node}'" if self.node else "the rule base"  # the file is the location
            raise ProjectError(f"{owner} has no variable '{name}'{hint} (inputs: "
                               f"{', '.join(self.rule_base.input_names)}; outputs: "
                               f"{', '.join(self.rule_base.output_names)})", code="plot_unknown_variable",
                               file=self.file, field=name)
        return found


def _fuzzy_file(path: Path) -> bool:
    return path.name.lower().endswith((".fll", ".yaml", ".yml")) and path.name != "composite.yaml"


def load_fuzzy(source: str | Path | FuzzySource, *, node: str | None = None,
               variable: str | None = None) -> FuzzySource:
    """The rule base of a `*.fuzzy.yaml` or `.fll` file, or of a fuzzy node of a project folder.

    In a project, `node` names the fuzzy node; without it, the one node that has `variable` (or
    the only fuzzy node). A lone file takes its units from the project around it, when there is one.
    """
    if isinstance(source, FuzzySource):
        return source
    path = Path(source)
    if path.is_file() and _fuzzy_file(path):
        from composite.nodes.fuzzy import read_rule_base

        rule_base = read_rule_base(path.read_bytes(), file=str(path))
        return FuzzySource(rule_base, rule_base.numerics or "skfuzzy", str(path), _knowledge_around(path))
    if path.is_dir() or path.name == "composite.yaml":
        return _project_node(path.parent if path.is_file() else path, node, variable)
    if not path.exists():
        raise ProjectError(f"'{path}' does not exist; give a *.fuzzy.yaml or .fll file, or a project folder",
                           code="plot_no_file", file=str(path))
    raise ProjectError(f"'{path}' is neither a fuzzy rule base (*.fuzzy.yaml), a FuzzyLite engine (*.fll) nor a "
                       "project folder", code="plot_file_type", file=str(path))


def _project_node(root: Path, node: str | None, variable: str | None) -> FuzzySource:
    from composite.project import load_project

    project = load_project(root)
    fuzzy = [n for n in project.graph.order if n.kind == "fuzzy"]
    where = str(root / "composite.yaml")
    if not fuzzy:
        raise ProjectError(f"the project in '{root}' has no fuzzy node to plot", code="plot_no_fuzzy_node", file=where)
    names = ", ".join(n.name for n in fuzzy)
    if node is not None:
        chosen = [n for n in fuzzy if n.name == node]
        if not chosen:
            close = difflib.get_close_matches(node, [n.name for n in fuzzy], n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            raise ProjectError(f"the project has no fuzzy node '{node}'; {hint}its fuzzy nodes: {names}",
                               code="plot_unknown_node", file=where, field=f"nodes.{node}")
    elif len(fuzzy) == 1 or variable is None:
        chosen = fuzzy[:1] if len(fuzzy) == 1 else []
        if not chosen:
            raise ProjectError(f"the project has several fuzzy nodes ({names}); name one with --node",
                               code="plot_which_node", file=where)
    else:
        chosen = [n for n in fuzzy if n.rule_base.variable(variable) is not None]
        if len(chosen) > 1:
            raise ProjectError(f"variable '{variable}' is in several fuzzy nodes "
                               f"({', '.join(n.name for n in chosen)}); name one with --node",
                               code="plot_which_node", file=where)
        if not chosen:
            known = sorted({v for n in fuzzy for v in (*n.rule_base.input_names, *n.rule_base.output_names)})
            close = difflib.get_close_matches(variable, known, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise ProjectError(f"no fuzzy node of the project has a variable '{variable}'{hint} (variables of "
                               f"its fuzzy nodes {names}: {', '.join(known)})", code="plot_unknown_variable",
                               file=where, field=variable)
    picked = chosen[0]
    file = str(root / picked.file) if picked.file else where
    return FuzzySource(picked.rule_base, picked.numerics, file, project.knowledge, picked.name)


def _knowledge_around(path: Path) -> "Knowledge | None":
    """The concepts of the project a lone rule-base file sits in (units for the axes), or None.

    Decoration only: a project that does not load still lets its files be drawn."""
    from composite._yaml import load_yaml
    from composite.knowledge import Knowledge

    for root in list(path.resolve().parents)[:3]:
        if not (root / "composite.yaml").is_file():
            continue
        try:
            files = [(str(f.relative_to(root)), f.read_bytes()) for f in sorted((root / "knowledge").glob("*.y*ml"))]
            knowledge = Knowledge.load(root, files)
            document = load_yaml((root / "composite.yaml").read_bytes(), file="composite.yaml")
            inline = document.get("concepts") if isinstance(document, Mapping) else None
            if isinstance(inline, Mapping):
                for name, concept in Knowledge.from_mapping(inline, file="composite.yaml").concepts.items():
                    knowledge.concepts.setdefault(name, concept)
            return knowledge
        except Exception:  # noqa: BLE001 (units are a nicety; the picture does not need them)
            return None
    return None


# -- the numbers -----------------------------------------------------------------------------


def term_curves(variable: Variable, numerics: str = "skfuzzy") -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """x samples and each membership-function term's degrees there, as decisions compute them.

    scikit-fuzzy numerics: the universe's `resolution` samples, between which decisions
    interpolate linearly, so the polyline through them is exactly what a decision reads.
    fuzzylite numerics evaluate the function itself: sampled finely, with the breakpoints.
    Takagi-Sugeno terms (constant, linear) are functions, not memberships: left out.

    >>> from composite.fuzzy.model import InputVariable, Term
    >>> xs, ys = term_curves(InputVariable("x", 0, 10, (Term("low", "trimf", (0, 0, 10)),), resolution=3))
    >>> xs.tolist(), ys["low"].tolist()
    ([0.0, 5.0, 10.0], [1.0, 0.5, 0.0])
    """
    terms = [t for t in variable.terms if not t.is_function]
    if numerics == "skfuzzy":
        xs = variable.universe()
    else:
        corners = [p for t in terms for p in t.params if math.isfinite(p) and variable.lo <= p <= variable.hi]
        xs = np.unique(np.concatenate([np.linspace(variable.lo, variable.hi, max(_EXACT_SAMPLES, variable.resolution)),
                                       np.asarray(corners, dtype=np.float64)]))
    with np.errstate(all="ignore"):
        return xs, {t.name: t.membership(xs) for t in terms}


def aggregated_curve(rule_base: FuzzyRuleBase, output: str, strengths: Mapping[str, float], xs: np.ndarray,
                     curves: Mapping[str, np.ndarray]) -> np.ndarray:
    """A Mamdani output's fuzzy set at `xs`: each rule's term cut by (or scaled by) its strength,
    the rules joined by the aggregation, with the norms decisions use. Drawn under the defuzzified value."""
    var = rule_base.output(output)
    aggregate = OR_VECTOR[(var.aggregation if var is not None else None) or rule_base.operators.aggregation]
    total = np.zeros(len(xs))
    for rule in rule_base.rules:
        implication = AND_VECTOR[rule_base.operators_of(rule).implication]
        for cons in rule.consequents:
            if cons.variable != output or cons.term not in curves:
                continue
            level = float(strengths.get(rule.name, 0.0) or 0.0)
            with np.errstate(all="ignore"):
                total = aggregate(total, implication(level, curves[cons.term]))
    return total


@dataclass(frozen=True)
class Surface:
    """An output over a grid of two inputs: `z[i, j]` at `y[i]` (second input), `x[j]` (first)."""

    output: str
    inputs: tuple[str, str]
    x: np.ndarray
    y: np.ndarray
    z: np.ndarray
    fixed: dict[str, float] = field(default_factory=dict)  # the other inputs, held at these values
    units: tuple[str | None, str | None, str | None] = (None, None, None)  # first input, second, output


def surface(source: str | Path | FuzzySource, output: str, inputs: Sequence[str] | None = None, *,
            node: str | None = None, points: int = 41, fixed: Mapping[str, float] | None = None) -> Surface:
    """`output` evaluated over a `points` x `points` grid of two inputs' ranges, in one batch.

    Other inputs are held at `fixed` values, else at the middle of their range."""
    src = load_fuzzy(source, node=node, variable=output)
    rb = src.rule_base
    if not isinstance(src.variable(output), OutputVariable):
        raise ProjectError(f"'{output}' is an input of {src.file}; the surface is drawn for an output: "
                           f"{', '.join(rb.output_names)}", code="plot_not_an_output", file=src.file, field=output)
    if inputs is None:
        if len(rb.inputs) != 2:
            count = f"{len(rb.inputs)} input{'s' if len(rb.inputs) != 1 else ''}"
            raise ProjectError(f"{src.file} has {count} ({', '.join(rb.input_names)}); name the two "
                               "to draw the surface over", code="plot_surface_inputs", file=src.file)
        inputs = rb.input_names
    if len(inputs) != 2 or inputs[0] == inputs[1]:
        raise ProjectError(f"a surface is drawn over two different inputs, got {', '.join(inputs) or 'none'}",
                           code="plot_surface_inputs", file=src.file)
    for name in inputs:
        if src.variable(name) not in rb.inputs:
            raise ProjectError(f"'{name}' is an output of {src.file}; the surface is drawn over inputs: "
                               f"{', '.join(rb.input_names)}", code="plot_not_an_input", file=src.file, field=name)
    if not 2 <= points <= 400:
        raise ProjectError(f"points must be from 2 to 400 per axis, got {points}", code="plot_points", file=src.file)
    a, b = (rb.input(name) for name in inputs)
    assert a is not None and b is not None
    xs, ys = np.linspace(a.lo, a.hi, points), np.linspace(b.lo, b.hi, points)
    gx, gy = np.meshgrid(xs, ys)
    held = {v.name: float((fixed or {}).get(v.name, (v.lo + v.hi) / 2)) for v in rb.inputs if v.name not in inputs}
    columns = {a.name: gx.ravel(), b.name: gy.ravel(), **{k: np.full(gx.size, v) for k, v in held.items()}}
    values = FuzzyEvaluator(rb, numerics=src.numerics).evaluate_batch(columns, gx.size, evidence=False)
    z = np.asarray(values.outputs[output], dtype=np.float64).reshape(gx.shape)
    return Surface(output, (a.name, b.name), xs, ys, z, held, (src.unit(a.name), src.unit(b.name), src.unit(output)))


# -- SVG -------------------------------------------------------------------------------------


def _num(value: float) -> str:
    return f"{value:.4g}" if abs(value) < 1e6 else f"{value:,.0f}"


def _ticks(lo: float, hi: float, most: int = 6) -> list[float]:
    """Round numbers between lo and hi, at most about `most` of them (1, 2 or 5 times a power of ten)."""
    span = hi - lo
    if not span > 0 or not math.isfinite(span):
        return [lo]
    raw = span / max(1, most - 1)
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.ceil(lo / step - 1e-9) * step
    count = int(math.floor((hi - first) / step + 1e-9)) + 1
    return [round(first + i * step, 12) for i in range(count)]


def _label(name: str, unit: str | None) -> str:
    return f"{name} ({unit})" if unit else name


def variable_svg(variable: Variable, *, numerics: str = "skfuzzy", unit: str | None = None,
                 value: float | None = None, degrees: Mapping[str, float] | None = None,
                 aggregated: np.ndarray | None = None, defuzzified: float | None = None,
                 width: int = 720, height: int = 300, title: str | None = None) -> str:
    """The terms of `variable` as curves over its range, one `<path class="term">` each.

    `value` marks an input's value, with the `degrees` a decision read there (else the curves'
    own); `aggregated` (a Mamdani output's fuzzy set at the same samples) is shaded under the
    curves and `defuzzified` marks the crisp value.
    """
    xs, curves = term_curves(variable, numerics)
    constants = [(t.name, t.params[0]) for t in variable.terms if t.shape == "constant"]
    linear = [t.name for t in variable.terms if t.shape == "linear"]
    legend_w = 170
    left, right, top, bottom = 48, legend_w + 16, 26, 46
    plot_w, plot_h = max(10, width - left - right), max(10, height - top - bottom)
    lo, hi = float(variable.lo), float(variable.hi)
    span = hi - lo if hi > lo else 1.0

    def px(x: float) -> float:
        return left + plot_w * (x - lo) / span

    def py(y: float) -> float:
        return top + plot_h * (1.0 - y)

    def marker(kind: str, at: float, stroke: str, label: str, fill: str = "") -> float:
        """A labelled vertical line at `at` (held inside the range); its x."""
        x = px(min(max(at, lo), hi))
        out.append(f'<line class="{kind}" x1="{x:.2f}" y1="{top}" x2="{x:.2f}" y2="{top + plot_h}" {stroke}/>'
                   f'<text x="{x + 4:.2f}" y="{top + 11}" font-size="11"{fill}>{escape(label)}</text>')
        return x

    name = title or _label(variable.name, unit)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart membership-chart" width="{width}" '
           f'height="{height}" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(name)}" '
           f'data-variable="{escape(variable.name)}"><title>{escape(name)}</title>',
           f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
           f'<text x="{left}" y="16" font-size="13" font-weight="bold">{escape(name)}</text>']
    for t in (0.0, 0.5, 1.0):
        out.append(f'<line x1="{left}" y1="{py(t):.2f}" x2="{left + plot_w}" y2="{py(t):.2f}" stroke="#e4e4e4"/>'
                   f'<text x="{left - 6}" y="{py(t) + 4:.2f}" text-anchor="end" font-size="11">{t:g}</text>')
    for t in _ticks(lo, hi):
        out.append(f'<line x1="{px(t):.2f}" y1="{top + plot_h}" x2="{px(t):.2f}" y2="{top + plot_h + 4}" '
                   f'stroke="#888"/><text x="{px(t):.2f}" y="{top + plot_h + 16}" text-anchor="middle" '
                   f'font-size="11">{escape(_num(t))}</text>')
    out.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#888"/>'
               f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="#888"/>'
               f'<text x="{left + plot_w / 2:.1f}" y="{height - 8}" text-anchor="middle" font-size="12">'
               f"{escape(_label(variable.name, unit))}</text>"
               f'<text x="12" y="{top + plot_h / 2:.1f}" text-anchor="middle" font-size="11" '
               f'transform="rotate(-90 12 {top + plot_h / 2:.1f})">membership</text>')
    if aggregated is not None and len(aggregated) == len(xs) and np.nanmax(aggregated, initial=0.0) > 0:
        points = " ".join(f"L{px(x):.2f},{py(min(1.0, y)):.2f}" for x, y in zip(xs.tolist(), aggregated.tolist()))
        out.append(f'<path class="aggregated" d="M{px(lo):.2f},{py(0):.2f} {points} L{px(hi):.2f},{py(0):.2f} Z" '
                   f'fill="#7f7f7f" fill-opacity="0.35" stroke="#555" stroke-width="1"/>')
    shown = dict(degrees or {})
    if value is not None and math.isfinite(value) and not shown:
        shown = {n: float(np.interp(value, xs, ys)) for n, ys in curves.items()}
    for k, (term, ys) in enumerate(curves.items()):
        colour = COLOURS[k % len(COLOURS)]
        d = " ".join(f"{'M' if i == 0 else 'L'}{px(x):.2f},{py(y):.2f}"
                     for i, (x, y) in enumerate(zip(xs.tolist(), ys.tolist())) if math.isfinite(y))
        out.append(f'<path class="term" data-term="{escape(term)}" d="{d}" fill="none" stroke="{colour}" '
                   f'stroke-width="2"><title>{escape(term)}</title></path>')
    for k, (term, at) in enumerate(constants):
        colour = COLOURS[k % len(COLOURS)]
        if lo <= at <= hi:
            out.append(f'<line class="constant" data-term="{escape(term)}" x1="{px(at):.2f}" y1="{py(0):.2f}" '
                       f'x2="{px(at):.2f}" y2="{py(1):.2f}" stroke="{colour}" stroke-width="3">'
                       f"<title>{escape(term)} = {escape(_num(at))}</title></line>")
    if value is not None and math.isfinite(value):
        x = marker("value", value, 'stroke="#222" stroke-dasharray="5 3"', _num(value))
        for k, term in enumerate(curves):
            if term in shown and shown[term] > 0:
                out.append(f'<circle cx="{x:.2f}" cy="{py(shown[term]):.2f}" r="4" '
                           f'fill="{COLOURS[k % len(COLOURS)]}" stroke="#222"/>')
    if defuzzified is not None and math.isfinite(defuzzified):
        marker("defuzzified", defuzzified, 'stroke="#b00020" stroke-width="2.5"', f"= {_num(defuzzified)}",
               ' fill="#b00020"')
    lx = left + plot_w + 16
    legend = [(term, COLOURS[k % len(COLOURS)]) for k, term in enumerate(curves)]
    legend += [(term, COLOURS[k % len(COLOURS)]) for k, (term, _) in enumerate(constants)]
    for k, (term, colour) in enumerate(legend):
        y = top + 4 + 18 * k
        degree = f" {shown[term]:.2f}" if term in shown else ""
        out.append(f'<rect x="{lx}" y="{y}" width="12" height="12" fill="{colour}"/>'
                   f'<text class="term-label" x="{lx + 17}" y="{y + 10}" font-size="12">{escape(term)}'
                   f"{escape(degree)}</text>")
    if linear:
        y = top + 4 + 18 * len(legend)
        out.append(f'<text x="{lx}" y="{y + 10}" font-size="11" fill="#555">linear terms, not drawn: '
                   f"{escape(', '.join(linear))}</text>")
    out.append("</svg>")
    return "".join(out)


def _colour(t: float) -> str:
    """The colour at `t` in [0, 1] of the surface's scale."""
    if not math.isfinite(t):
        return "#bbbbbb"
    t = min(1.0, max(0.0, t)) * (len(_SCALE) - 1)
    i = min(int(t), len(_SCALE) - 2)
    f = t - i
    rgb = (round(a + (b - a) * f) for a, b in zip(_SCALE[i], _SCALE[i + 1]))
    return "#" + "".join(f"{c:02x}" for c in rgb)


def surface_svg(s: Surface, *, width: int = 640, height: int = 520, title: str | None = None) -> str:
    """A heatmap of `s`: one `<rect class="cell">` per grid point, with a colour scale."""
    left, right, top, bottom = 56, 110, 30, 50
    plot_w, plot_h = max(10, width - left - right), max(10, height - top - bottom)
    nx, ny = len(s.x), len(s.y)
    cw, ch = plot_w / nx, plot_h / ny
    finite = s.z[np.isfinite(s.z)]
    zlo, zhi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    zspan = zhi - zlo if zhi > zlo else 1.0
    ux, uy, uz = s.units
    name = title or f"{_label(s.output, uz)} over {s.inputs[0]} and {s.inputs[1]}"
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart surface-chart" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(name)}"><title>{escape(name)}</title>',
           f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
           f'<text x="{left}" y="18" font-size="13" font-weight="bold">{escape(name)}</text>']
    out.append('<g class="cells" shape-rendering="crispEdges">')  # no hairline seams between cells
    for i in range(ny):
        y = top + plot_h - (i + 1) * ch  # the second input grows upwards
        for j in range(nx):
            z = float(s.z[i, j])
            out.append(f'<rect class="cell" x="{left + j * cw:.2f}" y="{y:.2f}" width="{cw + 0.05:.2f}" '
                       f'height="{ch + 0.05:.2f}" fill="{_colour((z - zlo) / zspan)}"/>')
    out.append("</g>")

    def px(x: float) -> float:
        return left + (x - s.x[0]) / ((s.x[-1] - s.x[0]) or 1.0) * (plot_w - cw) + cw / 2

    def py(y: float) -> float:
        return top + plot_h - ((y - s.y[0]) / ((s.y[-1] - s.y[0]) or 1.0) * (plot_h - ch) + ch / 2)

    for t in _ticks(float(s.x[0]), float(s.x[-1])):
        out.append(f'<line x1="{px(t):.2f}" y1="{top + plot_h}" x2="{px(t):.2f}" y2="{top + plot_h + 4}" '
                   f'stroke="#888"/><text x="{px(t):.2f}" y="{top + plot_h + 16}" text-anchor="middle" '
                   f'font-size="11">{escape(_num(t))}</text>')
    for t in _ticks(float(s.y[0]), float(s.y[-1])):
        out.append(f'<line x1="{left - 4}" y1="{py(t):.2f}" x2="{left}" y2="{py(t):.2f}" stroke="#888"/>'
                   f'<text x="{left - 6}" y="{py(t) + 4:.2f}" text-anchor="end" font-size="11">'
                   f"{escape(_num(t))}</text>")
    out.append(f'<text x="{left + plot_w / 2:.1f}" y="{height - 10}" text-anchor="middle" font-size="12">'
               f"{escape(_label(s.inputs[0], ux))}</text>"
               f'<text x="14" y="{top + plot_h / 2:.1f}" text-anchor="middle" font-size="12" '
               f'transform="rotate(-90 14 {top + plot_h / 2:.1f})">{escape(_label(s.inputs[1], uy))}</text>')
    # the colour scale: a column of bands, the largest value on top
    sx, bands = left + plot_w + 24, 50
    out.append('<g class="colour-scale">')
    for k in range(bands):
        y = top + plot_h * (1 - (k + 1) / bands)
        out.append(f'<rect x="{sx}" y="{y:.2f}" width="18" height="{plot_h / bands + 0.05:.2f}" '
                   f'fill="{_colour((k + 0.5) / bands)}"/>')
    for frac in (0.0, 0.5, 1.0):
        y = top + plot_h * (1 - frac)
        out.append(f'<text x="{sx + 24}" y="{y + 4:.2f}" font-size="11">{escape(_num(zlo + frac * (zhi - zlo)))}'
                   "</text>")
    out.append(f'<text x="{sx}" y="{top - 6}" font-size="11">{escape(_label(s.output, uz))}</text></g>')
    if s.fixed:
        held = ", ".join(f"{k} = {_num(v)}" for k, v in s.fixed.items())
        out.append(f'<text x="{width - 6}" y="{height - 10}" text-anchor="end" font-size="11" fill="#555">'
                   f"held at {escape(held)}</text>")
    out.append("</svg>")
    return "".join(out)


# -- PNG -------------------------------------------------------------------------------------


def _figure(width: int, height: int) -> Any:
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ExtraNotInstalled(f"PNG output needs matplotlib, which is not installed: {INSTALL} (or write SVG, "
                                "which needs nothing extra)", code="extra_not_installed") from None
    dpi = 100
    # a Figure of its own (no pyplot): no global state, safe in a service thread
    return Figure(figsize=(width / dpi, height / dpi), dpi=dpi)


def _png(figure: Any) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    buffer = io.BytesIO()
    FigureCanvasAgg(figure).print_png(buffer)
    return buffer.getvalue()


def _variable_png(variable: Variable, numerics: str, unit: str | None, width: int, height: int) -> bytes:
    xs, curves = term_curves(variable, numerics)
    figure = _figure(width, height)
    axes = figure.add_subplot()
    for k, (term, ys) in enumerate(curves.items()):
        axes.plot(xs, ys, color=COLOURS[k % len(COLOURS)], linewidth=2, label=term)
    for k, term in enumerate(t for t in variable.terms if t.shape == "constant"):
        axes.vlines(term.params[0], 0, 1, color=COLOURS[k % len(COLOURS)], linewidth=3, label=term.name)
    axes.set_xlim(variable.lo, variable.hi)
    axes.set_ylim(-0.02, 1.05)
    axes.set_xlabel(_label(variable.name, unit))
    axes.set_ylabel("membership")
    axes.set_title(_label(variable.name, unit))
    axes.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    figure.subplots_adjust(left=0.1, right=0.78, bottom=0.16, top=0.88)
    return _png(figure)


def _surface_png(s: Surface, width: int, height: int) -> bytes:
    from matplotlib.colors import LinearSegmentedColormap

    figure = _figure(width, height)
    axes = figure.add_subplot()
    colours = [tuple(c / 255 for c in rgb) for rgb in _SCALE]
    image = axes.pcolormesh(s.x, s.y, np.ma.masked_invalid(s.z), shading="nearest",
                            cmap=LinearSegmentedColormap.from_list("composite", colours))
    bar = figure.colorbar(image, ax=axes)
    bar.set_label(_label(s.output, s.units[2]))
    axes.set_xlabel(_label(s.inputs[0], s.units[0]))
    axes.set_ylabel(_label(s.inputs[1], s.units[1]))
    held = ", ".join(f"{k} = {_num(v)}" for k, v in s.fixed.items())
    axes.set_title(f"{s.output}" + (f" (held at {held})" if held else ""))
    return _png(figure)


# -- the commands' functions -----------------------------------------------------------------


def _check(format: str, width: int, height: int, file: str) -> None:
    if format not in FORMATS:
        raise ProjectError(f"format must be svg or png, not '{format}'", code="plot_format", file=file)
    if not (50 <= width <= 10_000 and 50 <= height <= 10_000):
        raise ProjectError(f"width and height must be from 50 to 10000 pixels, got {width} x {height}",
                           code="plot_size", file=file)


def plot_variable(source: str | Path | FuzzySource, variable: str, *, format: str = "svg", width: int = 720,
                  height: int = 300, node: str | None = None) -> str | bytes:
    """Every term of a fuzzy variable over its range: SVG text, or PNG bytes (needs matplotlib).

    `source`: a `*.fuzzy.yaml` or `.fll` file, or a project folder (`node` picks its fuzzy node).
    The x axis is labelled with the concept's unit when the project's knowledge gives one.
    """
    src = load_fuzzy(source, node=node, variable=variable)
    _check(format, width, height, src.file)
    var = src.variable(variable)
    unit = src.unit(var.name)
    if format == "png":
        return _variable_png(var, src.numerics, unit, width, height)
    return variable_svg(var, numerics=src.numerics, unit=unit, width=width, height=height)


def plot_surface(source: str | Path | FuzzySource, output: str, inputs: Sequence[str] | None = None, *,
                 format: str = "svg", width: int = 640, height: int = 520, node: str | None = None,
                 points: int = 41, fixed: Mapping[str, float] | None = None) -> str | bytes:
    """The defuzzified `output` over a grid of two inputs, as a heatmap: SVG text or PNG bytes."""
    src = load_fuzzy(source, node=node, variable=output)
    _check(format, width, height, src.file)
    s = surface(src, output, inputs, points=points, fixed=fixed)
    if format == "png":
        return _surface_png(s, width, height)
    return surface_svg(s, width=width, height=height)
