"""Deciding a Spark DataFrame: `decide(spark_df, project_path, store)` runs `decide_batch` on every
Arrow batch of every partition (`mapInPandas`), with one engine per executor Python process.

The project travels with the job as the exact bytes it was loaded from (every artifact the project
hashed, checked against its hash on the driver and again on the executor), so executors need no
shared file system. Needs the `composite-decisions[spark]` extra (pyspark) and Java; docs/batch.md.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, Literal

from composite.batchfile import BatchFileResult, BatchUsageError, _kind_of_dtype, _typed, output_kinds
from composite.errors import ProjectError

if TYPE_CHECKING:
    import pandas as pd

    from composite.engine import CompositeEngine
    from composite.project import Project

__all__ = ["decide", "decide_file_with_spark", "local_session", "project_snapshot"]

# (project hash, store URL) -> the engine of this executor process, loaded once per job's project
_ENGINES: dict[tuple[str, str | None], "CompositeEngine"] = {}


def project_snapshot(project_path: str | os.PathLike[str]) -> tuple["Project", dict[str, Any]]:
    """The loaded project and what executors need to load exactly it again: {"hash", "entry",
    "files": {relative path: bytes}}, the files being those the project read and hashed."""
    from composite.project import load_project

    source = Path(project_path)
    project = load_project(source)
    root = Path(project.root).resolve()
    files: dict[str, bytes] = {}
    for relative, digest in project.artifacts.items():
        data = (root / relative).read_bytes()
        if "sha256:" + hashlib.sha256(data).hexdigest() != digest:
            raise ProjectError(f"'{relative}' changed while the project was being loaded; run again",
                               code="project_changed", file=relative)
        files[relative] = data
    entry = "."
    if source.is_file():  # a standalone .dmn / .fll project: the file itself is the project
        entry = source.name
        files.setdefault(entry, source.read_bytes())
    return project, {"hash": project.hash, "entry": entry, "files": files}


def _engine(snapshot: dict[str, Any], store: str | None) -> "CompositeEngine":
    """This process's engine for the shipped project, written to a temporary folder once."""
    from composite.engine import CompositeEngine

    key = (snapshot["hash"], store)
    engine = _ENGINES.get(key)
    if engine is None:
        folder = Path(tempfile.mkdtemp(prefix="composite-project-"))
        for relative, data in snapshot["files"].items():
            path = folder / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        engine = CompositeEngine.from_path(folder / snapshot["entry"], store=store or "memory")
        if engine.project.hash != snapshot["hash"]:
            raise ProjectError(f"the project loaded on the executor has hash {engine.project.hash}, not the "
                               f"driver's {snapshot['hash']}", code="project_changed")
        _ENGINES[key] = engine
    return engine


def _spark_types(kinds: dict[str, str]) -> Any:
    from pyspark.sql import types as T

    by_kind = {"string": T.StringType(), "int64": T.LongType(), "float64": T.DoubleType(), "bool": T.BooleanType()}
    return T.StructType([T.StructField(name, by_kind[kind], True) for name, kind in kinds.items()])


def _kinds(project: "Project", spark_df: Any, snapshot: dict[str, Any]) -> dict[str, str]:
    """decision_id and each output's type: from its concept, else from deciding a few rows here."""
    kinds = output_kinds(project)
    if any(kind is None for kind in kinds.values()):
        sample = spark_df.limit(100).toPandas()
        decided = _engine(snapshot, None).decide_batch(sample, record=False, on_error="collect").decided
        kinds = {name: kind or (_kind_of_dtype(decided[name].dtype) if len(decided) else "string")
                 for name, kind in kinds.items()}
    return {"decision_id": "string", **kinds}  # type: ignore[dict-item]


def decide(spark_df: Any, project_path: str | os.PathLike[str], store: str | None = None, *,
           on_error: Literal["raise", "collect"] = "raise", _from_text: bool = False,
           _keep_input: bool = False) -> Any:
    """A Spark DataFrame of `decision_id` and the project's outputs, one row per row of `spark_df`.

    Each Arrow batch of each partition is decided with `decide_batch` by the engine of its executor
    process (loaded once per process from the project shipped with the job). With a `store` URL
    ("postgresql://...", "sqlite:///shared/path.db") each batch's decisions are stored there in one
    transaction; with None nothing is stored (and no trace is built).

    on_error="raise": a bad row fails the job with the engine's RequestError. on_error="collect":
    every row is kept, in order; a rejected row has null decision_id and outputs and its problems
    in `problems`, a JSON list of {"field", "code", "message"} (null for decided rows).

    Examples
    --------
    >>> decided = decide(spark.read.parquet("applications.parquet"), ".", None)   # doctest: +SKIP
    """
    if on_error not in ("raise", "collect"):
        raise ValueError(f"on_error must be 'raise' or 'collect', got {on_error!r}")
    project, snapshot = project_snapshot(project_path)
    kinds = _kinds(project, spark_df, snapshot)
    extra = {"problems": "string"} if on_error == "collect" else {}
    keep_input = _keep_input and on_error == "collect"  # composite batch: a rejected row's values, for its rejects file
    if keep_input:
        extra["input"] = "string"
    shipped = spark_df.sparkSession.sparkContext.broadcast(snapshot)
    concepts = dict(project.input_schema.concepts)
    record = store is not None
    columns = list(kinds)

    def run(batches: Iterator["pd.DataFrame"]) -> Iterator["pd.DataFrame"]:
        engine = _engine(shipped.value, store)
        for frame in batches:
            raw = frame
            if _from_text:  # CSV read as text: typed here, as `composite batch` types it locally
                frame = frame.copy()
                for name in frame.columns:
                    if name in concepts:
                        texts = ["" if v is None else v for v in frame[name].tolist()]
                        frame[name] = _typed(concepts[name], texts)
            if on_error == "raise":
                yield engine.decide_batch(frame, record=record, trace="on" if record else "off")[columns]
                continue
            yield _collected(engine, frame, raw, columns, kinds, record, keep_input)

    return spark_df.mapInPandas(run, _spark_types({**kinds, **extra}))


def _collected(engine: "CompositeEngine", frame: "pd.DataFrame", raw: "pd.DataFrame", columns: list[str],
               kinds: dict[str, str], record: bool, keep_input: bool) -> "pd.DataFrame":
    import numpy as np
    import pandas as pd

    outcome = engine.decide_batch(frame, record=record, on_error="collect", trace="on" if record else "off")
    out = pd.DataFrame(index=frame.index)
    decided = outcome.decided
    for name in columns:
        column = np.full(len(frame), None, dtype=object)
        if len(decided):
            column[frame.index.get_indexer(decided.index)] = decided[name].to_numpy(dtype=object)
        out[name] = column
    problems: dict[Any, list[dict[str, Any]]] = {}
    for label, fld, code, message in zip(outcome.rejected["label"], outcome.rejected["field"],
                                         outcome.rejected["code"], outcome.rejected["message"]):
        problems.setdefault(label, []).append({"field": fld, "code": code, "message": message})
    out["problems"] = [json.dumps(problems[label]) if label in problems else None for label in frame.index]
    if keep_input:
        out["input"] = [json.dumps({k: _plain(v) for k, v in raw.loc[label].items()}, default=str)
                        if label in problems else None for label in frame.index]
    return out.reset_index(drop=True)


def _plain(value: Any) -> Any:
    import pandas as pd

    if hasattr(value, "item"):
        value = value.item()
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return value


# -- composite batch --engine spark ---------------------------------------------------------------


def local_session(app: str = "composite", *, batch_rows: int = 10_000) -> Any:
    """A local[2] SparkSession: small shuffles, no UI or console progress bars, Arrow for pandas,
    `batch_rows` rows per Arrow batch (each one `decide_batch` call, stored in one transaction)."""
    from pyspark.sql import SparkSession

    # The workers run this Python (its packages: composite, pyarrow), not `python3` on PATH:
    # PySpark takes the workers' Python from PYSPARK_PYTHON alone when it starts its context.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    session = (SparkSession.builder.master("local[2]").appName(app)
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.shuffle.partitions", "2")
               .config("spark.sql.execution.arrow.pyspark.enabled", "true")
               .config("spark.sql.execution.arrow.maxRecordsPerBatch", str(batch_rows))
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    return session


def decide_file_with_spark(input: str | os.PathLike[str], output: str | os.PathLike[str], *,
                           project: str | os.PathLike[str] = ".", input_format: str = "csv",
                           rejects: str | os.PathLike[str] | None = None, store: str | None = None,
                           record: bool = True, progress: Callable[[int, int], None] | None = None,
                           spark: Any = None, chunk_size: int = 10_000) -> BatchFileResult:
    """`composite batch --engine spark`: read `input` with Spark (CSV as text, typed from the input
    schema on the executors; Parquet as it is), decide it with `decide(..., on_error="collect")`,
    and write the output and rejects files on the driver, `chunk_size` rows at a time, in the input's order
    (`chunk_size` is also the rows per Arrow batch of a session started here)."""
    import csv

    import pandas as pd

    from composite.batchfile import _RejectsWriter, _TableWriter, file_format
    from composite.store import STORE_ENV

    if input_format == "jsonl":
        raise BatchUsageError("--engine spark reads CSV and Parquet; decide JSON lines with --engine local")
    if record and store is None:
        root = Path(project) if Path(project).is_dir() else Path(project).parent
        store = os.environ.get(STORE_ENV) or f"sqlite:///{(root.resolve() / '.composite' / 'decisions.db').as_posix()}"
        (root / ".composite").mkdir(exist_ok=True)
    if spark is None:
        from pyspark.sql import SparkSession

        spark = SparkSession.getActiveSession()
    own_session = spark is None  # a session the caller runs is left running
    spark = spark or local_session(batch_rows=chunk_size)
    try:
        if input_format == "csv":
            from pyspark.sql import types as T

            with open(input, newline="", encoding="utf-8-sig") as handle:
                header = next(csv.reader(handle), [])
            text_schema = T.StructType([T.StructField(name, T.StringType(), True) for name in header])
            frame = spark.read.csv(str(input), header=True, schema=text_schema, mode="PERMISSIVE")
            decided = decide(frame, project, store if record else None, on_error="collect", _from_text=True,
                             _keep_input=True)
        else:
            frame = spark.read.parquet(str(input))
            header = frame.columns
            decided = decide(frame, project, store if record else None, on_error="collect", _keep_input=True)
        out_kinds = {"row": "int64", **{f.name: _kind_name(f.dataType) for f in decided.schema.fields
                                          if f.name not in ("problems", "input")}}
        writer = _TableWriter(Path(output), file_format(output), out_kinds)
        rejects_writer = _RejectsWriter(Path(rejects), file_format(rejects), header) if rejects else None
        result = BatchFileResult()
        names = decided.columns
        buffer: list[Any] = []

        def flush() -> None:
            if not buffer:
                return
            page = pd.DataFrame.from_records(buffer, columns=["row", *names])
            good = page[page["problems"].isna()].drop(columns=["problems", "input"], errors="ignore")
            writer.write(good)
            bad = page[page["problems"].notna()]
            found = [(int(row), None, p["field"], p["code"], p["message"], json.loads(values or "{}"))
                     for row, problems, values in zip(bad["row"], bad["problems"], bad.get("input", [None] * len(bad)))
                     for p in json.loads(problems)]
            result.decided += len(good)
            result.rejected += len(bad)
            result.problems += len(found)
            for row, _, fld, code, message, _ in found[: max(0, 10 - len(result.first_problems))]:
                result.first_problems.append(f"row {row}: {code}: {message}")
            if rejects_writer is not None and found:
                rejects_writer.write(found)
            buffer.clear()
            if progress is not None:
                progress(result.rows, result.rejected)

        try:
            for row in decided.toLocalIterator():
                buffer.append((result.rows, *row))
                result.rows += 1
                if len(buffer) >= chunk_size:
                    flush()
            flush()
        finally:
            writer.close()
            if rejects_writer is not None:
                rejects_writer.close()
        return result
    finally:
        if own_session:
            spark.stop()


def _kind_name(data_type: Any) -> str:
    name = data_type.typeName()
    return {"long": "int64", "integer": "int64", "double": "float64", "boolean": "bool"}.get(name, "string")
