"""The static HTML report: self-contained, escaped, and rendered by a real browser (headless Chromium)."""

from __future__ import annotations

from composite.report_html import Section, bar_chart, line_chart, page, table
from tests.chromium import dump_dom, needs_chromium, screenshot

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


@needs_chromium
def test_chromium_renders_the_charts_and_the_table(tmp_path):
    report = tmp_path / "report.html"
    report.write_text(sample_page(), encoding="utf-8")
    dom = dump_dom(report, profile=tmp_path / "profile")
    assert dom.count("<svg") == 2 and 'class="chart bar-chart"' in dom and 'class="chart line-chart"' in dom
    assert '<table id="drift">' in dom and "&lt;script&gt;alert(1)&lt;/script&gt;" in dom
    assert 'id="status"' in dom


@needs_chromium
def test_chromium_screenshot_shows_the_bars(tmp_path):
    report = tmp_path / "report.html"
    report.write_text(sample_page(), encoding="utf-8")
    pixels = screenshot(report, width=800, height=500, folder=tmp_path)
    white = sum(p == (255, 255, 255) for p in pixels)
    assert white < len(pixels) * 0.98  # not blank
    assert sum(p == BAR_BLUE for p in pixels) > 200  # the bars under the threshold were drawn
    assert sum(p == OVER_RED for p in pixels) > 200  # and those above it
