"""Composite against GoRules Zen on Zen's application risk assessment graph: every pairing, one run.

Pairings (each printed with its label; ratios are ours / peer in decisions per second, so above 1
means we are faster):

  trace on both    ours `decide(row)` / `decide_batch(frame)` with the full trace built and kept
                   (`evidence="eager"`, in-memory store) against Zen with its trace option on
                   (`{"trace": True}`): `ZenDecision.evaluate`, the loader-cached
                   `ZenEngine.evaluate(key)`, and `ZenEngine.evaluate_batch`.
  trace on demand  ours as shipped (evidence on demand: stored with what the trace is derived
                   from when it is read, not with the trace) against Zen's trace-on paths: not
                   the same work (labelled so; no target is judged on it).
  trace off both   our trace-free path (`decide(row, record=False)`, which builds no trace with
                   evidence on demand; `decide_batch(frame, record=False, trace="off")`) against
                   the same three Zen paths without a trace.
  numpy limit      the same graph written by hand in numpy (`numpy_limit` below: the frame's
                   columns in, the four outputs out, no validation, no ids, no evidence); its
                   outputs are checked equal to ours on every batch before anything is timed.

Rounds are interleaved (each round runs every measure once, so load from other processes falls on
all of them alike); each measure prints its best and median over the rounds, and each ratio is
given from the medians and from the bests. Outputs of both engines (and of numpy_limit) are
checked equal on every request measured before any number is printed.

Run by hand: `python benchmarks/zen_speed.py`; CI smoke-runs it with --smoke (tiny sizes). Needs
zen-engine (the test extra) and the graph in $COMPOSITE_SHARED_DIR/bench/zen/ (default
../shared); without them it says so and exits 0.
"""

from __future__ import annotations

import argparse
import gc
import inspect
import json
import math
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks._common import package_version, table  # noqa: E402
from composite import CompositeEngine  # noqa: E402

PROJECT = ROOT / "benchmarks" / "zen_application_risk"
GRAPH_FILE = "application-risk-assessment.json"
KEY = "application-risk-assessment"
OUTPUTS = ("totalRiskScore", "riskCategory", "approvalStatus", "interestRateModifier")
TRACE_ON = {"trace": True}


def graph_path() -> Path:
    shared = Path(os.environ.get("COMPOSITE_SHARED_DIR") or ROOT.parent / "shared")
    return shared / "bench" / "zen" / GRAPH_FILE


def requests(n: int, seed: int) -> pd.DataFrame:
    """Plausible applicants over the whole range of every table."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "creditScore": rng.integers(500, 851, n),
        "latePayments": rng.integers(0, 9, n),
        "creditHistoryMonths": rng.integers(0, 241, n),
        "employmentMonths": rng.integers(0, 241, n),
        "incomeVerification": rng.choice(["complete", "partial", "none"], n, p=[0.6, 0.3, 0.1]),
        "bankAccountStanding": rng.choice(["good", "fair", "poor"], n, p=[0.6, 0.3, 0.1]),
        "debtToIncomeRatio": rng.uniform(0.0, 1.0, n).round(3),
        "outstandingLoans": rng.integers(0, 7, n),
    })


# -- the numpy limit -------------------------------------------------------------------------------

_CATEGORY = np.array(["low", "medium", "high"], dtype=object)
_STATUS = np.array(["auto-approved", "manual-review", "additional-verification"], dtype=object)
_MODIFIER = np.array([-0.5, 0.0, 1.5])


def numpy_limit(frame: "pd.DataFrame | Mapping[str, Any]") -> dict[str, np.ndarray]:
    """Zen's application-risk graph written by hand in numpy: the best a vectorised engine can do.

    Reads the eight applicant columns, returns the four outputs and the intermediate scores as
    arrays. Thresholds compare as floats: for finite doubles that is the same order as Zen's and
    composite's exact decimals (a double's shortest decimal keeps the double's place in the order).
    """
    col = lambda name: np.asarray(frame[name])  # noqa: E731
    score, late, history = col("creditScore"), col("latePayments"), col("creditHistoryMonths")
    employment, verification, standing = col("employmentMonths"), col("incomeVerification"), col("bankAccountStanding")
    ratio, loans = col("debtToIncomeRatio"), col("outstandingLoans")
    # scoreCreditHistory, FIRST: r1-1 .. r1-4
    credit = np.select([(score > 750) & (late < 2) & (history > 60),
                        (score >= 650) & (score <= 750) & (late < 4) & (history > 36),
                        (score >= 600) & (score < 650) & (late < 6) & (history > 24)], [30, 20, 10], 0)
    # scoreIncomeStability, FIRST: r2-1 .. r2-5
    complete_good = (verification == "complete") & (standing == "good")
    income = np.select([(employment > 60) & complete_good, (employment > 24) & complete_good,
                        (employment > 12) & (verification == "partial") & (standing == "fair"),
                        employment > 6], [25, 20, 15, 5], 0)
    # scoreDebtToIncome, FIRST: r3-1 .. r3-4
    debt = np.select([(ratio < 0.2) & (loans < 2), (ratio < 0.4) & (loans < 3), (ratio < 0.6) & (loans < 5)],
                     [25, 15, 5], 0)
    # calculateRiskScore
    total = credit + income + debt
    negative = (credit == 0).astype(np.int64) + (income == 0) + (debt == 0)
    # classifyRisk (switch, first match, third branch the default) and the three action nodes
    branch = np.where((total >= 60) & (negative == 0), 0,
                      np.where((total >= 30) | ((total >= 20) & (negative < 2)), 1, 2))
    return {"creditHistoryScore": credit, "incomeStabilityScore": income, "debtToIncomeScore": debt,
            "negativeFactorsCount": negative, "totalRiskScore": total, "riskCategory": _CATEGORY[branch],
            "approvalStatus": _STATUS[branch], "interestRateModifier": _MODIFIER[branch]}


# -- comparing and timing -----------------------------------------------------------------------


def differences(ours: list[Mapping[str, Any]], theirs: list[Mapping[str, Any]]) -> int:
    count = 0
    for mine, other in zip(ours, theirs, strict=True):
        for name in OUTPUTS:
            a, b = mine[name], other[name]
            numbers = isinstance(a, (int, float, np.number)) and isinstance(b, (int, float, np.number))
            count += not (math.isclose(a, b, abs_tol=1e-9) if numbers else a == b)
    return count


def limit_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    out = numpy_limit(frame)
    return pd.DataFrame({name: out[name] for name in OUTPUTS}).to_dict("records")


Run = tuple[Callable[[], Any] | None, Callable[..., Any]]


def rounds(runs: Mapping[str, Run], *, repeat: int) -> dict[str, list[float]]:
    """Seconds of every run in each of `repeat` interleaved rounds. A run is (setup or None, fn):
    fn(setup()) is timed, setup is not."""
    samples: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeat):
        for name, (setup, fn) in runs.items():
            args = () if setup is None else (setup(),)
            gc.collect()  # each run starts on a collected heap: no collection left over from the last
            start = time.perf_counter()
            fn(*args)
            samples[name].append(time.perf_counter() - start)
    return samples


class Timing:
    """Rates (decisions per second) of one measure over the rounds."""

    def __init__(self, seconds: list[float], decisions: int) -> None:
        self.best = decisions / min(seconds)
        self.median = decisions / statistics.median(seconds)
        self.worst = decisions / max(seconds)

    def spread(self) -> str:
        return f"{self.best:,.0f} / {self.median:,.0f}"


def _x(value: float) -> str:
    return f"x{value:.2f}" if value >= 0.1 else f"x{value:.3f}" if value >= 0.01 else f"x{value:.4f}"


def ratio(ours: Timing, peer: Timing) -> str:
    return f"{_x(ours.median / peer.median)} (best {_x(ours.best / peer.best)})"


def verdict(ours: Timing, peer: Timing, target: float | None) -> str:
    if target is None:
        return ""
    value = ours.median / peer.median
    return f">= x{target:g}: {'met' if value >= target else 'MISSED'}"


def trace_free(method: Callable[..., Any]) -> dict[str, Any] | None:
    """The keyword arguments of our trace-free path, or None when the engine has none."""
    parameters = inspect.signature(method).parameters
    if "trace" in parameters:
        return {"trace": "off", "record": False}
    if "evidence" in parameters:  # evidence on demand: record=False builds no trace unless it is read
        return {"record": False}
    return None


def eager_engine(**kwargs: Any) -> CompositeEngine:
    """Our engine building every trace with every decision ("trace on"), where it can choose."""
    if "evidence" in inspect.signature(CompositeEngine.from_path).parameters:
        kwargs["evidence"] = "eager"
    return CompositeEngine.from_path(PROJECT, **kwargs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, for CI")
    parser.add_argument("--single", type=int, default=5_000, help="decisions in the single-decision loops")
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000], help="batch sizes")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds per measure")
    args = parser.parse_args()
    single, sizes, repeat = (100, [300], 2) if args.smoke else (args.single, args.rows, args.rounds)

    try:
        import zen
    except ImportError:
        print("skipped: zen-engine is not installed (pip install -e '.[test]')")
        return 0
    path = graph_path()
    if not path.is_file():
        print(f"skipped: the Zen graph {path} is absent (set COMPOSITE_SHARED_DIR)")
        return 0
    graph_text = path.read_text(encoding="utf-8")
    decision = zen.ZenEngine().create_decision(graph_text)
    zen_engine = zen.ZenEngine({"loader": {"type": "static", "content": {KEY: json.loads(graph_text)}}})

    def fresh() -> CompositeEngine:  # a new in-memory store per run, so runs do not pile up decisions
        return eager_engine(store="memory")

    def fresh_lazy() -> CompositeEngine:  # the default: stored with evidence on demand
        return CompositeEngine.from_path(PROJECT, store="memory")

    engine = fresh()
    lazy_engine = fresh_lazy()
    off_single = trace_free(engine.decide)
    off_batch = trace_free(engine.decide_batch)
    least_single = off_single or {"record": False}
    least_batch = off_batch or {"record": False}
    if off_single and "trace" not in off_single:
        engine = lazy_engine  # record=False builds no trace only with evidence on demand
    ours_off_label = ("record=False, trace='off'" if off_single and "trace" in off_single else
                      "record=False: no trace built" if off_single else "record=False [a]")
    ours_off_batch_label = "record=False, trace='off'" if off_batch else "record=False [a]"
    mismatches = 0
    lines: list[tuple[str, ...]] = []
    notes: list[str] = []

    # -- single decisions ----------------------------------------------------------------------
    rows = requests(single, seed=1).to_dict("records")
    contexts = [{"applicant": row} for row in rows]
    ours_out = [engine.decide(row).outputs for row in rows]  # also warms everything up
    for check in (lambda c: decision.evaluate(c), lambda c: decision.evaluate(c, TRACE_ON),
                  lambda c: zen_engine.evaluate(KEY, c), lambda c: zen_engine.evaluate(KEY, c, TRACE_ON)):
        mismatches += differences(ours_out, [check(ctx)["result"] for ctx in contexts])
    mismatches += differences(ours_out, [engine.decide(row, **least_single).outputs for row in rows])
    traced = decision.evaluate(contexts[0], TRACE_ON)
    if not traced.get("trace"):
        notes.append("WARNING: Zen returned no trace with {'trace': True}")
    del ours_out

    def loop(fn: Callable[[Any], Any], items: list[Any]) -> Callable[..., None]:
        def run(*_: Any) -> None:
            for item in items:
                fn(item)
        return run

    def ours_loop(**kwargs: Any) -> Callable[[CompositeEngine], None]:
        def run(e: CompositeEngine) -> None:
            for row in rows:
                e.decide(row, **kwargs)
        return run

    t = {name: Timing(s, single) for name, s in rounds({
        "ours_on": (fresh, ours_loop()),
        "ours_lazy": (fresh_lazy, ours_loop()),
        "ours_off": (lambda: engine, ours_loop(**least_single)),
        "zen_on": (None, loop(lambda c: decision.evaluate(c, TRACE_ON), contexts)),
        "zen_off": (None, loop(decision.evaluate, contexts)),
        "key_on": (None, loop(lambda c: zen_engine.evaluate(KEY, c, TRACE_ON), contexts)),
        "key_off": (None, loop(lambda c: zen_engine.evaluate(KEY, c), contexts)),
    }, repeat=repeat).items()}
    n = f"{single:,}"
    lines += [
        ("trace on", "single", n, "decide(row): memory store, trace kept", t["ours_on"].spread(),
         "ZenDecision.evaluate +trace", t["zen_on"].spread(), ratio(t["ours_on"], t["zen_on"]),
         verdict(t["ours_on"], t["zen_on"], 2)),
        ("trace on", "single", n, "decide(row): memory store, trace kept", t["ours_on"].spread(),
         "ZenEngine.evaluate(key) +trace", t["key_on"].spread(), ratio(t["ours_on"], t["key_on"]),
         verdict(t["ours_on"], t["key_on"], 1)),
        ("trace on demand", "single", n, "decide(row): memory store, evidence on demand", t["ours_lazy"].spread(),
         "ZenDecision.evaluate +trace", t["zen_on"].spread(), ratio(t["ours_lazy"], t["zen_on"]), ""),
        ("trace on demand", "single", n, "decide(row): memory store, evidence on demand", t["ours_lazy"].spread(),
         "ZenEngine.evaluate(key) +trace", t["key_on"].spread(), ratio(t["ours_lazy"], t["key_on"]), ""),
        ("trace off", "single", n, f"decide(row, {ours_off_label})", t["ours_off"].spread(),
         "ZenDecision.evaluate", t["zen_off"].spread(), ratio(t["ours_off"], t["zen_off"]), ""),
        ("trace off", "single", n, f"decide(row, {ours_off_label})", t["ours_off"].spread(),
         "ZenEngine.evaluate(key)", t["key_off"].spread(), ratio(t["ours_off"], t["key_off"]), ""),
    ]

    # -- batches -------------------------------------------------------------------------------
    for size in sizes:
        frame = requests(size, seed=2)
        batch = [{"key": KEY, "context": {"applicant": row}} for row in frame.to_dict("records")]
        ours_rows = engine.decide_batch(frame, **least_batch)[list(OUTPUTS)].to_dict("records")
        mismatches += differences(ours_rows, engine.decide_batch(frame)[list(OUTPUTS)].to_dict("records"))
        for options in (None, TRACE_ON):
            answers = zen_engine.evaluate_batch(batch, options) if options else zen_engine.evaluate_batch(batch)
            mismatches += sum(not answer.get("success") for answer in answers)
            mismatches += differences(ours_rows, [answer["data"]["result"] for answer in answers])
            del answers
        mismatches += differences(ours_rows, limit_rows(frame))
        del ours_rows
        t = {name: Timing(s, size) for name, s in rounds({
            "ours_on": (fresh, lambda e: e.decide_batch(frame)),
            "ours_lazy": (fresh_lazy, lambda e: e.decide_batch(frame)),
            "ours_off": (lambda: engine, lambda e: e.decide_batch(frame, **least_batch)),
            "zen_on": (None, lambda: zen_engine.evaluate_batch(batch, TRACE_ON)),
            "zen_off": (None, lambda: zen_engine.evaluate_batch(batch)),
            "numpy": (None, lambda: numpy_limit(frame)),
        }, repeat=repeat if size <= 10_000 else max(2, repeat - 2)).items()}
        n = f"{size:,}"
        lines += [
            ("trace on", "batch", n, "decide_batch: memory store, traces kept", t["ours_on"].spread(),
             "ZenEngine.evaluate_batch +trace", t["zen_on"].spread(), ratio(t["ours_on"], t["zen_on"]),
             verdict(t["ours_on"], t["zen_on"], 20)),
            ("trace on demand", "batch", n, "decide_batch: memory store, evidence on demand",
             t["ours_lazy"].spread(), "ZenEngine.evaluate_batch +trace", t["zen_on"].spread(),
             ratio(t["ours_lazy"], t["zen_on"]), ""),
            ("trace off", "batch", n, f"decide_batch({ours_off_batch_label})", t["ours_off"].spread(),
             "ZenEngine.evaluate_batch", t["zen_off"].spread(), ratio(t["ours_off"], t["zen_off"]), ""),
            ("trace off", "batch", n, f"decide_batch({ours_off_batch_label})", t["ours_off"].spread(),
             "numpy limit", t["numpy"].spread(), ratio(t["ours_off"], t["numpy"]),
             verdict(t["ours_off"], t["numpy"], 0.5)),
            ("trace on/off", "batch", n, "decide_batch: memory store, traces kept", t["ours_on"].spread(),
             "numpy limit", t["numpy"].spread(), ratio(t["ours_on"], t["numpy"]), ""),
            ("peers", "batch", n, "ZenEngine.evaluate_batch (peer)", t["zen_off"].spread(),
             "numpy limit", t["numpy"].spread(), ratio(t["zen_off"], t["numpy"]), ""),
        ]

    print(f"zen-engine {package_version('zen-engine')}, graph {path.name}; rates are decisions per second, "
          f"best / median over {repeat} interleaved rounds (batches over 10,000 rows: {max(2, repeat - 2)}); "
          f"ratios are ours / peer from the medians (best / best in brackets); one Python thread")
    print(table(lines, ("pairing", "path", "rows", "ours", "ours /s best / med", "peer", "peer /s best / med",
                        "ours / peer (med)", "target (med)")))
    lacking = [name for name, found in (("decide", off_single), ("decide_batch", off_batch)) if not found]
    if lacking:
        print(f"[a] NO TRACE-FREE PATH in {' and '.join(lacking)} (no trace= argument): those 'trace off' rows pair "
              "our least-work path, record=False,\n    which still builds every trace (decide) or every node's "
              "evidence (decide_batch) but stores nothing, with Zen's trace-off paths.")
    for note in notes:
        print(note)
    if mismatches:
        print(f"WARNING: {mismatches} output(s) differ between ours, zen's and numpy_limit's")
        return 1
    print("outputs equal (ours with and without trace, Zen's three paths with and without trace, numpy_limit) "
          "on every request measured")
    return 0


if __name__ == "__main__":
    sys.exit(main())
