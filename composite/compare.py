"""Champion versus challengers: how the shadow decisions stored beside the champion's compare.

`compare(store)` reads a window's champion decisions and the challengers' shadow decisions linked to
them (docs/challengers.md): agreement per output, transitions of each categorical output and, with
outcomes, AUC / Brier / accuracy of both sides with paired bootstrap intervals of the difference.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Iterable, Mapping

import numpy as np

from composite.monitor import binary_outcome, rank_auc, wilson
from composite.store._codec import restore_nonfinite
from composite.whatif import outcome_label

if TYPE_CHECKING:
    from composite.store import DecisionStore

BOOTSTRAP = 1000
# A text output with more distinct values, or a longer one (a reason), is free text: agreement only.
MAX_CATEGORIES = 20
MAX_LABEL = 40

# Decisions whose meaning for a binary "bad" outcome (default, fraud, claim) is plain: an approval
# expects it not to happen, a decline that it will. Anything else (refer, review) is no prediction.
_EXPECTS_GOOD = {"approve", "approved", "accept", "accepted", "grant", "granted", "pass", "ok"}
_EXPECTS_BAD = {"decline", "declined", "reject", "rejected", "deny", "denied", "refuse", "refused", "fail"}


@dataclass
class Agreement:
    """One output: how often the challenger's value equals the champion's (Wilson 95% interval)."""

    output: str
    kind: str  # "category", "number" or "text" (free text: no transition matrix)
    agree: int
    n: int
    rate: float
    interval: tuple[float, float]
    # champion value -> challenger value -> count (categorical outputs only)
    transitions: dict[str, dict[str, int]] | None = None


@dataclass
class ScoreComparison:
    """A probability-like output against the binary outcome, champion and challenger on the same
    decisions; differences are challenger - champion with paired bootstrap 95% intervals."""

    output: str
    n: int
    positives: int
    champion_auc: float
    challenger_auc: float
    auc_difference: float
    auc_interval: tuple[float, float]
    champion_brier: float
    challenger_brier: float
    brier_difference: float
    brier_interval: tuple[float, float]
    verdict: str


@dataclass
class Accuracy:
    """A categorical decision read as a prediction of the outcome (approve: good, decline: bad)."""

    output: str
    champion: tuple[int, int, float, tuple[float, float]]  # correct, predicted, rate, Wilson interval
    challenger: tuple[int, int, float, tuple[float, float]]
    mapping: str


@dataclass
class ChallengerComparison:
    """Everything `compare` says about one challenger (a project name and version)."""

    challenger: str
    version: str
    champions: int  # champion decisions in the window
    shadowed: int  # ... of them with a shadow decision of this challenger
    outputs: list[Agreement] = field(default_factory=list)
    with_outcomes: int = 0
    scores: list[ScoreComparison] = field(default_factory=list)
    accuracy: list[Accuracy] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class CompareReport:
    since: str | None
    until: str | None
    champions: int
    challengers: list[ChallengerComparison]
    seed: int = 0

    def to_dict(self) -> dict[str, Any]:
        return _finite(asdict(self))

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    def to_text(self) -> str:
        window = f"{self.since or 'the first'} .. {self.until or 'now'}"
        lines = [f"{self.champions} champion decisions ({window})"]
        if not self.challengers:
            lines.append("no shadow decisions: no challenger decided in this window")
        for c in self.challengers:
            share = c.shadowed / c.champions if c.champions else math.nan
            lines += ["", f"challenger {c.challenger} {c.version}: {c.shadowed} of {c.champions} champion decisions "
                          f"shadowed ({share:.1%})"]
            lines.append("  agreement per output (Wilson 95%)")
            for a in c.outputs:
                lines.append(f"    {a.output:<26} {a.rate:7.1%}  [{a.interval[0]:.1%}, {a.interval[1]:.1%}]  "
                             f"{a.agree}/{a.n}  ({a.kind})")
            for a in c.outputs:
                if not a.transitions:
                    continue
                columns = sorted({v for row in a.transitions.values() for v in row})
                lines.append(f"  {a.output}: champion (rows) -> challenger (columns)")
                width = max([len(x) for x in [*columns, *a.transitions]] + [6])
                lines.append("    " + " " * width + "".join(f"  {x:>{width}}" for x in columns))
                for source in sorted(a.transitions):
                    row = a.transitions[source]
                    lines.append(f"    {source:>{width}}" + "".join(f"  {row.get(x, 0):>{width}}" for x in columns))
            if c.with_outcomes:
                lines.append(f"  outcomes: {c.with_outcomes} shadowed decisions have one")
            for s in c.scores:
                lines.append(f"  {s.output} (n {s.n}, {s.positives} positive): AUC champion {s.champion_auc:.3f}, "
                             f"challenger {s.challenger_auc:.3f}, difference {s.auc_difference:+.3f} "
                             f"[{s.auc_interval[0]:+.3f}, {s.auc_interval[1]:+.3f}]; Brier champion "
                             f"{s.champion_brier:.4f}, challenger {s.challenger_brier:.4f}, difference "
                             f"{s.brier_difference:+.4f} [{s.brier_interval[0]:+.4f}, {s.brier_interval[1]:+.4f}]: "
                             f"{s.verdict}")
            for acc in c.accuracy:
                lines.append(f"  {acc.output} as a prediction ({acc.mapping}): accuracy champion "
                             f"{_rate(acc.champion)}, challenger {_rate(acc.challenger)}")
            lines += [f"  note: {note}" for note in c.notes]
        return "\n".join(lines)


def _rate(part: tuple[int, int, float, tuple[float, float]]) -> str:
    correct, n, rate, (lo, hi) = part
    return f"{rate:.1%} [{lo:.1%}, {hi:.1%}] ({correct}/{n})"


def _finite(value: Any) -> Any:
    """NaN and inf as null, for JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def _outputs(record: Mapping[str, Any]) -> dict[str, Any]:
    return restore_nonfinite(record["outputs"], (record.get("nonfinite") or {}).get("outputs"))


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and a != a and b != b:
        return True
    return type(a) is type(b) and a == b or (_number(a) and _number(b) and a == b)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _label(value: Any) -> str:
    return outcome_label(value, missing="(missing)")


def compare(store: "DecisionStore", *, since: str | None = None, until: str | None = None, seed: int = 0,
            bootstrap: int = BOOTSTRAP) -> CompareReport:
    """Compare the champion decisions of a window with the shadow decisions linked to them.

    `since` (inclusive) and `until` (exclusive) select champion decisions by `created_at`; a shadow
    counts when it is linked to one of them (it is written right after its champion). Outcomes are
    the champion decisions' (`store.outcomes`), read as 0/1 as `composite monitor` reads them.
    """
    window = store.records(since=since, until=until)  # type: ignore[attr-defined]
    champions = {record["id"]: _outputs(record) for record in window}
    groups: dict[tuple[str, str], list[tuple[str, dict[str, Any]]]] = {}
    for record in store.records(since=since, shadows=True):  # type: ignore[attr-defined]
        champion_id = record.get("shadow_of")
        if champion_id in champions:
            key = (str(record.get("challenger") or record["project"]), str(record["project_version"]))
            groups.setdefault(key, []).append((champion_id, _outputs(record)))
    outcomes: dict[str, int] = {}
    if groups:
        wanted = sorted({cid for pairs in groups.values() for cid, _ in pairs})
        for decision_id, outcome in store.outcomes(ids=wanted).items():
            value = binary_outcome(getattr(outcome, "value", outcome))
            if value is not None:
                outcomes[decision_id] = value
    report = CompareReport(since, until, len(champions), [], seed)
    for (name, version), pairs in sorted(groups.items()):
        report.challengers.append(_challenger(name, version, len(champions), pairs, champions, outcomes,
                                              seed=seed, bootstrap=bootstrap))
    return report


def _challenger(name: str, version: str, total: int, pairs: list[tuple[str, dict[str, Any]]],
                champions: Mapping[str, dict[str, Any]], outcomes: Mapping[str, int], *, seed: int,
                bootstrap: int) -> ChallengerComparison:
    result = ChallengerComparison(name, version, total, len({cid for cid, _ in pairs}))
    if len(pairs) > result.shadowed:
        result.notes.append(f"{len(pairs) - result.shadowed} champion decisions have more than one shadow of this "
                            "challenger; every shadow is counted")
    first = champions[pairs[0][0]]
    names = [key for key in first if key in pairs[0][1]]
    others = set(pairs[0][1]) - set(first)
    if others:
        result.notes.append(f"challenger outputs the champion does not have, not compared: {sorted(others)}")
    numeric: list[str] = []
    categorical: list[str] = []
    for output in names:
        mine = [champions[cid].get(output) for cid, _ in pairs]
        theirs = [shadow.get(output) for _, shadow in pairs]
        agree = sum(_same(a, b) for a, b in zip(mine, theirs))
        present = [v for v in (*mine, *theirs) if v is not None]
        if present and all(_number(v) for v in present):
            kind = "number"
            numeric.append(output)
        else:
            labels = {_label(v) for v in (*mine, *theirs)}
            kind = "category" if len(labels) <= MAX_CATEGORIES and max(map(len, labels)) <= MAX_LABEL else "text"
        transitions = None
        if kind == "category":
            categorical.append(output)
            transitions = {}
            for a, b in zip(mine, theirs):
                row = transitions.setdefault(_label(a), {})
                row[_label(b)] = row.get(_label(b), 0) + 1
        result.outputs.append(Agreement(output, kind, agree, len(pairs), agree / len(pairs), wilson(agree, len(pairs)),
                                        transitions))
    known = [(cid, shadow, outcomes[cid]) for cid, shadow in pairs if cid in outcomes]
    result.with_outcomes = len(known)
    if not known:
        result.notes.append("no outcomes recorded for the shadowed decisions: which side performs better is not "
                            "known yet (record them with `composite outcome ID VALUE`)")
        return result
    y = np.array([o for *_, o in known], dtype=int)
    for output in numeric:
        a = [champions[cid].get(output) for cid, _, _ in known]
        b = [shadow.get(output) for _, shadow, _ in known]
        if not all(_number(v) and 0 <= v <= 1 for v in (*a, *b)):
            continue  # not probability-like (or missing somewhere): no AUC / Brier
        result.scores.append(_scores(output, np.array(a, float), np.array(b, float), y, seed=seed,
                                     bootstrap=bootstrap))
    if not result.scores:
        result.notes.append("no output is probability-like (a number in [0, 1] for every decision): AUC and Brier "
                            "not computed")
    for output in categorical:
        found = _accuracy(output, [champions[cid].get(output) for cid, _, _ in known],
                          [shadow.get(output) for _, shadow, _ in known], y)
        if isinstance(found, Accuracy):
            result.accuracy.append(found)
        elif found:
            result.notes.append(found)
    return result


def _scores(output: str, champion: np.ndarray, challenger: np.ndarray, y: np.ndarray, *, seed: int,
            bootstrap: int) -> ScoreComparison:
    both = 0 < y.sum() < len(y)
    auc_a = rank_auc(y, champion) if both else math.nan
    auc_b = rank_auc(y, challenger) if both else math.nan
    brier_a = float(np.mean((champion - y) ** 2))
    brier_b = float(np.mean((challenger - y) ** 2))
    rng = np.random.default_rng(seed)
    auc_d, brier_d = [], []
    for _ in range(bootstrap):
        pick = rng.integers(0, len(y), len(y))  # the same decisions for both sides: a paired bootstrap
        yb = y[pick]
        brier_d.append(float(np.mean((challenger[pick] - yb) ** 2) - np.mean((champion[pick] - yb) ** 2)))
        if 0 < yb.sum() < len(yb):
            auc_d.append(rank_auc(yb, challenger[pick]) - rank_auc(yb, champion[pick]))
    auc_i, brier_i = _interval(auc_d), _interval(brier_d)
    if not math.isnan(auc_i[0]) and (auc_i[0] > 0 or auc_i[1] < 0):
        verdict = f"{'challenger' if auc_i[0] > 0 else 'champion'} ranks better (AUC interval excludes 0)"
    elif not math.isnan(brier_i[0]) and (brier_i[0] > 0 or brier_i[1] < 0):
        verdict = f"{'challenger' if brier_i[1] < 0 else 'champion'} is better calibrated (Brier interval excludes 0)"
    else:
        verdict = "no clear difference (both intervals include 0)"
    return ScoreComparison(output, len(y), int(y.sum()), auc_a, auc_b, auc_b - auc_a, auc_i, brier_a, brier_b,
                           brier_b - brier_a, brier_i, verdict)


def _interval(values: list[float]) -> tuple[float, float]:
    if not values:
        return (math.nan, math.nan)
    return (float(np.quantile(values, 0.025)), float(np.quantile(values, 0.975)))


def _accuracy(output: str, champion: list[Any], challenger: list[Any], y: np.ndarray) -> Accuracy | str | None:
    """Accuracy when the output's values say plainly which outcome they expect, else why not."""
    values = {v for v in (*champion, *challenger) if v is not None}
    if values and all(binary_outcome(v) is not None for v in values):
        predict, mapping = binary_outcome, "values read as outcomes"
    else:
        words = {str(v).strip().lower() for v in values}
        if not words & _EXPECTS_GOOD or not words & _EXPECTS_BAD:
            shown = sorted(map(_label, values))
            listed = ", ".join(shown[:6]) + (", ..." if len(shown) > 6 else "")
            return f"{output!r}: no obvious mapping of its values ({listed}) to the outcome: accuracy not computed"

        def predict(value: Any) -> int | None:
            word = str(value).strip().lower()
            return 0 if word in _EXPECTS_GOOD else 1 if word in _EXPECTS_BAD else None

        others = sorted(words - _EXPECTS_GOOD - _EXPECTS_BAD)
        mapping = "approve: no bad outcome, decline: bad outcome" + (f"; {', '.join(others)} not counted"
                                                                      if others else "")

    def side(values_: Iterable[Any]) -> tuple[int, int, float, tuple[float, float]]:
        correct = n = 0
        for value, outcome in zip(values_, y):
            guess = predict(value)
            if guess is not None:
                n += 1
                correct += int(guess == outcome)
        return correct, n, correct / n if n else math.nan, wilson(correct, n)

    return Accuracy(output, side(champion), side(challenger), mapping)


__all__ = ["Accuracy", "Agreement", "ChallengerComparison", "CompareReport", "ScoreComparison", "compare"]
