"""Request bodies of the service read within the engine's `Limits`: a JSON object (one request),
a JSON array of them or a CSV text (a batch). Every failure is a RequestError, never a traceback.
"""

from __future__ import annotations

import dataclasses
import io
import math
from typing import TYPE_CHECKING, Any

from composite.errors import Problem, RequestError
from composite.limits import Limits, parse_json_request, short

if TYPE_CHECKING:
    import pandas as pd

    from composite.knowledge import InputSchema

_WRAP = b'{"rows":'  # an array is parsed as the one value of an object: the same checks as a request


def too_large(size: int, limits: Limits) -> RequestError:
    return RequestError(f"the request is {size:,} bytes, more than the limit {limits.max_request_bytes:,} "
                        "(Limits.max_request_bytes)", code="request_too_large")


def json_request(body: bytes, limits: Limits) -> dict[str, Any]:
    """One request: a JSON object, as `composite decide --input` reads it."""
    return parse_json_request(body, where="the request body", limits=limits)


def json_rows(body: bytes, limits: Limits) -> list[Any]:
    """A batch given as a JSON array of request objects (each row checked by the engine)."""
    if len(body) > limits.max_request_bytes:
        raise too_large(len(body), limits)
    text = body.lstrip()
    if not text.startswith(b"["):
        raise RequestError("a batch must be a JSON array of request objects, [{...}, {...}], or a CSV text "
                           "sent as Content-Type: text/csv", code="batch_not_array")
    wider = dataclasses.replace(limits, max_depth=limits.max_depth + 1,
                                max_request_bytes=limits.max_request_bytes + len(_WRAP) + 1)
    try:
        document = parse_json_request(_WRAP + body + b"}", where="the request body", limits=wider)
    except RequestError as exc:
        # positions as in the body, not in the wrapped text
        problems = [dataclasses.replace(p, column=p.column - len(_WRAP)) if p.line == 1 and p.column else p
                    for p in exc.problems]
        raise RequestError(exc.message, problems=problems) from None
    rows = document.get("rows")
    if set(document) != {"rows"} or not isinstance(rows, list):
        raise RequestError("a batch must be one JSON array of request objects", code="batch_not_array")
    return rows


def csv_rows(body: bytes, schema: "InputSchema", limits: Limits) -> "pd.DataFrame":
    """A batch given as CSV with a header row: each cell read as its concept's type.

    A cell that does not read as its type (an "abc" for a number) is kept as text, so the engine
    rejects that row with the message `decide` gives; an empty cell is null.
    """
    import pandas as pd

    if len(body) > limits.max_request_bytes:
        raise too_large(len(body), limits)
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RequestError(f"the CSV is not UTF-8 text (byte {exc.start})", code="input_not_utf8") from None
    if not text.strip():
        raise RequestError("the CSV is empty: it needs a header row naming the inputs", code="input_not_csv")
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_values=[""],
                            skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise RequestError(f"the body is not valid CSV: {short(str(exc))}", code="input_not_csv") from None
    if len(frame.columns) > limits.max_fields:
        raise RequestError(f"the batch has {len(frame.columns):,} columns, more than the limit {limits.max_fields:,} "
                           "(Limits.max_fields)", code="too_many_fields")
    columns = {}
    for name in frame.columns:
        concept = schema.concepts.get(name)
        kind = concept.type if concept is not None else "string"
        columns[name] = pd.Series([_cell(kind, v) for v in frame[name].tolist()], dtype=object)
    return pd.DataFrame(columns, index=pd.RangeIndex(len(frame)))


def _cell(kind: str, text: Any) -> Any:
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return None
    if kind in ("number", "integer"):
        from composite.batchfile import parse_number  # as `composite batch` reads a CSV

        return parse_number(text)
    if kind == "boolean":
        return {"true": True, "false": False}.get(text.strip().lower(), text)
    return text


def problem_rows(rejected: "pd.DataFrame") -> list[dict[str, Any]]:
    """The rejected rows of a `BatchOutcome` as JSON objects (row, field, code, message)."""
    return [{"row": int(row), "field": field, "code": code, "message": message}
            for row, field, code, message in zip(rejected["row"].tolist(), rejected["field"].tolist(),
                                                  rejected["code"].tolist(), rejected["message"].tolist())]


def problem_json(problem: Problem) -> dict[str, Any]:
    """One problem as an error response shows it: field, code, message (and a position), cut short."""
    out: dict[str, Any] = {"field": problem.field[:200] if problem.field else None, "code": problem.code,
                           "message": problem.message[:1000]}
    if problem.line is not None:
        out["line"] = problem.line
        if problem.column is not None:
            out["column"] = problem.column
    return out


__all__ = ["csv_rows", "json_request", "json_rows", "problem_json", "problem_rows", "too_large"]
