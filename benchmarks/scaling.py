"""How the cost of a decision grows with the size of what decides it, through the engine, in one run.

Families (each size is a generated composite project decided by `CompositeEngine`):

  expressions  a chain of N expression nodes, v_i = if v_(i-1) > 100 then v_(i-1) - y else
               v_(i-1) + x; N = 10 -> 1,000. Zen: the same chain of N expressionNodes (JDM graph
               generated here).
  tables       one decision table of N rows (UNIQUE, FIRST, COLLECT), the generators of
               benchmarks/table_speed.py; N = 10 -> 10,000. Zen: a decisionTableNode with the
               same rows (Zen has no UNIQUE policy: it runs the UNIQUE table as FIRST, the same
               answer since exactly one row matches; COLLECT as collect).
  rules        a rule set of N rules, the generator of benchmarks/rules_scale.py; N = 20 -> 2,000.
               No Zen pairing: Zen has no forward-chaining rule sets.
  fuzzy        a fuzzy rule base of N rules over two inputs of ten terms each (terms fixed, only
               the rules grow); N = 9 -> 1,000. No Zen pairing: Zen has no fuzzy inference.
  batch        the default project (repository root: tables, fuzzy, LightGBM model, rules)
               decide_batch of 1k -> 1M rows, each size in its own subprocess, with peak memory
               (the process's resident high-water mark, reset before the batch). No Zen pairing:
               Zen cannot run the model node (the Zen + LightGBM peer is a separate benchmark).

For every size: per-decision cost of our least-work paths, `decide(row, ...)` in a loop (single)
and `decide_batch(frame, ...)` per row (batch), each as a ratio to the smallest size of its family
in the same run, and the bytes a stored decision takes (`decision_record`, JSON). Least work:
`trace="off"` where the method takes a `trace` argument, else `record=False`, which still builds
every trace (decide) and every node's evidence (decide_batch); the output says which ran. The
default project's batch is timed with `record=False` (the memory target's terms) and with every
decision stored. Zen runs without its trace. Rounds are interleaved across the sizes of a
family; each cost is the median over the rounds (best in the raw numbers). Outputs of Zen and of
ours are checked equal on the measured requests first.

Run by hand: `python benchmarks/scaling.py` (a few minutes; `--only tables` etc. for one family,
`--max-batch` and `--batch-budget` bound the default project's batches, 1M rows by default when
they fit); CI runs `--smoke` (small sizes, about 15 s).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks._common import package_version, table  # noqa: E402
from benchmarks.rules_scale import rule_file  # noqa: E402
from benchmarks.table_speed import GRADES, probes, table_csv  # noqa: E402
from benchmarks.zen_speed import trace_free  # noqa: E402
from composite import CompositeEngine  # noqa: E402
from composite.store._codec import decision_record, dumps  # noqa: E402

try:
    import zen
except ImportError:  # the comparison columns say "-"
    zen = None


# -- generated projects and their Zen graphs -------------------------------------------------------


def write_project(root: Path, nodes: str, concepts: str, outputs: list[str], files: dict[str, str]) -> Path:
    root.mkdir(parents=True)
    (root / "knowledge").mkdir()
    (root / "rules").mkdir()
    (root / "composite.yaml").write_text(
        f"name: scale\nversion: 1.0.0\noutputs: {json.dumps(outputs)}\nnodes:\n{nodes}")
    (root / "knowledge" / "concepts.yaml").write_text("concepts:\n" + textwrap.indent(textwrap.dedent(concepts), "  "))
    for name, text in files.items():
        (root / "rules" / name).write_text(text)
    return root


def zen_graph(nodes: list[dict[str, Any]]) -> str:
    """A JDM graph: an input node, then `nodes` chained in order."""
    chain = [{"id": "request", "type": "inputNode", "name": "request", "content": {}}, *nodes]
    edges = [{"id": f"e{i}", "sourceId": a["id"], "targetId": b["id"], "type": "edge"}
             for i, (a, b) in enumerate(zip(chain, chain[1:]))]
    return json.dumps({"nodes": chain, "edges": edges})


class Case:
    """One size of one family: the project, its requests, and Zen's graph where Zen can run it."""

    def __init__(self, family: str, label: str, size: int, project: Path, requests: pd.DataFrame,
                 outputs: list[str], graph: str | None = None,
                 zen_answer: Callable[[dict[str, Any]], Any] | None = None) -> None:
        self.family, self.label, self.size = family, label, size
        self.engine = CompositeEngine.from_path(project, store="memory")
        self.frame = requests
        self.rows = requests.to_dict("records")
        self.outputs = outputs
        self.zen = zen.ZenEngine().create_decision(graph) if graph and zen else None
        self.zen_engine = (zen.ZenEngine({"loader": {"type": "static", "content": {"g": json.loads(graph)}}})
                           if graph and zen else None)
        self.zen_answer = zen_answer  # Zen's result -> our outputs


def expression_case(tmp: Path, size: int, requests: int) -> Case:
    nodes = "".join(f"  - {{name: n{i:04d}, kind: expression, writes: {{v{i}: 'if {prev} > 100 then {prev} - y "
                    f"else {prev} + x'}}}}\n" for i, prev in ((i, f"v{i - 1}" if i else "x0") for i in range(size)))
    project = write_project(tmp / f"expr{size}", nodes, """
        x0: {type: integer, range: [0, 1000]}
        x: {type: integer, range: [0, 50]}
        y: {type: integer, range: [0, 50]}
        """, [f"v{size - 1}"], {})
    rng = np.random.default_rng(size)
    frame = pd.DataFrame({"x0": rng.integers(0, 200, requests), "x": rng.integers(1, 30, requests),
                          "y": rng.integers(1, 30, requests)})
    graph = zen_graph([{"id": f"n{i}", "type": "expressionNode", "name": f"n{i}", "content": {
        "expressions": [{"id": f"x{i}", "key": f"v{i}", "value": f"{prev} > 100 ? {prev} - y : {prev} + x"}],
        "passThrough": True, "inputField": None, "outputPath": None, "executionMode": "single"}}
        for i, prev in ((i, f"v{i - 1}" if i else "x0") for i in range(size))])
    last = f"v{size - 1}"
    return Case("expressions", "expression chain", size, project, frame, [last], graph,
                lambda result: {last: result[last]})


def table_case(tmp: Path, policy: str, size: int, requests: int) -> Case:
    project = write_project(tmp / f"{policy.lower()}{size}", "  - {name: t, kind: table, file: rules/t.csv}\n", f"""
        score: {{type: number, range: [0, {size + 10}]}}
        grade: {{type: category, values: {json.dumps(list(GRADES))}}}
        """, ["points"], {"t.csv": table_csv(policy, size)})
    scores, grades = probes(size, requests, seed=size)
    frame = pd.DataFrame({"score": scores, "grade": grades.astype(object)})
    rules = []
    for i in range(size):
        rules.append({"_id": f"r{i}", "i1": f"[{i}..{i + 3})" if policy == "COLLECT" else f"[{i}..{i + 1})",
                      "i2": "" if policy == "COLLECT" else f"'{GRADES[i % 4]}'", "o1": str(i % 7)})
    if policy == "FIRST":
        rules.append({"_id": "catch-all", "i1": "", "i2": "", "o1": "99"})
    graph = zen_graph([{"id": "t", "type": "decisionTableNode", "name": "t", "content": {
        "hitPolicy": "collect" if policy == "COLLECT" else "first", "rules": rules,
        "inputs": [{"id": "i1", "name": "score", "field": "score"}, {"id": "i2", "name": "grade", "field": "grade"}],
        "outputs": [{"id": "o1", "name": "points", "field": "points"}],
        "passThrough": False, "inputField": None, "outputPath": None, "executionMode": "single"}}])
    if policy == "COLLECT":
        answer = lambda result: {"points": [hit["points"] for hit in result]}  # noqa: E731
    else:
        answer = lambda result: {"points": result.get("points")}  # noqa: E731
    return Case("tables", f"table {policy}", size, project, frame, ["points"], graph, answer)


def rules_case(tmp: Path, size: int, requests: int) -> Case:
    project = write_project(tmp / f"rules{size}", "  - {name: policy, kind: rules, file: rules/scale.rules.yaml}\n", """
        score: {type: integer, range: [-1000, 10000]}
        income: {type: integer, range: [0, 1000000]}
        """, ["tier", "band", "flag"], {"scale.rules.yaml": rule_file(size)})
    rng = random.Random(1)
    frame = pd.DataFrame([{"score": rng.randint(-10, 1010), "income": rng.randint(0, 60000)} for _ in range(requests)])
    return Case("rules", "rule set", size, project, frame, ["tier", "band", "flag"])


def fuzzy_text(size: int) -> str:
    terms = "\n".join(f"      t{k}: [trimf, {max(0, k - 1)}, {k}, {min(9, k + 1)}]" for k in range(10))
    out_terms = "\n".join(f"      o{k}: [trimf, {max(0, 25 * (k - 1))}, {25 * k}, {min(100, 25 * (k + 1))}]"
                          for k in range(5))
    rng = random.Random(size)
    rules = []
    for i in range(size):
        a, b, c = rng.randrange(10), rng.randrange(10), rng.randrange(5)
        op = "and" if i % 3 else "or"
        rules.append(f"  - {{name: r{i}, if: 'x is t{a} {op} y is t{b}', then: 'out is o{c}'}}")
    variables = "".join(f"  {v}:\n    range: [0, 9]\n    resolution: 91\n    terms:\n{terms}\n" for v in ("x", "y"))
    return (f"fuzzy: scale{size}\ninputs:\n" + variables
            + f"outputs:\n  out:\n    range: [0, 100]\n    resolution: 101\n    terms:\n{out_terms}\n"
            + "    defuzzify: centroid\n    default: 50\n"
            + "operators: {and: min, or: max, implication: min, aggregation: max}\nrules:\n" + "\n".join(rules) + "\n")


def fuzzy_case(tmp: Path, size: int, requests: int) -> Case:
    project = write_project(tmp / f"fuzzy{size}", "  - {name: f, kind: fuzzy, file: rules/f.fuzzy.yaml}\n", """
        x: {type: number, range: [0, 9]}
        y: {type: number, range: [0, 9]}
        """, ["out"], {"f.fuzzy.yaml": fuzzy_text(size)})
    rng = np.random.default_rng(size)
    frame = pd.DataFrame({"x": rng.uniform(0, 9, requests).round(3), "y": rng.uniform(0, 9, requests).round(3)})
    return Case("fuzzy", "fuzzy rule base", size, project, frame, ["out"])


# Our least-work paths: trace="off" where the engine offers it, else record=False (which still
# builds every trace in decide and every node's evidence in decide_batch).
SINGLE = trace_free(CompositeEngine.decide) or {"record": False}
BATCH = trace_free(CompositeEngine.decide_batch) or {"record": False}
NO_TRACE_FREE = ("" if "trace" in SINGLE and "trace" in BATCH else
                 " [no trace-free path where trace= is absent: record=False still builds traces or evidence]")


def _kwargs(kwargs: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in kwargs.items())


# -- measuring -----------------------------------------------------------------------------------


def calibrated(fn: Callable[[int], Any], budget: float, most: int) -> int:
    """How many requests fn(n) takes to run for about `budget` seconds (after a warm-up call)."""
    fn(1)
    start = time.perf_counter()
    fn(3)
    each = max((time.perf_counter() - start) / 3, 1e-7)
    return int(max(5, min(most, budget / each)))


def same(a: Any, b: Any) -> bool:
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, (int, float, np.number)) and isinstance(b, (int, float, np.number)):
        return abs(float(a) - float(b)) <= 1e-9 * max(1.0, abs(float(a)))
    return a == b


def check(case: Case, rows: int) -> int:
    """Differences between ours (single and batch) and Zen's, on the first `rows` requests."""
    ours = [case.engine.decide(row, **SINGLE).outputs for row in case.rows[:rows]]
    batch = case.engine.decide_batch(case.frame.iloc[:rows], **BATCH)
    bad = sum(not same(o[k], b) for o, k_b in zip(ours, batch[case.outputs].to_dict("records"))
              for k, b in k_b.items())
    if case.zen is not None:
        for o, row in zip(ours, case.rows[:rows]):
            for result in (case.zen.evaluate(row)["result"], case.zen_engine.evaluate("g", row)["result"]):
                theirs = case.zen_answer(result)
                bad += sum(not same(o[k], theirs[k]) for k in case.outputs)
    return bad


def plan_for(case: Case, single_budget: float, batch_rows: int,
             rows_in_batch: int | None = None) -> dict[str, tuple[Callable[[], Any], int]]:
    """The timed runs of one case, each with the number of decisions it makes (calibrated; our
    batch: `rows_in_batch` rows when given)."""
    engine, rows, frame = case.engine, case.rows, case.frame.iloc[:batch_rows]
    plan: dict[str, tuple[Callable[[], Any], int]] = {}

    def single(k: int) -> Any:
        return [engine.decide(r, **SINGLE) for r in rows[:k]]

    def batch(k: int) -> Any:
        return engine.decide_batch(frame.iloc[:k], **BATCH)

    n = calibrated(single, single_budget, len(rows))
    plan["single"] = (lambda: single(n), n)
    m = rows_in_batch or max(min(100, batch_rows), calibrated(batch, 2 * single_budget, batch_rows))
    plan["batch"] = (lambda: batch(m), m)
    if case.zen_engine is not None:
        zen_engine = case.zen_engine
        reqs = [{"key": "g", "context": r} for r in rows]

        def zen_single(k: int) -> Any:
            return [zen_engine.evaluate("g", r) for r in rows[:k]]

        def zen_batch(k: int) -> Any:
            return zen_engine.evaluate_batch(reqs[:k])

        p = calibrated(zen_single, single_budget, len(rows))
        plan["zen_single"] = (lambda: zen_single(p), p)
        q = calibrated(zen_batch, single_budget, batch_rows)
        plan["zen_batch"] = (lambda: zen_batch(q), q)
    return plan


def measure_family(cases: list[Case], *, repeat: int, single_budget: float, batch_rows: int) -> list[dict[str, Any]]:
    # Our batches have a fixed cost per call: every size of a family decides batches of the same
    # length (what the largest size decides in about the time budget), so per-row costs compare.
    rows_in_batch = max(min(100, batch_rows), calibrated(
        lambda k: cases[-1].engine.decide_batch(cases[-1].frame.iloc[:k], **BATCH), 2 * single_budget,
        batch_rows))
    plans = [plan_for(case, single_budget, batch_rows, rows_in_batch) for case in cases]
    _progress(f"{cases[0].family}: calibrated {cases[0].label}")
    for plan in plans:  # one unrecorded round: every path warm
        for fn, _ in plan.values():
            fn()
    samples: list[dict[str, list[float]]] = [{name: [] for name in plan} for plan in plans]
    for _ in range(repeat):
        for plan, got in zip(plans, samples):
            for name, (fn, n) in plan.items():
                gc.collect()  # each run starts on a collected heap: no collection left over from the last
                start = time.perf_counter()
                fn()
                got[name].append((time.perf_counter() - start) / n)
    results = []
    for case, got, plan in zip(cases, samples, plans):
        stored = [len(dumps(decision_record(case.engine.decide(row)))) for row in case.rows[:20]]
        results.append({"case": case, "stored": statistics.mean(stored), "batch_rows": plan["batch"][1],
                        **{name: statistics.median(s) for name, s in got.items()},
                        **{f"{name}_best": min(s) for name, s in got.items()}})
    return results


def us(seconds: float) -> str:
    return f"{seconds * 1e6:,.1f}" if seconds >= 1e-5 else f"{seconds * 1e6:,.2f}"


def report(results: list[dict[str, Any]]) -> list[tuple[str, ...]]:
    base = results[0]
    lines = []
    for r in results:
        case = r["case"]
        grow = lambda key: f"{r[key] / base[key]:.1f}x" if key in r else "-"  # noqa: E731
        zen = lambda key: us(r[key]) if key in r else "-"  # noqa: E731
        vs = lambda ours, theirs: f"x{r[theirs] / r[ours]:.2f}" if theirs in r else "-"  # noqa: E731
        lines.append((case.label, f"{case.size:,}", us(r["single"]), grow("single"), zen("zen_single"),
                      grow("zen_single"), vs("single", "zen_single"), us(r["batch"]), f"{r['batch_rows']:,}",
                      grow("batch"), zen("zen_batch"),
                      grow("zen_batch"), vs("batch", "zen_batch"), f"{r['stored']:,.0f}",
                      f"{r['stored'] / base['stored']:.1f}x"))
    return lines


HEADER = ("family", "size", "single us", "growth", "zen us", "zen growth", "ours/zen", "batch us/row", "rows", "growth",
          "zen batch us/row", "zen growth", "ours/zen", "stored B", "growth")


# -- the default project's batch, one subprocess per size ------------------------------------------

CHILD = r"""
import gc, json, resource, sys, time
from pathlib import Path
import pandas as pd
sys.path.insert(0, sys.argv[1])
from composite import CompositeEngine

def rss_kb(field):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

size, record = int(sys.argv[2]), sys.argv[3] == "record"
engine = CompositeEngine.from_path(sys.argv[1], store="memory")
credit = pd.read_csv(Path(sys.argv[1]) / "data" / "german_credit.csv").drop(columns=["default"])
engine.decide_batch(credit.iloc[:200], record=record)
frame = credit.sample(size, replace=True, random_state=1).reset_index(drop=True)
engine = CompositeEngine.from_path(sys.argv[1], store="memory")  # an empty store
engine.decide_batch(credit.iloc[:50], record=False)
gc.collect()
try:
    Path("/proc/self/clear_refs").write_text("5")  # reset the resident high-water mark
    reset = True
except OSError:
    reset = False
before = rss_kb("VmRSS")
start = time.perf_counter()
out = engine.decide_batch(frame, record=record)
seconds = time.perf_counter() - start
peak = rss_kb("VmHWM")
print(json.dumps({"seconds": seconds, "before_kb": before, "peak_kb": peak, "reset": reset, "rows": len(out)}))
"""


def batch_sizes(smoke: bool, most: int, budget: float) -> tuple[list[dict[str, Any]], list[str]]:
    """Each size in each mode in its own subprocess, smallest first; a mode stops at the first size
    whose run, projected linearly from the previous size, would pass `budget` seconds or half the
    memory available now."""
    sizes = [1_000, 3_000] if smoke else [1_000, 10_000, 100_000, 1_000_000]
    results: list[dict[str, Any]] = []
    stopped: list[str] = []
    available = _available_kb()
    for mode in ("record=False", "record"):
        last: dict[str, Any] | None = None
        for size in sizes:
            if size > most:
                stopped.append(f"{mode}: stopped before {size:,} rows (above --max-batch {most:,})")
                break
            if last is not None:
                seconds = last["seconds"] * size / last["rows"]
                memory = (last["peak_kb"] - last["before_kb"]) * size / last["rows"]
                if seconds > budget:
                    stopped.append(f"{mode}: stopped before {size:,} rows: projected {seconds:,.0f} s, over the "
                                   f"{budget:,.0f} s budget (--batch-budget)")
                    break
                if available and memory > available / 2:
                    stopped.append(f"{mode}: stopped before {size:,} rows: projected peak growth "
                                   f"{memory / 2**20:,.1f} GiB, over half the memory available "
                                   f"({available / 2**20:,.1f} GiB)")
                    break
            proc = subprocess.run([sys.executable, "-c", CHILD, str(ROOT), str(size),
                                   "record" if mode == "record" else "norecord"],
                                  capture_output=True, text=True, check=False)
            if proc.returncode:
                raise SystemExit(f"batch of {size:,} rows ({mode}) failed:\n{proc.stderr[-2000:]}")
            last = json.loads(proc.stdout.strip().splitlines()[-1])
            results.append({"size": size, "mode": mode, **last})
    return results, stopped


def _available_kb() -> int:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def batch_report(results: list[dict[str, Any]]) -> list[tuple[str, ...]]:
    lines = []
    base = {r["mode"]: r for r in results if r["size"] == results[0]["size"]}
    for r in results:
        per_row = r["seconds"] / r["rows"]
        b = base[r["mode"]]
        growth_kb = (r["peak_kb"] - r["before_kb"]) * 1024 / r["rows"]
        label = ("decide_batch(record=False)" if r["mode"] == "record=False"
                 else "decide_batch, memory store, every decision stored")
        lines.append((label, f"{r['rows']:,}", f"{r['seconds']:.2f}", us(per_row),
                      f"{per_row / (b['seconds'] / b['rows']):.2f}x", f"{r['peak_kb'] / 1024:,.0f}",
                      f"{(r['peak_kb'] - r['before_kb']) / 1024:,.0f}", f"{growth_kb:,.0f}"))
    return lines


# -- main ------------------------------------------------------------------------------------------

FAMILIES = ("expressions", "tables", "rules", "fuzzy", "batch")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="small sizes, for CI (seconds)")
    parser.add_argument("--only", choices=FAMILIES, nargs="+", help="run these families only")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds")
    parser.add_argument("--max-batch", type=int, default=1_000_000, help="largest default-project batch to try")
    parser.add_argument("--batch-budget", type=float, default=150.0,
                        help="seconds one default-project batch may be projected to take")
    args = parser.parse_args()
    smoke = args.smoke
    families = args.only or FAMILIES
    repeat = 1 if smoke else args.rounds
    single_budget = 0.02 if smoke else 0.25
    requests = 200 if smoke else 2_000
    batch_rows = 200 if smoke else 2_000
    sizes = {
        "expressions": (10, 100) if smoke else (10, 100, 1_000),
        "tables": (10, 100) if smoke else (10, 100, 1_000, 10_000),
        "rules": (20, 200) if smoke else (20, 200, 2_000),
        "fuzzy": (9, 100) if smoke else (9, 100, 1_000),
    }
    print(f"One run, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at the start; "
          f"zen-engine {'absent' if zen is None else package_version('zen-engine')}. Costs are medians over {repeat} "
          "interleaved rounds; growth is against the smallest size of the same family in this run; ours/zen "
          f"is the speed ratio (above 1: we are faster). Ours: decide(row, {_kwargs(SINGLE)}) and "
          f"decide_batch(frame, {_kwargs(BATCH)}){NO_TRACE_FREE}; Zen: ZenEngine.evaluate(key) (its faster "
          "single path) and ZenEngine.evaluate_batch, trace off. stored B: the JSON record of one stored decision "
          "(decide with the memory store).\n")
    mismatches = 0
    tmp = Path(tempfile.mkdtemp(prefix="composite-scaling-"))
    for family in families:
        if family == "batch":
            continue
        groups: list[list[Case]] = []
        if family == "expressions":
            groups = [[expression_case(tmp, n, requests) for n in sizes[family]]]
        elif family == "tables":
            groups = [[table_case(tmp, policy, n, requests) for n in sizes[family]]
                      for policy in ("UNIQUE", "FIRST", "COLLECT")]
        elif family == "rules":
            groups = [[rules_case(tmp, n, requests) for n in sizes[family]]]
        elif family == "fuzzy":
            groups = [[fuzzy_case(tmp, n, requests) for n in sizes[family]]]
        lines = []
        _progress(f"{family}: built {sum(map(len, groups))} projects")
        for cases in groups:
            for case in cases:
                mismatches += check(case, 50 if smoke else (100 if case.size < 1_000 else 20))
                _progress(f"{family}: checked {case.label} {case.size:,}")
            lines += report(measure_family(cases, repeat=repeat, single_budget=single_budget, batch_rows=batch_rows))
            del cases
            gc.collect()
        print(f"== {family}")
        print(table(lines, HEADER))
        print()
    if "batch" in families:
        results, stopped = batch_sizes(smoke, args.max_batch, args.batch_budget)
        print("== batch: the default project (repository root), one subprocess per size and mode; peak is the "
              "process's resident high-water mark during decide_batch, growth = peak - resident before it")
        print(table(batch_report(results), ("path", "rows", "seconds", "us/row", "growth", "peak MiB",
                                            "peak growth MiB", "bytes/row")))
        if not all(r["reset"] for r in results):
            print("(the high-water mark could not be reset: peaks include loading)")
        for line in stopped:
            print(line)
        print()
    if mismatches:
        print(f"WARNING: {mismatches} output(s) differ between ours (single, batch) and Zen's")
        return 1
    print("outputs equal: ours single = ours batch = Zen's (where Zen runs) on the checked requests")
    return 0


_STARTED = time.perf_counter()


def _progress(message: str) -> None:
    print(f"[{time.perf_counter() - _STARTED:6.1f} s] {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
