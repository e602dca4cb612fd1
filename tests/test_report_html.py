"""The static HTML report: self-contained, escaped, and rendered by a real browser (headless Chromium)."""

from __future__ import annotations

import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from composite.report_html import Section, bar_chart, line_chart, page, table

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="headless Chromium is not installed (Debian: apt-get install chromium); "
                             "the HTML report is not checked in a browser")

BAR_BLUE = (0x33, 0x66, 0xCC)  # report_html's bar colour
OVER_RED = (0xDC, 0x39, 0x12)  # a bar above the threshold


def sample_page() -> str:
    return page("composite monitor", [
        Section("Population stability",
                bar_chart(["age", "<b>employment</b>", "savings"], [1.8, 0.4, 0.2], title="PSI", threshold=0.25),
                table(["name", "PSI"], [["age", 1.8], ["<script>alert(1)</script>", 0.4]], crossed=[True, False],
                      table_id="drift")),
        Section("Hit rates", line_chart({"age_score.from_45": [0.2, 0.0, 0.0, None, 0.0],
                                         "age_score.under_25": [0.15, 0.4, 0.45, 0.42, 0.41]},
                                        ["reference", "p1", "p2", "p3", "p4"], title="hit rate", y_max=1.0)),
    ], summary="crossed: input age", status="crossed")


def test_the_page_is_self_contained_and_escapes_every_text():
    html = sample_page()
    assert html.startswith("<!DOCTYPE html>")
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;employment&lt;/b&gt;" in html
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")  # nothing fetched
    assert html.count("<svg") == 2 and html.count("<polyline") == 2  # the gap splits no run of two points here


def test_bars_above_the_threshold_are_red():
    svg = bar_chart(["a", "b"], [0.5, 0.1], threshold=0.25)
    assert svg.count('fill="#dc3912"') == 1 and svg.count('fill="#3366cc"') == 1 and "stroke-dasharray" in svg


def chromium(*args: str, profile: Path) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}", *args],
        capture_output=True, text=True, timeout=120)


def png_pixels(data: bytes) -> tuple[int, int, list[tuple[int, int, int]]]:
    """Width, height and RGB pixels of an 8-bit RGB or RGBA, non-interlaced PNG (what Chromium writes)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    at, chunks, header = 8, [], None
    while at < len(data):
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        body = data[at + 8:at + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            chunks.append(body)
        at += 12 + length
    assert header is not None
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0, header
    step = 3 if colour == 2 else 4
    raw = zlib.decompress(b"".join(chunks))
    stride = width * step
    previous = bytearray(stride)
    pixels = []
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - step] if i >= step else 0
            up = previous[i]
            corner = previous[i - step] if i >= step else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 0xFF
        pixels.extend(tuple(line[x:x + 3]) for x in range(0, stride, step))
        previous = line
    return width, height, pixels


@needs_chromium
def test_chromium_renders_the_charts_and_the_table(tmp_path):
    report = tmp_path / "report.html"
    report.write_text(sample_page(), encoding="utf-8")
    done = chromium("--dump-dom", report.as_uri(), profile=tmp_path / "profile")
    assert done.returncode == 0, done.stderr[-2000:]
    dom = done.stdout
    assert dom.count("<svg") == 2 and 'class="chart bar-chart"' in dom and 'class="chart line-chart"' in dom
    assert '<table id="drift">' in dom and "&lt;script&gt;alert(1)&lt;/script&gt;" in dom
    assert 'id="status"' in dom


@needs_chromium
def test_chromium_screenshot_shows_the_bars(tmp_path):
    report = tmp_path / "report.html"
    report.write_text(sample_page(), encoding="utf-8")
    shot = tmp_path / "shot.png"
    done = chromium(f"--screenshot={shot}", "--window-size=800,500", "--hide-scrollbars", report.as_uri(),
                    profile=tmp_path / "profile")
    assert shot.is_file(), done.stderr[-2000:]
    width, height, pixels = png_pixels(shot.read_bytes())
    assert (width, height) == (800, 500)
    white = sum(p == (255, 255, 255) for p in pixels)
    assert white < len(pixels) * 0.98  # not blank
    assert sum(p == BAR_BLUE for p in pixels) > 200  # the bars under the threshold were drawn
    assert sum(p == OVER_RED for p in pixels) > 200  # and those above it
