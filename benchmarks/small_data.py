"""Small data: the expert rules alone, models alone, a fixed blend and the composite, for any project.

A thin command line over `composite.ml.evaluation.learning_curve` (the protocol is described there and
in docs/small_data.md):

    python benchmarks/small_data.py                         # the default project (German Credit), drift age:35
    python benchmarks/small_data.py --project examples/X --drift housing=rent --markdown
    python benchmarks/small_data.py --design                # on a design split of the non-test rows only
    python benchmarks/small_data.py --smoke                 # 2 sizes, 2 repeats: every method runs (CI)

Results: docs/small_data.md. For the default project (the repository root) it also measures the
costs: training time per sample, `composite train` on all rows, and the per-decision cost of the
model node and of the whole chain next to the 10-node expression chain of
benchmarks/engine_overhead.py, measured in the same run.
"""

from __future__ import annotations

import os

for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")  # single-threaded learners; BLAS threads only contend

import argparse  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from datetime import date  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from benchmarks._common import once, per_call, table  # noqa: E402
from benchmarks.engine_overhead import frame as expression_frame  # noqa: E402
from benchmarks.engine_overhead import make_project  # noqa: E402
from composite import CompositeEngine  # noqa: E402
from composite.ml import load_training_project, train_model, training_data  # noqa: E402
from composite.ml.blend import train_project_blend  # noqa: E402
from composite.ml.evaluation import SIZES, Drift, LearningCurve, learning_curve  # noqa: E402

DEFAULT_DRIFT = "age:35"  # the default project's: trained on applicants under 35, tested on 35 and over


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


def training_cost() -> list[tuple[str, ...]]:
    """`composite train` as it runs on the default project's rows: the model (with its cross-validation),
    then the blend; nothing is written."""
    from composite.ml.blend import read_blend_spec
    from composite.ml.spec import read_model_spec

    project = load_training_project(REPO)
    spec = read_model_spec(REPO, "models/default_risk.model.yaml")
    data = training_data(project, spec)
    t0 = time.perf_counter()
    train_model(spec, data, project.knowledge)
    t1 = time.perf_counter()
    blend = train_project_blend(project, read_blend_spec(REPO, "models/risk_blend.blend.yaml"))
    t2 = time.perf_counter()
    return [(f"composite train, model ({spec.validation.folds} x {spec.validation.repeats} CV + final fit), "
             f"{data.size:,} rows", f"{t1 - t0:.2f} s", ""),
            (f"composite train, blend (OOF fits + weight search), {data.size:,} rows; weight {blend.weight:.2f}",
             f"{t2 - t1:.2f} s", "")]


def timing(curve: LearningCurve) -> list[tuple[str, ...]]:
    def ms(size: int, what: str) -> str:
        value = curve.seconds_per_sample(size, what)
        return "n/a" if value != value else f"{value * 1e3:.0f} ms"

    return [(str(n), ms(n, "LightGBM alone"), ms(n, "logistic regression alone"), ms(n, "composite model"),
             ms(n, "blend"), ms(n, "composite"), ms(n, "fixed blend")) for n in curve.runs]


def markdown(rows: list[tuple[str, ...]], header: tuple[str, ...]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])


def _drift(text: str | None, size: int | None) -> Drift | None:
    if not text or text.lower() == "none":
        return None
    try:
        return Drift.parse(text, size=size)
    except ValueError as exc:
        raise SystemExit(f"--drift: {exc}") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--project", default=None,
                        help="decision project folder with a blend node and its model (default: the repository root)")
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)),
                        help=f"training sizes (default: {','.join(map(str, SIZES))})")
    parser.add_argument("--repeats", type=int, default=20, help="samples per size (default 20)")
    parser.add_argument("--test-fraction", type=float, default=0.3, help="share of rows in the test set (default 0.3)")
    parser.add_argument("--drift", default=None,
                        help="COLUMN:THRESHOLD (train below, test at and above) or COLUMN=v1,v2 (test on those "
                             f"values, train on the others); default for the repository root: {DEFAULT_DRIFT}; "
                             "'none' for no drift run")
    parser.add_argument("--drift-size", type=int, default=None,
                        help="training rows per group in the drift runs (default: the largest size both groups hold)")
    parser.add_argument("--design", action="store_true",
                        help="the same protocol on a design split of the non-test rows (the test set is not used)")
    parser.add_argument("--markdown", action="store_true", help="print Markdown tables (for docs/small_data.md)")
    parser.add_argument("--smoke", action="store_true",
                        help="2 sizes (25, 50), 2 repeats, every method: for CI, well under a minute")
    args = parser.parse_args(argv)
    root = Path(args.project).resolve() if args.project else REPO
    default_project = root == REPO
    sizes = [25, 50] if args.smoke else [int(v) for v in args.sizes.split(",") if v.strip()]
    repeats = 2 if args.smoke else args.repeats
    drift = _drift(args.drift if args.drift is not None else (DEFAULT_DRIFT if default_project else None),
                   args.drift_size)
    show = markdown if args.markdown else table
    started = time.perf_counter()

    def progress(message: str) -> None:
        print(f"  [{time.perf_counter() - started:5.0f} s] {message}", file=sys.stderr, flush=True)

    curve = learning_curve(root, sizes=sizes, repeats=repeats, test_fraction=args.test_fraction, drift=drift,
                           progress=progress, design=args.design)
    print(f"{date.today()}, {platform.processor() or platform.machine()}, {_cores()} cores, "
          f"Python {platform.python_version()}")
    print(curve.markdown() if args.markdown else curve.text())
    print("Training time per sample (mean)")
    print(show(timing(curve), ("rows", "LightGBM alone", "logistic regression alone", "composite model",
                               "blend (OOF fits + weight)", "composite total", "fixed blend (model + OOF fits)")))
    print()
    if default_project and not args.design:
        if not args.smoke:
            print(show(training_cost(), ("training the default project", "time", "")))
            print()
        print("Cost per decision, no store (best of repeats)")
        print(show(costs(args.smoke), ("what", "decide", "decide_batch per row", "decide vs baseline",
                                      "batch vs baseline")))
        print()
    print(f"total {time.perf_counter() - started:.0f} s")
    return 0


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


if __name__ == "__main__":
    sys.exit(main())
