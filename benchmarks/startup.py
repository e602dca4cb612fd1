"""Start-up as whole processes: how long a `composite` command takes from exec to exit.

Each command runs in a fresh subprocess (best of N, wall and CPU = user + sys), next to
`python -c pass` in the same run as the baseline, on the default project with a temporary SQLite
store (COMPOSITE_STORE_URL). Targets (issue 10 item 4): `composite explain ID` and
`composite history` <= 0.6 s, `composite decide` <= 1.5 s. The rows "in an empty folder" run
`composite explain ID --store URL` (a 12-digit prefix of the id) and `composite history --store URL`
with an empty temporary folder as the current one (issue 13: the store alone, no project folder).

Two settings of Python's bytecode cache, because it decides much of a start:
  cached     compiled modules kept (in a temporary PYTHONPYCACHEPREFIX, warmed by one run first),
             as an installed package runs;
  uncached   PYTHONDONTWRITEBYTECODE=1 and no prefix: composite's own modules are compiled from
             source at every start (as in a checkout where writing __pycache__ is turned off).

    python benchmarks/startup.py              # both settings, best of 5
    python benchmarks/startup.py --smoke      # cached only, best of 1: seconds
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import table  # noqa: E402

EXPLAIN_ALONE = "composite explain ID --store URL, in an empty folder"
HISTORY_ALONE = "composite history --store URL, in an empty folder"
TARGETS = {"composite history": 0.6, "composite explain ID": 0.6, "composite decide": 1.5,
           EXPLAIN_ALONE: 0.6, HISTORY_ALONE: 0.6}


def run(argv: list[str], env: dict[str, str], cwd: Path = ROOT) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds of the child, stdout) of one whole process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}):\n{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.stdout


def environment(work: Path, cached: bool) -> dict[str, str]:
    env = dict(os.environ)
    env["COMPOSITE_STORE_URL"] = f"sqlite:///{(work / 'decisions.db').as_posix()}"
    env.pop("PYTHONPYCACHEPREFIX", None)
    if cached:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")  # the checkout's own __pycache__ stays untouched
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def measure(cached: bool, repeat: int) -> list[tuple[str, float, float]]:
    python = sys.executable
    with tempfile.TemporaryDirectory(prefix="composite-startup-") as tmp:
        env = environment(Path(tmp), cached)
        sample = str(ROOT / "data" / "sample_application.json")
        # One decision to explain (and, when cached, a first run of everything that compiles it all).
        decided = run([python, "-m", "composite", "decide", "--input", sample, "--json"], env)[2]
        decision_id = json.loads(decided)["id"]
        store = env["COMPOSITE_STORE_URL"]
        empty = Path(tmp) / "empty"
        empty.mkdir()
        commands = [
            ("python -c pass", [python, "-c", "pass"]),
            ("python -c 'import composite'", [python, "-c", "import composite"]),
            ("composite history", [python, "-m", "composite", "history"]),
            ("composite explain ID", [python, "-m", "composite", "explain", decision_id]),
            (EXPLAIN_ALONE, [python, "-m", "composite", "explain", decision_id[:12], "--store", store]),
            (HISTORY_ALONE, [python, "-m", "composite", "history", "--store", store]),
            ("composite decide", [python, "-m", "composite", "decide", "--input", sample]),
            ("CompositeEngine.from_path('.')",
             [python, "-c", "from composite import CompositeEngine; CompositeEngine.from_path('.')"]),
        ]
        where = {EXPLAIN_ALONE: empty, HISTORY_ALONE: empty}
        if cached:
            for name, argv in commands:
                run(argv, env, where.get(name, ROOT))
        best: dict[str, list[float]] = {name: [float("inf"), float("inf")] for name, _ in commands}
        shown: dict[str, str] = {}
        for _ in range(repeat):  # interleaved rounds: a busy moment hits every command alike
            for name, argv in commands:
                wall, cpu, out = run(argv, env, where.get(name, ROOT))
                if name in where and decision_id not in out:
                    raise SystemExit(f"{name} did not show decision {decision_id}:\n{out}")
                shown[name] = out
                best[name][0] = min(best[name][0], wall)
                best[name][1] = min(best[name][1], cpu)
        # The two explain rows are paired as the same work: both derive the evidence from the stored
        # project version, so they must print the same explanation.
        if shown["composite explain ID"] != shown[EXPLAIN_ALONE]:
            raise SystemExit(f"{EXPLAIN_ALONE} printed another explanation than composite explain ID")
        if any(empty.iterdir()):  # reading the store alone writes nothing where it runs
            raise SystemExit(f"the empty folder is not empty after the runs: {sorted(empty.iterdir())}")
    return [(name, wall, cpu) for name, (wall, cpu) in best.items()]


def report(rows: list[tuple[str, float, float]], title: str) -> str:
    base_wall, base_cpu = rows[0][1], rows[0][2]
    lines = []
    for name, wall, cpu in rows:
        target = TARGETS.get(name)
        verdict = "" if target is None else f"<= {target} s: {'met' if wall <= target else 'NOT met'}"
        lines.append((name, f"{wall:.3f}", f"{wall / base_wall:.1f}x", f"{cpu:.3f}",
                      f"{cpu / base_cpu:.1f}x" if base_cpu > 0 else "n/a", verdict))
    return f"{title}\n" + table(lines, ("process", "wall s", "/ pass", "cpu s", "/ pass", "target (wall)"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="cached only, best of 1 (seconds)")
    parser.add_argument("--repeat", type=int, default=5, help="rounds; the best of each is shown (default 5)")
    args = parser.parse_args(argv)
    repeat = 1 if args.smoke else max(1, args.repeat)
    settings = [True] if args.smoke else [True, False]
    print(f"whole processes, best of {repeat}, default project ({ROOT}), Python {sys.version.split()[0]}, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    for cached in settings:
        rows = measure(cached, repeat)
        print()
        print(report(rows, "bytecode cached" if cached else "no bytecode cache (PYTHONDONTWRITEBYTECODE=1)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
