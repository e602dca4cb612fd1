"""Decision files: a CSV, Parquet or JSON-lines file decided chunk by chunk with `decide_batch`,
its decisions and its rejected rows written to files, in memory bounded by the chunk, not the file.

`decide_file(engine, "in.csv", "out.parquet", rejects="bad.csv")` is what `composite batch` runs
(composite/cli_batch.py; docs/batch.md). Rows are numbered by `row`, their 0-based position among
the input's records (the first record after a CSV header is row 0), and, for CSV and JSON lines,
by `line`, the 1-based line of the file where the record starts (a CSV header is line 1).
"""

from __future__ import annotations

import csv
import datetime
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, Mapping, Sequence

import numpy as np

from composite import temporal
from composite.errors import CompositeError, RequestError
from composite.limits import DEFAULT_LIMITS, Limits, parse_json_request, short

if TYPE_CHECKING:
    import pandas as pd

    from composite.engine import CompositeEngine
    from composite.knowledge import Concept, InputSchema
    from composite.project import Project

__all__ = ["FORMATS", "BatchFileResult", "BatchUsageError", "Chunk", "decide_file", "file_format",
           "output_kinds", "parse_number", "read_chunks", "total_rows"]

FORMATS: dict[str, str] = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet", ".jsonl": "jsonl",
                           ".ndjson": "jsonl"}
DEFAULT_CHUNK_SIZE = 10_000
REJECT_COLUMNS = ("row", "line", "field", "code", "message")


class BatchUsageError(CompositeError):
    """The command was given something it cannot run with (a format, a path): exit code 2."""

    code = "batch_usage"


def file_format(path: str | os.PathLike[str], given: str | None = None) -> str:
    """"csv", "parquet" or "jsonl": `given`, else from the file's extension."""
    if given is not None:
        if given not in ("csv", "parquet", "jsonl"):
            raise BatchUsageError(f"unknown format '{given}'; use csv, parquet or jsonl")
        return given
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise BatchUsageError(f"cannot tell the format of '{path}' from its extension; name it .csv, .parquet, "
                              ".jsonl or .ndjson, or say --format csv|parquet|jsonl", file=str(path))
    return FORMATS[suffix]


def _pyarrow() -> Any:
    try:
        import pyarrow
        import pyarrow.parquet  # noqa: F401
    except ModuleNotFoundError:
        raise BatchUsageError("reading and writing Parquet needs pyarrow: pip install 'composite-decisions[parquet]'",
                              code="parquet_unavailable") from None
    return pyarrow


# -- what the project writes ---------------------------------------------------------------------


def output_kinds(project: "Project") -> dict[str, str | None]:
    """Each output's column type from its concept: "string", "int64", "float64", "bool", or None
    when the knowledge does not say (the caller infers it from the values)."""
    kinds: dict[str, str | None] = {}
    for name in project.outputs:
        concept = project.knowledge.get(name)
        kinds[name] = _kind(concept) if concept is not None else None
    return kinds


def _kind(concept: "Concept") -> str:
    if concept.type == "integer":
        return "int64"
    if concept.type == "number":
        return "float64"
    if concept.type == "boolean":
        return "bool"
    values = concept.values or ()
    if values and all(isinstance(v, bool) for v in values):
        return "bool"
    if values and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return "int64"
    if values and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return "float64"
    return "string"


def _kind_of_dtype(dtype: Any) -> str:
    kind = getattr(dtype, "kind", "O")
    return {"i": "int64", "u": "int64", "f": "float64", "b": "bool"}.get(kind, "string")


# -- reading -------------------------------------------------------------------------------------


@dataclass
class Chunk:
    """Up to `chunk_size` records of the input.

    frame     the records the engine decides, typed, indexed by their `row` positions
    raw       each record's original values by row position (text for CSV), for the rejects file
    lines     row position -> 1-based line where the record starts (CSV, JSON lines)
    refused   (row, field, code, message) for records refused before the engine: a JSON line
              that is not an object, a CSV record with the wrong number of fields, an unknown field
    size      records read, refused ones included
    """

    start: int
    frame: "pd.DataFrame"
    raw: dict[int, dict[str, Any]]
    lines: dict[int, int] = field(default_factory=dict)
    refused: list[tuple[int, str | None, str, str]] = field(default_factory=list)
    size: int = 0


def read_chunks(path: str | os.PathLike[str], fmt: str, schema: "InputSchema", *,
                chunk_size: int = DEFAULT_CHUNK_SIZE, limits: Limits = DEFAULT_LIMITS) -> Iterator[Chunk]:
    """The input file's records, `chunk_size` at a time; never more than one chunk held."""
    if chunk_size < 1:
        raise BatchUsageError(f"the chunk size must be a positive number of rows, got {chunk_size}")
    if fmt == "csv":
        return _csv_chunks(Path(path), schema, chunk_size, limits)
    if fmt == "parquet":
        return _parquet_chunks(Path(path), schema, chunk_size)
    if fmt == "jsonl":
        return _jsonl_chunks(Path(path), schema, chunk_size, limits)
    raise BatchUsageError(f"unknown format '{fmt}'")


def input_columns(path: str | os.PathLike[str], fmt: str, schema: "InputSchema") -> list[str]:
    """The input's column names (JSON lines: the project's known fields), for the rejects file."""
    if fmt == "csv":
        with open(path, newline="", encoding="utf-8-sig", errors="surrogateescape") as handle:
            return next(csv.reader(handle), [])
    if fmt == "parquet":
        return list(_pyarrow().parquet.ParquetFile(path).schema_arrow.names)
    return list(schema.concepts)


def total_rows(path: str | os.PathLike[str], fmt: str) -> int | None:
    """The number of records, cheaply: Parquet's metadata, or the lines of a CSV (less its header)
    or JSON-lines file (a quoted newline inside a CSV field makes this an overestimate)."""
    if fmt == "parquet":
        return int(_pyarrow().parquet.ParquetFile(path).metadata.num_rows)
    count = 0
    last = b"\n"
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            count += block.count(b"\n")
            last = block[-1:]
    if last != b"\n":
        count += 1
    return max(count - 1, 0) if fmt == "csv" else count


def _check_header(header: Sequence[str], schema: "InputSchema", where: str) -> None:
    """Problems of the file as a whole: every record would be refused alike, so nothing is decided."""
    from composite.errors import Problem

    known = set(schema.concepts)
    problems = [Problem("unknown_field", f"unknown column '{name}'", file=where, field=name)
                for name in header if name not in known]
    seen: set[str] = set()
    for name in header:
        if name in seen:
            problems.append(Problem("duplicate_field", f"column '{name}' appears twice", file=where, field=name))
        seen.add(name)
    for name in schema.names:
        concept = schema.concepts[name]
        if name not in header and concept.required and concept.default is None:
            problems.append(Problem("missing_field", f"missing required column '{name}' ({concept.label()})",
                                    file=where, field=name))
    if problems:
        raise RequestError(f"{where}: {len(problems)} problem{'s' if len(problems) > 1 else ''} with its columns; "
                           "no row was decided", problems=problems)


def _csv_chunks(path: Path, schema: "InputSchema", chunk_size: int, limits: Limits) -> Iterator[Chunk]:
    import pandas as pd

    # surrogateescape: a byte that is not UTF-8 reaches the engine as a lone surrogate, which it
    # refuses for that row alone ("is not valid Unicode"), instead of failing the whole file.
    with open(path, newline="", encoding="utf-8-sig", errors="surrogateescape") as handle:
        reader = csv.reader(handle)
        try:
            header = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise RequestError(f"{path}: line 1: {exc}", code="input_not_csv", file=str(path), line=1) from None
        _check_header(header, schema, str(path))
        width = len(header)
        concepts = [schema.concepts[name] for name in header]
        position = 0
        previous_line = reader.line_num
        while True:
            rows: list[list[str]] = []
            positions: list[int] = []
            chunk = Chunk(start=position, frame=pd.DataFrame(), raw={})
            try:
                for record in reader:
                    line = previous_line + 1
                    previous_line = reader.line_num
                    if not record:  # a blank line is no record
                        continue
                    chunk.lines[position] = line
                    chunk.raw[position] = dict(zip(header, record))
                    if len(record) != width:
                        chunk.refused.append((position, None, "wrong_field_count",
                                              f"the record has {len(record)} fields, the header {width}"))
                    else:
                        rows.append(record)
                        positions.append(position)
                    position += 1
                    if position - chunk.start >= chunk_size:
                        break
            except csv.Error as exc:
                raise RequestError(f"{path}: line {reader.line_num}: {exc}", code="input_not_csv", file=str(path),
                                   line=reader.line_num) from None
            chunk.size = position - chunk.start
            if not chunk.size:
                return
            texts = list(zip(*rows)) if rows else [()] * width
            chunk.frame = _frame({name: _typed(concept, list(column))
                                  for name, concept, column in zip(header, concepts, texts)}, positions)
            del rows, texts
            yield chunk


def _frame(columns: dict[str, np.ndarray], positions: list[int]) -> "pd.DataFrame":
    """A chunk's DataFrame indexed by row position, each column as given: an object column stays
    object (pandas would infer its `str` dtype, which refuses a lone surrogate and costs a pass)."""
    import pandas as pd

    index = pd.Index(positions, dtype="int64")
    return pd.DataFrame({name: pd.Series(column, index=index, dtype=column.dtype, copy=False)
                         for name, column in columns.items()}, index=index, columns=list(columns))


def _typed(concept: "Concept", texts: list[str]) -> np.ndarray:
    """A CSV column as the values its concept takes, the same in every chunk: an empty field is
    null; a text that does not parse stays text, for the engine to refuse with its usual message."""
    kind = concept.type
    if kind in ("integer", "number"):
        if texts and "_" not in "".join(texts):  # numpy, like int(), would read "1_000" as 1000
            try:
                parsed = np.asarray(texts).astype(np.int64 if kind == "integer" else np.float64)
                if kind == "integer" or np.isfinite(parsed).all():
                    return parsed
            except (ValueError, OverflowError):
                pass
        return np.array([parse_number(text) for text in texts] or [], dtype=object)
    if kind == "boolean":
        return np.array([_BOOLEANS.get(text.lower(), text) if text else None for text in texts] or [], dtype=object)
    return np.array([text if text else None for text in texts] or [], dtype=object)


_BOOLEANS = {"true": True, "false": False}


def parse_number(text: str) -> Any:
    """A CSV field of a number concept: an int or a finite float, None for an empty field, else the
    text as written ("1_000", "inf", "nan" and words stay text, for the engine to refuse)."""
    if not text:
        return None
    if "_" in text:
        return text
    try:
        return int(text)
    except ValueError:
        pass
    try:
        value = float(text)
    except ValueError:
        return text
    return value if math.isfinite(value) else text


def _parquet_chunks(path: Path, schema: "InputSchema", chunk_size: int) -> Iterator[Chunk]:
    import pandas as pd

    parquet = _pyarrow().parquet
    source = parquet.ParquetFile(path)
    _check_header(source.schema_arrow.names, schema, str(path))
    position = 0
    for batch in source.iter_batches(batch_size=chunk_size):
        # integer_object_nulls: an integer column with nulls stays exact integers, not float64
        frame = batch.to_pandas(integer_object_nulls=True)
        frame.index = pd.RangeIndex(position, position + len(frame))
        yield Chunk(start=position, frame=frame, raw=_LazyRaw(frame), size=len(frame))
        position += len(frame)


class _LazyRaw(dict):  # type: ignore[type-arg]
    """A typed frame's rows as the rejects file shows them, built only for the rows asked for."""

    def __init__(self, frame: "pd.DataFrame") -> None:
        super().__init__()
        self._frame = frame

    def get(self, position: int, default: Any = None) -> Any:  # type: ignore[override]
        row = self._frame.loc[position]
        return {name: (None if _is_null(value) else _plain(value)) for name, value in row.items()}


def _is_null(value: Any) -> bool:
    try:
        import pandas as pd

        return bool(pd.isna(value)) if not isinstance(value, (list, dict, np.ndarray)) else False
    except (TypeError, ValueError):
        return False


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _jsonl_chunks(path: Path, schema: "InputSchema", chunk_size: int, limits: Limits) -> Iterator[Chunk]:
    import pandas as pd

    known = set(schema.concepts)
    names = list(schema.names)
    required = [n for n in schema.names if schema.concepts[n].required and schema.concepts[n].default is None]
    defaults = schema.defaults
    position = 0
    lines = _bounded_lines(path, limits.max_request_bytes)
    while True:
        chunk = Chunk(start=position, frame=pd.DataFrame(), raw={})
        rows: list[Mapping[str, Any]] = []
        positions: list[int] = []
        for number, data in lines:
            if data is not None and not data.strip():
                continue
            chunk.lines[position] = number
            if data is None:
                chunk.raw[position] = {}
                chunk.refused.append((position, None, "request_too_large",
                                      f"the line is more than {limits.max_request_bytes:,} bytes (Limits.max_request_bytes)"))
            else:
                try:
                    request = parse_json_request(data, where=f"line {number}", limits=limits)
                except RequestError as exc:
                    chunk.raw[position] = {}
                    chunk.refused += [(position, p.field, p.code, f"{p.message}: {short(data[:200].decode('utf-8', 'replace'))}")
                                      for p in exc.problems]
                else:
                    chunk.raw[position] = request
                    problems = [(position, str(key)[:200], "unknown_field", f"unknown field {short(key)}")
                                for key in request if key not in known]
                    problems += [(position, key, "missing_field",
                                  f"missing required field '{key}' ({schema.concepts[key].label()})")
                                 for key in required if key not in request]
                    if problems:
                        chunk.refused += problems
                    else:
                        rows.append(request)
                        positions.append(position)
            position += 1
            if position - chunk.start >= chunk_size:
                break
        chunk.size = position - chunk.start
        if not chunk.size:
            return
        columns = list(dict.fromkeys([*names, *(key for row in rows for key in row)]))
        chunk.frame = _frame({key: _objects([row.get(key, defaults.get(key)) for row in rows]) for key in columns},
                             positions)
        yield chunk


def _objects(values: list[Any]) -> np.ndarray:
    """The values as one object column, each as it was (np.array would split lists into rows)."""
    column = np.empty(len(values), dtype=object)
    if any(isinstance(v, (list, dict)) for v in values):
        for i, value in enumerate(values):
            column[i] = value
    else:
        column[:] = values
    return column


def _bounded_lines(path: Path, most: int) -> Iterator[tuple[int, bytes | None]]:
    """(1-based line number, its bytes) for every line; None for a line longer than `most`, which
    is skipped in bounded pieces instead of being held whole."""
    with open(path, "rb") as handle:
        number = 0
        while True:
            data = handle.readline(most + 1)
            if not data:
                return
            number += 1
            if len(data) > most and not data.endswith(b"\n"):
                while (piece := handle.readline(1 << 20)) and not piece.endswith(b"\n"):
                    pass
                yield number, None
                continue
            yield number, data


# -- writing -------------------------------------------------------------------------------------


class _TableWriter:
    """Appends DataFrames to one CSV, Parquet or JSON-lines file; what was written before a crash
    stays readable (CSV and JSON lines after each flush; Parquet once closed, as it is on any
    Python exception: a killed process leaves no Parquet footer)."""

    def __init__(self, path: Path, fmt: str, kinds: Mapping[str, str | None]) -> None:
        self.path, self.fmt, self.kinds = path, fmt, dict(kinds)
        self._handle: Any = None
        self._parquet: Any = None
        self._schema: Any = None
        self._header_written = False
        self.rows = 0

    def _open(self, frame: "pd.DataFrame") -> None:
        for name, kind in self.kinds.items():
            if kind is None:  # no concept says: what the first chunk holds
                self.kinds[name] = _kind_of_dtype(frame[name].dtype) if name in frame else "string"
        if self.fmt == "parquet":
            pa = _pyarrow()
            types = {"string": pa.string(), "int64": pa.int64(), "float64": pa.float64(), "bool": pa.bool_()}
            self._schema = pa.schema([(name, types[kind]) for name, kind in self.kinds.items()])
            self._parquet = pa.parquet.ParquetWriter(self.path, self._schema)
        else:
            # CSV gives a non-UTF-8 byte of the input back as it was; JSON text must be UTF-8: escaped
            errors = "surrogateescape" if self.fmt == "csv" else "backslashreplace"
            self._handle = open(self.path, "w", newline="", encoding="utf-8", errors=errors)
            if self.fmt == "csv":
                self._csv = csv.writer(self._handle, lineterminator="\n")
                self._csv.writerow(list(self.kinds))

    def write(self, frame: "pd.DataFrame") -> None:
        if self._handle is None and self._parquet is None:
            self._open(frame)
        if not len(frame):
            return
        if self.fmt == "parquet":
            pa = _pyarrow()
            data = {}
            for name, kind in self.kinds.items():
                column = frame[name].to_numpy(dtype=object) if kind == "string" else frame[name].to_numpy()
                if kind == "string":
                    column = [None if v is None or _is_null(v) else _text(v) for v in column]
                data[name] = pa.array(column, type=self._schema.field(name).type, from_pandas=True)
            self._parquet.write_table(pa.Table.from_pydict(data, schema=self._schema))
        elif self.fmt == "csv":
            columns = [frame[name].tolist() for name in self.kinds]
            self._csv.writerows(zip(*[[_csv_cell(v) for v in column] for column in columns]))
            self._handle.flush()
        else:
            names = list(self.kinds)
            columns = [frame[name].tolist() for name in names]
            self._handle.writelines(_json_line(dict(zip(names, values))) for values in zip(*columns))
            self._handle.flush()
        self.rows += len(frame)

    def close(self) -> None:
        if self._handle is None and self._parquet is None:
            import pandas as pd

            self._open(pd.DataFrame())  # no record at all: the file still has its columns
        if self._parquet is not None:
            self._parquet.close()
        if self._handle is not None:
            self._handle.close()


def _text(value: Any) -> str:
    if isinstance(value, str):
        # Parquet strings are UTF-8: a lone surrogate (a non-UTF-8 byte of the input) is shown escaped
        return value if value.isascii() else value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    if isinstance(value, (datetime.date, datetime.time)):  # a pandas Timestamp too: 2026-03-02T09:15:00
        return value.isoformat()
    if temporal.is_temporal(value):  # a duration: P90D, what a duration concept reads back
        return temporal.iso(value)
    return str(_plain(value))


def _csv_cell(value: Any) -> Any:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)  # shortest text that reads back as the same float
    if temporal.is_temporal(value) or isinstance(value, (datetime.date, datetime.time)):
        return _text(value)
    return value


def _json_value(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None if value != value else str(value)  # JSON has no inf: "inf" / "-inf"
    return value


def _json_line(row: Mapping[str, Any]) -> str:
    return json.dumps({k: _json_value(v) for k, v in row.items()}, ensure_ascii=False, default=_text) + "\n"


class _RejectsWriter:
    """The rejects file: row, line, field, code, message, then the record's original values (as
    text in CSV and Parquet; in JSON lines, as they were, under "input")."""

    def __init__(self, path: Path, fmt: str, columns: Sequence[str]) -> None:
        self.fmt = fmt
        self.columns = [c for c in columns if c not in REJECT_COLUMNS]
        if fmt == "jsonl":
            self._handle: Any = open(path, "w", encoding="utf-8", errors="backslashreplace")
            return
        kinds: dict[str, str | None] = {"row": "int64", "line": "int64", "field": "string", "code": "string",
                                        "message": "string"}
        self._table = _TableWriter(path, fmt, kinds | {name: "string" for name in self.columns})

    def write(self, problems: list[tuple[int, int | None, str | None, str, str, dict[str, Any]]]) -> None:
        import pandas as pd

        if self.fmt == "jsonl":
            self._handle.writelines(_json_line({"row": row, "line": line, "field": fld, "code": code,
                                                "message": message, "input": values})
                                    for row, line, fld, code, message, values in problems)
            self._handle.flush()
            return
        data: dict[str, list[Any]] = {name: [] for name in self._table.kinds}
        for row, line, fld, code, message, values in problems:
            for name, value in zip(REJECT_COLUMNS, (row, line, fld, code, message)):
                data[name].append(value)
            for name in self.columns:
                value = values.get(name)
                data[name].append(None if value is None else value if isinstance(value, str) else _text(value))
        self._table.write(pd.DataFrame({name: pd.Series(column, dtype=object) for name, column in data.items()}))

    def close(self) -> None:
        if self.fmt == "jsonl":
            self._handle.close()
        else:
            self._table.close()


# -- the run ---------------------------------------------------------------------------------------


@dataclass
class BatchFileResult:
    """What `decide_file` did: records read, decided and rejected, and the first problems found."""

    rows: int = 0
    decided: int = 0
    rejected: int = 0
    problems: int = 0
    first_problems: list[str] = field(default_factory=list)
    batch_ids: list[str] = field(default_factory=list)


Progress = Callable[[int, int], None]  # (records done, records rejected so far)


def decide_file(engine: "CompositeEngine", input: str | os.PathLike[str], output: str | os.PathLike[str], *,
                rejects: str | os.PathLike[str] | None = None, input_format: str | None = None,
                record: bool = True, chunk_size: int = DEFAULT_CHUNK_SIZE,
                progress: Progress | None = None) -> BatchFileResult:
    """Decide every record of `input`, chunk by chunk; write `row`, `decision_id` and the outputs of
    the decided records to `output` in the input's order, and each problem of a rejected record to
    `rejects` (when given).

    Each chunk is decided with `decide_batch(chunk, record=record, on_error="collect")`: with
    `record`, its decisions are stored in one transaction, then appended to `output`. A crash
    leaves every completed chunk stored and `output` readable up to the last completed chunk.
    """
    input, output = Path(input), Path(output)
    fmt = file_format(input, input_format)
    out_fmt = file_format(output)
    rejects_fmt = file_format(rejects) if rejects is not None else None
    if not input.is_file():
        raise BatchUsageError(f"the input '{input}' is not a readable file", code="input_unreadable", file=str(input))
    project = engine.project
    schema = project.input_schema
    chunks = read_chunks(input, fmt, schema, chunk_size=chunk_size, limits=engine.limits)
    kinds: dict[str, str | None] = {"row": "int64", "decision_id": "string", **output_kinds(project)}
    writer = _TableWriter(output, out_fmt, kinds)
    rejects_writer = (_RejectsWriter(Path(rejects), rejects_fmt, input_columns(input, fmt, schema))
                      if rejects is not None and rejects_fmt is not None else None)
    result = BatchFileResult()
    trace = "on" if record else "off"  # nothing stored: no trace built
    try:
        for chunk in chunks:
            problems = list(chunk.refused)
            decided = None
            if len(chunk.frame):
                outcome = engine.decide_batch(chunk.frame, record=record, on_error="collect", trace=trace)
                decided = outcome.decided
                labels = outcome.rejected["label"].tolist()
                problems += zip(labels, outcome.rejected["field"].tolist(), outcome.rejected["code"].tolist(),
                                outcome.rejected["message"].tolist())
                if "batch_id" in decided.attrs:
                    result.batch_ids.append(decided.attrs["batch_id"])
            if decided is None:
                import pandas as pd

                decided = pd.DataFrame({name: [] for name in kinds if name != "row"})
            out = decided.copy(deep=False)
            out.insert(0, "row", np.asarray(decided.index, dtype=np.int64))
            writer.write(out)
            problems.sort(key=lambda p: p[0])
            bad_rows = {p[0] for p in problems}
            result.rows += chunk.size
            result.decided += len(decided)
            result.rejected += len(bad_rows)
            result.problems += len(problems)
            for row, fld, code, message in problems[: max(0, 10 - len(result.first_problems))]:
                line = chunk.lines.get(row)
                where = f"row {row}" + (f" (line {line})" if line is not None else "")
                result.first_problems.append(f"{where}: {code}: {message}")
            if rejects_writer is not None and problems:
                rejects_writer.write([(int(row), chunk.lines.get(row), fld, code, message, chunk.raw.get(row) or {})
                                      for row, fld, code, message in problems])
            if progress is not None:
                progress(result.rows, result.rejected)
            del chunk, decided, out
    finally:
        writer.close()
        if rejects_writer is not None:
            rejects_writer.close()
    return result
