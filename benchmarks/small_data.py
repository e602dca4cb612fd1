"""Small data: the expert rules alone, a model alone and the composite on German Credit.

Run by hand: `python benchmarks/small_data.py` (about 6 minutes on 2 cores; `--markdown` prints the
tables for docs/small_data.md); CI smoke-runs it with --smoke. Results: docs/small_data.md.

The protocol, fixed before any result was seen:
- a held-out test set of 300 rows (stratified, seed 20240601) that nothing is trained, tuned or
  chosen on; training samples of 25, 50, 100, 200 and 400 rows, stratified, from the other 700
  rows, 20 repeats each; test AUC of each method, mean and standard deviation over the repeats;
- rules alone: the expert score computed by the project's own nodes (scorecard tables and fuzzy
  module), calibrated by Platt on the sample (its AUC is the score's own unless the sample
  contradicts the score's direction);
- model alone, no expert knowledge: LightGBM with composite's small-data settings, and logistic
  regression (L2, C by inner cross-validation), on the 18 non-protected attributes, with no
  monotone directions and no expert score;
- composite: the project's model file (models/default_risk.model.yaml: LightGBM with the expert
  score among its features and directions from knowledge/) and blend file
  (models/risk_blend.blend.yaml), trained exactly as `composite train` trains them (library code:
  `composite.ml.train_model`, `composite.ml.blend.train_blend`) but on the sample only; the model
  without its own cross-validation (`validate=False`: no calibration, so the blend sees the
  model's own log-odds, as it does when `composite train` leaves calibration off); "+ fallback" is
  the whole chain: the expert's probability for test rows outside the model's training domain;
- drift: trained on applicants under 35, tested on those 35 and over in the test set, against the
  same method trained on as many applicants of 35 and over (disjoint from the test set);
- costs: training time, and the per-decision cost of the model node and of the whole default
  chain, single `decide` and `decide_batch` per row, next to the 10-node expression chain of
  benchmarks/engine_overhead.py measured in the same run.

`--design` reruns the comparisons that chose the model's feature set and the blend's caution, on a
split of the 700 non-test rows only (450 to train from, 250 to score on).
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from benchmarks._common import once, per_call, table  # noqa: E402
from benchmarks.engine_overhead import frame as expression_frame  # noqa: E402
from benchmarks.engine_overhead import make_project  # noqa: E402
from composite import CompositeEngine  # noqa: E402
from composite.knowledge import Knowledge  # noqa: E402
from composite.ml import load_training_project, read_model_spec, train_model, training_data  # noqa: E402
from composite.ml.blend import platt, read_blend_spec, train_blend  # noqa: E402

SEED = 20240601
TEST_ROWS = 300
ATTRIBUTES = ["checking_status", "duration_months", "credit_history", "purpose", "credit_amount", "savings",
              "employment_since", "instalment_rate_pct", "other_debtors", "residence_since", "property", "age",
              "other_instalment_plans", "housing", "existing_credits", "job", "dependants", "telephone"]
METHODS = ("rules alone", "LightGBM alone", "logistic regression alone", "composite model alone", "composite",
           "composite + fallback")
TARGET_METHODS = ("rules alone", "LightGBM alone", "logistic regression alone")


# ------------------------------------------------------------------------------------ the setup


@dataclass
class Setup:
    """Everything the runs share: the data with the expert score computed, specs, knowledge."""

    frame: pd.DataFrame
    y: np.ndarray
    model_spec: Any
    blend_spec: Any
    knowledge: Any
    free: Any  # knowledge/ without any influence: no monotone directions
    lgb_alone: Any
    lr_alone: Any
    expert_sign: int


def setup() -> Setup:
    project = load_training_project(REPO)
    model_spec = read_model_spec(REPO, "models/default_risk.model.yaml")
    blend_spec = read_blend_spec(REPO, "models/risk_blend.blend.yaml")
    features = list(dict.fromkeys([*ATTRIBUTES, *model_spec.features, blend_spec.expert]))
    frame = training_data(project, model_spec.model_copy(update={"features": features})).frame
    knowledge = project.knowledge
    free = Knowledge({name: c.model_copy(update={"influences": {}}) for name, c in knowledge.concepts.items()})
    lgb_alone = model_spec.model_copy(update={"features": ATTRIBUTES, "hyperparameters": {}})
    lr_alone = lgb_alone.model_copy(update={"algorithm": "logistic_regression"})
    sign = knowledge.get(blend_spec.expert).sign(model_spec.target)
    return Setup(frame, frame[model_spec.target].to_numpy(), model_spec, blend_spec, knowledge, free, lgb_alone,
                 lr_alone, sign)


def split(y: np.ndarray, rows: np.ndarray, size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.model_selection import train_test_split

    chosen, rest = train_test_split(rows, train_size=size, stratify=y[rows], random_state=seed)
    return np.sort(chosen), np.sort(rest)


def auc(y: np.ndarray, p: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, p))


# ------------------------------------------------------------------------------------ one run


def run_once(s: Setup, train_rows: np.ndarray, test_rows: np.ndarray, *, model_spec: Any = None,
             blend_spec: Any = None, only: tuple[str, ...] | None = None) -> tuple[dict[str, float], dict[str, float]]:
    """Train every method on `train_rows`, score on `test_rows`: (AUC per method, extras)."""
    model_spec = model_spec or s.model_spec
    blend_spec = blend_spec or s.blend_spec
    train, test = s.frame.iloc[train_rows], s.frame.iloc[test_rows]
    y, yt = s.y[train_rows], s.y[test_rows]
    expert, expert_test = train[s.blend_spec.expert].to_numpy(float), test[s.blend_spec.expert].to_numpy(float)
    out: dict[str, float] = {}
    extra: dict[str, float] = {}
    wanted = set(only or METHODS)

    a, b = platt(expert, y, sign=s.expert_sign)
    expert_probability = 1 / (1 + np.exp(-(a * expert_test + b)))
    out["rules alone"] = auc(yt, expert_probability if a != 0 else np.full(len(yt), 0.5))
    if "LightGBM alone" in wanted:
        t0 = time.perf_counter()
        out["LightGBM alone"] = auc(yt, train_model(s.lgb_alone, train, s.free, validate=False).predict_proba(test))
        extra["time LightGBM alone"] = time.perf_counter() - t0
    if "logistic regression alone" in wanted:
        t0 = time.perf_counter()
        lr = train_model(s.lr_alone, train, s.free, validate=False)
        out["logistic regression alone"] = auc(yt, lr.predict_proba(test))
        extra["time logistic regression alone"] = time.perf_counter() - t0
    if wanted & {"composite model alone", "composite", "composite + fallback"}:
        t0 = time.perf_counter()
        model = train_model(model_spec, train, s.knowledge, validate=False)
        t1 = time.perf_counter()
        blend = train_blend(blend_spec, train, model_spec, s.knowledge, calibration=model.calibrator.method)
        t2 = time.perf_counter()
        prediction = model.predict(test, contributions=False, domain=True)
        blended, expert_p = blend.predict(expert_test, prediction.probability)
        inside = prediction.domain.inside
        out["composite model alone"] = auc(yt, prediction.probability)
        out["composite"] = auc(yt, blended)
        out["composite + fallback"] = auc(yt, np.where(inside, blended, expert_p))
        extra.update({"weight": blend.weight, "inside": float(np.mean(inside)), "time composite model": t1 - t0,
                      "time blend": t2 - t1, "time composite": t2 - t0})
    return out, extra


@dataclass
class Results:
    auc: dict[str, list[float]] = field(default_factory=dict)
    extra: dict[str, list[float]] = field(default_factory=dict)

    def add(self, auc_: dict[str, float], extra: dict[str, float]) -> None:
        for k, v in auc_.items():
            self.auc.setdefault(k, []).append(v)
        for k, v in extra.items():
            self.extra.setdefault(k, []).append(v)

    def mean(self, key: str) -> float:
        values = self.auc.get(key) or self.extra.get(key) or [float("nan")]
        return float(np.mean(values))

    def sd(self, key: str) -> float:
        values = self.auc.get(key) or []
        return float(np.std(values, ddof=1)) if len(values) > 1 else float("nan")


def sizes_run(s: Setup, sizes: list[int], repeats: int, test_rows: np.ndarray, pool: np.ndarray,
              progress: Callable[[str], None], **kwargs: Any) -> dict[int, Results]:
    results: dict[int, Results] = {}
    for n in sizes:
        r = Results()
        for k in range(repeats):
            train_rows, _ = split(s.y, pool, n, SEED + 1000 * k + n)
            r.add(*run_once(s, train_rows, test_rows, **kwargs))
        results[n] = r
        progress(f"{n} rows: {repeats} repeats done")
    return results


# ------------------------------------------------------------------------------------ drift


def drift_run(s: Setup, size: int, repeats: int, test_rows: np.ndarray, pool: np.ndarray,
              progress: Callable[[str], None]) -> dict[str, Results]:
    age = s.frame["age"].to_numpy()
    test_old = test_rows[age[test_rows] >= 35]
    young, old = pool[age[pool] < 35], pool[age[pool] >= 35]
    out = {"source": Results(), "target": Results()}
    for k in range(repeats):
        for name, rows in (("source", young), ("target", old)):
            train_rows, _ = split(s.y, rows, size, SEED + 7000 + 1000 * k)
            out[name].add(*run_once(s, train_rows, test_old))
    progress(f"drift: {repeats} repeats done ({len(young)} under 35 and {len(old)} of 35 and over to draw "
             f"{size} from; {len(test_old)} test rows of 35 and over)")
    out["source"].extra["test rows"] = [len(test_old)]
    return out


# ------------------------------------------------------------------------------------ costs


def costs(smoke: bool) -> list[tuple[str, ...]]:
    number, repeat, rows = (30, 2, 200) if smoke else (300, 5, 1000)
    engine = CompositeEngine.from_path(REPO, store="memory")
    credit = pd.read_csv(REPO / "data" / "german_credit.csv").drop(columns=["default"]).iloc[:rows]
    request = credit.iloc[0].to_dict()
    request = {k: (v.item() if hasattr(v, "item") else v) for k, v in request.items()}
    baseline = CompositeEngine.from_path(make_project(Path(tempfile.mkdtemp()) / "project"), store="memory")
    base_frame = expression_frame(rows, seed=1)
    base_request = {k: (v.item() if hasattr(v, "item") else v) for k, v in base_frame.iloc[0].to_dict().items()}

    node = next(n for n in engine.project.nodes if n.name == "risk_model")
    decided = engine.decide(request, record=False)
    node_values = dict(decided.trace.node("risk_model").read)
    # the model node's inputs for every row, computed once by the chain itself
    columns = engine.project.input_schema.validate_frame(credit)
    computed = dict(columns)
    for n in engine.project.graph.order:
        if n is node:
            break
        result = n.evaluate_batch({k: computed[k] for k in n.reads}, len(credit))
        computed.update({k: np.asarray(v) for k, v in result.outputs.items()})
    node_columns = {k: computed[k] for k in node.reads}

    t_base = per_call(lambda: baseline.decide(base_request, record=False), repeat=repeat, number=number * 3)
    t_base_batch = once(lambda: baseline.decide_batch(base_frame, record=False)) / rows
    t_node = per_call(lambda: node.evaluate(node_values), repeat=repeat, number=number)
    t_node_batch = once(lambda: node.evaluate_batch(node_columns, len(credit))) / rows
    t_chain = per_call(lambda: engine.decide(request, record=False), repeat=repeat, number=number)
    t_chain_batch = once(lambda: engine.decide_batch(credit, record=False)) / rows

    def us(t: float) -> str:
        return f"{t * 1e6:,.0f} µs"

    return [
        ("expression chain, 10 nodes (baseline)", us(t_base), us(t_base_batch), "x1", "x1"),
        ("model node risk_model alone", us(t_node), us(t_node_batch), f"x{t_node / t_base:.0f}",
         f"x{t_node_batch / t_base_batch:.0f}"),
        (f"whole composite chain ({len(engine.project.nodes)} nodes)", us(t_chain), us(t_chain_batch),
         f"x{t_chain / t_base:.0f}", f"x{t_chain_batch / t_base_batch:.0f}"),
    ]


def training_cost(s: Setup) -> list[tuple[str, ...]]:
    """`composite train` as it runs on the 1,000 rows: the model with its 5 x 5 cross-validation, then the blend."""
    project = load_training_project(REPO)
    data = training_data(project, s.model_spec)
    t0 = time.perf_counter()
    model = train_model(s.model_spec, data, project.knowledge)
    t1 = time.perf_counter()
    features = list(dict.fromkeys([*s.model_spec.features, s.blend_spec.expert]))
    frame = training_data(project, s.model_spec.model_copy(update={"features": features})).frame
    t2 = time.perf_counter()
    blend = train_blend(s.blend_spec, frame, s.model_spec, project.knowledge, calibration=model.calibrator.method)
    t3 = time.perf_counter()
    return [("composite train, model (5 x 5 CV + final fit), 1,000 rows", f"{t1 - t0:.2f} s", ""),
            (f"composite train, blend (5 x 3 OOF fits + weight search), 1,000 rows; weight {blend.weight:.2f}",
             f"{t3 - t2:.2f} s", "")]


# ------------------------------------------------------------------------------------ report


def f3(x: float) -> str:
    return "n/a" if x != x else f"{x:.3f}"


def results_table(results: dict[int, Results], methods: tuple[str, ...]) -> tuple[list[tuple[str, ...]], tuple]:
    rows = []
    for n, r in results.items():
        cells = [f"{n}"] + [f"{f3(r.mean(m))} ± {f3(r.sd(m))}" for m in methods]
        best = max(TARGET_METHODS, key=r.mean)
        diff = np.asarray(r.auc["composite"]) - np.asarray(r.auc[best])
        se = float(np.std(diff, ddof=1) / np.sqrt(len(diff))) if len(diff) > 1 else float("nan")
        others = [r.mean(m) for m in TARGET_METHODS]
        if r.mean("composite") > max(others):
            verdict = "better than all"
        elif r.mean("composite") >= max(others) - 1e-12:
            verdict = "ties the best"
        else:
            verdict = "below " + best
        cells += [f"{best}: {diff.mean():+.3f} ± {f3(se)}", verdict, f"{r.mean('weight'):.2f}",
                  f"{r.mean('inside'):.2f}"]
        rows.append(tuple(cells))
    header = ("rows", *methods, "composite - best alone (paired mean ± se)", "target", "mean weight",
              "share in domain")
    return rows, header


def markdown(rows: list[tuple[str, ...]], header: tuple[str, ...]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, for CI (under a minute)")
    parser.add_argument("--sizes", default="25,50,100,200,400", help="training sizes (default: 25,50,100,200,400)")
    parser.add_argument("--repeats", type=int, default=20, help="samples per size (default 20)")
    parser.add_argument("--drift-size", type=int, default=200, help="training rows in the drift runs (default 200)")
    parser.add_argument("--design", action="store_true",
                        help="the design comparisons, on the 700 non-test rows only (no test row is used)")
    parser.add_argument("--markdown", action="store_true", help="print Markdown tables (for docs/small_data.md)")
    args = parser.parse_args()
    sizes = [25, 50] if args.smoke else [int(v) for v in args.sizes.split(",")]
    repeats = 2 if args.smoke else args.repeats
    drift_size = 50 if args.smoke else args.drift_size
    show = markdown if args.markdown else table
    started = time.perf_counter()

    def progress(message: str) -> None:
        print(f"  [{time.perf_counter() - started:5.0f} s] {message}", file=sys.stderr, flush=True)

    s = setup()
    rows = np.arange(len(s.frame))
    pool, test_rows = split(s.y, rows, len(rows) - TEST_ROWS, SEED)
    if args.design:
        design(s, pool, sizes, repeats, progress, show)
        return
    print(f"German Credit, {len(rows)} rows: test set {len(test_rows)} rows (stratified, seed {SEED}), training "
          f"samples from the other {len(pool)}; {repeats} repeats per size; {date.today()}, "
          f"{platform.processor() or platform.machine()}, {_cores()} cores, Python {platform.python_version()}")
    print()
    results = sizes_run(s, sizes, repeats, test_rows, pool, progress)
    body, header = results_table(results, METHODS)
    print("Test AUC, mean ± standard deviation over the repeats")
    print(show(body, header))
    print()

    drift = drift_run(s, drift_size, repeats, test_rows, pool, progress)
    drift_rows = []
    for m in METHODS:
        src, tgt = drift["source"], drift["target"]
        drop = np.asarray(tgt.auc[m]) - np.asarray(src.auc[m])
        drift_rows.append((m, f"{f3(tgt.mean(m))} ± {f3(tgt.sd(m))}", f"{f3(src.mean(m))} ± {f3(src.sd(m))}",
                           f"{drop.mean():+.3f} ± {f3(float(np.std(drop, ddof=1) / np.sqrt(len(drop))))}"))
    print(f"Drift: test AUC on the {int(drift['source'].extra['test rows'][0])} test applicants of 35 and over; "
          f"{drift_size} training rows, {repeats} repeats")
    print(show(drift_rows, ("method", "trained on 35 and over", "trained on under 35", "AUC lost (paired mean ± se)")))
    print(f"composite weight trained on under 35: {drift['source'].mean('weight'):.2f}, on 35 and over: "
          f"{drift['target'].mean('weight'):.2f}; share of test rows inside the domain of the model trained on "
          f"under 35: {drift['source'].mean('inside'):.2f}")
    print()

    timing = []
    for n, r in results.items():
        timing.append((f"{n}", f"{r.mean('time LightGBM alone') * 1e3:.0f} ms",
                       f"{r.mean('time logistic regression alone') * 1e3:.0f} ms",
                       f"{r.mean('time composite model') * 1e3:.0f} ms", f"{r.mean('time blend') * 1e3:.0f} ms",
                       f"{r.mean('time composite') * 1e3:.0f} ms"))
    print("Training time per sample (mean)")
    print(show(timing, ("rows", "LightGBM alone", "logistic regression alone", "composite model (no CV)",
                        "blend (5 x 3 OOF fits + weight)", "composite total")))
    print()
    if not args.smoke:
        print(show(training_cost(s), ("training the default project", "time", "")))
        print()
    print("Cost per decision, no store (best of repeats)")
    print(show(costs(args.smoke), ("what", "decide", "decide_batch per row", "decide vs baseline",
                                  "batch vs baseline")))
    print()
    print(f"total {time.perf_counter() - started:.0f} s")


def design(s: Setup, pool: np.ndarray, sizes: list[int], repeats: int, progress: Callable[[str], None],
           show: Callable[..., str]) -> None:
    """The model's features and the blend's caution, compared on the non-test rows only."""
    train_pool, design_test = split(s.y, pool, len(pool) - 250, 1)
    all_features = s.model_spec.model_copy(update={"features": [*ATTRIBUTES, s.blend_spec.expert]})
    caution = s.blend_spec.caution

    def with_caution(value: float) -> dict[str, Any]:
        return {"blend_spec": s.blend_spec.model_copy(update={"caution": value})}

    variants = {
        f"model file's features, caution {caution:g} (the blend file's)": {},
        f"all 18 attributes + expert score, caution {caution:g}": {"model_spec": all_features},
        **{f"model file's features, caution {c:g}": with_caution(c) for c in (0.0, 0.5, 1.0, 2.0) if c != caution},
    }
    print(f"Design runs: {len(train_pool)} rows to train from, {len(design_test)} to score on, none of them in the "
          f"test set; {repeats} repeats")
    body = []
    for name, kwargs in variants.items():
        results = sizes_run(s, [n for n in sizes if n <= len(train_pool)], repeats, design_test, train_pool, progress,
                            only=("composite",), **kwargs)
        if not body:
            body.append(("rules alone", *[f"{r.mean('rules alone'):.3f}" for r in results.values()]))
        body.append((name, *[f"{r.mean('composite model alone'):.3f} / {r.mean('composite'):.3f} "
                             f"(w {r.mean('weight'):.2f})" for r in results.values()]))
    print("test AUC on the 250 design rows: rules alone; composite model alone / composite (mean weight)")
    print(show(body, ("variant", *[f"{n} rows" for n in sizes if n <= len(train_pool)])))


def _cores() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


if __name__ == "__main__":
    main()
