"""`composite serve`: the decision service over HTTP; `composite schema`: the request's JSON Schema.

FastAPI and uvicorn (the extra `composite-decisions[serve]`) are imported when `serve` runs, never when the
`composite` command starts. `add_serve_commands` registers both commands on the `composite` parser.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

__all__ = ["add_serve_commands", "cmd_schema", "cmd_serve"]


def add_serve_commands(subparsers: Any) -> None:
    """Register `serve` and `schema` on the subparsers of the `composite` command."""
    p = subparsers.add_parser(
        "serve", help="serve decisions over HTTP (needs composite-decisions[serve])",
        description="Run the decision service: POST /decisions, GET /decisions/{id}/explain, /schema, /ready, "
                    "/metrics and /docs (see docs/service.md).")
    p.add_argument("--project", default=".", help="decision project folder, .dmn or .fll file (default: .)")
    p.add_argument("--store", default=None,
                   help="store URL: memory, sqlite:///file.db, postgresql://... "
                        "(default: $COMPOSITE_STORE_URL or <project>/.composite/decisions.db)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port to listen on (default: 8000)")
    p.add_argument("--workers", type=int, default=1, help="worker processes, each with its own engine (default: 1)")
    p.add_argument("--reload", action="store_true",
                   help="watch the project's files: swap a good edit in, keep the running version on a bad one")
    p.add_argument("--reload-interval", type=float, default=1.0, metavar="SECONDS",
                   help="seconds between two looks at the files with --reload (default: 1)")
    p.add_argument("--log-level", default="info", choices=("critical", "error", "warning", "info", "debug"))
    p.add_argument("--challenger", action="append", default=[], metavar="DIR",
                   help="a challenger project folder deciding every request in the shadow, stored linked to the "
                        "champion's decision and never returned (repeatable; docs/challengers.md)")
    p.set_defaults(run=cmd_serve)

    p = subparsers.add_parser("schema", help="print the JSON Schema of a request, generated from knowledge/")
    p.add_argument("--project", default=".", help="decision project folder, .dmn or .fll file (default: .)")
    p.add_argument("--output", default=None, metavar="FILE", help="write it to FILE instead of standard output")
    p.add_argument("--outputs", action="store_true", help="the schema of a decision's outputs instead")
    p.set_defaults(run=cmd_schema)


def cmd_schema(args: argparse.Namespace) -> int:
    from composite.jsonschema import outputs_schema, request_schema
    from composite.project import load_project

    project = load_project(args.project)
    schema = outputs_schema(project) if args.outputs else request_schema(project)
    text = json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        print(text, end="")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from composite.service import require_fastapi

    require_fastapi()  # before loading anything: the one-line answer when the extra is missing
    import uvicorn

    from composite.engine import CompositeEngine
    from composite.service.app import (CHALLENGERS_ENV, PROJECT_ENV, RELOAD_ENV, RELOAD_INTERVAL_ENV, create_app,
                                       from_environment)
    from composite.store import STORE_ENV

    if args.workers < 1:
        print("error: --workers must be 1 or more", file=sys.stderr)
        return 2
    _log_to_stderr(args.log_level)
    # Loaded here in every case: a project or store that cannot be opened is reported before any
    # port is bound, as one error, not as a worker's traceback.
    challengers = list(getattr(args, "challenger", None) or [])
    engine = CompositeEngine.from_path(args.project, store=args.store, challengers=challengers)
    project = engine.project
    print(f"serving project '{project.name}' {project.version} ({project.hash}) from {args.project}, "
          f"store {engine.store.url}, on http://{args.host}:{args.port} (API docs: /docs)", file=sys.stderr)
    for challenger in engine.challengers:
        print(f"challenger '{challenger.project.name}' {challenger.project.version} decides every request in the "
              "shadow (stored, never returned)", file=sys.stderr)
    if args.workers == 1:
        app = create_app(engine, reload=args.reload, reload_interval=args.reload_interval, close_engine=True)
        uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level)
        return 0
    if engine.store.url == "memory":
        print("warning: --store memory with several workers gives each worker a memory store of its own: a "
              "decision is found only by the worker that made it", file=sys.stderr)
    engine.close()
    os.environ[PROJECT_ENV] = str(Path(args.project).resolve())
    if args.store is not None:
        os.environ[STORE_ENV] = args.store
    os.environ[RELOAD_ENV] = "1" if args.reload else "0"
    os.environ[RELOAD_INTERVAL_ENV] = str(args.reload_interval)
    os.environ[CHALLENGERS_ENV] = os.pathsep.join(str(Path(folder).resolve()) for folder in challengers)
    uvicorn.run(f"{from_environment.__module__}:from_environment", factory=True, host=args.host, port=args.port,
                workers=args.workers, log_level=args.log_level)
    return 0


def _log_to_stderr(level: str) -> None:
    import logging

    log = logging.getLogger("composite.service")
    if not log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s:     %(name)s: %(message)s"))
        log.addHandler(handler)
    log.setLevel(level.upper())
