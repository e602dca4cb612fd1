"""`composite train [--project DIR] [MODEL]`: train a project's models and blends, show progress,
write artifacts.

Models train first (a model reading another's output after it), then the blends that join an
expert score with a model's probability (`composite.ml.blend`), each after the model it weighs.
Progress goes to standard error, one line per fold; the metrics table and the files written go
to standard output.

`--data FILE` trains the same model and blend files on another data file of the project (a subset,
a newer extract): the model file is unchanged, so the project still loads what was trained; the
artifacts and cards record FILE and its hash, and `--check` compares against FILE.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Sequence

import click

from composite.cli._common import command
from composite.errors import CompositeError, ProjectError

__all__ = ["blend_files", "main", "model_files", "train"]


@command("train", "Cross-validate, calibrate where the data allows, fit and save each model with its card; "
                  "then estimate each blend's weight on its model's out-of-fold probabilities.\n\n"
                  "MODEL: a model's or blend's name, its file, or the node that uses it (default: all); "
                  "a model's blends are trained again after it.")
@click.argument("model", required=False, default=None)
@click.option("--project", default=".", metavar="PROJECT", help="decision project folder (default: .)")
@click.option("--quiet", is_flag=True, help="no progress lines on standard error")
@click.option("--data", default=None, metavar="FILE",
              help="train on FILE (CSV or JSON records, inside the project folder; relative to it or to the "
                   "current folder) instead of the data file the model file names; the artifacts and cards "
                   "record FILE and its hash, and --check then compares against FILE")
@click.option("--from-store", is_flag=True,
              help="train on the stored decisions that have outcomes (their inputs, the outcome as the target), "
                   "in a candidate project version written to --candidate DIR; the project is not changed")
@click.option("--store", default=None, metavar="URL",
              help="with --from-store: the store (default: $COMPOSITE_STORE_URL or <project>/.composite/decisions.db)")
@click.option("--since", default=None, metavar="T",
              help="with --from-store: decisions made at or after T (ISO 8601; UTC if no zone)")
@click.option("--until", default=None, metavar="T", help="with --from-store: decisions made before T")
@click.option("--candidate", default=None, metavar="DIR",
              help="with --from-store: the new folder the candidate project version is written to")
@click.option("--check", is_flag=True,
              help="train nothing: say which models and blends are stale (their file, knowledge/, data, "
                   "upstream nodes or, for a blend, its model changed since training); exit 1 if any is")
@click.option("--json", "as_json", is_flag=True,
              help="with --check: one JSON object, the count of stale ones and each model and blend with its "
                   "reasons")
def train(model: str | None, project: str, quiet: bool, data: str | None, from_store: bool, store: str | None,
          since: str | None, until: str | None, candidate: str | None, check: bool, as_json: bool) -> int:
    root = Path(project)
    if not (root / "composite.yaml").is_file():
        raise ProjectError(f"'{root}' is not a decision project: it has no composite.yaml", code="not_a_project",
                           file=str(root / "composite.yaml"))
    if from_store or candidate:
        return _train_from_store(root, model, quiet=quiet, data=data, from_store=from_store, store=store,
                                 since=since, until=until, candidate=candidate, check=check)
    if as_json and not check:
        raise click.UsageError("--json goes with --check (training itself reports in text)")
    return _train(root, model, quiet=quiet, data=data, check=check, as_json=as_json)


def model_files(root: Path) -> dict[str, str | None]:
    """Every model file of a project (relative path -> the node that uses it, if any): models/*.model.yaml
    and the files of `model` nodes in composite.yaml."""
    return _node_files(root, "model")


def blend_files(root: Path) -> dict[str, str | None]:
    """Every blend file of a project (relative path -> the node that uses it, if any): models/*.blend.yaml
    and the files of `blend` nodes in composite.yaml."""
    return _node_files(root, "blend")


def _node_files(root: Path, kind: str) -> dict[str, str | None]:
    from composite._yaml import load_yaml

    found: dict[str, str | None] = {}
    for path in sorted((root / "models").glob(f"*.{kind}.y*ml")):
        found[path.relative_to(root).as_posix()] = None
    project_file = root / "composite.yaml"
    document = load_yaml(project_file.read_bytes(), file="composite.yaml") if project_file.is_file() else None
    nodes = document.get("nodes") if isinstance(document, dict) else None
    for node in nodes if isinstance(nodes, list) else []:
        if isinstance(node, dict) and node.get("kind") == kind and isinstance(node.get("file"), str):
            found[node["file"]] = str(node.get("name"))
    return found


def _matches(root: Path, wanted: str, spec: Any, node: str | None) -> bool:
    normalised = Path(wanted).as_posix()
    return wanted in (spec.name, node) or normalised in (spec.file, (root / spec.file).as_posix())


def _selected(root: Path, wanted: str | None) -> tuple[list[Any], list[Any]]:
    """(model specs in training order, blend specs): everything, or what `wanted` names; a model's
    blends come with it, since a retrained model makes the weight they earned stale."""
    from composite.ml.blend import read_blend_spec
    from composite.ml.spec import read_model_spec

    models = [(read_model_spec(root, file), node) for file, node in model_files(root).items()]
    blends = [(read_blend_spec(root, file), node) for file, node in blend_files(root).items()]
    if wanted is not None:
        picked_models = [spec for spec, node in models if _matches(root, wanted, spec, node)]
        outputs = {spec.output for spec in picked_models}
        picked_blends = [spec for spec, node in blends if _matches(root, wanted, spec, node) or spec.model in outputs]
        if not picked_models and not picked_blends:
            known = ", ".join(sorted(spec.name for spec, _ in models + blends)) or "none"
            raise ProjectError(f"no model '{wanted}' in {root}; models: {known}", code="model_unknown")
        models = [(spec, None) for spec in picked_models]
        blends = [(spec, None) for spec in picked_blends]
    # a model reading another model's output trains after it
    ordered: list[Any] = []
    pending = [spec for spec, _ in models]
    while pending:
        outputs = {name for spec in pending for name in spec.writes}
        ready = [spec for spec in pending if not (set(spec.features) & (outputs - set(spec.writes)))] or pending[:1]
        ordered.extend(ready)
        pending = [spec for spec in pending if spec not in ready]
    return ordered, [spec for spec, _ in blends]


def _train(root: Path, model: str | None, *, quiet: bool, data: str | None, check: bool, as_json: bool = False) -> int:
    from composite.ml.artifact import metrics_table, save_model
    from composite.ml.train import load_training_project, train_model, training_data

    specs, blends = _selected(root, model)
    if not specs and not blends:
        print(f"no models in {root}: add models/<name>.model.yaml (see models/README.md)")
        return 1
    data_file = _data_override(root, data) if data else None

    if check:
        from composite.ml.blend import blend_staleness
        from composite.ml.train import staleness

        project = load_training_project(root)
        found: list[dict[str, Any]] = []
        for spec in specs:
            reasons = _other_data(root, spec.artifact_file, spec.data, staleness(project, spec))
            found.append({"name": spec.name, "kind": "model", "file": spec.file, "reasons": reasons})
        for blend_spec in blends:
            model_data = next((m.data for m in specs if m.output == blend_spec.model), None)
            reasons = blend_staleness(project, blend_spec)
            if model_data is None:
                model_data = _model_data(root, blend_spec)
            if model_data is not None:
                reasons = _other_data(root, blend_spec.artifact_file, model_data, reasons)
            found.append({"name": blend_spec.name, "kind": "blend", "file": blend_spec.file, "reasons": reasons})
        stale = sum(bool(item["reasons"]) for item in found)
        if as_json:
            from composite.cli._output import print_json

            print_json({"stale": stale, "models": [{**item, "up_to_date": not item["reasons"]} for item in found]})
        for item in found if not as_json else ():
            name = item["name"] + (" (blend)" if item["kind"] == "blend" else "")
            print(f"{name}: " + ("stale: " + "; ".join(item["reasons"]) if item["reasons"] else "up to date"))
        if stale:
            print(f"retrain with: composite train --project {root}", file=sys.stderr)
        return 1 if stale else 0

    def progress(message: str) -> None:
        if not quiet:
            print(f"  {message}", file=sys.stderr, flush=True)

    for spec in specs:
        project = load_training_project(root)  # again for each: a model trained just now may feed the next
        # --data: the same model file, read from another data file (the fingerprint of the model file is
        # unchanged, so the project still loads the model; the card records which file and its hash)
        rows = training_data(project, spec.model_copy(update={"data": data_file}) if data_file else spec)
        trained = train_model(spec, rows, project.knowledge, progress=progress)
        saved = save_model(trained, spec, root)
        card = trained.card
        info = card["data"]
        print(f"model {spec.name} ({spec.algorithm}): {info['rows']} rows of {info['file']}, "
              f"{info['positives']} with {spec.target} = 1")
        for line in metrics_table(card):
            if not line.startswith("|---"):
                print("  " + "  ".join(cell.strip().ljust(14) for cell in line.strip("|").split("|")).rstrip())
        calibration = card["calibration"]
        print(f"  calibration: {calibration['method']} ({calibration.get('reason')})")
        print(f"  wrote {saved.artifact} ({saved.hash})")
        if saved.booster:
            print(f"        {saved.booster}")
        print(f"  card  {saved.card}, {saved.card_json}")
    for blend_spec in blends:
        _train_blend(root, blend_spec, progress, data_file)
    return 0


def _train_from_store(root: Path, model: str | None, *, quiet: bool, data: str | None, from_store: bool,
                      store: str | None, since: str | None, until: str | None, candidate: str | None,
                      check: bool) -> int:
    """--from-store: write the candidate (composite.retrain), then train it on the store's rows as --data does."""
    from composite.ml.train import load_training_project
    from composite.retrain import STORE_DATA_FILE, store_training_frame, write_candidate
    if not (from_store and candidate):
        raise ProjectError("--from-store and --candidate DIR go together: the rows of the store train a candidate "
                           "project version written to DIR", code="from_store_usage")
    if check or data:
        raise ProjectError("--from-store trains on the store's rows: it takes neither --check nor --data",
                           code="from_store_usage")
    target_folder = Path(candidate)
    specs, _ = _selected(root, model)
    if not specs:
        print(f"no models in {root}: add models/<name>.model.yaml (see models/README.md)")
        return 1
    project = load_training_project(root)
    opened = _existing_store(root, store)
    try:
        rows = store_training_frame(opened, project, specs, since=since, until=until)
    finally:
        opened.close()
    old, new = write_candidate(root, target_folder, project, specs, rows)
    target = rows.frame.columns[-1]
    positives = int((rows.frame[target].astype(str).isin(["1", "True", "true"])).sum())
    print(f"candidate {target_folder}: version {old} -> {new}, {len(rows.frame)} decisions with outcomes from "
          f"{rows.store_url} ({positives} with {target} = 1)"
          + (f"; {rows.skipped} left out: they lack inputs the models need" if rows.skipped else ""))
    print(f"  wrote {target_folder / STORE_DATA_FILE} and its README")
    return _train(target_folder, model, quiet=quiet, data=STORE_DATA_FILE, check=False)


def _existing_store(root: Path, url: str | None) -> Any:
    """The project's store (as `project_store` finds it), refused when it is a SQLite file that does not
    exist: opening it would create one, in the running project's .composite/ by default."""
    import os

    from composite.store import STORE_ENV, project_store

    url = url if url is not None else os.environ.get(STORE_ENV) or None
    path = root / ".composite" / "decisions.db" if url is None else None
    if url is not None and url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///"):].split("?", 1)[0])
    if path is not None and not path.is_file():
        raise ProjectError(f"--from-store: there is no store at {path}; decide with the project first, or give "
                           f"--store URL (or ${STORE_ENV})", code="store_missing", field="store")
    return project_store(root, url)


def _data_override(root: Path, given: str) -> str:
    """The --data file as a path relative to the project root (how artifacts record data files)."""
    candidates = [Path(given)] if Path(given).is_absolute() else [root / given, Path.cwd() / given]
    path = next((c for c in candidates if c.is_file()), None)
    if path is None:
        raise ProjectError(f"--data: '{given}' does not exist (looked in {root} and the current folder)",
                           code="missing_file", file=given)
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        raise ProjectError(f"--data: '{given}' is outside the project folder {root}; copy it into the project "
                           "(artifacts record the data file relative to the project)", code="model_data",
                           file=given) from None


def _recorded_data(root: Path, artifact: str) -> dict[str, Any]:
    import json

    path = root / artifact
    try:
        document = json.loads(path.read_bytes()) if path.is_file() else {}
    except ValueError:
        return {}
    return ((document.get("summary") or {}).get("data") or {}) if isinstance(document, dict) else {}


def _other_data(root: Path, artifact: str, named: str, reasons: list[str]) -> list[str]:
    """For an artifact trained with --data on another file than the model file names: compare
    against the file it was trained on instead of the named one."""
    import hashlib

    recorded = _recorded_data(root, artifact)
    file, digest = recorded.get("file"), recorded.get("sha256")
    if not file or file == named or not digest:
        return reasons
    reasons = [r for r in reasons if not (r.startswith("the training data") and named in r)]
    path = root / file
    if not path.is_file():
        reasons.append(f"the training data {file} (given with --data) no longer exists")
    elif "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest() != digest:
        reasons.append(f"the training data {file} (given with --data) changed since training")
    return reasons


def _model_data(root: Path, spec: Any) -> str | None:
    """The data file named by the model whose probability the blend `spec` reads."""
    from composite.ml.spec import read_model_spec

    for file in model_files(root):
        try:
            model = read_model_spec(root, file)
        except CompositeError:
            continue
        if model.output == spec.model:
            return model.data
    return None


def _train_blend(root: Path, spec: Any, progress: Any, data_file: str | None = None) -> None:
    from composite.ml.blend import save_blend, train_project_blend
    from composite.ml.train import load_training_project

    project = load_training_project(root)  # after the models: the blend weighs the model trained just now
    if data_file:
        # --data: the blend trains on the model's rows, read from that file (this project object only)
        for node in project.nodes:
            if getattr(node, "kind", None) == "model" and node.spec.output == spec.model:
                node.spec = node.spec.model_copy(update={"data": data_file})
    progress(f"blend '{spec.name}': out-of-fold probabilities of the model, {spec.validation.folds} folds x "
             f"{spec.validation.repeats} repeat(s), then the weight on {spec.model} against {spec.expert}")
    blend = train_project_blend(project, spec)
    saved = save_blend(blend, spec, root)
    data = blend.summary["data"]
    losses = blend.summary["cross_validation"]["summary"]
    print(f"blend {spec.name}: {spec.expert} (expert) with {spec.model} (model), {data['rows']} rows of "
          f"{data.get('file')}, {data['positives']} with {blend.target} = 1")
    print(f"  weight on the model: {blend.weight:.2f} (caution {spec.caution:g} standard errors)")
    print(f"  cross-validated log loss: expert {losses['expert']:.4f}, model {losses['model']:.4f}, "
          f"blend {losses['blend']:.4f}")
    print(f"  wrote {saved.artifact} ({saved.hash})")
    print(f"  card  {saved.card}")


def main(argv: Sequence[str] | None = None) -> int:
    """`composite train` on its own (also `python -m composite.cli.train`): ARGV with or without `train`."""
    from composite.cli import main as composite

    words = list(sys.argv[1:] if argv is None else argv)
    return composite(words if words[:1] == ["train"] else ["train", *words])


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
