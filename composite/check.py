"""Knowledge against data: where the data contradicts a concept's influence sign, a rule or a table row.

`check_project(project, frame)` runs the project's nodes over labelled data and returns a
`CheckReport` of typed findings with their evidence; `render_report` writes it for an expert.

Every comparison has a declared direction taken from knowledge/ (an influence sign, through the
value a rule assigns or a table row outputs), an observed effect with a 95% interval, and a
two-sided p-value. The p-values of all comparisons of one run are adjusted together (Holm), and a
comparison gets a verdict only when its interval excludes zero and its adjusted p-value is below
alpha:

    contradicted   the effect lies on the other side of zero than knowledge/ declares
    supported      it lies on the declared side
    weak           the interval excludes zero on the other side, but the Holm adjustment does
                   not confirm it: worth a look, not yet evidence
    unclear        the interval includes zero, or it lies on the declared side without the
                   adjustment confirming it
    not assessed   no direction can be derived from knowledge/, or too few rows to compare

>>> round(wilson_interval(50, 293)[0], 4), round(wilson_interval(50, 293)[1], 4)
(0.1319, 0.2179)
>>> [round(p, 12) for p in holm([0.01, 0.04, 0.03])]
[0.03, 0.06, 0.06]
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Mapping, Sequence

import numpy as np

from composite.errors import CompositeError, Problem, ProjectError

if TYPE_CHECKING:
    import pandas as pd

    from composite.knowledge import Concept, Knowledge
    from composite.project import Project

__all__ = [
    "ALPHA",
    "CONFIDENCE",
    "CheckReport",
    "ConceptFinding",
    "DEFAULT_MIN_SUPPORT",
    "DerivedValues",
    "Group",
    "RowPair",
    "RowStat",
    "RuleFinding",
    "SEVERITY",
    "TableFinding",
    "Verdict",
    "check_concepts",
    "check_path",
    "check_project",
    "check_rules",
    "check_tables",
    "derive_values",
    "find_data",
    "holm",
    "newcombe_interval",
    "outcomes_of",
    "proportion_test",
    "render_report",
    "spearman_test",
    "wilson_interval",
]

CONFIDENCE = 0.95
ALPHA = 0.05
DEFAULT_MIN_SUPPORT = 20
# Fieller, Hartley & Pearson (1957): the standard error of atanh(Spearman rho) is about sqrt(1.06 / (n - 3)).
_SPEARMAN_VARIANCE = 1.06

Verdict = Literal["contradicted", "weak", "unclear", "supported", "not assessed"]
SEVERITY: tuple[str, ...] = ("contradicted", "weak", "unclear", "supported", "not assessed")
_WORDS = {1: "increases", -1: "decreases", 0: "no effect"}


# ---------------------------------------------------------------------------------------------
# statistics


def _z(confidence: float) -> float:
    from scipy.stats import norm

    return float(norm.ppf(0.5 + confidence / 2))


def wilson_interval(events: int, n: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Wilson score interval for a proportion `events / n` (good at small n and rates near 0 or 1).

    >>> wilson_interval(0, 10)[0], round(wilson_interval(0, 10)[1], 4)
    (0.0, 0.2775)
    """
    if n <= 0:
        return (0.0, 1.0)
    z = _z(confidence)
    p = events / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return (max(0.0, centre - half), min(1.0, centre + half))


def newcombe_interval(events1: int, n1: int, events2: int, n2: int,
                      confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Newcombe's hybrid score interval (method 10, 1998) for the difference p1 - p2 of two
    independent proportions, built from their Wilson intervals.

    >>> lo, hi = newcombe_interval(56, 70, 48, 80)
    >>> round(lo, 4), round(hi, 4)
    (0.0524, 0.3339)
    """
    p1, p2 = events1 / n1, events2 / n2
    l1, u1 = wilson_interval(events1, n1, confidence)
    l2, u2 = wilson_interval(events2, n2, confidence)
    d = p1 - p2
    lower = d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    upper = d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return (max(-1.0, lower), min(1.0, upper))


def proportion_test(events1: int, n1: int, events2: int, n2: int) -> float:
    """Two-sided p-value of Fisher's exact test that two proportions are equal."""
    from scipy.stats import fisher_exact

    table = [[events1, n1 - events1], [events2, n2 - events2]]
    return float(fisher_exact(table, alternative="two-sided")[1])


def spearman_test(x: np.ndarray, y: np.ndarray, confidence: float = CONFIDENCE
                  ) -> tuple[float, tuple[float, float], float] | None:
    """Spearman's rho of x and y, its interval and two-sided p-value by Fisher's z transform
    (with the 1.06 variance correction for rank correlation), or None when undefined
    (fewer than 4 pairs, or a constant column). Ties get average ranks.
    """
    from scipy.stats import norm, rankdata

    n = len(x)
    if n < 4:
        return None
    rx, ry = rankdata(x), rankdata(y)
    if np.ptp(rx) == 0 or np.ptp(ry) == 0:
        return None
    rho = float(np.corrcoef(rx, ry)[0, 1])
    clipped = min(max(rho, -0.999999), 0.999999)
    se = math.sqrt(_SPEARMAN_VARIANCE / (n - 3))
    centre = math.atanh(clipped)
    z = _z(confidence)
    interval = (math.tanh(centre - z * se), math.tanh(centre + z * se))
    p = float(2 * norm.sf(abs(centre) / se))
    return rho, interval, p


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm's step-down adjustment: controls the chance of any false verdict across all tests."""
    m = len(pvalues)
    order = sorted(range(m), key=lambda k: pvalues[k])
    adjusted = [0.0] * m
    running = 0.0
    for rank, k in enumerate(order):
        running = max(running, min(1.0, (m - rank) * pvalues[k]))
        adjusted[k] = running
    return adjusted


def _verdict(declared: int, effect: float | None, interval: tuple[float, float] | None,
             p_adjusted: float | None, alpha: float) -> Verdict:
    if effect is None or interval is None or p_adjusted is None or declared == 0:
        return "not assessed"
    observed = (effect > 0) - (effect < 0)
    # The interval holds the estimate: when it excludes zero, it lies on the observed side.
    if observed == 0 or not (interval[0] > 0 or interval[1] < 0):
        return "unclear"
    if observed != declared:
        return "contradicted" if p_adjusted < alpha else "weak"
    return "supported" if p_adjusted < alpha else "unclear"


# ---------------------------------------------------------------------------------------------
# findings


class _Tested:
    """What every tested comparison answers: the sign it observed, and whether it was tested."""

    effect: float | None
    p_value: float | None

    @property
    def observed(self) -> int:
        return 0 if self.effect is None else (self.effect > 0) - (self.effect < 0)

    @property
    def tested(self) -> bool:
        return self.p_value is not None


@dataclass(frozen=True)
class Group:
    """Applicants that share something (a value, a rule firing, a table row): how many, how many
    with the outcome, the rate and its Wilson interval."""

    label: str
    n: int
    events: int
    confidence: float = CONFIDENCE

    @property
    def rate(self) -> float | None:
        return self.events / self.n if self.n else None

    @property
    def interval(self) -> tuple[float, float] | None:
        return wilson_interval(self.events, self.n, self.confidence) if self.n else None

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "n": self.n, "events": self.events, "rate": self.rate,
                "interval": list(self.interval) if self.interval else None}

    def describe(self) -> str:
        if not self.n:
            return "no rows"
        lo, hi = self.interval  # type: ignore[misc]
        return f"{_pct(self.rate)} ({self.events}/{self.n}) [{_pct(lo)}, {_pct(hi)}]"


@dataclass(frozen=True)
class ConceptFinding(_Tested):
    """A concept's declared influence on the outcome against its rank correlation in the data.

    `declared` and `observed` are +1 (increases the outcome), -1 (decreases) or 0; `effect` is
    Spearman's rho (on the ordinal codes for ordered categories); `groups` the outcome rate per
    value or per value range."""

    concept: str
    file: str | None
    line: int | None
    declared: int
    measure: str
    n: int
    effect: float | None = None
    interval: tuple[float, float] | None = None
    p_value: float | None = None
    p_adjusted: float | None = None
    groups: tuple[Group, ...] = ()
    verdict: Verdict = "not assessed"
    reason: str | None = None
    written_by: str | None = None  # "node 'x' (file)" when a node computes the values
    kind: str = "concept"


    def suggestion(self, outcome: str) -> str:
        if self.verdict == "contradicted" and self.written_by:
            return (f"the values that {self.written_by} computes rank applicants against the declared sign: review that "
                    f"node (see its rule and row findings), or the sign")
        if self.verdict == "contradicted":
            return (f"review `influences: {{{outcome}: {_WORDS[self.declared]}}}` of '{self.concept}' and how the "
                    f"data codes it; models take their monotone constraints from this sign")
        if self.verdict == "weak":
            return "the data leans against the declared sign without settling it; watch it as data accrues"
        if self.verdict == "not assessed":
            return self.reason or ""
        return ""

    def to_dict(self, outcome: str) -> dict[str, Any]:
        return {"kind": self.kind, "concept": self.concept, "file": self.file, "line": self.line,
                "written_by": self.written_by, "verdict": self.verdict, "declared": _WORDS[self.declared], "observed": _WORDS[self.observed],
                "measure": self.measure, "n": self.n, "effect": self.effect,
                "interval": list(self.interval) if self.interval else None, "p_value": self.p_value,
                "p_adjusted": self.p_adjusted, "groups": [g.to_dict() for g in self.groups],
                "reason": self.reason, "suggestion": self.suggestion(outcome)}


@dataclass(frozen=True)
class RuleFinding(_Tested):
    """A rule's applicants (where it fired) against all others.

    `declared` is the direction knowledge/ gives the rule: +1 when what it assigns raises the
    outcome (e.g. an ordered `knockout: decline` whose concept increases it), -1 when it lowers
    it, 0 when no direction can be derived (`reason` says why). `effect` is the outcome rate
    among the matched minus among the rest, with Newcombe's interval."""

    node: str
    rule: str
    file: str | None
    line: int | None
    when: str
    assigns: dict[str, Any]
    declared: int
    matched: Group
    rest: Group
    effect: float | None = None
    interval: tuple[float, float] | None = None
    p_value: float | None = None
    p_adjusted: float | None = None
    verdict: Verdict = "not assessed"
    reason: str | None = None
    kind: str = "rule"


    def suggestion(self, outcome: str) -> str:
        if self.verdict == "contradicted":
            side = "more" if self.observed > 0 else "less"
            return (f"the applicants this rule fires on show {outcome} {side} often than the others, against what "
                    f"it assigns: review its condition or its outcome")
        if self.verdict == "weak":
            return "the data leans against this rule without settling it"
        if self.verdict == "not assessed":
            return self.reason or ""
        return ""

    def to_dict(self, outcome: str) -> dict[str, Any]:
        return {"kind": self.kind, "node": self.node, "rule": self.rule, "file": self.file, "line": self.line,
                "when": self.when, "assigns": self.assigns, "verdict": self.verdict,
                "declared": _WORDS[self.declared], "observed": _WORDS[self.observed],
                "matched": self.matched.to_dict(), "rest": self.rest.to_dict(), "effect": self.effect,
                "interval": list(self.interval) if self.interval else None, "p_value": self.p_value,
                "p_adjusted": self.p_adjusted, "reason": self.reason, "suggestion": self.suggestion(outcome)}


@dataclass(frozen=True)
class RowStat:
    """One table row: the value it outputs, and the applicants it gave that value to."""

    row: int
    id: str | None
    line: int | None
    value: Any
    group: Group

    @property
    def name(self) -> str:
        return f"row {self.row}" + (f" ({self.id})" if self.id else "")

    def to_dict(self) -> dict[str, Any]:
        return {"row": self.row, "id": self.id, "line": self.line, "value": self.value, **self.group.to_dict()}


@dataclass(frozen=True)
class RowPair(_Tested):
    """Two rows of one table block: `high` outputs the larger value, `low` the smaller. `effect`
    is high's outcome rate minus low's; knowledge/ declares its sign as the output concept's
    influence sign (points that decrease the outcome: `declared` = -1)."""

    high: RowStat
    low: RowStat
    declared: int
    effect: float
    interval: tuple[float, float]
    p_value: float
    p_adjusted: float | None = None
    verdict: Verdict = "not assessed"

    def to_dict(self) -> dict[str, Any]:
        return {"high": self.high.row, "low": self.low.row, "high_id": self.high.id, "low_id": self.low.id,
                "declared": _WORDS[self.declared], "observed": _WORDS[self.observed], "effect": self.effect,
                "interval": list(self.interval), "p_value": self.p_value, "p_adjusted": self.p_adjusted,
                "verdict": self.verdict}


@dataclass(frozen=True)
class TableFinding:
    """One block of a decision table (its rows that test the same inputs) for one output: every
    row's applicants and outcome rate, and each pair of rows with different outputs compared."""

    node: str
    table: str
    output: str
    file: str | None
    line: int | None
    inputs: tuple[str, ...]
    declared: int
    rows: tuple[RowStat, ...] = ()
    pairs: tuple[RowPair, ...] = ()
    reason: str | None = None
    skipped: tuple[str, ...] = ()  # rows or pairs not compared, and why
    kind: str = "table"

    @property
    def verdict(self) -> Verdict:
        if not self.pairs:
            return "not assessed"
        return min((pair.verdict for pair in self.pairs), key=SEVERITY.index)  # type: ignore[return-value]

    @property
    def contradicted(self) -> list[RowPair]:
        return [pair for pair in self.pairs if pair.verdict == "contradicted"]

    def out_of_line(self) -> list[tuple[RowStat, int]]:
        """Rows in the most contradicted pairs first, with how many."""
        counts: dict[int, int] = {}
        for pair in self.contradicted:
            for row in (pair.high, pair.low):
                counts[row.row] = counts.get(row.row, 0) + 1
        by_row = {row.row: row for row in self.rows}
        return sorted(((by_row[r], c) for r, c in counts.items()), key=lambda item: (-item[1], item[0].row))

    def data_order(self) -> list[RowStat]:
        """The rows with applicants, lowest outcome rate first: the order knowledge/ should give
        their outputs (descending when the output decreases the outcome)."""
        return sorted((row for row in self.rows if row.group.n), key=lambda row: (row.group.rate or 0.0, row.row))

    def suggestion(self, outcome: str) -> str:
        if self.verdict == "not assessed":
            return self.reason or ""
        if self.verdict != "contradicted":
            return ""
        ranked = self.out_of_line()
        top = [row for row, count in ranked if count == ranked[0][1]]
        count = ranked[0][1]
        more = "less" if self.declared < 0 else "more"
        coded = (f"how {', '.join(self.inputs)} {'is' if len(self.inputs) == 1 else 'are'} coded in the data "
                 f"(knowledge/ says more {self.output}, {more} {outcome})")
        if len(top) == 1:
            row = top[0]
            return (f"{row.name} at line {row.line}, {_value(row.value)} {self.output}, is out of line in {count} "
                    f"contradicted pair{'s' if count > 1 else ''}: review its {self.output}, or {coded}")
        names = " and ".join(f"{row.name} (line {row.line})" for row in top)
        return f"{names} contradict each other: review their {self.output}, or {coded}"

    def to_dict(self, outcome: str) -> dict[str, Any]:
        return {"kind": self.kind, "node": self.node, "table": self.table, "output": self.output,
                "file": self.file, "line": self.line, "inputs": list(self.inputs), "verdict": self.verdict,
                "declared": _WORDS[self.declared], "rows": [row.to_dict() for row in self.rows],
                "pairs": [pair.to_dict() for pair in self.pairs], "reason": self.reason,
                "skipped": list(self.skipped), "suggestion": self.suggestion(outcome)}


@dataclass(frozen=True)
class CheckReport:
    """Everything `composite check` found for one project, data set and outcome."""

    project: str
    version: str
    data: str | None
    outcome: str
    size: int
    events: int
    concepts: tuple[ConceptFinding, ...]
    rules: tuple[RuleFinding, ...]
    tables: tuple[TableFinding, ...]
    comparisons: int
    alpha: float = ALPHA
    confidence: float = CONFIDENCE
    min_support: int = DEFAULT_MIN_SUPPORT
    notes: tuple[str, ...] = ()

    @property
    def contradicted(self) -> list[ConceptFinding | RuleFinding | TableFinding]:
        return [f for f in self.findings() if f.verdict == "contradicted"]

    @property
    def exit_code(self) -> int:
        """0 when nothing is contradicted, 1 otherwise."""
        return 1 if self.contradicted else 0

    def findings(self) -> list[ConceptFinding | RuleFinding | TableFinding]:
        return [*self.concepts, *self.rules, *self.tables]

    def counts(self) -> dict[str, int]:
        out = {verdict: 0 for verdict in SEVERITY}
        for finding in self.findings():
            out[finding.verdict] += 1
        return out

    def method(self) -> str:
        return (f"{self.comparisons} comparisons; a verdict needs a {self.confidence:.0%} interval that excludes zero "
                f"and a Holm-adjusted p-value below {self.alpha:g} (Holm across all {self.comparisons}); groups under "
                f"{self.min_support} rows are not compared")

    def to_dict(self) -> dict[str, Any]:
        return {
            "project": self.project, "version": self.version, "data": self.data, "outcome": self.outcome,
            "rows": self.size, "events": self.events, "alpha": self.alpha, "confidence": self.confidence,
            "min_support": self.min_support, "comparisons": self.comparisons,
            "multiple_comparisons": "holm", "method": self.method(), "counts": self.counts(),
            "exit_code": self.exit_code,
            "concepts": [f.to_dict(self.outcome) for f in self.concepts],
            "rules": [f.to_dict(self.outcome) for f in self.rules],
            "tables": [f.to_dict(self.outcome) for f in self.tables],
            "notes": list(self.notes),
        }


# ---------------------------------------------------------------------------------------------
# running the project over the data


@dataclass
class DerivedValues:
    """Every value the data gives or the project's nodes compute, by name, for all rows; each
    node's batch evidence; and what could not be computed, with why."""

    values: dict[str, np.ndarray]
    evidence: dict[str, Sequence[Mapping[str, Any]] | None]
    size: int
    notes: list[str] = field(default_factory=list)


def derive_values(project: "Project", frame: "pd.DataFrame") -> DerivedValues:
    """Validate the frame's columns that knowledge/ defines, then run every node that can run
    (all it reads is known) column-wise in graph order, as `decide_batch` would.

    A node that cannot run (a missing column, an untrained model, an evaluation error) is skipped
    with a note, and so are the nodes that need its outputs.
    """
    from composite.knowledge import InputSchema

    knowledge = project.knowledge
    notes: list[str] = []
    concepts = [str(c) for c in frame.columns if str(c) in knowledge]
    others = [str(c) for c in frame.columns if str(c) not in knowledge]
    try:
        columns = InputSchema(knowledge, concepts).validate_frame(frame[concepts])
    except CompositeError as exc:
        raise ProjectError("the data does not fit knowledge/", code="check_data",
                           problems=[Problem(p.code, f"the data: {p.message}", field=p.field)
                                     for p in exc.problems]) from None
    values: dict[str, np.ndarray] = dict(columns)
    for name in others:
        values[name] = frame[name].to_numpy()
    size = len(frame)
    evidence: dict[str, Sequence[Mapping[str, Any]] | None] = {}
    for node in project.graph.order:
        missing = [name for name in node.reads if name not in values]
        if missing:
            notes.append(f"node '{node.name}' not run: no values for {', '.join(missing)}")
            continue
        try:
            result = node.evaluate_batch({name: values[name] for name in node.reads}, size)
        except CompositeError as exc:
            notes.append(f"node '{node.name}' not run: {exc.message}")
            continue
        evidence[node.name] = result.evidence
        for name, column in result.outputs.items():
            values[name] = np.asarray(column)
    return DerivedValues(values, evidence, size, notes)


# ---------------------------------------------------------------------------------------------
# concepts


def _numeric(column: np.ndarray) -> np.ndarray:
    import pandas as pd

    if column.dtype == bool:
        return column.astype(float)
    return pd.to_numeric(pd.Series(column, dtype=object if column.dtype == object else None),
                         errors="coerce").to_numpy(dtype=float)


def _position(concept: "Concept | None", value: Any) -> float | None:
    """Where a value lies on the concept's scale, so two values can be compared; None when the
    concept gives no order (unordered categories, strings, null)."""
    if concept is None or value is None:
        return None
    if concept.type == "boolean":
        return float(bool(value)) if isinstance(value, (bool, np.bool_)) else None
    if concept.type in ("number", "integer"):
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
            return None
        return float(value) if math.isfinite(float(value)) else None
    if concept.ordered and concept.values and value in concept.values:
        return float(list(concept.values).index(value))
    return None


def _no_order_reason(concept: "Concept", outcome: str) -> str:
    if concept.type in ("category", "string"):
        return (f"'{concept.name}' is an unordered {concept.type}: its values have no direction; make it ordered "
                f"(`ordered: true`, values in order) to assess its sign on {outcome}")
    return f"'{concept.name}' has no order to compare values on"


def _groups_for(concept: "Concept", codes: np.ndarray, y: np.ndarray, confidence: float) -> tuple[Group, ...]:
    if concept.type == "boolean":
        return tuple(Group(label, int((codes == k).sum()), int(y[codes == k].sum()), confidence)
                     for k, label in ((0.0, "false"), (1.0, "true")))
    if concept.ordered and concept.values:
        return tuple(Group(str(value), int((codes == k).sum()), int(y[codes == k].sum()), confidence)
                     for k, value in enumerate(concept.values))
    distinct = np.unique(codes)
    if len(distinct) <= 6:
        return tuple(Group(_value(_as_number(v)), int((codes == v).sum()), int(y[codes == v].sum()), confidence)
                     for v in distinct)
    # quartiles, cut at values so that equal values stay together
    edges = np.unique(np.quantile(codes, [0.25, 0.5, 0.75]))
    bins = np.searchsorted(edges, codes, side="left")  # bin k: (edges[k-1], edges[k]]
    groups = []
    for k in range(len(edges) + 1):
        mask = bins == k
        if not mask.any():
            continue
        part = codes[mask]
        label = f"{_value(_as_number(part.min()))} to {_value(_as_number(part.max()))}"
        groups.append(Group(label, int(mask.sum()), int(y[mask].sum()), confidence))
    return tuple(groups)


def check_concepts(knowledge: "Knowledge", values: Mapping[str, np.ndarray], y: np.ndarray, outcome: str, *,
                   min_support: int = DEFAULT_MIN_SUPPORT, confidence: float = CONFIDENCE,
                   writers: Mapping[str, str] | None = None) -> list[ConceptFinding]:
    """Each concept with an influence sign on `outcome` against Spearman's rho in the data
    (verdicts are set by `check_project`, after the adjustment for multiple comparisons)."""
    findings = []
    for name, concept in knowledge.concepts.items():
        declared = concept.sign(outcome)
        if declared == 0 or name == outcome:
            continue
        base = dict(concept=name, file=concept.file, line=concept.line, declared=declared,
                    written_by=(writers or {}).get(name))
        if name not in values:
            findings.append(ConceptFinding(**base, measure="-", n=0,
                                           reason=f"no values: '{name}' is not a data column and no node that "
                                                  "could run writes it"))
            continue
        column = values[name]
        if concept.type in ("number", "integer"):
            codes, measure = _numeric(column), "Spearman rho"
        elif concept.type == "boolean":
            codes, measure = _numeric(column), "Spearman rho (false = 0, true = 1)"
        elif concept.ordered and concept.values:
            order = {value: k for k, value in enumerate(concept.values)}
            codes = np.array([order.get(v, np.nan) if v is not None else np.nan for v in column], dtype=float)
            measure = "Spearman rho on the ordinal codes (" + " < ".join(map(str, concept.values)) + ")"
        else:
            findings.append(ConceptFinding(**base, measure="-", n=len(column), reason=_no_order_reason(concept, outcome)))
            continue
        keep = ~np.isnan(codes)
        codes, outcome_kept = codes[keep], y[keep]
        n = int(keep.sum())
        groups = _groups_for(concept, codes, outcome_kept, confidence)
        if n < min_support:
            findings.append(ConceptFinding(**base, measure=measure, n=n, groups=groups,
                                           reason=f"too few rows with a value ({n} < {min_support})"))
            continue
        result = spearman_test(codes, outcome_kept, confidence)
        if result is None:
            findings.append(ConceptFinding(**base, measure=measure, n=n, groups=groups,
                                           reason=f"'{name}' is constant in the data"))
            continue
        rho, interval, p = result
        findings.append(ConceptFinding(**base, measure=measure, n=n, effect=rho, interval=interval, p_value=p,
                                       groups=groups))
    return findings


# ---------------------------------------------------------------------------------------------
# rules


def _rule_direction(rule: Any, defaults: Mapping[str, Any], knowledge: "Knowledge", outcome: str) -> tuple[int, str | None]:
    directions: dict[str, int] = {}
    unsigned: list[str] = []
    why: list[str] = []
    for name, value in rule.then.items():
        concept = knowledge.get(name)
        sign = concept.sign(outcome) if concept is not None else 0
        if sign == 0:
            unsigned.append(name)
            continue
        if name not in defaults:
            why.append(f"'{name}' has no default to compare the rule's value with")
            continue
        here, otherwise = _position(concept, value), _position(concept, defaults[name])
        if here is None or otherwise is None:
            why.append(_no_order_reason(concept, outcome) if here is None and value is not None
                       else f"'{name}' = {_value(value)} cannot be compared with its default {_value(defaults[name])}")
            continue
        if here != otherwise:
            directions[name] = sign * (1 if here > otherwise else -1)
    found = set(directions.values())
    if len(found) == 1:
        return found.pop(), None
    if len(found) > 1:
        ups = [n for n, d in directions.items() if d > 0]
        downs = [n for n, d in directions.items() if d < 0]
        return 0, (f"its assignments point both ways: {', '.join(ups)} raise{'s' if len(ups) == 1 else ''} "
                   f"{outcome}, {', '.join(downs)} lower{'s' if len(downs) == 1 else ''} it")
    if unsigned and not why:
        listed = ", ".join(f"'{n}'" for n in unsigned)
        example = next((n for n in unsigned if (c := knowledge.get(n)) is not None
                        and (c.values or c.type in ("number", "integer", "boolean"))), None)
        concept = knowledge.get(example) if example else None
        hint = (f"make '{example}' ordered (its values from lowest to highest {outcome}, `ordered: true`) with "
                f"`influences: {{{outcome}: increases}}`" if concept is not None and concept.values and not concept.ordered
                else f"give '{example}' `influences: {{{outcome}: increases|decreases}}`" if example
                else f"declare in knowledge/ how what it assigns influences {outcome}")
        return 0, (f"{listed} {'has' if len(unsigned) == 1 else 'have'} no influence sign on {outcome} in knowledge/; "
                   f"to assess the rule, {hint}")
    if why:
        return 0, "; ".join(why)
    return 0, f"it assigns the same values as its defaults: no direction on {outcome}"


def check_rules(project: "Project", derived: DerivedValues, y: np.ndarray, outcome: str, *,
                min_support: int = DEFAULT_MIN_SUPPORT, confidence: float = CONFIDENCE) -> list[RuleFinding]:
    """Each rule of each rule set: outcome rate where it fired against the rest."""
    from composite.nodes.rules import RuleSetNode

    findings = []
    for node in project.graph.order:
        if not isinstance(node, RuleSetNode) or derived.evidence.get(node.name) is None:
            continue
        evidence = derived.evidence[node.name]
        names = {rule.name: k for k, rule in enumerate(node.ruleset.rules)}
        fired = np.zeros((derived.size, len(names)), dtype=bool)
        cache: dict[int, list[int]] = {}
        for row, entry in enumerate(evidence or []):
            key = id(entry)
            if key not in cache:
                cache[key] = [names[f["rule"]] for f in entry.get("fired") or [] if f.get("rule") in names]
            fired[row, cache[key]] = True
        for k, rule in enumerate(node.ruleset.rules):
            mask = fired[:, k]
            matched = Group("matched", int(mask.sum()), int(y[mask].sum()), confidence)
            rest = Group("rest", int((~mask).sum()), int(y[~mask].sum()), confidence)
            declared, reason = _rule_direction(rule, node.ruleset.defaults, project.knowledge, outcome)
            base = dict(node=node.name, rule=rule.name, file=rule.file, line=rule.line,
                        when=" ".join(rule.when.text.split()), assigns=dict(rule.then), matched=matched, rest=rest)
            if matched.n < min_support or rest.n < min_support:
                small = matched if matched.n < min_support else rest
                why = (f"it fires on no row of the data" if matched.n == 0 else
                       f"too few rows to compare ({small.label}: {small.n} < {min_support})")
                reason = why if reason is None else f"{why}; also, {reason}"
                findings.append(RuleFinding(**base, declared=declared, reason=reason))
                continue
            effect = matched.rate - rest.rate  # type: ignore[operator]
            interval = newcombe_interval(matched.events, matched.n, rest.events, rest.n, confidence)
            if declared == 0:
                findings.append(RuleFinding(**base, declared=0, effect=effect, interval=interval, reason=reason))
                continue
            p = proportion_test(matched.events, matched.n, rest.events, rest.n)
            findings.append(RuleFinding(**base, declared=declared, effect=effect, interval=interval, p_value=p))
    return findings


# ---------------------------------------------------------------------------------------------
# tables


def check_tables(project: "Project", derived: DerivedValues, y: np.ndarray, outcome: str, *,
                 min_support: int = DEFAULT_MIN_SUPPORT, confidence: float = CONFIDENCE) -> list[TableFinding]:
    """Each block of rows of each decision table, for each output with an influence sign: the
    applicants each row gave its value to, and every pair of rows with different values."""
    from composite.nodes.table import DecisionTableNode
    from composite.tables.sfeel import from_feel
    from composite.tables.table import Aggregation

    knowledge = project.knowledge
    findings: list[TableFinding] = []
    for node in project.graph.order:
        if not isinstance(node, DecisionTableNode) or derived.evidence.get(node.name) is None:
            continue
        evidence = derived.evidence[node.name] or []
        for decision in node.model.decisions:
            table = decision.table
            selected = np.zeros((derived.size, len(table.rules)), dtype=bool)
            cache: dict[int, list[int]] = {}
            for row, entry in enumerate(evidence):
                key = id(entry)
                if key not in cache:
                    cache[key] = [number - 1 for step in entry.get("tables") or [] if step.get("table") == decision.name
                                  for number in step.get("selected") or []]
                selected[row, cache[key]] = True
            blocks = _blocks(table)
            for k, output in enumerate(table.outputs):
                concept = knowledge.get(output.name)
                if concept is None and len(table.outputs) == 1:
                    concept = knowledge.get(decision.name)
                declared = concept.sign(outcome) if concept is not None else 0
                shown = concept.name if concept is not None else output.name
                for inputs, positions in blocks.items():
                    base = dict(node=node.name, table=decision.name, output=shown, file=table.source,
                                line=table.rules[positions[0]].line, inputs=inputs, declared=declared)
                    rows = []
                    for position in positions:
                        rule = table.rules[position]
                        entry = rule.outputs[k] if k < len(rule.outputs) else None
                        value = from_feel(entry.literal) if entry is not None and entry.is_literal else None
                        mask = selected[:, position]
                        rows.append(RowStat(position + 1, rule.id, rule.line, value,
                                            Group(f"row {position + 1}", int(mask.sum()), int(y[mask].sum()),
                                                  confidence)))
                    if declared == 0:
                        reason = (f"'{shown}' has no influence sign on {outcome} in knowledge/"
                                  if concept is not None and not concept.influences.get(outcome) else
                                  f"no concept '{shown}' in knowledge/ to give the direction of its values")
                        findings.append(TableFinding(**base, rows=tuple(rows), reason=reason))
                        continue
                    if table.aggregation is Aggregation.COUNT:
                        findings.append(TableFinding(**base, rows=tuple(rows),
                                                     reason="COLLECT COUNT counts rows: a row's output is not its value"))
                        continue
                    pairs, skipped = _compare_rows(rows, concept, selected, y, declared, min_support, confidence)
                    reason = None if pairs else ("no two rows could be compared: " + "; ".join(skipped)
                                                 if skipped else "its rows output one value: nothing to compare")
                    findings.append(TableFinding(**base, rows=tuple(rows), pairs=tuple(pairs), reason=reason,
                                                 skipped=tuple(skipped)))
    return findings


def _blocks(table: Any) -> dict[tuple[str, ...], list[int]]:
    """Rows that compete for the same applicants, keyed by the inputs they test. A single-hit
    table gives each applicant one row, so all its rows compete (a catch-all row included); in a
    multi-hit table, rows testing different inputs add up independently and are not compared."""
    tested = [tuple(i.name for i, entry in zip(table.inputs, rule.inputs) if not entry.is_any) for rule in table.rules]
    if table.hit_policy.single_hit:
        names = tuple(i.name for i in table.inputs if any(i.name in t for t in tested))
        return {names: list(range(len(table.rules)))}
    blocks: dict[tuple[str, ...], list[int]] = {}
    for position, key in enumerate(tested):
        blocks.setdefault(key, []).append(position)
    return blocks


def _compare_rows(rows: list[RowStat], concept: "Concept", selected: np.ndarray, y: np.ndarray, declared: int,
                  min_support: int, confidence: float) -> tuple[list[RowPair], list[str]]:
    skipped: list[str] = []
    usable = []
    for row in rows:
        if _position(concept, row.value) is None:
            skipped.append(f"{row.name}: its output {_value(row.value)} has no place on the scale of '{concept.name}'"
                           if row.value is not None else f"{row.name}: its output is computed, not a literal")
        elif row.group.n < min_support:
            skipped.append(f"{row.name}: {row.group.n} rows (< {min_support})")
        else:
            usable.append(row)
    pairs = []
    for i, a in enumerate(usable):
        for b in usable[i + 1:]:
            pa, pb = _position(concept, a.value), _position(concept, b.value)
            if pa == pb:
                continue
            high, low = (a, b) if pa > pb else (b, a)  # type: ignore[operator]
            if (selected[:, high.row - 1] & selected[:, low.row - 1]).any():
                skipped.append(f"{high.name} and {low.name}: their applicants overlap")
                continue
            h, lo = high.group, low.group
            effect = h.rate - lo.rate  # type: ignore[operator]
            interval = newcombe_interval(h.events, h.n, lo.events, lo.n, confidence)
            pairs.append(RowPair(high, low, declared, effect, interval, proportion_test(h.events, h.n, lo.events, lo.n)))
    return pairs, skipped


# ---------------------------------------------------------------------------------------------
# the whole check


def _outcome_column(frame: "pd.DataFrame", outcome: str) -> np.ndarray:
    if outcome not in frame.columns:
        raise ProjectError(f"the data has no column '{outcome}' (the outcome); choose one with --outcome",
                           code="check_outcome", field=outcome)
    column = frame[outcome]
    if column.isna().any():
        raise ProjectError(f"the outcome '{outcome}' is empty in {int(column.isna().sum())} rows; "
                           "drop them or fill them in first", code="check_outcome", field=outcome)
    raw = column.to_numpy()
    if raw.dtype == bool:
        return raw.astype(np.int64)
    values = set(np.unique(raw).tolist()) if raw.dtype != object else set(raw.tolist())
    if not values <= {0, 1, True, False}:
        shown = ", ".join(map(str, sorted(values, key=str)[:6]))
        raise ProjectError(f"the outcome '{outcome}' must be 0/1 or true/false to compare rates; it holds {shown}",
                           code="check_outcome", field=outcome)
    return np.asarray([int(v) for v in raw], dtype=np.int64)


def outcomes_of(knowledge: "Knowledge") -> list[str]:
    """The names concepts declare influences on, in the order first declared."""
    out: dict[str, None] = {}
    for concept in knowledge.concepts.values():
        out.update(dict.fromkeys(concept.influences))
    return list(out)


def check_project(project: "Project", frame: "pd.DataFrame", *, outcome: str | None = None,
                  min_support: int = DEFAULT_MIN_SUPPORT, alpha: float = ALPHA, confidence: float = CONFIDENCE,
                  data: str | None = None) -> CheckReport:
    """Compare the project's knowledge, rules and tables with labelled rows.

    `outcome` defaults to the one name concepts declare influences on that is a column of the
    frame. Rows are compared as groups (a value, a rule's applicants, a table row's applicants);
    groups under `min_support` rows are not compared.
    """
    if outcome is None:
        candidates = [name for name in outcomes_of(project.knowledge) if name in frame.columns]
        if len(candidates) != 1:
            named = ", ".join(outcomes_of(project.knowledge)) or "none"
            raise ProjectError(
                "choose the outcome with --outcome: " + (
                    f"several outcomes in knowledge/ are data columns ({', '.join(candidates)})" if candidates else
                    f"no outcome that knowledge/ declares influences on ({named}) is a column of the data"),
                code="check_outcome")
        outcome = candidates[0]
    y = _outcome_column(frame, outcome)
    derived = derive_values(project, frame)
    writers = {}
    for name, node_name in project.graph.writer.items():
        node = project.graph.nodes[node_name]
        file = getattr(node, "file", None) or getattr(getattr(node, "ruleset", None), "file", None)
        writers[name] = f"node '{node_name}'" + (f" ({file})" if isinstance(file, str) else "")
    concepts = check_concepts(project.knowledge, derived.values, y, outcome, min_support=min_support,
                              confidence=confidence, writers=writers)
    rules = check_rules(project, derived, y, outcome, min_support=min_support, confidence=confidence)
    tables = check_tables(project, derived, y, outcome, min_support=min_support, confidence=confidence)

    # One family: every tested comparison of this run, adjusted together.
    tests: list[tuple[str, int, int | None]] = []
    pvalues: list[float] = []
    for k, finding in enumerate(concepts):
        if finding.p_value is not None:
            tests.append(("concept", k, None))
            pvalues.append(finding.p_value)
    for k, rule_finding in enumerate(rules):
        if rule_finding.p_value is not None:
            tests.append(("rule", k, None))
            pvalues.append(rule_finding.p_value)
    for k, table_finding in enumerate(tables):
        for j, pair in enumerate(table_finding.pairs):
            tests.append(("pair", k, j))
            pvalues.append(pair.p_value)
    adjusted = holm(pvalues)
    concept_list, rule_list = list(concepts), list(rules)
    pair_lists = [list(t.pairs) for t in tables]
    for (what, k, j), p in zip(tests, adjusted):
        if what == "concept":
            f = concept_list[k]
            concept_list[k] = replace(f, p_adjusted=p, verdict=_verdict(f.declared, f.effect, f.interval, p, alpha))
        elif what == "rule":
            r = rule_list[k]
            rule_list[k] = replace(r, p_adjusted=p, verdict=_verdict(r.declared, r.effect, r.interval, p, alpha))
        else:
            pair = pair_lists[k][j]  # type: ignore[index]
            pair_lists[k][j] = replace(pair, p_adjusted=p,  # type: ignore[index]
                                       verdict=_verdict(pair.declared, pair.effect, pair.interval, p, alpha))
    table_list = [replace(t, pairs=tuple(pairs)) for t, pairs in zip(tables, pair_lists)]
    notes = list(derived.notes)
    declared_outcomes = outcomes_of(project.knowledge)
    if outcome not in declared_outcomes:
        notes.insert(0, f"knowledge/ declares no influences on '{outcome}'"
                        + (f" (only on {', '.join(declared_outcomes)})" if declared_outcomes else ""))
    ignored = [c for c in frame.columns if str(c) not in project.knowledge and str(c) != outcome]
    if ignored:
        notes.append(f"data columns not in knowledge/, not checked: {', '.join(map(str, ignored))}")
    return CheckReport(project.name, project.version, data, outcome, len(frame), int(y.sum()),
                       tuple(concept_list), tuple(rule_list), tuple(table_list), len(pvalues), alpha, confidence,
                       min_support, tuple(notes))


def find_data(root: Path) -> Path:
    """The project's labelled data when none is given: the one CSV in its data/ folder."""
    found = sorted((root / "data").glob("*.csv"))
    if len(found) == 1:
        return found[0]
    if not found:
        raise ProjectError(f"no data to check against: {root / 'data'} holds no CSV; give one with --data FILE",
                           code="check_data")
    raise ProjectError(f"{root / 'data'} holds several CSV files ({', '.join(p.name for p in found)}); "
                       "choose one with --data FILE", code="check_data")


def check_path(project: str | Path = ".", data: str | Path | None = None, *, outcome: str | None = None,
               min_support: int = DEFAULT_MIN_SUPPORT, alpha: float = ALPHA) -> CheckReport:
    """Load the project (untrained models allowed: they are skipped), read the data (CSV or JSON;
    by default the one CSV in the project's data/) and check them."""
    import pandas as pd

    from composite.ml.train import load_training_project

    root = Path(project)
    loaded = load_training_project(root)
    if data is None:
        path = find_data(root)
    else:
        path = Path(data)
        if not path.is_file() and (root / path).is_file():
            path = root / path
    try:
        frame = pd.read_json(path) if path.suffix.lower() == ".json" else pd.read_csv(path)
    except FileNotFoundError:
        raise ProjectError(f"data file '{path}' does not exist", code="check_data", file=str(path)) from None
    except Exception as exc:
        raise ProjectError(f"cannot read '{path}': {exc}", code="check_data", file=str(path)) from None
    try:
        shown = path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        shown = str(path)
    return check_project(loaded, frame, outcome=outcome, min_support=min_support, alpha=alpha, data=shown)


# ---------------------------------------------------------------------------------------------
# the report


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def _as_number(x: Any) -> Any:
    if isinstance(x, (float, np.floating)) and float(x).is_integer():
        return int(x)
    return x.item() if isinstance(x, np.generic) else x


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.4g}"
    if value is None:
        return "null"
    return str(value)


def _p(p: float | None) -> str:
    if p is None:
        return "= -"
    if p < 1e-15:
        return "< 1e-15"
    return f"= {p:.2g}" if p < 0.001 else f"= {p:.3f}"


def _where(file: str | None, line: int | None) -> str:
    return f"{file or '?'}" + (f":{line}" if line is not None else "")


def _signed(x: float, percent: bool = False) -> str:
    return f"{100 * x:+.1f} points" if percent else f"{x:+.3f}"


def _interval(interval: tuple[float, float] | None, percent: bool = False) -> str:
    if interval is None:
        return ""
    lo, hi = interval
    return f"[{100 * lo:+.1f}, {100 * hi:+.1f}]" if percent else f"[{lo:+.3f}, {hi:+.3f}]"


def _render_concept(f: ConceptFinding, outcome: str, *, detail: bool) -> list[str]:
    head = (f"{_where(f.file, f.line)}  concept {f.concept}: declared {_WORDS[f.declared]} {outcome}")
    if f.effect is None:
        return [head, f"    not assessed: {f.reason}"]
    lines = [f"{head}, data: {_WORDS[f.observed]}",
             f"    {f.measure} = {_signed(f.effect)} {_interval(f.interval)}, p {_p(f.p_value)} "
             f"(Holm p {_p(f.p_adjusted)}), n = {f.n}"]
    if detail and f.groups:
        lines.append(f"    {outcome} rate by value: " + "; ".join(f"{g.label}: {g.describe()}" for g in f.groups))
    if detail and f.suggestion(outcome):
        lines.append(f"    suggestion: {f.suggestion(outcome)}")
    return lines


def _render_rule(f: RuleFinding, outcome: str, *, detail: bool) -> list[str]:
    assigns = ", ".join(f"{k} = {_value(v)}" for k, v in f.assigns.items())
    declared = (f"knowledge/ expects {'more' if f.declared > 0 else 'less'} {outcome} among its applicants"
                if f.declared else "no direction from knowledge/")
    lines = [f"{_where(f.file, f.line)}  rule {f.rule} (node {f.node}): when {f.when} -> {assigns}",
             f"    {declared}; {outcome} among matched {f.matched.describe()} vs rest {f.rest.describe()}"]
    if f.effect is not None:
        test = f", p {_p(f.p_value)} (Holm p {_p(f.p_adjusted)})" if f.p_value is not None else ""
        lines.append(f"    difference {_signed(f.effect, True)} {_interval(f.interval, True)}{test}")
    if detail and f.suggestion(outcome):
        label = "not assessed" if f.verdict == "not assessed" else "suggestion"
        lines.append(f"    {label}: {f.suggestion(outcome)}")
    return lines


def _render_table(f: TableFinding, outcome: str, *, detail: bool) -> list[str]:
    block = f", rows on {', '.join(f.inputs)}" if f.inputs else ""
    head = f"{_where(f.file, f.line)}  table {f.table} (node {f.node}{block})"
    head += (f": declared more {f.output}, {'more' if f.declared > 0 else 'less'} {outcome}" if f.declared
             else f", output {f.output}")
    if f.verdict == "not assessed":
        return [head, f"    not assessed: {f.reason}"]
    counts = {v: sum(p.verdict == v for p in f.pairs) for v in SEVERITY}
    summary = ", ".join(f"{counts[v]} {v}" for v in SEVERITY if counts[v])
    lines = [f"{head}", f"    {len(f.pairs)} row pair{'s' if len(f.pairs) != 1 else ''} compared: {summary}"]
    if not detail:
        return lines
    width = max(len(r.name) for r in f.rows)
    wide = max(len(f.output), *(len(_value(r.value)) for r in f.rows))
    lines.append(f"    {'row'.ljust(width)}  line  {f.output.rjust(wide)}  {outcome} rate")
    for row in f.rows:
        lines.append(f"    {row.name.ljust(width)}  {str(row.line or '-'):>4}  {_value(row.value).rjust(wide)}  "
                     f"{row.group.describe()}")
    ranked = ", ".join(f"{r.id or r.row} ({_value(r.value)}) {_pct(r.group.rate)}" for r in f.data_order())
    lines.append(f"    by {outcome} rate, lowest first: {ranked}")
    shown = [p for p in f.pairs if p.verdict in ("contradicted", "weak")]
    for pair in sorted(shown, key=lambda p: (SEVERITY.index(p.verdict), p.p_value)):
        lines.append(f"    {pair.verdict}: {pair.high.name}, {_value(pair.high.value)} {f.output}: "
                     f"{_pct(pair.high.group.rate)} vs {pair.low.name}, {_value(pair.low.value)}: "
                     f"{_pct(pair.low.group.rate)}; difference {_signed(pair.effect, True)} "
                     f"{_interval(pair.interval, True)}, p {_p(pair.p_value)} (Holm p {_p(pair.p_adjusted)})")
    if f.suggestion(outcome):
        lines.append(f"    suggestion: {f.suggestion(outcome)}")
    return lines


def _render(finding: Any, outcome: str, *, detail: bool) -> list[str]:
    if isinstance(finding, ConceptFinding):
        return _render_concept(finding, outcome, detail=detail)
    if isinstance(finding, RuleFinding):
        return _render_rule(finding, outcome, detail=detail)
    return _render_table(finding, outcome, detail=detail)


_HEADINGS = {
    "contradicted": "CONTRADICTED: the data says the opposite of knowledge/",
    "weak": "WEAK: the data leans against knowledge/, without settling it",
    "unclear": "UNCLEAR: the data leans with knowledge/ (or not at all), without settling it",
    "supported": "SUPPORTED: the data agrees with knowledge/",
    "not assessed": "NOT ASSESSED: no direction from knowledge/, or too few rows",
}


def render_report(report: CheckReport) -> str:
    """The report for an expert: findings grouped by severity, each with its file and line, the
    numbers, and a suggestion; agreements summarised."""
    rate = report.events / report.size if report.size else 0.0
    lines = [f"composite check: project {report.project} {report.version}, data {report.data or 'frame'} "
             f"({report.size} rows), outcome {report.outcome} ({report.events} = 1, {_pct(rate)})",
             f"method: {report.method()}", ""]
    grouped: dict[str, list[Any]] = {verdict: [] for verdict in SEVERITY}
    for finding in report.findings():
        grouped[finding.verdict].append(finding)
    for verdict in SEVERITY:
        items = grouped[verdict]
        if not items:
            continue
        lines.append(f"{_HEADINGS[verdict]} ({len(items)})")
        detail = verdict in ("contradicted", "weak", "not assessed")
        for finding in items:
            if verdict in ("supported", "unclear"):
                lines.extend("  " + line for line in _render(finding, report.outcome, detail=False)[:2])
            else:
                lines.extend("  " + line for line in _render(finding, report.outcome, detail=detail))
        lines.append("")
    if report.notes:
        lines.append("NOTES")
        lines.extend(f"  {note}" for note in report.notes)
        lines.append("")
    counts = report.counts()
    lines.append(", ".join(f"{counts[v]} {v}" for v in SEVERITY) +
                 f" -> exit {report.exit_code}")
    return "\n".join(lines) + "\n"
