"""The decision service's FastAPI application: a thin HTTP shell over one `CompositeEngine`.

`create_app(engine)` builds it; `from_environment()` is the factory `composite serve --workers N`
gives uvicorn (one engine per worker process, the project and store named by the environment).
"""

from __future__ import annotations

import html
import logging
import os
import threading
import time
from contextlib import asynccontextmanager
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, AsyncIterator, Literal

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from composite.errors import CompositeError, DecisionNotFound, Problem, RequestError, StoreError
from composite.jsonschema import outputs_schema, request_schema
from composite.service.bodies import csv_rows, json_request, json_rows, problem_json, problem_rows, too_large
from composite.service.metrics import Metrics, outcome_output
from composite.service.watch import ProjectWatcher
from composite.store._codec import dumps

if TYPE_CHECKING:
    from composite.engine import CompositeEngine
    from composite.schemas import Decision

log = logging.getLogger("composite.service")

PROJECT_ENV = "COMPOSITE_PROJECT"
RELOAD_ENV = "COMPOSITE_SERVE_RELOAD"  # "1": watch the project's files (seconds between checks: RELOAD_INTERVAL_ENV)
RELOAD_INTERVAL_ENV = "COMPOSITE_SERVE_RELOAD_INTERVAL"
# challenger project folders (`composite serve --challenger DIR`), joined by os.pathsep
CHALLENGERS_ENV = "COMPOSITE_SERVE_CHALLENGERS"
VERSION_HEADER = "X-Composite-Project-Version"
HASH_HEADER = "X-Composite-Project-Hash"
HISTORY_SCAN = 10_000  # newest decisions a filtered history looks through (the store has no filters)
CSV_TYPES = ("text/csv", "application/csv")


class JSONBody(Response):
    """JSON as the store writes it: numpy values as numbers, inf and NaN as null."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return dumps(content).encode("utf-8")


class Service:
    """What the routes share: the engine, the decision lock, the metrics and the reload watcher."""

    def __init__(self, engine: "CompositeEngine", *, reload: bool = False, reload_interval: float = 1.0) -> None:
        self.engine = engine
        self.limits = engine.limits
        self.metrics = Metrics(engine.project.outputs)
        # One decision at a time per process: rule sets share durable-rules' global C core (it
        # has its own lock), and not every node kind is audited for concurrent use. Deciding is
        # CPU-bound under the GIL anyway; more throughput comes from --workers.
        self.decide_lock = threading.Lock()
        self.watcher = ProjectWatcher(engine, interval=reload_interval, on_reload=self._reloaded) if reload else None

    def _reloaded(self, ok: bool) -> None:
        self.metrics.reloaded(ok)
        if ok:
            self.metrics.outcome_output = outcome_output(tuple(self.engine.project.outputs))

    # -- work done in a worker thread, off the event loop --------------------------------------

    def decide(self, body: bytes) -> "Decision":
        request = json_request(body, self.limits)
        with self.decide_lock:
            decision = self.engine.decide(request)
        self.metrics.decided(decision.outputs, decision.node_timings())  # never the trace: it is lazy
        return decision

    def decide_batch(self, body: bytes, *, csv: bool, on_error: str) -> dict[str, Any]:
        schema = self.engine.project.input_schema
        rows = csv_rows(body, schema, self.limits) if csv else json_rows(body, self.limits)
        with self.decide_lock:
            result = self.engine.decide_batch(rows, on_error=on_error)  # type: ignore[arg-type]
        decided, rejected = result if on_error == "collect" else (result, None)
        names = [name for name in decided.columns if name != "decision_id"]
        columns = {name: decided[name].tolist() for name in names}
        outcome = self.metrics.outcome_output
        if outcome in columns:
            self.metrics.decided_many(columns[outcome])
        decisions = [{"row": int(row), "id": decision_id, "outputs": {name: columns[name][i] for name in names}}
                     for i, (row, decision_id) in enumerate(zip(decided.index.tolist(), decided["decision_id"].tolist()))]
        errors = problem_rows(rejected) if rejected is not None else []
        self.metrics.failed(error["code"] for error in errors)
        return {"batch_id": decided.attrs.get("batch_id"), "decided": len(decisions), "rejected_rows": len(
            {error["row"] for error in errors}), "decisions": decisions, "errors": errors}

    def ready(self) -> tuple[int, dict[str, Any]]:
        project = self.engine.project
        body: dict[str, Any] = {"status": "ready", "project": _project(project)}
        if self.watcher is not None:
            body["reload"] = self.watcher.status.to_dict()
            if self.watcher.status.error:
                body["reload"]["serving"] = _project(project)  # the kept version
        try:
            self.engine.store.recent(1)
        except Exception as exc:
            body["status"] = "unavailable"
            body["reason"] = f"the decision store is not reachable: {type(exc).__name__}: {str(exc)[:500]}"
            return 503, body
        return 200, body

    def history(self, limit: int, since: datetime | None, until: datetime | None,
                batch_id: str | None) -> dict[str, Any]:
        filtered = since is not None or until is not None or batch_id is not None
        since, until = _utc(since), _utc(until)
        rows = self.engine.store.recent(HISTORY_SCAN if filtered else limit)
        found = []
        for row in rows:  # newest first
            created = _utc(datetime.fromisoformat(row.created_at))
            if until is not None and created > until:
                continue
            if since is not None and created < since:
                break
            if batch_id is not None and row.batch_id != batch_id:
                continue
            found.append({"id": row.id, "created_at": row.created_at, "project": row.project,
                          "project_version": row.project_version, "batch_id": row.batch_id, "outputs": row.outputs})
            if len(found) == limit:
                break
        body: dict[str, Any] = {"decisions": found}
        if filtered:
            body["scanned_all"] = len(rows) < HISTORY_SCAN
        return body


def create_app(engine: "CompositeEngine", *, reload: bool = False, reload_interval: float = 1.0,
               close_engine: bool = False) -> FastAPI:
    """The decision service over `engine` (see docs/service.md).

    `reload` watches the project's files and swaps a good edit in (`engine.reload()`), keeping the
    running version on a bad one; `close_engine` closes the engine's store on shutdown.

    Examples
    --------
    >>> from composite import CompositeEngine                              # doctest: +SKIP
    >>> app = create_app(CompositeEngine.from_path(".", store="memory"))   # doctest: +SKIP
    >>> import uvicorn; uvicorn.run(app, port=8000)                        # doctest: +SKIP
    """
    service = Service(engine, reload=reload, reload_interval=reload_interval)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if service.watcher is not None:
            service.watcher.start()
        try:
            yield
        finally:
            if service.watcher is not None:
                service.watcher.stop()
            if close_engine:
                engine.close()

    project = engine.project
    app = FastAPI(title=f"composite: {project.name}", version=project.version, lifespan=lifespan,
                  description="Decisions made, stored and explained by the composite decision engine.")
    app.state.service = service

    def failure(exc: CompositeError) -> JSONBody:
        if isinstance(exc, DecisionNotFound):
            status = 404
        elif isinstance(exc, StoreError):
            status = 503
        elif any(p.code == "request_too_large" for p in exc.problems):
            status = 413
        else:
            status = 422
        service.metrics.failed(p.code for p in exc.problems)
        return JSONBody({"code": exc.code, "message": exc.message[:1000],
                         "problems": [problem_json(p) for p in exc.problems]}, status_code=status)

    async def composite_error(_request: Request, exc: Exception) -> Response:
        return failure(exc)  # type: ignore[arg-type]

    async def parameter_error(_request: Request, exc: Exception) -> Response:
        problems = [Problem("invalid_parameter", str(error.get("msg", ""))[:500],
                            field=".".join(str(part) for part in error.get("loc", ())[1:])[:200] or None)
                    for error in exc.errors()]  # type: ignore[attr-defined]
        return failure(RequestError(f"{len(problems)} invalid parameter(s)", problems=problems))

    async def http_error(_request: Request, exc: Exception) -> Response:
        status = getattr(exc, "status_code", 500)
        code = {404: "not_found", 405: "method_not_allowed"}.get(status, "http_error")
        return JSONBody({"code": code, "message": str(getattr(exc, "detail", ""))[:1000], "problems": []},
                        status_code=status, headers=getattr(exc, "headers", None))

    app.add_exception_handler(CompositeError, composite_error)
    app.add_exception_handler(RequestValidationError, parameter_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_middleware(_ProjectHeaders, service=service)

    async def body_of(request: Request) -> bytes:
        most = service.limits.max_request_bytes
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > most:
            raise too_large(int(length), service.limits)
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > most:
                raise too_large(size, service.limits)
            chunks.append(chunk)
        return b"".join(chunks)

    # -- deciding ------------------------------------------------------------------------------

    @app.post("/decisions", status_code=201, summary="Decide one request and store the decision")
    async def post_decision(request: Request, explain: bool = False) -> Response:
        body = await body_of(request)
        decision = await run_in_threadpool(service.decide, body)
        content: dict[str, Any] = {"id": decision.id, "outputs": decision.outputs}
        if explain:
            content["explanation"] = await run_in_threadpool(engine.explain, decision.id)
        # the version that made it, even when a reload swapped another in meanwhile
        return JSONBody(content, status_code=201, headers={"Location": f"/decisions/{decision.id}",
                                                           VERSION_HEADER: decision.project_version,
                                                           HASH_HEADER: decision.project_hash})

    @app.post("/decisions/batch", status_code=201, summary="Decide many requests (a JSON array or CSV) and store them")
    async def post_batch(request: Request, on_error: Literal["raise", "collect"] = "raise") -> Response:
        body = await body_of(request)
        media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        result = await run_in_threadpool(service.decide_batch, body, csv=media in CSV_TYPES, on_error=on_error)
        return JSONBody(result, status_code=201)

    # -- reading back --------------------------------------------------------------------------

    @app.get("/decisions", summary="Stored decisions, newest first")
    async def get_history(limit: int = Query(20, ge=1, le=1000), since: datetime | None = None,
                          until: datetime | None = None, batch_id: str | None = Query(None, max_length=200)) -> Response:
        return JSONBody(await run_in_threadpool(service.history, limit, since, until, batch_id))

    @app.get("/decisions/{decision_id}", summary="One stored decision with its trace")
    async def get_decision(decision_id: str) -> Response:
        decision = await run_in_threadpool(engine.get, decision_id)
        return JSONBody(decision.model_dump(mode="json"))

    @app.get("/decisions/{decision_id}/explain", summary="A stored decision explained step by step")
    async def get_explanation(decision_id: str, format: Literal["text", "json", "html"] = "text",
                              why_not: str | None = Query(None, max_length=200),
                              full: bool = Query(False, description="every step, not only those that decided")
                              ) -> Response:
        if format == "json":
            text = await run_in_threadpool(engine.explain, decision_id, format="json", why_not=why_not, full=full)
            return Response(text, media_type="application/json")
        text = await run_in_threadpool(engine.explain, decision_id, format="text", why_not=why_not, full=full)
        if format == "html":
            return HTMLResponse(_html_page(decision_id, text))
        return PlainTextResponse(text)

    @app.post("/decisions/{decision_id}/outcome", status_code=201,
              summary="Record what happened after a stored decision ({\"value\": ..., \"note\": ...})")
    async def post_outcome(decision_id: str, request: Request) -> Response:
        body = json_request(await body_of(request), service.limits)
        unknown = sorted(set(body) - {"value", "note", "recorded_at"})
        if "value" not in body or unknown:
            extra = f"; unknown: {', '.join(unknown)}" if unknown else ""
            raise RequestError('an outcome is a JSON object {"value": ..., "note": "...", "recorded_at": "ISO 8601"} '
                               f"with a value{extra}",
                               code="bad_outcome", field="value")
        note, at = body.get("note"), body.get("recorded_at")
        if not isinstance(note, (str, type(None))) or not isinstance(at, (str, type(None))):
            raise RequestError("note and recorded_at are text", code="bad_outcome", field="note")
        await run_in_threadpool(engine.record_outcome, decision_id, body["value"], recorded_at=at, note=note)
        return JSONBody({"decision_id": decision_id, "value": body["value"], "note": note}, status_code=201)

    # -- the project and the service -----------------------------------------------------------

    @app.get("/schema", summary="The JSON Schema of a request, generated from knowledge/")
    async def get_schema() -> Response:
        return JSONBody(request_schema(engine.project, limits=service.limits))

    @app.get("/schema/outputs", summary="The JSON Schema of a decision's outputs")
    async def get_outputs_schema() -> Response:
        return JSONBody(outputs_schema(engine.project))

    @app.get("/health", summary="Live: the process answers")
    async def get_health() -> Response:
        return JSONBody({"status": "ok"})

    @app.get("/ready", summary="Ready: the project is loaded and the store reachable (503 otherwise)")
    async def get_ready() -> Response:
        status, body = await run_in_threadpool(service.ready)
        return JSONBody(body, status_code=status)

    @app.get("/metrics", summary="Prometheus metrics")
    async def get_metrics() -> Response:
        return PlainTextResponse(service.metrics.render(engine.project),
                                 media_type="text/plain; version=0.0.4; charset=utf-8")

    documents: dict[str, dict[str, Any]] = {}

    def openapi() -> dict[str, Any]:
        current = engine.project
        if current.hash not in documents:  # one document per project version: a reload changes it
            documents.clear()
            documents[current.hash] = _openapi(app, current, service)
        return documents[current.hash]

    app.openapi = openapi  # type: ignore[method-assign]
    return app


class _ProjectHeaders:
    """Every response names the project version and hash that served it; every request is timed.

    Plain ASGI (no BaseHTTPMiddleware): it adds two headers and a clock read per request. An
    unexpected exception becomes a 500 with a JSON body and a log line, never a traceback.
    """

    def __init__(self, app: Any, service: Service) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        sent = False

        async def send_with_headers(message: dict[str, Any]) -> None:
            nonlocal status, sent
            if message["type"] == "http.response.start":
                status = message["status"]
                sent = True
                headers = list(message.get("headers", ()))
                if not any(name == b"x-composite-project-hash" for name, _ in headers):  # a decision names its own
                    project = self.service.engine.project
                    headers += [(b"x-composite-project-version", project.version.encode("latin-1", "replace")),
                                (b"x-composite-project-hash", project.hash.encode("latin-1", "replace"))]
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            log.exception("unexpected error on %s %s", scope.get("method"), scope.get("path"))
            self.service.metrics.failed(("internal_error",))
            if not sent:
                response = JSONBody({"code": "internal_error", "message": "internal error; the service log has the "
                                     "details", "problems": []}, status_code=500)
                await response(scope, receive, send_with_headers)
        finally:
            route = scope.get("route")
            self.service.metrics.request(scope.get("method", ""), getattr(route, "path", "unmatched"), status,
                                         time.perf_counter() - started)


def _project(project: Any) -> dict[str, str]:
    return {"name": project.name, "version": project.version, "hash": project.hash}


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=timezone.utc)  # a time without a zone is UTC, as the store writes them


def _html_page(decision_id: str, text: str) -> str:
    title = html.escape(f"Decision {decision_id}")
    return (f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
            '<style>body{font-family:sans-serif;margin:2em}pre{white-space:pre-wrap}</style></head>\n'
            f"<body><h1>{title}</h1>\n<pre>{html.escape(text)}</pre>\n</body></html>\n")


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _openapi(app: FastAPI, project: Any, service: Service) -> dict[str, Any]:
    """FastAPI's document with the request and outputs schemas generated from knowledge/."""
    document = get_openapi(title=app.title, version=project.version, description=app.description, routes=app.routes)
    document["info"]["x-composite-project"] = _project(project)
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    request = request_schema(project, limits=service.limits)
    outputs = outputs_schema(project)
    request.pop("$schema", None)
    outputs.pop("$schema", None)
    schemas["DecisionRequest"] = request
    schemas["DecisionOutputs"] = outputs
    schemas["DecisionCreated"] = {
        "type": "object", "required": ["id", "outputs"],
        "properties": {"id": {"type": "string", "description": "The decision's id (time-ordered)"},
                       "outputs": _ref("DecisionOutputs"),
                       "explanation": {"type": "string", "description": "With ?explain=true: the explanation text"}}}
    schemas["Problem"] = {
        "type": "object", "required": ["code", "message"],
        "properties": {"field": {"type": ["string", "null"]}, "code": {"type": "string"}, "message": {"type": "string"},
                       "line": {"type": "integer"}, "column": {"type": "integer"}}}
    schemas["Error"] = {
        "type": "object", "required": ["code", "message", "problems"],
        "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                       "problems": {"type": "array", "items": _ref("Problem")}}}
    schemas["RowProblem"] = {
        "type": "object", "required": ["row", "field", "code", "message"],
        "properties": {"row": {"type": "integer", "description": "Position of the row in the batch, from 0"},
                       "field": {"type": ["string", "null"]}, "code": {"type": "string"}, "message": {"type": "string"}}}
    schemas["BatchCreated"] = {
        "type": "object", "required": ["batch_id", "decisions", "errors"],
        "properties": {
            "batch_id": {"type": ["string", "null"]}, "decided": {"type": "integer"}, "rejected_rows": {"type": "integer"},
            "decisions": {"type": "array", "items": {
                "type": "object", "required": ["row", "id", "outputs"],
                "properties": {"row": {"type": "integer"}, "id": {"type": "string"}, "outputs": _ref("DecisionOutputs")}}},
            "errors": {"type": "array", "items": _ref("RowProblem"),
                       "description": "With ?on_error=collect: one entry per problem of a rejected row"}}}

    def error(text: str) -> dict[str, Any]:
        return {"description": text, "content": {"application/json": {"schema": _ref("Error")}}}

    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            if "422" in operation.get("responses", {}):
                operation["responses"]["422"] = error("A parameter or the request is invalid: every problem listed")
    decide = document["paths"]["/decisions"]["post"]
    decide["requestBody"] = {"required": True, "content": {"application/json": {"schema": _ref("DecisionRequest")}}}
    decide["responses"] = {
        "201": {"description": "Decided and stored", "content": {"application/json": {"schema": _ref("DecisionCreated")}}},
        "413": error("The body is larger than Limits.max_request_bytes"),
        "422": error("The request does not meet the schema: every problem listed, nothing stored"),
        "503": error("The decision store is not available: nothing stored"),
    }
    batch = document["paths"]["/decisions/batch"]["post"]
    batch["requestBody"] = {"required": True, "content": {
        "application/json": {"schema": {"type": "array", "items": _ref("DecisionRequest")}},
        "text/csv": {"schema": {"type": "string", "description": "A header row naming the inputs, one row per request"}}}}
    batch["responses"] = {
        "201": {"description": "Decided and stored (with on_error=collect: the good rows)",
                "content": {"application/json": {"schema": _ref("BatchCreated")}}},
        "413": error("The body is larger than Limits.max_request_bytes"),
        "422": error("A bad row (on_error=raise) or a bad batch: every problem listed, nothing stored"),
        "503": error("The decision store is not available: nothing stored"),
    }
    for path in ("/decisions/{decision_id}", "/decisions/{decision_id}/explain"):
        document["paths"][path]["get"]["responses"]["404"] = error("No decision with that id")
    return document


def from_environment() -> FastAPI:
    """The app for `uvicorn --factory composite.service.app:from_environment`: the project in
    $COMPOSITE_PROJECT (default "."), the store in $COMPOSITE_STORE_URL (default: SQLite in the
    project's .composite/), --reload when $COMPOSITE_SERVE_RELOAD is 1, challengers (deciding in the
    shadow, docs/challengers.md) from $COMPOSITE_SERVE_CHALLENGERS, folders joined by os.pathsep."""
    from composite.engine import CompositeEngine

    if not log.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s:     %(name)s: %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
    challengers = [folder for folder in os.environ.get(CHALLENGERS_ENV, "").split(os.pathsep) if folder]
    engine = CompositeEngine.from_path(os.environ.get(PROJECT_ENV, "."), challengers=challengers)
    reload = os.environ.get(RELOAD_ENV, "") == "1"
    interval = float(os.environ.get(RELOAD_INTERVAL_ENV, "1.0"))
    return create_app(engine, reload=reload, reload_interval=interval, close_engine=True)


__all__ = ["CHALLENGERS_ENV", "HASH_HEADER", "VERSION_HEADER", "Service", "create_app", "from_environment"]
