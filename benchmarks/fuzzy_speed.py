"""Fuzzy inference speed: our evaluator against scikit-fuzzy's control API, measured in one run.

On the tipping system and a 5-input, 125-rule system: our per-row `evaluate`, our batch of
--rows rows, scikit-fuzzy's `compute()` in a loop and its array mode (ControlSystemSimulation fed
arrays). Every ratio is against the scikit-fuzzy numbers of this same run; the outputs are
compared too (they must agree to 1e-9). Targets from issue 4: per row >= 10x the skfuzzy loop;
batch >= 100x the loop and >= 10x array mode.

    python benchmarks/fuzzy_speed.py                 # 10,000-row batches
    python benchmarks/fuzzy_speed.py --smoke         # tiny sizes, for CI
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks._common import table  # noqa: E402
from composite.fuzzy import FuzzyEvaluator, read_fuzzy_yaml  # noqa: E402
from composite.fuzzy.model import (  # noqa: E402
    And,
    Consequent,
    FuzzyRuleBase,
    InputVariable,
    Or,
    OutputVariable,
    Proposition,
    Rule,
    Term,
)
from composite.fuzzy.reference import skfuzzy_control_system  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
LEVELS = ("very_low", "low", "medium", "high", "very_high")


def tipping() -> FuzzyRuleBase:
    path = REPO / "examples" / "tipping" / "rules" / "tipping.fuzzy.yaml"
    return read_fuzzy_yaml(path.read_text(), file=str(path))


def five_by_125() -> FuzzyRuleBase:
    """5 inputs with 5 triangular terms each; 125 rules, one per (x0, x1, x2) level triple."""
    terms = tuple(Term(name, "trimf", (max(0.0, 2.5 * (i - 1)), 2.5 * i, min(10.0, 2.5 * (i + 1))))
                  for i, name in enumerate(LEVELS))
    inputs = tuple(InputVariable(f"x{i}", 0.0, 10.0, terms, resolution=101) for i in range(5))
    out_terms = tuple(Term(name, "trimf", (max(0.0, 25.0 * (i - 1)), 25.0 * i, min(100.0, 25.0 * (i + 1))))
                      for i, name in enumerate(LEVELS))
    output = OutputVariable("y", 0.0, 100.0, out_terms, resolution=101, default=50.0)
    rules = []
    for i in range(5):
        for j in range(5):
            for k in range(5):
                condition = And((
                    Proposition("x0", LEVELS[i]),
                    Proposition("x1", LEVELS[j]),
                    Or((Proposition("x2", LEVELS[k]), Proposition("x3", LEVELS[(i + j + k) % 5]))),
                    Proposition("x4", LEVELS[(i * j + k) % 5], ("not",)),
                ))
                level = min(4, round((i + j + k) / 3))
                rules.append(Rule(f"r{i}{j}{k}", condition, (Consequent("y", LEVELS[level]),)))
    return FuzzyRuleBase("five_by_125", inputs, (output,), tuple(rules))


def skfuzzy_loop(system: object, names: tuple[str, ...], X: np.ndarray, output: str) -> tuple[float, np.ndarray]:
    from skfuzzy import control as ctrl

    simulation = ctrl.ControlSystemSimulation(system)
    out = np.empty(len(X))
    start = time.perf_counter()
    for i, row in enumerate(X):
        for name, value in zip(names, row):
            simulation.input[name] = value
        simulation.compute()
        out[i] = simulation.output[output]
    return (time.perf_counter() - start) / len(X), out


def skfuzzy_array(system: object, names: tuple[str, ...], X: np.ndarray, output: str) -> tuple[float, np.ndarray]:
    from skfuzzy import control as ctrl

    simulation = ctrl.ControlSystemSimulation(system)
    start = time.perf_counter()
    for k, name in enumerate(names):
        simulation.input[name] = X[:, k].copy()
    simulation.compute()
    out = np.asarray(simulation.output[output], dtype=float)
    return (time.perf_counter() - start) / len(X), out


def best(samples: list[float]) -> float:
    return min(samples)


def bench(name: str, rule_base: FuzzyRuleBase, *, rows: int, sk_rows: int, array_rows: int, repeat: int,
          seed: int = 0) -> tuple[list[tuple[str, ...]], list[str]]:
    rng = np.random.default_rng(seed)
    names = rule_base.input_names
    output = rule_base.output_names[0]
    X = np.column_stack([rng.uniform(v.lo, v.hi, rows) for v in rule_base.inputs])
    evaluator = FuzzyEvaluator(rule_base, numerics="skfuzzy")
    system = skfuzzy_control_system(rule_base)
    columns = {n: X[:, k] for k, n in enumerate(names)}
    per_row_inputs = [dict(zip(names, row)) for row in X[:sk_rows].tolist()]

    row_samples, batch_samples, loop_samples, array_samples = [], [], [], []
    ours_rows = ours_batch = theirs_loop = theirs_array = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(repeat):
            start = time.perf_counter()
            ours_rows = [evaluator.evaluate(values).outputs[output] for values in per_row_inputs]
            row_samples.append((time.perf_counter() - start) / sk_rows)
            start = time.perf_counter()
            ours_batch = evaluator.evaluate_batch(columns, rows).outputs[output]
            batch_samples.append((time.perf_counter() - start) / rows)
            seconds, theirs_loop = skfuzzy_loop(system, names, X[:sk_rows], output)
            loop_samples.append(seconds)
            seconds, theirs_array = skfuzzy_array(system, names, X[:array_rows], output)
            array_samples.append(seconds)
    row_s, batch_s, loop_s, array_s = best(row_samples), best(batch_samples), best(loop_samples), best(array_samples)
    agree = max(float(np.max(np.abs(np.asarray(ours_rows) - theirs_loop))),
                float(np.max(np.abs(ours_batch[:array_rows] - theirs_array))),
                float(np.max(np.abs(ours_batch[:sk_rows] - np.asarray(ours_rows)))))

    def us(seconds: float) -> str:
        return f"{seconds * 1e6:,.1f}"

    lines = [
        (name, f"ours evaluate (per row, {sk_rows} rows)", us(row_s), f"{loop_s / row_s:,.0f}x", "-", ">= 10x loop"),
        (name, f"ours evaluate_batch ({rows} rows)", us(batch_s), f"{loop_s / batch_s:,.0f}x",
         f"{array_s / batch_s:,.1f}x", ">= 100x loop, >= 10x array"),
        (name, f"skfuzzy compute() loop ({sk_rows} rows)", us(loop_s), "1x", "-", "baseline"),
        (name, f"skfuzzy array mode ({array_rows} rows)", us(array_s), f"{loop_s / array_s:,.1f}x", "1x", "baseline"),
    ]
    verdicts = [
        f"{name}: per row {loop_s / row_s:,.0f}x the loop ({'met' if loop_s / row_s >= 10 else 'MISSED'}); "
        f"batch {loop_s / batch_s:,.0f}x the loop ({'met' if loop_s / batch_s >= 100 else 'MISSED'}) and "
        f"{array_s / batch_s:,.1f}x array mode ({'met' if array_s / batch_s >= 10 else 'MISSED'}); "
        f"largest difference from skfuzzy {agree:.1e}"
    ]
    return lines, verdicts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000, help="rows in our batch (default 10,000)")
    parser.add_argument("--repeat", type=int, default=3, help="repetitions; the best is reported (default 3)")
    parser.add_argument("--sk-rows", type=int, default=1_000,
                        help="rows for the per-row timings on tipping: ours and skfuzzy's compute() loop")
    parser.add_argument("--sk-rows-large", type=int, default=40,
                        help="the same on the 125-rule system, where one skfuzzy compute() takes ~0.15 s")
    parser.add_argument("--array-rows-large", type=int, default=500,
                        help="rows fed to skfuzzy's array mode on the 125-rule system (~8 ms a row); "
                             "tipping feeds it all --rows")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, for CI: it must run, not be fast")
    args = parser.parse_args()
    rows, repeat = args.rows, args.repeat
    sizes = {"tipping": (args.sk_rows, rows), "large": (args.sk_rows_large, args.array_rows_large)}
    if args.smoke:
        rows, repeat = 50, 1
        sizes = {"tipping": (10, 50), "large": (2, 10)}

    header = ("system", "method", "us/row", "vs skfuzzy loop", "vs skfuzzy array", "target")
    lines: list[tuple[str, ...]] = []
    verdicts: list[str] = []
    for key, name, rule_base in (("tipping", "tipping (2 in, 3 rules)", tipping()),
                                 ("large", "5 in, 125 rules", five_by_125())):
        sk_rows, array_rows = (min(n, rows) for n in sizes[key])
        more, said = bench(name, rule_base, rows=rows, sk_rows=sk_rows, array_rows=array_rows, repeat=repeat)
        lines += more
        verdicts += said
    print(table(lines, header))
    print()
    print("\n".join(verdicts))


if __name__ == "__main__":
    main()
