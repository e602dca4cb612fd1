"""The lifecycle of a decision project on the default project: decide, learn the outcomes, notice a
shifted population, retrain from the store, see what the candidate changes.

Works on a temporary copy of the default project and a temporary SQLite store; the repository is only
read. Run: `.venv/bin/python examples/credit_lifecycle/run.py` (or `make lifecycle`); see README.md.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import pandas as pd

REPOSITORY = Path(__file__).resolve().parents[2]
# The default project's folders (composite.yaml at the repository root is the project).
PROJECT_ENTRIES = ("composite.yaml", "knowledge", "rules", "models", "data", "scenarios")
# The last rows of the data file are kept for the shadow window, so that compare judges the candidate on
# applicants it did not learn from (the running model learned from all of them: a bias for the champion).
HELD_OUT = 300


@dataclass
class Step:
    """One command of the demo: what was run, its exit code and what it printed."""

    command: list[str]
    exit_code: int
    output: str


@dataclass
class Lifecycle:
    """What the demo did: the windows' boundaries and every step."""

    workdir: Path
    store: str
    started: str
    shifted_at: str
    challenged_at: str | None = None
    steps: dict[str, Step] = field(default_factory=dict)


def copy_default_project(target: Path) -> Path:
    target.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", ".composite")
    for entry in PROJECT_ENTRIES:
        source = REPOSITORY / entry
        if source.is_dir():
            shutil.copytree(source, target / entry, ignore=ignore)
        else:
            shutil.copy2(source, target / entry)
    return target


def applications(rows: int, *, seed: int, under_30: bool = False, held_out: bool = False) -> pd.DataFrame:
    """`rows` applications drawn with replacement (seeded) from data/german_credit.csv, with `default`: from
    its first rows, or with `held_out` from its last HELD_OUT rows, which the store never trains on."""
    data = pd.read_csv(REPOSITORY / "data" / "german_credit.csv")
    data = data.iloc[len(data) - HELD_OUT:] if held_out else data.iloc[:len(data) - HELD_OUT]
    if under_30:
        data = data[data["age"] < 30]
    return data.sample(n=rows, replace=True, random_state=seed).reset_index(drop=True)


def decide_and_learn(project: Path, store: str, frame: pd.DataFrame, challengers: list[Path] | None = None) -> int:
    """Decide every application (stored; decided by `challengers` in the shadow too), then record what
    happened to each: its `default`."""
    from composite import CompositeEngine

    shadows = {"challengers": challengers} if challengers else {}
    with CompositeEngine.from_path(project, store=store, **shadows) as engine:
        decided = engine.decide_batch(frame.drop(columns=["default"]))
        for decision_id, outcome in zip(decided["decision_id"], frame["default"]):
            engine.record_outcome(decision_id, int(outcome))
    return len(decided)


def composite(args: list[str], cwd: Path) -> Step:
    """Run the `composite` command as a user would; the output as printed (standard error after)."""
    done = subprocess.run([sys.executable, "-m", "composite", *args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(REPOSITORY)})
    output = done.stdout + (("\n" if done.stdout and not done.stdout.endswith("\n") else "") + done.stderr
                            if done.stderr else "")
    return Step(["composite", *args], done.returncode, output.rstrip("\n"))


def has_command(name: str, cwd: Path) -> bool:
    """Whether `composite --help` lists the command (its usage line: {decide,explain,...})."""
    import re

    usage = re.search(r"\{([a-z,_-]+)\}", composite(["--help"], cwd).output)
    return bool(usage) and name in usage.group(1).split(",")


def run(workdir: Path, *, rows: int = 2000, shifted: int = 1000, shadowed: int = 500, seed: int = 7,
        echo: Callable[[str], None] = print) -> Lifecycle:
    """The whole lifecycle in `workdir` (a new or empty folder); every step is echoed as it is run."""
    project = copy_default_project(workdir / "project")
    store = f"sqlite:///{(workdir / 'decisions.db').as_posix()}"
    window = ["--project", "project", "--store", store]
    started = datetime.now(timezone.utc).isoformat()

    def show(title: str, step: Step) -> Step:
        echo(f"\n## {title}\n$ {shlex.join(step.command)}\n{step.output}\n(exit {step.exit_code})")
        return step

    echo(f"# The lifecycle, in {workdir}: a copy of the default project, store {store}")
    t0 = time.perf_counter()
    count = decide_and_learn(project, store, applications(rows, seed=seed))
    echo(f"\n## 1. Decide and learn\ndecided {count} applications drawn from the first {1000 - HELD_OUT} rows of "
         f"data/german_credit.csv (seed {seed}) "
         f"and recorded each one's outcome (its `default`) with engine.record_outcome "
         f"({time.perf_counter() - t0:.1f} s)")
    time.sleep(0.01)  # the shifted window starts strictly after the first
    shifted_at = datetime.now(timezone.utc).isoformat()
    count = decide_and_learn(project, store, applications(shifted, seed=seed + 1, under_30=True))
    echo(f"\n## 2. The population shifts\nfrom {shifted_at} on only applicants under 30 apply: decided {count} more "
         "and recorded their outcomes")
    life = Lifecycle(workdir, store, started, shifted_at)
    reference = f"{started}..{shifted_at}"
    life.steps["monitor"] = show("3. Notice: the shifted window against the first one", composite(
        ["monitor", *window, "--since", shifted_at, "--reference", reference], workdir))
    life.steps["train"] = show("4. Retrain from the store: a candidate project version", composite(
        ["train", *window, "--from-store", "--candidate", "candidate", "--quiet"], workdir))
    life.steps["whatif"] = show("5. What the candidate changes on the shifted window", composite(
        ["whatif", "--candidate", "candidate", *window, "--since", shifted_at, "--examples", "2"], workdir))
    if has_command("compare", workdir):
        time.sleep(0.01)
        life.challenged_at = datetime.now(timezone.utc).isoformat()
        count = decide_and_learn(project, store, applications(shadowed, seed=seed + 2, under_30=True, held_out=True),
                                 challengers=[workdir / "candidate"])
        echo(f"\n## 6. The candidate in the shadow\nfrom {life.challenged_at} on the candidate decides every "
             f"request in the champion's shadow (engine challengers=[candidate]): {count} more applicants under 30, "
             f"drawn from the last {HELD_OUT} rows of the data file (never in the store before), decided by both, "
             "answered by the champion, with their outcomes")
        life.steps["compare"] = show("7. Compare champion and candidate on the same requests", composite(
            ["compare", *window, "--since", life.challenged_at], workdir))
    else:
        echo("\n## 6. Compare champion and candidate\n`composite compare` is not in this version of composite "
             "(`composite --help`): skipped")
    return life


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2000, help="applications decided first (default: 2000)")
    parser.add_argument("--shifted", type=int, default=1000,
                        help="applications of the shifted population, under 30 (default: 1000)")
    parser.add_argument("--shadowed", type=int, default=500,
                        help="applications under 30 decided with the candidate as a challenger (default: 500)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", default=None, metavar="DIR",
                        help="work in DIR (new) and keep it, instead of a temporary folder")
    args = parser.parse_args(argv)
    if args.keep:
        run(Path(args.keep), rows=args.rows, shifted=args.shifted, shadowed=args.shadowed, seed=args.seed)
        return 0
    with tempfile.TemporaryDirectory(prefix="composite-lifecycle-") as folder:
        run(Path(folder), rows=args.rows, shifted=args.shifted, shadowed=args.shadowed, seed=args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
