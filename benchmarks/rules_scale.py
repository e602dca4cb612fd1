"""Rule sets of 20, 200 and 2,000 rules with overlapping thresholds: decisions per second.

Run by hand: `python benchmarks/rules_scale.py`; CI smoke-runs it with --smoke (a few rows).
The 200- and 2,000-rule sets do not fit in one durable-rules ruleset (at most 64 tests may match
one fact at once, among other limits: docs/limits.md), so the engine cuts them into chunks and
posts each decision to every chunk; the 20-rule set, one ruleset, is the baseline of the same
run. Every outcome is checked against a plain-Python evaluation of the same rules first.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks._common import table  # noqa: E402
from composite.rules import load_ruleset  # noqa: E402
from composite.rules.compile import holds  # noqa: E402
from composite.rules.durable import RuleEngine  # noqa: E402


def rule_file(count: int) -> str:
    """`score >= k` thresholds (the highest reached wins), income bands, a chained flag."""
    rng = random.Random(count)
    lines = ["ruleset: scale", "defaults: {tier: 0, band: none, flag: none}", "rules:"]
    step = max(1, 1000 // count)
    for i in range(count):
        if i % 3 < 2:
            lines.append(f"  - {{name: t{i}, when: 'score >= {i * step}', then: {{tier: {i}}}, priority: {i}}}")
        else:
            lines.append(f"  - {{name: b{i}, when: 'income > {rng.randint(0, 50000)} and tier >= {rng.randint(0, count)}',"
                         f" then: {{band: b{i % 7}}}, priority: {rng.randint(0, 9)}}}")
    lines.append("  - {name: flag, when: 'band == \"b3\"', then: {flag: look}}")
    return "\n".join(lines) + "\n"


def plain_python(rs, row: dict) -> dict:
    written: dict = {}
    writer: dict = {}
    done: set = set()
    order = sorted(rs.rules, key=lambda r: (-r.priority, r.index))
    while True:
        view = {**row, **written}
        ready = [r for r in order if r.index not in done and holds(r.condition, view)]
        rewrote = False
        for rule in ready:
            done.add(rule.index)
            for name, value in rule.then.items():
                if name in writer and (written[name] == value or not rule.priority > writer[name].priority):
                    continue
                written[name], writer[name] = value, rule
                rewrote = rewrote or name in rs.chained
            if rewrote:
                break
        if not rewrote:
            return {n: written.get(n, rs.defaults.get(n)) for n in rs.writes}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--smoke", action="store_true", help="a few rows: check it runs, not how fast")
    parser.add_argument("--rows", type=int, default=2000)
    args = parser.parse_args()
    rows_count = 30 if args.smoke else args.rows
    rng = random.Random(1)
    rows = [{"score": rng.randint(-10, 1010), "income": rng.randint(0, 60000)} for _ in range(rows_count)]
    out = []
    base = None
    for count in (20, 200, 2000):
        started = time.perf_counter()
        rs = load_ruleset(rule_file(count), file=f"scale{count}.rules.yaml")
        engine = RuleEngine(rs)
        loaded = time.perf_counter() - started
        for row in rows[:20]:
            assert engine.decide(row).values == plain_python(rs, row), (count, row)
        started = time.perf_counter()
        engine.decide_many(rows)
        rate = len(rows) / (time.perf_counter() - started)
        base = base or rate
        out.append((f"{count:,} rules", str(engine.chunk_count), f"{loaded:.2f} s", f"{rate:,.0f}",
                    f"{rate / base:.3f}"))
    print(f"overlapping thresholds, {len(rows):,} random decisions (decide_many), one thread")
    print(table(out, ("rule set", "durable rulesets", "load", "decisions/s", "vs 20 rules")))


if __name__ == "__main__":
    main()
