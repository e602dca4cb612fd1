"""Drift and performance monitoring: stored decisions of a window against a reference.

The reference is the model's training data (decided again by the project, so outputs and the model
score have a reference too) or another window of the store. Per input and output: the population
stability index and a KS (numbers) or chi-squared (categories) test; rule and table-row hit rates
from the evidence of a sample; with outcomes, AUC, Brier score and calibration with intervals.
`monitor(...)` returns a `MonitorReport`; `composite monitor` (composite/cli/monitor.py) prints it.
"""

from __future__ import annotations

import json
import math
import random
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Mapping, Sequence

import numpy as np

from composite.errors import CompositeError

if TYPE_CHECKING:
    from composite.project import Project
    from composite.schemas import Decision
    from composite.store import DecisionStore

__all__ = ["DEFAULT_THRESHOLDS", "Drift", "MonitorReport", "Performance", "Reference", "RuleHits", "Thresholds",
           "binary_outcome", "compare_column", "free_text_names", "monitor", "parse_window", "population_stability",
           "rank_auc", "select", "stored_outcomes", "stored_reference", "training_reference", "wilson"]

EPSILON = 1e-4  # the share given to an empty bin, so PSI stays finite
MAX_CATEGORIES = 50  # a text output with more distinct values (free text) is not compared
EVIDENCE_SAMPLE = 2000  # decisions per window whose evidence is derived for rule hit rates
BOOTSTRAP = 200
STOPPED_EXPECTED = 5  # a rule "stopped" only when it would have fired this often at the reference's rate
PERIODS = 8


@dataclass(frozen=True)
class Thresholds:
    """When `monitor` says a check is crossed (and `composite monitor` exits 1).

    psi       an input's or output's PSI above this
    p_value   its KS or chi-squared p-value below this
    auc_drop  a score's AUC this much below the reference's (needs outcomes in both)
    """

    psi: float = 0.25
    p_value: float = 0.001
    auc_drop: float = 0.05

    @classmethod
    def from_project(cls, root: str | Path) -> "Thresholds":
        """`monitoring:` of the project's composite.yaml, read from the raw file (defaults where absent).

        composite.yaml is read again here (cheap), so thresholds come without loading the project; the
        project's config model checks the same keys when it loads."""
        from composite._yaml import load_yaml

        path = Path(root) / "composite.yaml"
        if not path.is_file():
            return cls()
        document = load_yaml(path.read_bytes(), file="composite.yaml")
        section = document.get("monitoring") if isinstance(document, Mapping) else None
        return cls.from_mapping(section or {}, file="composite.yaml")

    @classmethod
    def from_mapping(cls, section: Any, *, file: str = "composite.yaml") -> "Thresholds":
        if not isinstance(section, Mapping):
            raise CompositeError("monitoring: must be a mapping such as {psi: 0.2, p_value: 0.01, auc_drop: 0.05}",
                                 code="monitoring_config", file=file, field="monitoring")
        known = {"psi", "p_value", "auc_drop"}
        unknown = sorted(set(map(str, section)) - known)
        if unknown:
            raise CompositeError(f"monitoring: unknown key(s) {unknown}; known: {sorted(known)}",
                                 code="monitoring_config", file=file, field=f"monitoring.{unknown[0]}")
        values: dict[str, float] = {}
        for key, value in section.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
                raise CompositeError(f"monitoring.{key} must be a non-negative number, got {value!r}",
                                     code="monitoring_config", file=file, field=f"monitoring.{key}")
            values[str(key)] = float(value)
        return cls(**values)


DEFAULT_THRESHOLDS = Thresholds()


# -- selecting decisions -----------------------------------------------------------------------

def select(store: "DecisionStore", *, since: str | None = None, until: str | None = None,
           batch_id: str | None = None, limit: int | None = None) -> Iterator["Decision"]:
    """The store's decisions of a window, oldest first (`store.select`)."""
    if not hasattr(store, "select"):
        raise CompositeError(f"the store {store.url!r} cannot list decisions by time (it has no select): "
                             "update composite", code="store_select_missing")
    return store.select(since=since, until=until, batch_id=batch_id, limit=limit)  # type: ignore[attr-defined]


def parse_window(text: str) -> tuple[str | None, str | None]:
    """'T1..T2' (either side may be empty) -> (since, until)."""
    if ".." not in text:
        raise CompositeError(f"a reference window is written SINCE..UNTIL (ISO times), got {text!r}",
                             code="usage", field="reference")
    since, until = text.split("..", 1)
    return since.strip() or None, until.strip() or None


# -- statistics --------------------------------------------------------------------------------

def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _label(value: Any) -> str:
    if _missing(value):
        return "(missing)"
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    return str(value)


def population_stability(reference: Sequence[Any], current: Sequence[Any], *, kind: str
                         ) -> tuple[float, list[tuple[str, float, float]]]:
    """PSI = sum over bins of (c - r) * ln(c / r), with r, c the reference's and the current shares
    (an empty bin counts as EPSILON). Numbers: the reference's deciles as bins (fewer where
    deciles tie); categories: one bin per value. Returns the PSI and (bin, r, c) per bin.

    >>> round(population_stability([1, 2, 3, 4] * 25, [1, 2, 3, 4] * 25, kind="number")[0], 6)
    0.0
    """
    if kind == "number":
        ref = np.asarray(reference, dtype=float)
        cur = np.asarray(current, dtype=float)
        edges = np.unique(np.quantile(ref, np.linspace(0.1, 0.9, 9)))
        ref_bins = np.searchsorted(edges, ref, side="left")
        cur_bins = np.searchsorted(edges, cur, side="left")
        labels = [f"<= {edges[0]:.4g}"] + [f"({a:.4g}, {b:.4g}]" for a, b in zip(edges[:-1], edges[1:])] + \
                 [f"> {edges[-1]:.4g}"]
        ref_counts = np.bincount(ref_bins, minlength=len(labels))
        cur_counts = np.bincount(cur_bins, minlength=len(labels))
    else:
        ref_labels = [_label(v) for v in reference]
        cur_labels = [_label(v) for v in current]
        labels = sorted(set(ref_labels) | set(cur_labels))
        rc, cc = Counter(ref_labels), Counter(cur_labels)
        ref_counts = np.array([rc[k] for k in labels])
        cur_counts = np.array([cc[k] for k in labels])
    r = np.maximum(ref_counts / max(ref_counts.sum(), 1), EPSILON)
    c = np.maximum(cur_counts / max(cur_counts.sum(), 1), EPSILON)
    psi = float(np.sum((c - r) * np.log(c / r)))
    return psi, [(label, float(a), float(b)) for label, a, b in
                 zip(labels, ref_counts / max(ref_counts.sum(), 1), cur_counts / max(cur_counts.sum(), 1))]


@dataclass
class Drift:
    """One input's or output's window against the reference."""

    name: str
    role: str  # "input" or "output"
    kind: str  # "number" or "category"
    psi: float
    test: str  # "ks" or "chi2"
    statistic: float
    p_value: float
    reference_n: int
    current_n: int
    bins: list[tuple[str, float, float]] = field(default_factory=list)
    crossed: list[str] = field(default_factory=list)


def compare_column(name: str, role: str, reference: Sequence[Any], current: Sequence[Any],
                   thresholds: Thresholds = DEFAULT_THRESHOLDS) -> Drift | None:
    """PSI and a test of one column; None when it cannot be compared (empty, free text)."""
    from scipy import stats

    present_ref = [v for v in reference if not _missing(v)]
    present_cur = [v for v in current if not _missing(v)]
    numeric = bool(present_ref) and bool(present_cur) and all(map(_is_number, present_ref)) and \
        all(map(_is_number, present_cur))
    if numeric:
        psi, bins = population_stability(present_ref, present_cur, kind="number")
        result = stats.ks_2samp(np.asarray(present_ref, dtype=float), np.asarray(present_cur, dtype=float))
        statistic, p_value, test = float(result.statistic), float(result.pvalue), "ks"
        ref_n, cur_n = len(present_ref), len(present_cur)
    else:
        if not reference or not current:
            return None
        if len({_label(v) for v in (*reference, *current)}) > MAX_CATEGORIES:
            return None
        psi, bins = population_stability(reference, current, kind="category")
        table = np.array([[round(r * len(reference)) for _, r, _ in bins],
                          [round(c * len(current)) for _, _, c in bins]])
        table = table[:, table.sum(axis=0) > 0]
        if table.shape[1] < 2:
            statistic, p_value = 0.0, 1.0
        else:
            chi2, p, _, _ = stats.chi2_contingency(table)
            statistic, p_value = float(chi2), float(p)
        test, ref_n, cur_n = "chi2", len(reference), len(current)
    crossed = []
    if psi > thresholds.psi:
        crossed.append(f"PSI {psi:.3f} > {thresholds.psi:g}")
    if p_value < thresholds.p_value:
        crossed.append(f"{'KS' if test == 'ks' else 'chi-squared'} p {p_value:.2g} < {thresholds.p_value:g}")
    return Drift(name, role, "number" if numeric else "category", psi, test, statistic, p_value, ref_n, cur_n,
                 bins, crossed)


def wilson(successes: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """The Wilson score interval (95% by default) of a proportion."""
    if n == 0:
        return (math.nan, math.nan)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


@dataclass
class Performance:
    """A score's AUC and Brier score (95% bootstrap intervals) and calibration in one window."""

    output: str
    window: str
    n: int
    positives: int
    auc: float
    auc_interval: tuple[float, float]
    brier: float
    brier_interval: tuple[float, float]
    # (bin, n, mean predicted, observed rate, Wilson low, Wilson high)
    calibration: list[tuple[str, int, float, float, float, float]] = field(default_factory=list)


def rank_auc(y: np.ndarray, p: np.ndarray) -> float:
    """AUC as the Mann-Whitney U statistic over midranks: roc_auc_score's value, without its checks
    (the bootstrap computes it hundreds of times).

    >>> rank_auc(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8]))
    0.75
    """
    from scipy.stats import rankdata

    ranks = rankdata(p)
    positives = int(y.sum())
    negatives = len(y) - positives
    return float((ranks[y == 1].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def performance(output: str, window: str, scores: Sequence[float], outcomes: Sequence[int], *,
                seed: int = 0) -> Performance:
    from sklearn.metrics import brier_score_loss, roc_auc_score

    p = np.asarray(scores, dtype=float)
    y = np.asarray(outcomes, dtype=int)
    both = 0 < y.sum() < len(y)
    auc = float(roc_auc_score(y, p)) if both else math.nan
    brier = float(brier_score_loss(y, p)) if len(y) else math.nan
    rng = np.random.default_rng(seed)
    aucs, briers = [], []
    for _ in range(BOOTSTRAP if len(y) else 0):
        pick = rng.integers(0, len(y), len(y))
        yb, pb = y[pick], p[pick]
        briers.append(float(np.mean((pb - yb) ** 2)))
        if 0 < yb.sum() < len(yb):
            aucs.append(rank_auc(yb, pb))

    def interval(values: list[float]) -> tuple[float, float]:
        if not values:
            return (math.nan, math.nan)
        return (float(np.quantile(values, 0.025)), float(np.quantile(values, 0.975)))

    calibration = []
    bins = np.minimum((p * 10).astype(int), 9)
    for b in range(10):
        mask = bins == b
        n = int(mask.sum())
        if n:
            hits = int(y[mask].sum())
            lo, hi = wilson(hits, n)
            calibration.append((f"{b / 10:.1f}-{(b + 1) / 10:.1f}", n, float(p[mask].mean()), hits / n, lo, hi))
    return Performance(output, window, len(y), int(y.sum()), auc, interval(aucs), brier, interval(briers),
                       calibration)


_POSITIVE = {"1", "true", "yes", "default", "defaulted", "bad", "fraud", "fraudulent", "positive", "claim"}
_NEGATIVE = {"0", "false", "no", "repaid", "good", "paid", "legitimate", "negative", "none"}


def binary_outcome(value: Any) -> int | None:
    """An outcome as 0/1: booleans, 0/1 numbers, and the usual words (default/repaid ...); else None."""
    if isinstance(value, (bool, np.bool_)):
        return int(value)
    if _is_number(value) and value in (0, 1):
        return int(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _POSITIVE:
            return 1
        if word in _NEGATIVE:
            return 0
    return None


# -- rule hit rates ----------------------------------------------------------------------------

def hits_of(decision: "Decision") -> set[tuple[str, str]]:
    """(node, rule or table row) for every rule that fired and every table row selected (builds the evidence)."""
    found: set[tuple[str, str]] = set()
    for step in decision.trace.nodes:
        evidence = step.evidence or {}
        if step.kind == "rules":
            for fired in evidence.get("fired", []) or []:
                found.add((step.name, str(fired.get("rule"))))
        elif step.kind == "table":
            for table in evidence.get("tables", []) or []:
                selected = set(table.get("selected") or [])
                for row in table.get("matched", []) or []:
                    if row.get("row") in selected:
                        found.add((step.name, str(row.get("id") or f"row {row.get('row')}")))
    return found


@dataclass
class RuleHits:
    """How often one rule fired (or one table row hit) in the reference and the current sample."""

    node: str
    rule: str
    reference_rate: float
    current_rate: float
    periods: list[float] = field(default_factory=list)  # the current sample's rate per period, oldest first
    current_n: int = 0

    @property
    def stopped(self) -> bool:
        """Fired in the reference, never in the current sample, though at the reference's rate it would
        have been expected at least STOPPED_EXPECTED times (else its silence says little)."""
        return (self.reference_rate > 0 and self.current_rate == 0
                and self.reference_rate * self.current_n >= STOPPED_EXPECTED)


def _sample(decisions: Sequence["Decision"], size: int, seed: int) -> list["Decision"]:
    if len(decisions) <= size:
        return list(decisions)
    picked = sorted(random.Random(seed).sample(range(len(decisions)), size))
    return [decisions[i] for i in picked]


def rule_hits(reference: Sequence["Decision"], current: Sequence["Decision"], *, sample: int = EVIDENCE_SAMPLE,
              seed: int = 0, rules: Iterable[tuple[str, str]] = ()) -> tuple[list[RuleHits], list[str], int, int]:
    """Hit rates per rule and table row (the evidence of at most `sample` decisions per window),
    the period labels of the current window, and the two sample sizes."""
    ref = _sample(reference, sample, seed)
    cur = sorted(_sample(current, sample, seed + 1), key=lambda d: d.created_at)
    ref_counts: Counter[tuple[str, str]] = Counter()
    for decision in ref:
        ref_counts.update(hits_of(decision))
    cur_hits = [hits_of(decision) for decision in cur]
    cur_counts: Counter[tuple[str, str]] = Counter()
    for found in cur_hits:
        cur_counts.update(found)
    chunks = [c for c in np.array_split(np.arange(len(cur)), min(PERIODS, max(len(cur), 1))) if len(c)]
    labels = [cur[int(c[0])].created_at.strftime("%m-%d %H:%M") for c in chunks]
    keys = sorted(set(ref_counts) | set(cur_counts) | set(rules))
    out = []
    for key in keys:
        periods = [sum(key in cur_hits[int(i)] for i in c) / len(c) for c in chunks]
        out.append(RuleHits(key[0], key[1], ref_counts[key] / len(ref) if ref else math.nan,
                            cur_counts[key] / len(cur) if cur else math.nan, periods, len(cur)))
    return out, labels, len(ref), len(cur)


# -- references --------------------------------------------------------------------------------

@dataclass
class Reference:
    """What a window is compared with: decisions, their outcomes by id (0/1), and where they come from."""

    description: str
    decisions: list["Decision"]
    outcomes: dict[str, int] = field(default_factory=dict)
    inputs_only: tuple[str, ...] = ()  # when the data could not be decided: raw input columns by name
    raw: dict[str, list[Any]] = field(default_factory=dict)


def training_reference(project: "Project") -> Reference:
    """The training data of the project's model(s), decided again by the project (record=False):
    inputs as in the file, outputs and scores as the project decides them, the target as outcome.

    The columns used are the inputs that exist in the file (the model's features among them); when
    the rows cannot be decided (columns missing), only those input columns are the reference."""
    import pandas as pd

    from composite.engine import CompositeEngine

    models = [node for node in project.graph.order if node.kind == "model"]
    if not models:
        raise CompositeError("the project has no model, so no training data: give --reference SINCE..UNTIL",
                             code="no_training_data", field="reference")
    spec = models[0].spec
    path = Path(project.root) / spec.data
    if not path.is_file():
        raise CompositeError(f"the training data {spec.data} named by {spec.file} is not in the project",
                             code="no_training_data", file=spec.file, field="data")
    frame = pd.read_json(path) if path.suffix.lower() == ".json" else pd.read_csv(path)
    target = frame[spec.target] if spec.target in frame.columns else None
    known = set(project.knowledge.concepts) | set(project.graph.inputs)
    columns = [c for c in frame.columns if c in known and c != spec.target]
    engine = CompositeEngine(project, _memory_store(), source=None)
    description = f"training data {spec.data} of model {spec.name!r} ({len(frame)} rows)"
    try:
        decided, _rejected = engine.decide_batch(frame[columns], on_error="collect")
    except CompositeError:
        raw = {c: frame[c].where(frame[c].notna(), None).tolist() for c in columns}
        return Reference(description + ", inputs only: the rows cannot be decided", [], {}, tuple(columns), raw)
    decisions = [engine.store.get(i) for i in decided["decision_id"]]
    outcomes: dict[str, int] = {}
    if target is not None:
        for decision_id, label in zip(decided["decision_id"], decided.index):
            cell = target.loc[label]
            value = binary_outcome(cell.item() if hasattr(cell, "item") else cell)
            if value is not None:
                outcomes[decision_id] = value
    return Reference(description, decisions, outcomes)


def _memory_store() -> "DecisionStore":
    from composite.store import open_store

    return open_store("memory")


def stored_outcomes(store: "DecisionStore", decisions: Sequence["Decision"]) -> dict[str, int]:
    """0/1 outcomes recorded for these decisions (`store.outcomes`), {} when the store keeps none."""
    if not hasattr(store, "outcomes") or not decisions:
        return {}
    found = store.outcomes(ids=[d.id for d in decisions])  # type: ignore[attr-defined]
    out = {}
    for decision_id, outcome in found.items():
        value = binary_outcome(getattr(outcome, "value", outcome))
        if value is not None:
            out[decision_id] = value
    return out


def stored_reference(store: "DecisionStore", since: str | None, until: str | None) -> Reference:
    decisions = list(select(store, since=since, until=until))
    return Reference(f"stored decisions from {since or 'the first'} to {until or 'the last'} ({len(decisions)})",
                     decisions, stored_outcomes(store, decisions))


# -- the report --------------------------------------------------------------------------------

@dataclass
class MonitorReport:
    reference: str
    current: str
    reference_n: int
    current_n: int
    thresholds: Thresholds
    drift: list[Drift]
    rules: list[RuleHits]
    periods: list[str]
    evidence_sample: tuple[int, int]
    performance: list[Performance]
    crossed: list[str]
    notes: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return 1 if self.crossed else 0

    @property
    def crossed_names(self) -> list[str]:
        """The inputs and outputs past a threshold, largest PSI first."""
        return [d.name for d in sorted(self.drift, key=lambda d: -d.psi) if d.crossed]

    @property
    def stopped(self) -> list[RuleHits]:
        return [hit for hit in self.rules if hit.stopped]

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["stopped"] = [f"{h.node}.{h.rule}" for h in self.stopped]
        data["exit_code"] = self.exit_code
        return _finite(data)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    def to_text(self) -> str:
        lines = [f"current:   {self.current}", f"reference: {self.reference}",
                 f"thresholds: psi {self.thresholds.psi:g}, p-value {self.thresholds.p_value:g}, "
                 f"AUC drop {self.thresholds.auc_drop:g}", ""]
        lines.append(f"{'name':<28} {'role':<6} {'PSI':>7} {'test':>5} {'p-value':>9}  crossed")
        for d in sorted(self.drift, key=lambda d: -d.psi):
            lines.append(f"{d.name:<28} {d.role:<6} {d.psi:>7.3f} {d.test:>5} {d.p_value:>9.2g}  "
                         f"{'; '.join(d.crossed)}")
        lines.append("")
        lines.append(f"rule and table-row hit rates (evidence of {self.evidence_sample[1]} current and "
                     f"{self.evidence_sample[0]} reference decisions):")
        moved = sorted(self.rules, key=lambda h: -abs(_nz(h.current_rate) - _nz(h.reference_rate)))[:10]
        for hit in moved:
            lines.append(f"  {hit.node + '.' + hit.rule:<44} {hit.reference_rate:>6.1%} -> {hit.current_rate:>6.1%}")
        if self.stopped:
            lines.append("  stopped firing: " + ", ".join(f"{h.node}.{h.rule}" for h in self.stopped))
        for perf in self.performance:
            lines.append(f"{perf.output} ({perf.window}, n={perf.n}, {perf.positives} positive): "
                         f"AUC {perf.auc:.3f} [{perf.auc_interval[0]:.3f}, {perf.auc_interval[1]:.3f}], "
                         f"Brier {perf.brier:.4f} [{perf.brier_interval[0]:.4f}, {perf.brier_interval[1]:.4f}]")
        for note in self.notes:
            lines.append(f"note: {note}")
        lines.append("")
        if self.crossed:
            lines.append(f"crossed ({len(self.crossed)}): " + ", ".join(self.crossed_names))
            lines.extend(f"  {line}" for line in self.crossed)
        else:
            lines.append("no threshold crossed")
        return "\n".join(lines)

    def to_html(self) -> str:
        from composite.report_html import Section, bar_chart, line_chart, page, share_chart, table

        drift = sorted(self.drift, key=lambda d: -d.psi)
        sections = [
            Section("Population stability", bar_chart([f"{d.name} ({d.role})" for d in drift], [d.psi for d in drift],
                                                      title="PSI per input and output", threshold=self.thresholds.psi),
                    table(["name", "role", "kind", "PSI", "test", "statistic", "p-value", "reference n", "current n",
                           "crossed"],
                          [[d.name, d.role, d.kind, d.psi, d.test, d.statistic, d.p_value, d.reference_n, d.current_n,
                            "; ".join(d.crossed)] for d in drift],
                          crossed=[bool(d.crossed) for d in drift], table_id="drift"),
                    note=f"current: {self.current}; reference: {self.reference}"),
        ]
        for d in drift[:3]:
            sections.append(Section(f"Distribution of {d.name}",
                                    share_chart([b[0] for b in d.bins], [b[1] for b in d.bins], [b[2] for b in d.bins],
                                                title=f"shares of {d.name} per bin"),
                                    table(["bin", "reference share", "current share"], d.bins)))
        moved = sorted(self.rules, key=lambda h: -abs(_nz(h.current_rate) - _nz(h.reference_rate)))
        top = moved[:6]
        rules_parts = []
        if top and self.periods:
            rules_parts.append(line_chart({f"{h.node}.{h.rule}": [h.reference_rate, *h.periods] for h in top},
                                          ["reference", *self.periods], title="hit rate over time", y_max=1.0))
        rules_parts.append(table(["node", "rule or row", "reference rate", "current rate", "stopped"],
                                 [[h.node, h.rule, h.reference_rate, h.current_rate, "yes" if h.stopped else ""]
                                  for h in moved], crossed=[h.stopped for h in moved], table_id="rules"))
        sections.append(Section("Rule and table-row hit rates", *rules_parts,
                                note=f"from the evidence of a sample: {self.evidence_sample[1]} current and "
                                     f"{self.evidence_sample[0]} reference decisions"))
        for perf in self.performance:
            sections.append(Section(
                f"{perf.output}: {perf.window}",
                table(["n", "positives", "AUC", "AUC 95% interval", "Brier", "Brier 95% interval"],
                      [[perf.n, perf.positives, perf.auc, f"{perf.auc_interval[0]:.3f} to {perf.auc_interval[1]:.3f}",
                        perf.brier, f"{perf.brier_interval[0]:.4f} to {perf.brier_interval[1]:.4f}"]]),
                bar_chart([c[0] for c in perf.calibration], [c[3] for c in perf.calibration],
                          title="observed rate per predicted bin"),
                table(["predicted bin", "n", "mean predicted", "observed", "Wilson low", "Wilson high"],
                      perf.calibration)))
        if self.notes:
            sections.append(Section("Notes", "".join(f"<p>{_esc(n)}</p>" for n in self.notes)))
        summary = (f"crossed: {', '.join(self.crossed_names) or 'AUC'}" if self.crossed else "no threshold crossed")
        return page("composite monitor", sections, summary=summary, status="crossed" if self.crossed else "ok")


def _esc(text: str) -> str:
    from html import escape

    return escape(text)


def _nz(value: float) -> float:
    return 0.0 if value is None or math.isnan(value) else value


def _finite(value: Any) -> Any:
    """JSON without NaN: None instead."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def _column(decisions: Sequence["Decision"], part: str, name: str) -> list[Any]:
    return [getattr(d, part).get(name) for d in decisions]


def monitor(current: Sequence["Decision"], reference: Reference, *, thresholds: Thresholds = DEFAULT_THRESHOLDS,
            outcomes: Mapping[str, int] | None = None, description: str = "current window",
            evidence_sample: int = EVIDENCE_SAMPLE, seed: int = 0, free_text: Iterable[str] = ()) -> MonitorReport:
    """Compare `current` decisions with `reference`: drift per input and output, rule hit rates,
    and (where outcomes exist) AUC, Brier and calibration of every probability output.

    `free_text` names outputs not compared (texts such as reasons: see `free_text_names`)."""
    free_text = set(free_text)
    if not current:
        raise CompositeError(f"no stored decisions in the {description}", code="monitor_empty")
    notes: list[str] = []
    drift: list[Drift] = []
    if reference.decisions:
        seen = set().union(*(d.inputs for d in reference.decisions))
        input_names = sorted(seen & set().union(*(d.inputs for d in current)))
        output_names = [k for k in current[0].outputs if k in reference.decisions[0].outputs]
    else:
        input_names = [n for n in reference.inputs_only if any(n in d.inputs for d in current)]
        output_names = []
        notes.append("the reference has inputs only: outputs and rules are not compared")
    for role, part, names in (("input", "inputs", input_names), ("output", "outputs", output_names)):
        for name in names:
            if name in free_text:
                notes.append(f"{role} {name!r} not compared: free text (a string concept without values)")
                continue
            ref_values = reference.raw[name] if not reference.decisions else _column(reference.decisions, part, name)
            found = compare_column(name, role, ref_values, _column(current, part, name), thresholds)
            if found is None:
                notes.append(f"{role} {name!r} not compared: no values, or free text (over {MAX_CATEGORIES} values)")
            else:
                drift.append(found)
    rules: list[RuleHits] = []
    periods: list[str] = []
    sizes = (0, 0)
    if reference.decisions:
        rules, periods, ref_n, cur_n = rule_hits(reference.decisions, current, sample=evidence_sample, seed=seed)
        sizes = (ref_n, cur_n)
        if ref_n < len(reference.decisions) or cur_n < len(current):
            notes.append(f"rule hit rates from the evidence of a random sample (seed {seed}): {cur_n} of "
                         f"{len(current)} current and {ref_n} of {len(reference.decisions)} reference decisions")
    crossed = [f"{d.role} {d.name}: {'; '.join(d.crossed)}" for d in drift if d.crossed]
    results: list[Performance] = []
    outcomes = dict(outcomes or {})
    scores = [d.name for d in drift if d.role == "output" and d.kind == "number" and _probabilities(current, d.name)]
    for name in scores:
        by_window = {}
        for window, decisions, known in (("reference", reference.decisions, reference.outcomes),
                                         ("current", current, outcomes)):
            rows = [(d.outputs[name], known[d.id]) for d in decisions
                    if d.id in known and _is_number(d.outputs.get(name)) and math.isfinite(d.outputs[name])]
            if rows:
                result = performance(name, window, [r[0] for r in rows], [r[1] for r in rows], seed=seed)
                results.append(result)
                by_window[window] = result
        ref_perf, cur_perf = by_window.get("reference"), by_window.get("current")
        if ref_perf and cur_perf and not math.isnan(ref_perf.auc) and not math.isnan(cur_perf.auc):
            if ref_perf.auc - cur_perf.auc > thresholds.auc_drop:
                crossed.append(f"output {name}: AUC {cur_perf.auc:.3f} is {ref_perf.auc - cur_perf.auc:.3f} below "
                               f"the reference's {ref_perf.auc:.3f} (> {thresholds.auc_drop:g})")
    if scores and not outcomes:
        notes.append("no outcomes recorded for the current window: AUC, Brier and calibration not computed for it")
    return MonitorReport(reference.description, f"{description} ({len(current)} decisions)", len(reference.decisions)
                         or len(next(iter(reference.raw.values()), [])), len(current), thresholds, drift, rules,
                         periods, sizes, results, crossed, notes)


def free_text_names(project: "Project") -> set[str]:
    """Names whose concept in knowledge/ is a string without listed values: texts such as reasons,
    whose distinct values (numbers written in them) would make any two windows differ."""
    return {name for name, concept in project.knowledge.concepts.items()
            if concept.type == "string" and not concept.values}


def _probabilities(decisions: Sequence["Decision"], name: str) -> bool:
    """Whether an output is a probability (every stored value a number in [0, 1])."""
    values = [d.outputs.get(name) for d in decisions]
    numbers = [v for v in values if _is_number(v)]
    return bool(numbers) and all(0.0 <= float(v) <= 1.0 for v in numbers)
