"""Retraining from the store: the stored decisions that have outcomes become a training data file of a
candidate project version, a copy of the running project that `composite train` then trains.

`store_training_frame` reads the rows (stored inputs plus the outcome as each model's target);
`write_candidate` copies the project, bumps its version and writes the data file with its README.
The running project is only read. `composite train --from-store` (composite/cli/train.py) joins them.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from composite.errors import CompositeError, ProjectError

if TYPE_CHECKING:
    import pandas as pd

    from composite.ml.spec import ModelSpec
    from composite.project import Project
    from composite.store import DecisionStore

__all__ = ["MIN_OUTCOMES", "STORE_DATA_FILE", "StoreTrainingData", "TooFewOutcomes", "needed_inputs", "project_entries",
           "store_training_frame", "write_candidate"]

# Below this many decisions with outcomes, cross-validation says little and a candidate would be noise.
MIN_OUTCOMES = 50
STORE_DATA_FILE = "data/from_store.csv"


class TooFewOutcomes(CompositeError):
    """The store does not hold enough decisions with outcomes (or only one outcome class) to train on."""


@dataclass(frozen=True)
class StoreTrainingData:
    """The rows read from a store, and what they came from (for the data file's README)."""

    frame: "pd.DataFrame"
    store_url: str
    since: str | None
    until: str | None
    with_outcomes: int  # decisions in the window that have an outcome
    skipped: int  # of those, decisions lacking an input the models need (another project version)
    first: str | None  # created_at of the first and last row used
    last: str | None
    versions: tuple[str, ...]  # project versions that made the rows


def needed_inputs(project: "Project", specs: Sequence["ModelSpec"]) -> list[str]:
    """The project inputs the models' training rows are made from: their features and their upstream
    nodes' inputs (as `composite.ml.train.training_data` computes them), then the chain's other inputs
    (the training domain)."""
    from composite.ml.train import chain_inputs, upstream_nodes

    writer = project.graph.writer
    names: list[str] = []
    for spec in specs:
        for name in [n for node in upstream_nodes(project, spec) for n in node.reads] + list(spec.features):
            if name not in writer and name not in names:
                names.append(name)
    return names + [name for name in chain_inputs(project) if name not in names]


def store_training_frame(store: "DecisionStore", project: "Project", specs: Sequence["ModelSpec"], *,
                         since: str | None = None, until: str | None = None,
                         minimum: int = MIN_OUTCOMES) -> StoreTrainingData:
    """The decisions of the window that have an outcome, as rows: the stored inputs the models need and
    the outcome under each model's target name. Decisions of any project version count as long as
    they hold those inputs. TooFewOutcomes below `minimum` rows or with a single outcome class."""
    import pandas as pd

    needed = needed_inputs(project, specs)
    targets = list(dict.fromkeys(spec.target for spec in specs))
    outcomes = store.outcomes()
    rows: list[dict[str, Any]] = []
    times: list[str] = []
    versions: dict[str, None] = {}
    with_outcomes = skipped = 0
    for decision in store.select(since=since, until=until):
        outcome = outcomes.get(decision.id)
        if outcome is None:
            continue
        with_outcomes += 1
        if any(name not in decision.inputs for name in needed):
            skipped += 1
            continue
        row = {name: decision.inputs.get(name) for name in needed}
        row.update({target: outcome.value for target in targets})
        rows.append(row)
        times.append(decision.created_at.isoformat())
        versions[decision.project_version] = None
    window = _window(since, until)
    if len(rows) < minimum:
        lacking = f" ({skipped} lack inputs the models need)" if skipped else ""
        raise TooFewOutcomes(f"too few decisions with outcomes to train on: {len(rows)} in {store.url}{window}"
                             f"{lacking}, at least {minimum} needed; record outcomes with `composite outcome ID VALUE`",
                             code="too_few_outcomes")
    frame = pd.DataFrame(rows, columns=[*needed, *targets])
    classes = sorted({str(v) for v in frame[targets[0]]})
    if len(classes) < 2:
        raise TooFewOutcomes(f"every one of the {len(rows)} decisions with outcomes in {store.url}{window} has the "
                             f"outcome {classes[0]}: a model cannot learn from one class", code="one_outcome_class")
    return StoreTrainingData(frame, store.url, since, until, with_outcomes, skipped, min(times), max(times),
                             tuple(versions))


def _window(since: str | None, until: str | None) -> str:
    if since and until:
        return f" from {since} until {until}"
    if since:
        return f" since {since}"
    return f" until {until}" if until else ""


def project_entries(project: "Project", specs: Sequence["ModelSpec"]) -> list[str]:
    """The top-level files and folders that make up a project: composite.yaml, the folders of the files
    it loads (knowledge/, rules/, models/ ...), of its models' data files, and scenarios/."""
    entries = {"composite.yaml"}
    for path in [*project.sources, *(spec.data for spec in specs if spec.data)]:
        parts = Path(path).parts
        if len(parts) > 1:
            entries.add(parts[0])
    if (project.root / "scenarios").is_dir():
        entries.add("scenarios")
    return sorted(entries)


def write_candidate(root: Path, candidate: Path, project: "Project", specs: Sequence["ModelSpec"],
                    data: StoreTrainingData) -> tuple[str, str]:
    """Copy the project at `root` to `candidate` (which must not exist or be empty), bump its version
    with a `+store.<rows>` suffix and write the data file and its README. Returns (old, new version)."""
    if candidate.exists() and (not candidate.is_dir() or any(candidate.iterdir())):
        raise ProjectError(f"--candidate: '{candidate}' already exists and is not empty; name a new folder",
                           code="candidate_exists", file=str(candidate))
    entries = project_entries(project, specs)
    resolved = candidate.resolve()
    for entry in entries:
        if resolved == (root / entry).resolve() or (root / entry).resolve() in resolved.parents:
            raise ProjectError(f"--candidate: '{candidate}' lies inside the project's {entry}; "
                               "name a folder outside it",
                               code="candidate_inside", file=str(candidate))
    candidate.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns("__pycache__", ".composite", "*.pyc")
    for entry in entries:
        source = root / entry
        if source.is_dir():
            shutil.copytree(source, candidate / entry, ignore=ignore)
        elif source.is_file():
            shutil.copy2(source, candidate / entry)
    old = str(project.version)
    new = f"{old.split('+')[0]}+store.{len(data.frame)}"
    config = candidate / "composite.yaml"
    text = config.read_text(encoding="utf-8")
    text, replaced = re.subn(r"(?m)^version:[^\n#]*", f"version: '{new}'", text, count=1)
    if not replaced:
        text = f"version: '{new}'\n" + text
    config.write_text(text, encoding="utf-8")
    path = candidate / STORE_DATA_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    data.frame.to_csv(path, index=False)
    (path.parent / "from_store.README.md").write_text(_readme(data, old, new, root), encoding="utf-8")
    return old, new


def _readme(data: StoreTrainingData, old: str, new: str, root: Path) -> str:
    frame = data.frame
    target = frame.columns[-1]
    counts = frame[target].astype(str).value_counts().sort_index()
    classes = ", ".join(f"{count} with {target} = {value}" for value, count in counts.items())
    window = _window(data.since, data.until).strip() or "all stored decisions"
    skipped = (f" {data.skipped} more had outcomes but lacked inputs the models need (another project version) "
               "and were left out.") if data.skipped else ""
    return (f"# {Path(STORE_DATA_FILE).name}: training data from the decision store\n\n"
            f"Written by `composite train --from-store` on {datetime.now(timezone.utc).isoformat(timespec='seconds')}"
            f" for the candidate project version {new} (a copy of {root.resolve()} at version {old}).\n\n"
            f"- store: {data.store_url}\n"
            f"- window: {window} (decisions made from {data.first} to {data.last})\n"
            f"- rows: {len(frame)} stored decisions with a recorded outcome ({classes}).{skipped}\n"
            f"- made by project version(s): {', '.join(data.versions)}\n\n"
            f"Each row is one decision's stored inputs (the ones the models and their upstream nodes read) and, as "
            f"`{target}`, the outcome recorded for it afterwards (`composite outcome` / `engine.record_outcome`): "
            "what happened, not what was decided. The models and blends of this candidate were trained on it "
            f"(`composite train --data {STORE_DATA_FILE}`); their artifacts and cards record this file and its hash.\n")
