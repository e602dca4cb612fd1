"""`composite plot`: a fuzzy variable's terms and a rule base's output surface, drawn from the numbers decisions use."""

from __future__ import annotations

import re
import struct
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from composite import CompositeEngine
from composite.errors import ExtraNotInstalled, ProjectError
from composite.fuzzy import FuzzyEvaluator
from composite.plot import load_fuzzy, plot_surface, plot_variable, surface, term_curves
from tests.conftest import REPO

SVG = "{http://www.w3.org/2000/svg}"
TIPPING = REPO / "examples" / "tipping"
TIPPING_FILE = TIPPING / "rules" / "tipping.fuzzy.yaml"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# Gaussian terms on a coarse universe: scikit-fuzzy numerics read memberships by linear
# interpolation between the universe's samples, which is visibly not the Gaussian itself.
GAUSSIAN = """
fuzzy: coarse
inputs:
  x:
    range: [0, 10]
    resolution: 6
    terms: {low: [gaussmf, 0, 3], high: [gaussmf, 10, 3]}
outputs:
  y:
    range: [0, 1]
    terms: {low: [trimf, 0, 0, 1], high: [trimf, 0, 1, 1]}
rules:
  - {name: down, if: x is low, then: y is low}
  - {name: up, if: x is high, then: y is high}
"""

FLL = """Engine: lamp
InputVariable: light
  range: 0.000 10.000
  term: dark Triangle 0.000 0.000 6.000
  term: bright Trapezoid 4.000 7.000 10.000 10.000
OutputVariable: power
  range: 0.000 100.000
  aggregation: Maximum
  defuzzifier: Centroid 100
  default: nan
  term: low Triangle 0.000 0.000 60.000
  term: high Triangle 40.000 100.000 100.000
RuleBlock:
  conjunction: Minimum
  disjunction: Maximum
  implication: Minimum
  activation: General
  rule: if light is dark then power is high
  rule: if light is bright then power is low
"""


def paths(svg: str) -> dict[str, list[tuple[float, float]]]:
    """Each term's drawn points (pixels), by term name."""
    root = ET.fromstring(svg)
    found = {}
    for path in root.iter(f"{SVG}path"):
        if path.get("class") == "term":
            found[path.get("data-term")] = [(float(x), float(y)) for x, y in
                                            re.findall(r"[ML](-?[\d.]+),(-?[\d.]+)", path.get("d", ""))]
    return found


def texts(svg: str) -> list[str]:
    return ["".join(t.itertext()) for t in ET.fromstring(svg).iter(f"{SVG}text")]


def test_the_svg_draws_one_labelled_path_per_term_with_the_concepts_unit():
    svg = plot_variable(TIPPING_FILE, "food")
    assert isinstance(svg, str)
    assert set(paths(svg)) == {"poor", "average", "good"}
    labels = [t.strip() for t in texts(svg)]
    assert {"poor", "average", "good"} <= set(labels)
    # the tipping project around the file gives food its unit, on the axis
    assert "food (points)" in labels


def test_the_drawn_points_are_the_membership_values():
    svg = plot_variable(TIPPING_FILE, "service")
    rule_base = load_fuzzy(TIPPING_FILE).rule_base
    xs, curves = term_curves(rule_base.input("service"))
    assert xs.tolist() == [float(x) for x in range(11)]  # the universe, resolution 11
    assert curves["average"][[2, 5, 7]].tolist() == [0.4, 1.0, 0.6]
    drawn = paths(svg)
    # pixels are affine in x and in membership: map them back with the poor term's two ends (1 and 0)
    (x0, y1), (x10, y0) = drawn["poor"][0], drawn["poor"][-1]
    for term, points in drawn.items():
        assert len(points) == len(xs)
        back_x = [(px - x0) / (x10 - x0) * 10 for px, _ in points]
        back_mu = [(py - y0) / (y1 - y0) for _, py in points]
        assert back_x == pytest.approx(xs.tolist(), abs=0.01)
        assert back_mu == pytest.approx(curves[term].tolist(), abs=0.005)


def test_the_curves_are_what_a_decision_reads_between_samples(tmp_path):
    file = tmp_path / "coarse.fuzzy.yaml"
    file.write_text(GAUSSIAN)
    source = load_fuzzy(file)
    xs, curves = term_curves(source.rule_base.input("x"), source.numerics)
    assert xs.tolist() == [0.0, 2.0, 4.0, 6.0, 8.0, 10.0]
    evaluator = FuzzyEvaluator(source.rule_base)
    for x in (1.0, 3.3, 7.5):
        read = evaluator.evaluate({"x": x}).evidence["inputs"]["x"]["memberships"]
        # the polyline through the drawn samples gives the decision's degree, not the Gaussian's
        assert float(np.interp(x, xs, curves["low"])) == pytest.approx(read["low"], abs=1e-12)
        assert read["low"] != pytest.approx(float(np.exp(-x * x / 18)), abs=1e-3)


def test_a_fuzzylite_engine_is_drawn_from_its_functions_with_the_corners(tmp_path):
    file = tmp_path / "lamp.fll"
    file.write_text(FLL)
    svg = plot_variable(file, "light")
    assert set(paths(svg)) == {"dark", "bright"}
    source = load_fuzzy(file)
    assert source.numerics == "fuzzylite"
    xs, curves = term_curves(source.rule_base.input("light"), source.numerics)
    assert len(xs) >= 1001 and {4.0, 6.0, 7.0} <= set(xs.tolist())  # the breakpoints are samples
    at = {x: i for i, x in enumerate(xs.tolist())}
    assert curves["bright"][at[7.0]] == 1.0 and curves["bright"][at[4.0]] == 0.0
    assert curves["dark"][at[3.0]] == 0.5


def test_a_project_folder_plots_the_fuzzy_node_that_has_the_variable():
    svg = plot_variable(REPO, "affordability")
    assert set(paths(svg)) == {"poor", "fair", "good"}
    assert "affordability (/100)" in [t.strip() for t in texts(svg)]


def test_an_unknown_variable_names_the_file_and_the_variables():
    with pytest.raises(ProjectError) as error:
        plot_variable(TIPPING_FILE, "servise")
    message = str(error.value)
    assert str(TIPPING_FILE) in message
    assert "did you mean 'service'?" in message
    assert "inputs: food, service; outputs: tip" in message
    assert error.value.code == "plot_unknown_variable"


def test_an_unknown_variable_in_a_project_lists_its_fuzzy_variables():
    with pytest.raises(ProjectError) as error:
        plot_variable(REPO, "savings_levl")
    assert "did you mean 'savings_level'?" in str(error.value)
    assert "fuzzy node 'affordability_judgement' has no variable 'savings_levl'" in str(error.value)
    assert str(REPO / "rules" / "affordability.fuzzy.yaml") in str(error.value)


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_SIGNATURE
    return struct.unpack(">II", data[16:24])


def test_png_has_the_requested_size():
    pytest.importorskip("matplotlib")
    assert png_size(plot_variable(TIPPING_FILE, "tip", format="png", width=640, height=300)) == (640, 300)
    assert png_size(plot_surface(TIPPING_FILE, "tip", format="png", width=733, height=517, points=11)) == (733, 517)


def test_png_without_matplotlib_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)  # makes the import fail
    with pytest.raises(ExtraNotInstalled) as error:
        plot_variable(TIPPING_FILE, "tip", format="png")
    assert "pip install 'composite-decisions[plot]'" in str(error.value)


def test_the_surface_at_the_grid_corners_is_what_the_engine_decides():
    s = surface(TIPPING_FILE, "tip", points=5)
    assert s.inputs == ("food", "service") and s.x.tolist() == s.y.tolist() == [0.0, 2.5, 5.0, 7.5, 10.0]
    engine = CompositeEngine.from_path(TIPPING, store="memory")
    for i, j in ((0, 0), (0, 4), (4, 0), (4, 4), (2, 3)):
        decided = engine.decide({"food": float(s.x[j]), "service": float(s.y[i])}).outputs["tip"]
        assert s.z[i, j] == pytest.approx(decided, abs=1e-12)


def test_the_surface_svg_has_a_cell_per_grid_point_and_a_colour_scale():
    svg = plot_surface(TIPPING, "tip", points=7)
    root = ET.fromstring(svg)
    cells = [r for r in root.iter(f"{SVG}rect") if r.get("class") == "cell"]
    assert len(cells) == 49
    s = surface(TIPPING, "tip", points=7)
    # the largest value is the top of the scale, the smallest its bottom
    fills = {(i, j): cells[i * 7 + j].get("fill") for i in range(7) for j in range(7)}
    assert fills[np.unravel_index(np.argmax(s.z), s.z.shape)] == "#fde725"
    assert fills[np.unravel_index(np.argmin(s.z), s.z.shape)] == "#440154"
    labels = [t.strip() for t in texts(svg)]
    assert "food (points)" in labels and "service (points)" in labels and "tip (%)" in labels
    assert any(g.get("class") == "colour-scale" for g in root.iter(f"{SVG}g"))


def test_a_surface_of_three_inputs_names_two_and_holds_the_third():
    with pytest.raises(ProjectError, match="has 3 inputs .*name the two"):
        surface(REPO, "affordability")
    s = surface(REPO, "affordability", ("instalment_rate_pct", "savings_level"), points=3,
                fixed={"checking_level": 1.0})
    assert s.fixed == {"checking_level": 1.0}
    evaluator = FuzzyEvaluator(load_fuzzy(REPO).rule_base)
    expected = evaluator.evaluate({"instalment_rate_pct": 4.0, "savings_level": 0.0, "checking_level": 1.0})
    assert s.z[0, 2] == pytest.approx(expected.outputs["affordability"], abs=1e-12)
    assert "held at checking_level = 1" in plot_surface(REPO, "affordability", ("instalment_rate_pct", "savings_level"),
                                                        points=3, fixed={"checking_level": 1.0})


TSK = """
fuzzy: tsk
kind: takagi_sugeno
inputs:
  x: {range: [0, 10], terms: {low: [trimf, 0, 0, 10], high: [trimf, 0, 10, 10]}}
outputs:
  y: {range: [-100, 100], terms: {flat: [constant, 5], slope: [linear, 2, 1]}}
rules:
  - {name: a, if: x is low, then: y is flat}
  - {name: b, if: x is high, then: y is slope, weight: 0.5}
"""


def test_takagi_sugeno_constants_are_spikes_and_linear_terms_are_named(tmp_path):
    file = tmp_path / "tsk.fuzzy.yaml"
    file.write_text(TSK)
    svg = plot_variable(file, "y")
    root = ET.fromstring(svg)
    assert paths(svg) == {}
    spikes = [line for line in root.iter(f"{SVG}line") if line.get("class") == "constant"]
    assert [s.get("data-term") for s in spikes] == ["flat"]
    assert "linear terms, not drawn: slope" in texts(svg)
    with pytest.raises(ProjectError, match="has 1 input [(]x[)]; name the two"):
        surface(file, "y")


def test_the_command_writes_svg_to_standard_output_and_png_to_a_file(tmp_path, capsys):
    from composite.cli import main

    assert main(["plot", str(TIPPING_FILE), "food"]) == 0
    assert set(paths(capsys.readouterr().out)) == {"poor", "average", "good"}
    pytest.importorskip("matplotlib")
    out = tmp_path / "tip.png"
    assert main(["plot", str(TIPPING_FILE), "tip", "--surface", "--points", "5", "-o", str(out),
                 "--width", "400", "--height", "300"]) == 0
    assert png_size(out.read_bytes()) == (400, 300)
    assert f"PNG written to {out}" in capsys.readouterr().err


def test_the_command_draws_a_held_surface_of_a_project_node(tmp_path, capsys):
    from composite.cli import main

    out = tmp_path / "surface.svg"
    assert main(["plot", str(REPO), "affordability", "--surface", "--over", "instalment_rate_pct", "savings_level",
                 "--at", "checking_level=1", "--points", "3", "-o", str(out)]) == 0
    root = ET.fromstring(out.read_text())
    assert len([r for r in root.iter(f"{SVG}rect") if r.get("class") == "cell"]) == 9
    assert "held at checking_level = 1" in texts(out.read_text())


@pytest.mark.parametrize(("args", "code", "message"), [
    (["food2"], 1, "did you mean 'food'?"),
    (["tip", "--format", "png"], 2, "PNG is written to a file: give -o OUT.png"),
    (["tip", "--at", "food=1"], 2, "--over and --at shape a surface: add --surface"),
    (["tip", "--surface", "--at", "food"], 2, "'food' is not NAME=NUMBER"),
])
def test_the_command_says_what_is_wrong(args, code, message, capsys):
    from composite.cli import main

    assert main(["plot", str(TIPPING_FILE), *args]) == code
    assert message in capsys.readouterr().err
