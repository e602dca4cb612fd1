"""Static HTML reports with inline SVG charts: one self-contained file a browser opens offline.

Used by `composite monitor --html`, `composite whatif --html` and `composite explain --html`. No
plotting dependency: the charts are a few SVG rectangles and polylines; every text from data is
escaped.
"""

from __future__ import annotations

import math
from html import escape
from typing import Any, Iterable, Mapping, Sequence

__all__ = ["Section", "bar_chart", "diverging_bar_chart", "line_chart", "page", "share_chart", "table"]

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.5em 0 1em; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.crossed td { background: #fde2e2; }
.note { color: #555; font-size: 0.9em; }
.status-crossed { color: #b00020; font-weight: bold; } .status-ok { color: #1b7f3b; font-weight: bold; }
svg { background: #fff; }
"""

_COLOURS = ("#3366cc", "#dc3912", "#ff9900", "#109618", "#990099", "#0099c6", "#dd4477", "#66aa00")


class Section:
    """A heading and its body (HTML built by the functions below, or escaped text)."""

    def __init__(self, title: str, *parts: str, note: str | None = None, ident: str | None = None) -> None:
        self.title = title
        self.parts = parts
        self.note = note
        self.ident = ident  # the section's id, a link target (#ident)

    def html(self) -> str:
        note = f'<p class="note">{escape(self.note)}</p>' if self.note else ""
        ident = f' id="{escape(self.ident)}"' if self.ident else ""
        return f"<section{ident}><h2>{escape(self.title)}</h2>{note}{''.join(self.parts)}</section>"


def page(title: str, sections: Iterable[Section], *, summary: str = "", status: str | None = None,
         style: str = "") -> str:
    """A whole HTML document: title, an optional status line (`crossed` / `ok`), the sections.

    `style`: CSS added after the shared rules (a report's own classes; never text from data)."""
    status_html = ""
    if status is not None:
        css = "status-crossed" if status == "crossed" else "status-ok"
        status_html = f'<p class="{css}" id="status">{escape(summary)}</p>'
    elif summary:
        status_html = f"<p>{escape(summary)}</p>"
    body = "".join(section.html() for section in sections)
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
            f"<style>{_STYLE}{style}</style></head><body><h1>{escape(title)}</h1>{status_html}{body}</body></html>\n")


def _text(value: Any) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "n/a"
        return f"{value:.4g}"
    if value is None:
        return ""
    return str(value)


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]], *, crossed: Sequence[bool] | None = None,
          table_id: str | None = None) -> str:
    """An HTML table; numbers right-aligned, rows flagged in `crossed` highlighted."""
    head = "".join(f"<th>{escape(str(h))}</th>" for h in headers)
    lines = []
    for i, row in enumerate(rows):
        cls = ' class="crossed"' if crossed is not None and i < len(crossed) and crossed[i] else ""
        cells = "".join(
            f'<td class="num">{escape(_text(v))}</td>' if isinstance(v, (int, float)) and not isinstance(v, bool)
            else f"<td>{escape(_text(v))}</td>" for v in row)
        lines.append(f"<tr{cls}>{cells}</tr>")
    ident = f' id="{escape(table_id)}"' if table_id else ""
    return f"<table{ident}><thead><tr>{head}</tr></thead><tbody>{''.join(lines)}</tbody></table>"


def bar_chart(labels: Sequence[str], values: Sequence[float], *, title: str = "", threshold: float | None = None,
              width: int = 720, bar_height: int = 18, value_format: str = "{:.3f}") -> str:
    """Horizontal bars, one per label, with an optional dashed threshold line."""
    finite = [v for v in values if isinstance(v, (int, float)) and math.isfinite(v)]
    top = max([*finite, threshold or 0.0, 1e-12])
    left, right = 220, 70
    span = width - left - right
    height = bar_height * len(labels) + 30
    parts = [_svg_open("bar-chart", width, height, title)]
    for i, (label, value) in enumerate(zip(labels, values)):
        y = 20 + i * bar_height
        ok = isinstance(value, (int, float)) and math.isfinite(value)
        w = max(0.0, span * (value / top)) if ok else 0.0
        colour = "#dc3912" if ok and threshold is not None and value > threshold else "#3366cc"
        parts.append(f'<text x="{left - 6}" y="{y + bar_height * 0.7:.1f}" text-anchor="end" font-size="12">'
                     f"{escape(str(label))}</text>")
        parts.append(f'<rect x="{left}" y="{y + 2}" width="{w:.1f}" height="{bar_height - 4}" fill="{colour}"/>')
        parts.append(f'<text x="{left + w + 4:.1f}" y="{y + bar_height * 0.7:.1f}" font-size="11">'
                     f"{escape(value_format.format(value) if ok else 'n/a')}</text>")
    if threshold is not None:
        x = left + span * (threshold / top)
        parts.append(f'<line x1="{x:.1f}" y1="14" x2="{x:.1f}" y2="{height - 6}" stroke="#b00020" '
                     f'stroke-dasharray="4 3"/>'
                     f'<text x="{x - 3:.1f}" y="12" text-anchor="end" font-size="11" fill="#b00020">'
                     f"threshold {escape(value_format.format(threshold))}</text>")
    parts.append("</svg>")
    return "".join(parts)


def diverging_bar_chart(labels: Sequence[str], values: Sequence[float], *, title: str = "", width: int = 720,
                        bar_height: int = 18, positive: str = "raises", negative: str = "lowers",
                        value_format: str = "{:+.3f}") -> str:
    """Horizontal bars left (negative, blue) and right (positive, red) of a zero line: contributions."""
    finite = [abs(v) for v in values if isinstance(v, (int, float)) and math.isfinite(v)]
    top = max([*finite, 1e-12])
    left, right = 240, 70
    half = (width - left - right) / 2
    zero = left + half
    height = bar_height * len(labels) + 40
    parts = [_svg_open("diverging-chart", width, height, title),
             _key(f"{zero - 110:.1f}", f"{zero - 96:.1f}", 4, "#3366cc", negative),
             _key(f"{zero + 10:.1f}", f"{zero + 24:.1f}", 4, "#dc3912", positive)]
    for i, (label, value) in enumerate(zip(labels, values)):
        y = 24 + i * bar_height
        ok = isinstance(value, (int, float)) and math.isfinite(value)
        w = half * abs(value) / top if ok else 0.0
        x = zero if not ok or value >= 0 else zero - w
        colour = "#dc3912" if ok and value > 0 else "#3366cc"
        parts.append(f'<text x="{left - 6}" y="{y + bar_height * 0.7:.1f}" text-anchor="end" font-size="12">'
                     f"{escape(str(label))}</text>"
                     f'<rect class="bar" x="{x:.1f}" y="{y + 2}" width="{w:.1f}" height="{bar_height - 4}" '
                     f'fill="{colour}"/>')
        # a negative bar's number goes right of the zero line: on its left it would run into the label
        text_x = zero + w + 4 if not ok or value >= 0 else zero + 4
        parts.append(f'<text x="{text_x:.1f}" y="{y + bar_height * 0.7:.1f}" font-size="11">'
                     f"{escape(value_format.format(value) if ok else 'n/a')}</text>")
    parts.append(f'<line x1="{zero:.1f}" y1="20" x2="{zero:.1f}" y2="{height - 6}" stroke="#444"/></svg>')
    return "".join(parts)


def share_chart(labels: Sequence[str], reference: Sequence[float], current: Sequence[float], *, title: str = "",
                width: int = 720, bar_height: int = 10) -> str:
    """Two horizontal bars per bin, the reference's share (grey) over the current one's (blue)."""
    left, right = 220, 70
    span = width - left - right
    top = max([*reference, *current, 1e-12])
    row = 2 * bar_height + 6
    height = row * len(labels) + 34
    parts = [_svg_open("share-chart", width, height, title),
             _key(left, left + 14, 4, "#999999", "reference"),
             _key(left + 90, left + 104, 4, "#3366cc", "current")]
    for i, (label, r, c) in enumerate(zip(labels, reference, current)):
        y = 24 + i * row
        parts.append(f'<text x="{left - 6}" y="{y + bar_height + 3}" text-anchor="end" font-size="12">'
                     f"{escape(str(label))}</text>")
        for k, (share, colour) in enumerate(((r, "#999999"), (c, "#3366cc"))):
            w = span * share / top
            yy = y + k * bar_height
            parts.append(f'<rect x="{left}" y="{yy}" width="{w:.1f}" height="{bar_height - 1}" fill="{colour}"/>'
                         f'<text x="{left + w + 4:.1f}" y="{yy + bar_height - 2}" font-size="9">{share:.1%}</text>')
    parts.append("</svg>")
    return "".join(parts)


def line_chart(series: Mapping[str, Sequence[float | None]], x_labels: Sequence[str], *, title: str = "",
               width: int = 720, height: int = 260, y_max: float | None = None) -> str:
    """Lines over shared x positions (None leaves a gap), with a legend; y from 0 to the largest value."""
    left, right, top_pad, bottom = 50, 180, 20, 40
    plot_w, plot_h = width - left - right, height - top_pad - bottom
    values = [v for ys in series.values() for v in ys if v is not None and math.isfinite(v)]
    top = y_max if y_max is not None else max([*values, 1e-12])
    n = max(len(x_labels), 1)

    def x_at(i: int) -> float:
        return left + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)

    def y_at(v: float) -> float:
        return top_pad + plot_h * (1 - v / top)

    parts = [_svg_open("line-chart", width, height, title),
             f'<line x1="{left}" y1="{top_pad + plot_h}" x2="{left + plot_w}" y2="{top_pad + plot_h}" stroke="#888"/>',
             f'<line x1="{left}" y1="{top_pad}" x2="{left}" y2="{top_pad + plot_h}" stroke="#888"/>',
             f'<text x="{left - 4}" y="{top_pad + 4}" text-anchor="end" font-size="11">{top:.3g}</text>',
             f'<text x="{left - 4}" y="{top_pad + plot_h}" text-anchor="end" font-size="11">0</text>']
    for i, label in enumerate(x_labels):
        parts.append(f'<text x="{x_at(i):.1f}" y="{top_pad + plot_h + 16}" text-anchor="middle" font-size="10">'
                     f"{escape(str(label))}</text>")
    for k, (name, ys) in enumerate(series.items()):
        colour = _COLOURS[k % len(_COLOURS)]
        runs: list[list[str]] = [[]]
        for i, v in enumerate(ys):
            if v is None or not math.isfinite(v):
                runs.append([])
                continue
            runs[-1].append(f"{x_at(i):.1f},{y_at(v):.1f}")
        for run in runs:
            if len(run) > 1:
                parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{" ".join(run)}"/>')
            for point in run:
                px, py = point.split(",")
                parts.append(f'<circle cx="{px}" cy="{py}" r="2.5" fill="{colour}"/>')
        ly = top_pad + 14 * k + 6
        parts.append(_key(left + plot_w + 12, left + plot_w + 26, ly - 8, colour, str(name)))
    parts.append("</svg>")
    return "".join(parts)


def _svg_open(kind: str, width: int, height: int | float, title: str) -> str:
    """The opening of a chart's svg: its class, size and title (what a screen reader says)."""
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {kind}" width="{width}" height="{height}" '
            f'role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>')


def _key(x: Any, text_x: Any, y: Any, colour: str, label: str) -> str:
    """One legend entry: a 10-pixel swatch at (x, y) and its label at text_x (x values as the caller formats them)."""
    return (f'<rect x="{x}" y="{y}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{text_x}" y="{y + 9}" font-size="11">{escape(label)}</text>')
