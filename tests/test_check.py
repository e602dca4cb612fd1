"""`composite check`: knowledge against data, on the default project and on planted projects."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from composite.check import (
    check_path,
    holm,
    newcombe_interval,
    proportion_test,
    render_report,
    spearman_test,
    wilson_interval,
)
from composite.cli.check import main
from tests.conftest import REPO, write_project

# ------------------------------------------------------------------------------------ statistics


def test_wilson_interval_matches_the_score_formula():
    lo, hi = wilson_interval(50, 293)
    assert (round(lo, 4), round(hi, 4)) == (0.1319, 0.2179)
    assert wilson_interval(0, 10)[0] == 0.0 and round(wilson_interval(0, 10)[1], 4) == 0.2775


def test_newcombe_interval_reproduces_newcombes_worked_example():
    # Newcombe (1998), Statistics in Medicine 17:873, Table II: 56/70 - 48/80, method 10.
    lo, hi = newcombe_interval(56, 70, 48, 80)
    assert (round(lo, 4), round(hi, 4)) == (0.0524, 0.3339)


def test_holm_multiplies_by_the_remaining_tests_and_keeps_the_order():
    assert [round(p, 12) for p in holm([0.01, 0.04, 0.03])] == [0.03, 0.06, 0.06]
    assert holm([0.5, 0.9]) == [1.0, 1.0]
    assert holm([]) == []


def test_spearman_on_two_binary_columns_is_the_phi_coefficient():
    # 100 rows with z = 1 (10 events) and 200 with z = 0 (70 events):
    # phi = (10 * 130 - 90 * 70) / sqrt(100 * 200 * 80 * 220) = -0.26650
    z = np.array([1] * 100 + [0] * 200)
    y = np.array([1] * 10 + [0] * 90 + [1] * 70 + [0] * 130)
    rho, (lo, hi), p = spearman_test(z, y)
    assert rho == pytest.approx(-5000 / np.sqrt(100 * 200 * 80 * 220), abs=1e-12)
    assert lo < rho < hi < 0 and p < 1e-4
    assert spearman_test(np.ones(10), y[:10]) is None


def test_proportion_test_is_fishers_exact_test():
    assert proportion_test(10, 100, 70, 200) == pytest.approx(1.8e-6, rel=0.05)
    assert proportion_test(5, 10, 5, 10) == 1.0


# ------------------------------------------------------------------------------ default project


@pytest.fixture(scope="module")
def default_report():
    return check_path(REPO)


def test_default_project_finds_the_credit_history_mislabelling(default_report):
    report = default_report
    assert (report.data, report.outcome, report.size, report.events) == ("data/german_credit.csv", "default", 1000, 300)
    history = next(t for t in report.tables if t.table == "history_points")
    assert history.verdict == "contradicted"
    assert (history.file, history.declared, history.inputs) == ("rules/scorecard/history.table.yaml", -1,
                                                               ("credit_history",))
    rows = {row.id: row for row in history.rows}
    assert {k: (r.value, r.group.n, r.group.events) for k, r in rows.items()} == {
        "critical": (0, 293, 50), "past_delays": (2, 88, 28), "no_credits": (5, 40, 25),
        "existing_paid": (8, 530, 169), "all_paid_here": (10, 49, 28)}
    critical = rows["critical"]
    assert critical.line == 12 and critical.group.rate == pytest.approx(0.1706, abs=5e-5)
    lo, hi = critical.group.interval
    assert (round(lo, 3), round(hi, 3)) == (0.132, 0.218)
    # the fewest points, yet the lowest default rate of the table
    assert critical.value == min(r.value for r in history.rows)
    assert history.data_order()[0] is critical
    assert history.out_of_line()[0] == (critical, 3)
    contradicted = {(p.high.id, p.low.id): p for p in history.contradicted}
    assert set(contradicted) == {("no_credits", "critical"), ("all_paid_here", "critical"),
                                 ("existing_paid", "critical"), ("all_paid_here", "existing_paid")}
    pair = contradicted[("existing_paid", "critical")]
    assert pair.effect == pytest.approx(169 / 530 - 50 / 293)
    assert pair.interval[0] > 0 and pair.p_adjusted < 0.05
    assert "critical" in history.suggestion("default") and "credit_history" in history.suggestion("default")

    points = next(c for c in report.concepts if c.concept == "history_points")
    assert points.verdict == "contradicted" and points.observed == 1 and points.declared == -1
    assert points.effect == pytest.approx(0.167, abs=1e-3) and points.n == 1000
    assert points.written_by == "node 'history_score' (rules/scorecard/history.table.yaml)"
    assert report.exit_code == 1


def test_default_project_agreements_and_what_it_cannot_assess(default_report):
    verdicts = {c.concept: c.verdict for c in default_report.concepts}
    for concept in ("duration_months", "age", "employment_since", "checking_points", "expert_score"):
        assert verdicts[concept] == "supported"
    assert {t.table for t in default_report.tables if t.verdict == "contradicted"} == {"history_points"}
    # knockout is ordered (none < refer < decline) and raises default: the policy rules are judged
    rules = {r.rule: r for r in default_report.rules}
    stretched = rules["overdrawn_and_stretched"]
    assert stretched.verdict == "supported"
    assert (stretched.matched.n, stretched.matched.events, stretched.rest.n) == (111, 64, 889)
    assert rules["overdrawn_with_payment_problems"].verdict == "unclear"
    # risk_flag has no sign in knowledge/, and two rules match too few applicants to compare
    assert rules["long_and_large"].verdict == "not assessed" and "'risk_flag'" in rules["long_and_large"].reason
    assert "too few rows" in rules["very_large_credit"].reason
    assert "too few rows" in rules["long_large_unemployed"].reason


def test_default_project_report_names_files_lines_and_numbers(default_report):
    text = render_report(default_report)
    first = text.index("CONTRADICTED")
    assert first < text.index("SUPPORTED") < text.index("NOT ASSESSED")
    assert "rules/scorecard/history.table.yaml:12  table history_points" in text
    assert "row 1 (critical)" in text and "17.1% (50/293) [13.2%, 21.8%]" in text
    assert "knowledge/credit.yaml:221  concept history_points" in text
    assert "suggestion: row 1 (critical) at line 12" in text
    assert "Holm" in text and text.rstrip().endswith("-> exit 1")


# ------------------------------------------------------------------------------ planted projects

PLANTED = """
    name: planted
    version: 1.0.0
    nodes:
      - {name: points, kind: table, file: rules/band.table.yaml}
      - {name: policy, kind: rules, file: rules/policy.rules.yaml}
      - name: needs_income
        kind: expression
        writes:
          burden: 100 / income
"""

PLANTED_CONCEPTS = """
    concepts:
      bad: {type: integer, range: [0, 1], description: Went bad}
      x: {type: number, influences: {bad: increases}}
      z: {type: number, influences: {bad: increases}}
      w: {type: integer, influences: {bad: increases}}
      tier: {type: category, values: [low, mid, high], ordered: true, influences: {bad: increases}}
      color: {type: category, values: [red, blue], influences: {bad: increases}}
      income: {type: number, influences: {bad: decreases}}
      burden: {type: number, influences: {bad: increases}}
      band: {type: category, values: [a, b, c]}
      band_points: {type: integer, influences: {bad: decreases}}
      flag: {type: category, values: [none, refer, decline], ordered: true, influences: {bad: increases}}
      bonus: {type: integer, influences: {bad: decreases}}
      note: {type: string, required: false}
"""

BAND_TABLE = """
    table: band_points
    hit_policy: UNIQUE
    inputs:
      - {name: band, values: [a, b, c]}
    outputs: [band_points]
    rules:
      - {band: '"a"', band_points: %s, id: band_a}
      - {band: '"b"', band_points: %s, id: band_b}
      - {band: '"c"', band_points: 10, id: band_c}
"""

POLICY = """
    ruleset: policy
    defaults: {flag: none, note: null, bonus: 0}
    rules:
      - name: refer_high_x
        when: x > 50
        then: {flag: refer}
        priority: 10
      - name: decline_high_z
        when: z > 50
        then: {flag: decline}
        priority: 20
      - name: note_band_a
        when: band == "a"
        then: {note: "looked at"}
      - name: never
        when: x > 1000
        then: {flag: decline}
      - name: mixed
        when: z > 50
        then: {flag: refer, bonus: 5}
        priority: 5
"""


def planted_rows() -> pd.DataFrame:
    """300 rows in three bands of 100: band a has 20 bad, b 50, c 10. x is high exactly in band
    b (agrees with its sign), z exactly in band c (contradicts it), tier follows the bad rate,
    w splits every band's bad and good rows in halves (no effect)."""
    rows = []
    for band, bad_count, x, z, tier in (("a", 20, 20, 20, "mid"), ("b", 50, 70, 20, "high"), ("c", 10, 20, 70, "low")):
        for i in range(100):
            bad = int(i < bad_count)
            rows.append({"band": band, "x": x, "z": z, "w": 1 + ((i if bad else i - bad_count) % 2), "tier": tier,
                         "color": "red" if i % 2 else "blue", "bad": bad})
    return pd.DataFrame(rows)


def planted_project(root: Path, *, points: tuple[int, int] = (0, 5), policy: bool = True) -> Path:
    composite = PLANTED if policy else PLANTED.replace("      - {name: policy, kind: rules, file: rules/policy.rules.yaml}\n", "")
    files = {"rules/band.table.yaml": BAND_TABLE % points}
    if policy:
        files["rules/policy.rules.yaml"] = POLICY
    write_project(root, composite, PLANTED_CONCEPTS, files)
    (root / "data").mkdir(exist_ok=True)
    planted_rows().to_csv(root / "data" / "rows.csv", index=False)
    return root


def test_planted_concept_contradiction_and_agreements(tmp_path):
    report = check_path(planted_project(tmp_path / "p"))
    assert (report.outcome, report.size, report.events) == ("bad", 300, 80)
    concepts = {c.concept: c for c in report.concepts}
    z = concepts["z"]
    assert (z.verdict, z.declared, z.observed, z.n, z.line) == ("contradicted", 1, -1, 300, 4)
    assert z.effect == pytest.approx(-5000 / np.sqrt(100 * 200 * 80 * 220), abs=1e-12)
    assert [(g.label, g.n, g.events) for g in z.groups] == [("20", 200, 70), ("70", 100, 10)]
    assert concepts["x"].verdict == "supported" and concepts["x"].effect > 0
    tier = concepts["tier"]
    assert tier.verdict == "supported"
    assert [(g.label, g.n, g.events) for g in tier.groups] == [("low", 100, 10), ("mid", 100, 20), ("high", 100, 50)]
    assert concepts["w"].verdict == "unclear" and concepts["w"].effect == pytest.approx(0.0, abs=1e-12)
    assert concepts["color"].verdict == "not assessed" and "unordered" in concepts["color"].reason
    assert concepts["income"].verdict == "not assessed" and "no values" in concepts["income"].reason
    assert concepts["bonus"].verdict == "supported"  # written by the rule `mixed`
    assert "node 'needs_income' not run: no values for income" in report.notes


def test_planted_rule_contradiction_agreement_and_rules_without_a_direction(tmp_path):
    report = check_path(planted_project(tmp_path / "p"))
    rules = {r.rule: r for r in report.rules}
    decline = rules["decline_high_z"]
    assert (decline.verdict, decline.declared, decline.line, decline.file) == (
        "contradicted", 1, 8, "rules/policy.rules.yaml")
    assert (decline.matched.n, decline.matched.events, decline.rest.n, decline.rest.events) == (100, 10, 200, 70)
    assert decline.effect == pytest.approx(0.10 - 0.35)
    assert decline.interval[1] < 0 and decline.p_adjusted < 0.05
    refer = rules["refer_high_x"]
    assert refer.verdict == "supported"
    assert (refer.matched.n, refer.matched.events, refer.rest.n, refer.rest.events) == (100, 50, 200, 30)
    assert rules["note_band_a"].verdict == "not assessed" and "'note' has no influence sign" in rules["note_band_a"].reason
    assert rules["never"].reason == "it fires on no row of the data"
    assert "point both ways" in rules["mixed"].reason
    assert rules["mixed"].p_value is None  # not counted among the comparisons


def test_planted_table_rows_contradiction_and_agreement(tmp_path):
    report = check_path(planted_project(tmp_path / "p"))
    (table,) = report.tables
    assert (table.table, table.output, table.declared, table.verdict) == ("band_points", "band_points", -1, "contradicted")
    assert [(r.id, r.line, r.value, r.group.n, r.group.events) for r in table.rows] == [
        ("band_a", 7, 0, 100, 20), ("band_b", 8, 5, 100, 50), ("band_c", 9, 10, 100, 10)]
    pairs = {(p.high.id, p.low.id): p for p in table.pairs}
    assert {k: p.verdict for k, p in pairs.items()} == {
        ("band_b", "band_a"): "contradicted",  # 5 points, 50% bad, against 0 points, 20% bad
        ("band_c", "band_a"): "unclear",       # 10% against 20%: the right way, not settled
        ("band_c", "band_b"): "supported"}     # 10% against 50%
    assert pairs[("band_b", "band_a")].effect == pytest.approx(0.30)
    # one family: 7 concepts (x, z, w, tier, band_points, flag, bonus), 2 rules and 3 row pairs
    # were tested, and adjusted together
    assert report.comparisons == 12
    assert report.counts() == {"contradicted": 3, "weak": 0, "unclear": 3, "supported": 4, "not assessed": 6}


def test_a_project_the_data_agrees_with_exits_0(tmp_path, capsys):
    root = planted_project(tmp_path / "p", points=(5, 0), policy=False)
    (root / "knowledge" / "concepts.yaml").write_text(
        (root / "knowledge" / "concepts.yaml").read_text().replace("z: {type: number, influences: {bad: increases}}",
                                                                   "z: {type: number, influences: {bad: decreases}}"))
    assert main(["--project", str(root)]) == 0
    out = capsys.readouterr().out
    assert "CONTRADICTED" not in out and "SUPPORTED" in out and out.rstrip().endswith("-> exit 0")


def test_min_support_leaves_small_groups_uncompared(tmp_path):
    report = check_path(planted_project(tmp_path / "p"), min_support=150)
    (table,) = report.tables
    assert table.verdict == "not assessed" and not table.pairs
    assert "row 1 (band_a): 100 rows (< 150)" in table.skipped
    assert all(r.verdict == "not assessed" for r in report.rules)
    assert report.exit_code == 1  # the concept z still contradicts, on all 300 rows


def test_check_command_prints_json_and_exits_1_on_a_contradiction(tmp_path, capsys):
    root = planted_project(tmp_path / "p")
    assert main(["check", "--project", str(root), "--json", "--min-support", "30"]) == 1
    document = json.loads(capsys.readouterr().out)
    assert document["exit_code"] == 1 and document["min_support"] == 30
    assert document["multiple_comparisons"] == "holm" and document["comparisons"] == 12
    z = next(c for c in document["concepts"] if c["concept"] == "z")
    assert (z["verdict"], z["declared"], z["observed"], z["file"], z["line"]) == (
        "contradicted", "increases", "decreases", "knowledge/concepts.yaml", 4)
    assert z["suggestion"].startswith("review `influences: {bad: increases}`")
    rule = next(r for r in document["rules"] if r["rule"] == "decline_high_z")
    assert rule["matched"] == {"label": "matched", "n": 100, "events": 10, "rate": 0.1,
                               "interval": pytest.approx(list(wilson_interval(10, 100)))}


def test_check_command_reads_data_and_outcome_options_and_reports_errors(tmp_path, capsys):
    root = planted_project(tmp_path / "p")
    frame = planted_rows().rename(columns={"bad": "went_bad"})
    frame["went_bad"] = frame["went_bad"].astype(bool)
    other = tmp_path / "other.csv"
    frame.to_csv(other, index=False)
    assert main(["--project", str(root), "--data", str(other)]) == 1
    assert "choose the outcome with --outcome" in capsys.readouterr().err
    frame["score"] = np.arange(len(frame))
    frame.to_csv(other, index=False)
    assert main(["--project", str(root), "--data", str(other), "--outcome", "score"]) == 1
    assert "must be 0/1 or true/false" in capsys.readouterr().err
    # knowledge/ declares its influences on `bad`, not `went_bad`: nothing to judge, and it says so
    assert main(["--project", str(root), "--data", str(other), "--outcome", "went_bad"]) == 0
    out = capsys.readouterr().out
    assert "outcome went_bad (80 = 1, 26.7%)" in out
    assert "knowledge/ declares no influences on 'went_bad' (only on bad)" in out
    assert "data columns not in knowledge/, not checked: score" in out


def test_rows_whose_applicants_overlap_are_not_compared(tmp_path):
    root = write_project(tmp_path / "p", """
        name: cumulative
        nodes:
          - {name: points, kind: table, file: rules/x.table.yaml}
    """, """
        concepts:
          bad: {type: integer, range: [0, 1]}
          x: {type: number}
          x_points: {type: integer, influences: {bad: decreases}}
    """, {"rules/x.table.yaml": """
        table: x_points
        hit_policy: COLLECT
        aggregation: SUM
        inputs: [{name: x, type: number}]
        outputs: [x_points]
        rules:
          - {x: '> 10', x_points: 5, id: above_10}
          - {x: '> 20', x_points: 3, id: above_20}
          - {x: '<= 10', x_points: 0, id: low}
    """})
    (root / "data").mkdir()
    x = np.repeat([5, 15, 25], 40)
    pd.DataFrame({"x": x, "bad": (np.arange(120) % 4 == 0).astype(int)}).to_csv(root / "data" / "d.csv", index=False)
    (table,) = check_path(root).tables
    assert "row 1 (above_10) and row 2 (above_20): their applicants overlap" in table.skipped
    assert {(p.high.id, p.low.id) for p in table.pairs} == {("above_10", "low"), ("above_20", "low")}
    assert [r.group.n for r in table.rows] == [80, 40, 40]


def test_a_first_table_gives_each_applicant_one_row_and_its_catch_all_row_competes(tmp_path):
    root = write_project(tmp_path / "p", """
        name: grades
        nodes:
          - {name: grade, kind: table, file: rules/grade.table.yaml}
    """, """
        concepts:
          bad: {type: boolean}
          phone: {type: boolean, influences: {bad: decreases}}
          x: {type: number}
          risk_class: {type: category, values: [low, medium, high], ordered: true, influences: {bad: increases}}
    """, {"rules/grade.table.yaml": """
        table: risk_class
        hit_policy: FIRST
        inputs: [{name: x, type: number}]
        outputs: [risk_class]
        rules:
          - {x: '> 20', risk_class: '"high"', id: high}
          - {x: '> 10', risk_class: '"medium"', id: medium}
          - {x: '-', risk_class: '"low"', id: catch_all}
    """})
    (root / "data").mkdir()
    x = np.repeat([25, 15, 5], 40)
    bad = np.concatenate([np.arange(40) < 30, np.arange(40) < 20, np.arange(40) < 10])
    phone = np.tile([True, False], 60)
    pd.DataFrame({"x": x, "phone": phone, "bad": bad}).to_csv(root / "data" / "d.csv", index=False)
    report = check_path(root)
    (table,) = report.tables
    assert table.inputs == ("x",)
    # `medium` (x > 10) also matches x = 25, but FIRST gives those applicants to `high`
    assert [(r.id, r.value, r.group.n, r.group.events) for r in table.rows] == [
        ("high", "high", 40, 30), ("medium", "medium", 40, 20), ("catch_all", "low", 40, 10)]
    assert not table.skipped and len(table.pairs) == 3
    pairs = {(p.high.id, p.low.id): p for p in table.pairs}
    assert pairs[("high", "catch_all")].verdict == "supported"
    assert pairs[("high", "catch_all")].effect == pytest.approx(0.5)
    phone_finding = next(c for c in report.concepts if c.concept == "phone")
    assert [(g.label, g.n, g.events) for g in phone_finding.groups] == [("false", 60, 30), ("true", 60, 30)]
    assert phone_finding.verdict == "unclear"
