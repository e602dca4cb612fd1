"""FuzzyLite Language: the external conformance suite, import errors, export and round trips."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from composite.errors import ProjectError
from composite.fuzzy.evaluate import FuzzyEvaluator
from composite.fuzzy.fll import _negates_group, read_fll, to_fll
from composite.fuzzy.model import FuzzyRuleBase
from composite.fuzzy.yamlformat import read_fuzzy_yaml
from tests.fuzzy.conftest import REPO, fuzzylite_dir
from tests.fuzzy.strategies import input_values, mamdani_rule_bases, takagi_sugeno_rule_bases

ENGINES = sorted(fuzzylite_dir().glob("*.fll")) if fuzzylite_dir().is_dir() else []


def read_fld(path: Path) -> tuple[list[str], np.ndarray]:
    """A .fld reference table: the header's variable names, then one row per line (nan allowed)."""
    lines = [line.split() for line in path.read_text().splitlines() if line.strip()]
    return lines[0], np.array([[float(v) for v in line] for line in lines[1:]])


def _conformance_cases(folder: Path) -> list[tuple[Path, Path]]:
    pairs = [(fll, fll.with_suffix(".fld")) for fll in sorted(folder.glob("*.fll"))]
    assert pairs, f"no .fll files in {folder}"
    for fll, fld in pairs:
        assert fld.is_file(), f"{fll.name} has no reference data {fld.name}"
    return pairs


def test_every_fld_reference_is_reproduced_to_1e6_with_fuzzylite_numerics(shared_fuzzylite: Path) -> None:
    for fll, fld in _conformance_cases(shared_fuzzylite):
        rule_base = read_fll(fll.read_text(), file=fll.name)
        header, table = read_fld(fld)
        inputs = rule_base.input_names
        assert tuple(header[: len(inputs)]) == inputs and tuple(header[len(inputs):]) == rule_base.output_names
        evaluator = FuzzyEvaluator(rule_base, numerics=rule_base.numerics)
        columns = {name: table[:, k] for k, name in enumerate(inputs)}
        got = evaluator.evaluate_batch(columns, len(table)).outputs
        for j, name in enumerate(rule_base.output_names):
            expected = table[:, len(inputs) + j]
            assert np.array_equal(np.isnan(got[name]), np.isnan(expected)), f"{fll.name}: nan where fuzzylite has none"
            finite = ~np.isnan(expected)
            worst = np.max(np.abs(got[name][finite] - expected[finite]))
            assert worst <= 1e-6, f"{fll.name}: {name} off by {worst:.2e}"
        # and one row at a time, on a sample of the grid
        for i in range(0, len(table), 97):
            row = evaluator.evaluate({name: table[i, k] for k, name in enumerate(inputs)}).outputs
            for name in rule_base.output_names:
                assert np.array_equal(row[name], got[name][i], equal_nan=True)


def test_every_fld_reference_is_reproduced_through_the_engine(shared_fuzzylite: Path) -> None:
    try:
        from composite import CompositeEngine
    except ImportError as exc:  # the engine is written by another change
        pytest.skip(f"composite.engine cannot be imported yet: {exc}")
    for fll, fld in _conformance_cases(shared_fuzzylite):
        engine = CompositeEngine.from_path(fll, store="memory")
        header, table = read_fld(fld)
        rule_base = read_fll(fll.read_text(), file=fll.name)
        n = len(rule_base.inputs)
        for i in range(0, len(table), 41):
            decision = engine.decide({name: float(table[i, k]) for k, name in enumerate(header[:n])})
            for j, name in enumerate(header[n:]):
                value, expected = decision.outputs[name], table[i, n + j]
                # no rule fired and no default: fuzzylite's NaN is a missing value, null, for the engine
                if math.isnan(expected):
                    assert value is None, (fll.name, i)
                    continue
                assert isinstance(value, float)
                assert abs(value - expected) <= 1e-6, (fll.name, i)


def test_imported_tipper_keeps_its_operators_terms_and_fuzzylite_precedence(shared_fuzzylite: Path) -> None:
    rb = read_fll((shared_fuzzylite / "tipper.fll").read_text(), file="tipper.fll")
    assert (rb.name, rb.kind, rb.numerics) == ("tipper", "mamdani", "fuzzylite")
    assert rb.input("food").term("rancid").shape == "trapezoid"
    assert rb.input("service").term("good").params == (5.0, 1.5)
    assert rb.outputs[0].resolution == 1000 and math.isnan(rb.outputs[0].default)
    assert [r.name for r in rb.rules] == ["rule_1", "rule_2", "rule_3"]
    assert rb.rules[0].text == "if service is poor or food is rancid then tip is cheap"


FLL_HEAD = """Engine: e
InputVariable: x
  range: 0.000 1.000
  term: a Triangle 0.000 0.500 1.000
OutputVariable: y
  range: 0.000 1.000
  aggregation: Maximum
  defuzzifier: Centroid 100
  default: nan
  term: b Triangle 0.000 0.500 1.000
RuleBlock:
  conjunction: Minimum
  disjunction: Maximum
  implication: Minimum
  activation: General
"""


@pytest.mark.parametrize(("text", "line", "message"), [
    (FLL_HEAD + "  rule: if x is a then y is b\n  term: c Spike 0.5 0.1\n", 17, "unknown key 'term' in RuleBlock"),
    (FLL_HEAD.replace("Triangle 0.000 0.500 1.000\nOutputVariable", "Blob 0.500 0.100\nOutputVariable") +
     "  rule: if x is a then y is b\n", 4, "term type 'Blob' is not supported"),
    (FLL_HEAD + "  rule: if x is a then y is c\n", 16, "'y' has no term 'c'"),
    (FLL_HEAD + "  rule: if x is a y is b\n", 16, "expected 'then' after the condition"),
    (FLL_HEAD.replace("activation: General", "activation: Softmax") + "  rule: if x is a then y is b\n", 15,
     "activation 'Softmax' is not supported"),
    (FLL_HEAD.replace("aggregation: Maximum", "aggregation: YagerSum") + "  rule: if x is a then y is b\n", 7,
     "aggregation 'YagerSum' is not supported"),
])
def test_import_errors_name_the_line(text: str, line: int, message: str) -> None:
    with pytest.raises(ProjectError) as error:
        read_fll(text, file="e.fll")
    located = [(p.line, p.message) for p in error.value.problems]
    assert any(at == line and message in said for at, said in located), located


def _assert_same_outputs(a: FuzzyRuleBase, b: FuzzyRuleBase, rows: list[dict[str, float]], numerics: str) -> None:
    ea, eb = FuzzyEvaluator(a, numerics=numerics), FuzzyEvaluator(b, numerics=numerics)
    for row in rows:
        ra, rb = ea.evaluate(row).outputs, eb.evaluate(row).outputs
        for name in a.output_names:
            assert np.array_equal(ra[name], rb[name], equal_nan=True), (name, row, ra[name], rb[name])


def _grid_rows(rule_base: FuzzyRuleBase, n: int = 9) -> list[dict[str, float]]:
    axes = [np.linspace(v.lo, v.hi, n) for v in rule_base.inputs]
    mesh = np.meshgrid(*axes, indexing="ij")
    return [dict(zip(rule_base.input_names, point)) for point in zip(*(m.ravel().tolist() for m in mesh))]


@pytest.mark.parametrize("path", [REPO / "examples/tipping/rules/tipping.fuzzy.yaml",
                                  REPO / "rules/affordability.fuzzy.yaml"], ids=["tipping", "affordability"])
def test_export_then_import_gives_the_same_outputs_in_both_numerics(path: Path) -> None:
    original = read_fuzzy_yaml(path.read_text(), file=path.name)
    text = to_fll(original)
    again = read_fll(text, file="exported.fll")
    assert [r.name for r in again.rules] == [r.name for r in original.rules]
    assert [v.resolution for v in again.inputs] == [v.resolution for v in original.inputs]
    assert [v.out_of_range for v in again.inputs] == [v.out_of_range for v in original.inputs]
    for numerics in ("skfuzzy", "fuzzylite"):
        _assert_same_outputs(original, again, _grid_rows(original, 7 if len(original.inputs) > 2 else 15), numerics)
    assert to_fll(again) == text


def test_exported_tipping_reads_like_fuzzylite_wrote_it() -> None:
    text = to_fll(read_fuzzy_yaml((REPO / "examples/tipping/rules/tipping.fuzzy.yaml").read_text(), file="t"))
    assert "InputVariable: food\n" in text
    assert "  term: poor Triangle 0.000 0.000 5.000\n" in text
    assert "  defuzzifier: Centroid 26\n" in text and "  aggregation: Maximum\n" in text
    assert "  rule: if food is poor or service is poor then tip is low\n" in text
    assert "#@ name: bad_experience\n" in text


def test_conformance_engines_survive_the_round_trip(shared_fuzzylite: Path) -> None:
    for fll in sorted(shared_fuzzylite.glob("*.fll")):
        original = read_fll(fll.read_text(), file=fll.name)
        again = read_fll(to_fll(original), file=fll.name)
        _assert_same_outputs(original, again, _grid_rows(original, 11), "fuzzylite")


@settings(max_examples=60, deadline=None)
@given(data=st.data(), numerics=st.sampled_from(["skfuzzy", "fuzzylite"]))
def test_random_rule_bases_round_trip_through_fll(data: st.DataObject, numerics: str) -> None:
    rule_base = data.draw(st.one_of(mamdani_rule_bases(skfuzzy_compatible=False), takagi_sugeno_rule_bases()))
    ops = rule_base.operators
    if (ops.and_, ops.or_) not in {("min", "max"), ("product", "probor")} and any(
            _negates_group(rule.antecedent) for rule in rule_base.rules):
        with pytest.raises(ProjectError, match="not duals"):
            to_fll(rule_base)
        return
    text = to_fll(rule_base)
    again = read_fll(text, file="random.fll")
    assert to_fll(again) == text
    rows = data.draw(st.lists(input_values(rule_base), min_size=1, max_size=4))
    ea, eb = FuzzyEvaluator(rule_base, numerics=numerics), FuzzyEvaluator(again, numerics=numerics)
    for row in rows:
        ra, rb = ea.evaluate(row).outputs, eb.evaluate(row).outputs
        for out in rule_base.outputs:
            a, b = ra[out.name], rb[out.name]
            if out.defuzzify in ("centroid", "bisector", "weighted_average"):
                # `not` over a group is written with De Morgan's laws: equal up to rounding
                assert (math.isnan(a) and math.isnan(b)) or abs(a - b) <= 1e-9 * max(1.0, abs(out.hi - out.lo))


def test_a_yaml_rule_base_without_numerics_exports_as_skfuzzy_and_reads_back_the_same() -> None:
    rule_base = read_fuzzy_yaml((REPO / "examples/tipping/rules/tipping.fuzzy.yaml").read_text(),
                                file="tipping.fuzzy.yaml")
    assert rule_base.numerics is None
    text = to_fll(rule_base)
    assert "#@ numerics: skfuzzy" in text
    again = read_fll(text, file="tipping.fll")
    assert again.numerics == "skfuzzy"
    row = {"food": 6.5, "service": 9.8}
    assert FuzzyEvaluator(again, numerics=again.numerics).evaluate(row).outputs["tip"] == pytest.approx(
        FuzzyEvaluator(rule_base, numerics="skfuzzy").evaluate(row).outputs["tip"], abs=1e-12)
