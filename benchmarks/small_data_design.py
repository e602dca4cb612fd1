"""How the composite's blend rule was chosen: candidate rules on design splits of four problems.

Run by hand: `python benchmarks/small_data_design.py [--repeats 10] [--markdown]` (about 15 minutes
on 2 cores); `--smoke` runs one problem at one size. Results: docs/small_data.md ("How the method was
chosen").

Every number here comes from a design split: the protocol's test set (composite.ml.evaluation) is set
aside first and never read; 30% of the remaining rows are scored, training samples are drawn from
the rest. Each candidate sees the same samples (paired). The candidates differ only in how the
expert and the project's model are joined:

- caution c, r repeats: the blend of composite.ml.blend (weight minimising cross-validated log loss
  plus c standard errors of its gain over the expert; out-of-fold model probabilities over 5 folds
  x r repeats); c = 1, r = 3 is issue 5's rule; c = 2 (3 repeats) is the one chosen here, by the
  smallest worst shortfall over all problems and sizes, and what the projects' blend files now say;
- pseudo-BMA: the weight averaged over the 21 candidate weights, each weighted by exp(-n x its mean
  held-out log loss) (pseudo Bayesian model averaging, Yao et al. 2018), instead of one weight picked;
- anchored LR: a logistic regression on every input with the expert score as its unshrunk anchor
  (model file option `anchor`), C by inner cross-validation, alone: the expert's calibrated
  log-odds plus the corrections the data supports (no blend; it contains the expert).

Targets, as in the protocol: (a) composite >= max(rules alone, LightGBM alone, logistic regression
alone, fixed blend n/(n+100)) - 0.005 at every size; (b) > max(rules, LightGBM, LR) up to 100 rows.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from benchmarks._common import table  # noqa: E402
from composite.ml import evaluation as ev  # noqa: E402
from composite.ml.blend import _logit, fit_blend, model_oof_probability, platt  # noqa: E402
from composite.ml.train import single_threaded, train_model  # noqa: E402

PROJECTS = (".", "examples/credit_card", "examples/credit_data", "examples/birthwt")
BASELINES = ("rules alone", "LightGBM alone", "logistic regression alone", "fixed blend")
CANDIDATES = ("caution 1, 3 repeats (issue 5)", "caution 0", "caution 0.5", "caution 2 (chosen)", "caution 1, 10 repeats",
              "pseudo-BMA", "anchored LR")


def auc(y: np.ndarray, p: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, p))


def candidates(context: ev.EvaluationContext, train_rows: np.ndarray, scored: np.ndarray) -> dict[str, float]:
    """Test AUC of every baseline and candidate trained on one sample."""
    run = ev.evaluate_sample(context, train_rows, scored, methods=BASELINES)
    out = {method: run.metrics[method]["auc"] for method in BASELINES}
    spec, blend_spec, knowledge = context.model_spec, context.blend_spec, context.knowledge
    train = context.frame.iloc[train_rows]
    test = context.frame.iloc[scored]
    y, yt = context.y[train_rows], context.y[scored]
    expert, expert_test = (f[blend_spec.expert].to_numpy(np.float64) for f in (train, test))
    ea, eb = platt(expert, y, sign=context.expert_sign)
    model = train_model(spec, train, knowledge, validate=False)
    model_logit = _logit(model.predict_proba(test))

    def joined(weight: float) -> float:
        return auc(yt, weight * model_logit + (1 - weight) * (ea * expert_test + eb))

    for repeats in (3, 10):
        oof = model_oof_probability(spec, train, knowledge, folds=blend_spec.validation.folds, repeats=repeats)
        for caution in ((0.0, 0.5, 1.0, 2.0) if repeats == 3 else (1.0,)):
            params, search = fit_blend(y, expert, oof, sign=context.expert_sign, folds=blend_spec.validation.folds,
                                       repeats=repeats, seed=blend_spec.seed, caution=caution)
            name = ("caution 1, 3 repeats (issue 5)" if (caution, repeats) == (1.0, 3) else
                    "caution 2 (chosen)" if (caution, repeats) == (2.0, 3) else
                    f"caution 1, {repeats} repeats" if repeats != 3 else f"caution {caution:g}")
            out[name] = joined(params["weight"])
            if (caution, repeats) == (0.0, 3):
                weights = np.asarray(search.weights)
                posterior = np.exp(-len(y) * (search.log_loss - search.log_loss.min()))
                out["pseudo-BMA"] = joined(float((weights * posterior).sum() / posterior.sum()))
    anchored = spec.model_copy(update={
        "name": f"{spec.name}_anchored", "algorithm": "logistic_regression", "hyperparameters": {},
        "features": list(dict.fromkeys([*context.baseline_features, *spec.features])), "anchor": blend_spec.expert})
    out["anchored LR"] = auc(yt, train_model(anchored, train, knowledge, validate=False).predict_proba(test))
    return out


def run(root: str, sizes: list[int], repeats: int, say) -> tuple[str, dict[int, dict[str, list[float]]]]:
    context = ev.load_context(REPO / root)
    y = context.y
    rows = np.arange(len(y))
    seed = ev.SEED
    pool, _test = ev.stratified_split(y, rows, len(rows) - int(round(0.3 * len(rows))), seed)
    sample_pool, scored = ev.stratified_split(y, pool, len(pool) - int(round(0.3 * len(pool))), seed + 1)
    results: dict[int, dict[str, list[float]]] = {}
    for n in [s for s in sizes if 2 <= s <= len(sample_pool) - 2]:
        results[n] = {}
        for k in range(repeats):
            train_rows, _ = ev.stratified_split(y, sample_pool, n, seed + 1000 * k + n)
            for name, value in candidates(context, train_rows, scored).items():
                results[n].setdefault(name, []).append(value)
        say(f"{context.name}: {n} rows done")
    return context.name, results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--sizes", default="25,50,100,200,400")
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--smoke", action="store_true", help="one problem, one size, one repeat (CI)")
    args = parser.parse_args()
    started = time.perf_counter()

    def say(message: str) -> None:
        print(f"  [{time.perf_counter() - started:5.0f} s] {message}", file=sys.stderr, flush=True)

    projects = PROJECTS[:1] if args.smoke else PROJECTS
    sizes = [50] if args.smoke else [int(v) for v in args.sizes.split(",")]
    repeats = 1 if args.smoke else args.repeats
    shortfall: dict[str, float] = {c: 0.0 for c in CANDIDATES}
    with single_threaded():
        for root in projects:
            name, results = run(root, sizes, repeats, say)
            body = []
            for n, cells in results.items():
                mean = {k: float(np.mean(v)) for k, v in cells.items()}
                bar = max(mean[b] for b in BASELINES) - 0.005
                body.append((str(n), *[f"{mean[b]:.3f}" for b in BASELINES],
                             *[f"{mean[c]:.3f}{'' if mean[c] >= bar else ' ✗'}" for c in CANDIDATES]))
                for c in CANDIDATES:
                    shortfall[c] = min(shortfall[c], mean[c] - (bar + 0.005))
            header = ("rows", *BASELINES, *CANDIDATES)
            print(f"{name}: design split, test AUC (mean of {repeats}); ✗ = below max(baselines) - 0.005")
            print(ev._markdown(header, body) if args.markdown else table(body, header))
            print()
    print("worst shortfall against the best baseline over all problems and sizes (0 = never below it)")
    rows = [(c, f"{shortfall[c]:+.3f}") for c in CANDIDATES]
    print(ev._markdown(("candidate", "worst"), rows) if args.markdown else table(rows, ("candidate", "worst")))
    print(f"total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
