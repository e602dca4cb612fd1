"""`composite explain ID --html`: one stored decision as a self-contained page, checked in headless Chromium."""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from html import escape

import pytest

from composite import CompositeEngine
from composite.explain_html import explain_html
from tests.conftest import REPO
from tests.chromium import dump_dom, needs_chromium, screenshot

REQUEST = json.loads((REPO / "data" / "sample_application.json").read_text())
SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = '<script>alert("x")</script> & co'
DECIDING_FILL = (0xDB, 0xE8, 0xFF)  # a step on the deciding path


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    return CompositeEngine.from_path(REPO, store=f"sqlite:///{tmp_path_factory.mktemp('store')}/d.db")


@pytest.fixture(scope="module")
def decided(engine):
    decision = engine.decide(REQUEST)
    return decision, explain_html(engine.store, decision.id)


def svgs(html: str, cls: str) -> list[ET.Element]:
    """The inline SVG charts of class `cls`, parsed (each must be well-formed XML)."""
    found = re.findall(r'<svg xmlns="http://www.w3.org/2000/svg" class="chart ' + re.escape(cls) + r'".*?</svg>',
                       html, flags=re.S)
    return [ET.fromstring(svg) for svg in found]


def test_the_page_fetches_nothing_from_the_network(decided):
    _, html = decided
    assert html.startswith("<!DOCTYPE html>")
    without_namespace = html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "http://" not in without_namespace and "https://" not in without_namespace
    assert not re.search(r"<(script|link|img|iframe|object|embed)\b", html)
    assert not re.search(r"\bsrc\s*=", html) and "@import" not in html
    # every link is to a section of the page; every url() to a marker of the page
    assert all(href.startswith("#") for href in re.findall(r'href="([^"]*)"', html))
    assert all(url.startswith("#") for url in re.findall(r"url\(([^)]*)\)", html))


def test_the_page_has_the_header_each_step_and_each_output(decided):
    decision, html = decided
    assert f"<h1>Decision {decision.id}</h1>" in html
    assert f"{decision.project} {decision.project_version}" in html and decision.project_hash in html
    steps = decision.trace.nodes
    for index, step in enumerate(steps, 1):
        assert f'<section id="step-{index}"><h2>{index}. {escape(step.name)} ({step.kind})</h2>' in html
    outputs = re.search(r'<table id="outputs">.*?</table>', html, flags=re.S).group(0)
    rows = re.findall(r"<tr><td>([^<]*)</td><td>([^<]*)</td>", outputs)
    assert [name for name, _ in rows] == list(decision.outputs)
    shown = dict(rows)
    assert shown["decision"] == decision.outputs["decision"] == "approve"
    assert shown["reason"] == escape(decision.outputs["reason"])
    assert shown["affordability"].startswith(f"{decision.outputs['affordability']:.3g}")


def test_the_graph_draws_every_step_and_every_edge(decided):
    decision, html = decided
    (graph,) = svgs(html, "decision-graph")
    steps = [g.get("data-step") for g in graph.iter(f"{SVG}g") if "node" in (g.get("class") or "").split()]
    assert sorted(steps) == sorted(step.name for step in decision.trace.nodes)
    edges = [p for p in graph.iter(f"{SVG}path") if "edge" in (p.get("class") or "").split()]
    titles = {"".join(p.find(f"{SVG}title").itertext()) for p in edges}
    # instalment writes monthly_instalment, which affordability_score reads; the fuzzy step feeds it too
    assert "instalment → affordability_score: monthly_instalment" in titles
    assert "affordability_judgement → affordability_score: affordability" in titles
    links = {g.get("data-step"): g.find(f"{SVG}a").get("href") for g in graph.iter(f"{SVG}g")
             if g.get("data-step")}
    assert links["knockouts"] == f"#step-{len(decision.trace.nodes)}"


def test_the_deciding_path_is_highlighted(engine):
    """A knock-out decides: the review it overrode did not, and the outcome reached no output."""
    decision = engine.decide({**REQUEST, "credit_amount": 20000})
    assert decision.outputs["decision"] == "refer"
    (graph,) = svgs(explain_html(engine.store, decision.id), "decision-graph")
    state = {g.get("data-step"): g.get("class") for g in graph.iter(f"{SVG}g") if g.get("data-step")}
    assert state["credit_policy"] == state["knockouts"] == state["risk_model"] == "node deciding"
    assert state["disagreement"] == "node not-taken"
    assert state["outcome"] == "node"


def test_fuzzy_memberships_are_charted_with_the_values_the_decision_read(decided):
    decision, html = decided
    evidence = decision.trace.node("affordability_judgement").evidence
    charts = {svg.get("data-variable"): svg for svg in svgs(html, "membership-chart")}
    assert set(charts) == {*evidence["inputs"], *evidence["outputs"]}
    for name, entry in evidence["inputs"].items():
        legend = {"".join(t.itertext()) for t in charts[name].iter(f"{SVG}text") if t.get("class") == "term-label"}
        assert legend == {f"{term} {degree:.2f}" for term, degree in entry["memberships"].items()}
        marker = [line for line in charts[name].iter(f"{SVG}line") if line.get("class") == "value"]
        assert len(marker) == 1
    output = charts["affordability"]
    assert [p.get("class") for p in output.iter(f"{SVG}path")].count("aggregated") == 1
    value = f"= {evidence['outputs']['affordability']['value']:.4g}"
    assert value in {"".join(t.itertext()) for t in output.iter(f"{SVG}text")}


def test_model_contributions_are_bars_by_sign(decided):
    decision, html = decided
    contributions = decision.trace.node("risk_model").evidence["contributions"]
    (chart,) = svgs(html, "diverging-chart")
    bars = [r for r in chart.iter(f"{SVG}rect") if r.get("class") == "bar"]
    assert len(bars) == len(contributions)
    ordered = sorted(contributions.values(), key=lambda v: -abs(v))
    assert [b.get("fill") for b in bars] == ["#dc3912" if v > 0 else "#3366cc" for v in ordered]


def test_tables_show_their_hit_rows(decided):
    decision, html = decided
    checking = decision.trace.node("checking_score").evidence["tables"][0]
    assert f"<h3>Table {checking['table']} ({checking['hit_policy']})</h3>" in html
    row = checking["matched"][0]
    assert f'<td class="num">{row["row"]}</td><td>{escape(row["id"])}</td>' in html


def test_user_text_is_escaped(tmp_path):
    root = tmp_path / "project"
    root.mkdir()
    for part in ("composite.yaml", "knowledge", "rules", "models", "data"):
        source = REPO / part
        (shutil.copytree if source.is_dir() else shutil.copy)(source, root / part)
    rules = root / "rules" / "affordability.fuzzy.yaml"
    rules.write_text(rules.read_text().replace("name: little_known", f"name: {json.dumps(HOSTILE)}"))
    engine = CompositeEngine.from_path(root, store=f"sqlite:///{tmp_path}/d.db")
    decision = engine.decide(REQUEST)
    html = explain_html(engine.store, decision.id)
    assert "<script>" not in html
    escaped = escape(HOSTILE)
    assert html.count(escaped) >= 3  # the evidence line, the rule strengths chart, the rules table
    svgs(html, "bar-chart")  # still well-formed XML


@needs_chromium
def test_chromium_renders_the_graph_and_every_section(decided, tmp_path):
    decision, html = decided
    page = tmp_path / "decision.html"
    page.write_text(html, encoding="utf-8")
    dom = dump_dom(page, profile=tmp_path / "profile")
    assert 'class="chart decision-graph"' in dom
    for ident in ("summary", "outcome", "graph", "inputs", "artifacts",
                  *(f"step-{i}" for i in range(1, len(decision.trace.nodes) + 1))):
        assert f'<section id="{ident}">' in dom
    fuzzy_variables = len(decision.trace.node("affordability_judgement").evidence["inputs"]) + 1
    assert dom.count('class="chart membership-chart"') == fuzzy_variables
    assert dom.count('class="chart diverging-chart"') == 1


@needs_chromium
def test_chromium_screenshot_shows_the_highlighted_graph(decided, tmp_path):
    _, html = decided
    page = tmp_path / "decision.html"
    # the graph alone, at the top of a page, so that it is in the screenshot
    graph = re.search(r'<svg xmlns="http://www.w3.org/2000/svg" class="chart decision-graph".*?</svg>', html,
                      flags=re.S).group(0)
    page.write_text(f'<!DOCTYPE html><html><body style="margin:0">{graph}</body></html>', encoding="utf-8")
    pixels = screenshot(page, width=1000, height=900, folder=tmp_path)
    assert sum(p == DECIDING_FILL for p in pixels) > 5000  # the deciding steps' boxes were drawn


def test_a_decision_whose_project_no_longer_loads_still_renders_its_steps(engine, monkeypatch):
    """The evidence cannot be derived again: the page says why and shows the steps as stored."""
    import composite.evidence

    decision = engine.decide(REQUEST)

    def broken(snapshot):
        raise ValueError("a file it needs is not kept in the snapshot")

    monkeypatch.setattr(composite.evidence, "project_for", broken)
    html = explain_html(engine.store, decision.id)
    assert "the evidence could not be derived again" in html
    assert html.count('<section id="step-') == len(engine.store.get(decision.id).trace.nodes)
    (graph,) = svgs(html, "decision-graph")
    assert not svgs(html, "membership-chart") and not svgs(html, "diverging-chart")


def test_a_blend_and_a_review_are_charted_with_their_numbers(decided):
    decision, html = decided
    blend = decision.trace.node("risk_blend").evidence
    review = decision.trace.node("disagreement").evidence
    charts = {"".join(svg.find(f"{SVG}title").itertext()): svg for svg in svgs(html, "bar-chart")}
    (blended,) = [svg for title, svg in charts.items() if title.endswith("and their blend")]
    values = ["".join(t.itertext()) for t in blended.iter(f"{SVG}text")][1::2]
    assert values == [f"{blend[key]:.3f}" for key in ("expert_probability", "model_probability", "probability")]
    (apart,) = [svg for title, svg in charts.items() if title.startswith("how far apart")]
    assert f"{review['difference']:.3f}" in ["".join(t.itertext()) for t in apart.iter(f"{SVG}text")]
    assert f"threshold {review['threshold']:.3f}" in ["".join(t.itertext()) for t in apart.iter(f"{SVG}text")]
