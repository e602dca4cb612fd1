"""`composite serve`: the decision service over HTTP.

FastAPI and uvicorn (the extra `composite-decisions[serve]`) are imported when `serve` runs, never when the
`composite` command starts. Exit codes: 0 served until stopped, 1 a project or store that cannot be
opened or a missing extra, 2 wrong usage.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from composite.cli._common import command, project_option, store_option

__all__ = ["serve"]


@command("serve", "Run the decision service: POST /decisions, GET /decisions/{id}/explain, /schema, /ready, "
                  "/metrics and /docs (see docs/service.md).")
@project_option()
@store_option("store URL: memory, sqlite:///file.db, postgresql://... "
              "(default: $COMPOSITE_STORE_URL or <project>/.composite/decisions.db)")
@click.option("--host", default="127.0.0.1", metavar="HOST", help="address to listen on (default: 127.0.0.1)")
@click.option("--port", type=int, default=8000, metavar="PORT", help="port to listen on (default: 8000)")
@click.option("--workers", type=int, default=1, metavar="WORKERS",
              help="worker processes, each with its own engine (default: 1)")
@click.option("--reload", is_flag=True,
              help="watch the project's files: swap a good edit in, keep the running version on a bad one")
@click.option("--reload-interval", type=float, default=1.0, metavar="SECONDS",
              help="seconds between two looks at the files with --reload (default: 1)")
@click.option("--log-level", type=click.Choice(("critical", "error", "warning", "info", "debug")), default="info",
              help="the service's log level (default: info)")
@click.option("--challenger", multiple=True, metavar="DIR",
              help="a challenger project folder deciding every request in the shadow, stored linked to the "
                   "champion's decision and never returned (repeatable; docs/challengers.md)")
def serve(project: str, store: str | None, host: str, port: int, workers: int, reload: bool, reload_interval: float,
          log_level: str, challenger: tuple[str, ...]) -> int:
    from composite.service import require_fastapi

    require_fastapi()  # before loading anything: the one-line answer when the extra is missing
    import uvicorn

    from composite.engine import CompositeEngine
    from composite.service.app import (CHALLENGERS_ENV, PROJECT_ENV, RELOAD_ENV, RELOAD_INTERVAL_ENV, create_app,
                                       from_environment)
    from composite.store import STORE_ENV

    if workers < 1:
        print("error: --workers must be 1 or more", file=sys.stderr)
        return 2
    _log_to_stderr(log_level)
    # Loaded here in every case: a project or store that cannot be opened is reported before any
    # port is bound, as one error, not as a worker's traceback.
    challengers = list(challenger)
    engine = CompositeEngine.from_path(project, store=store, challengers=challengers)
    loaded = engine.project
    print(f"serving project '{loaded.name}' {loaded.version} ({loaded.hash}) from {project}, "
          f"store {engine.store.url}, on http://{host}:{port} (API docs: /docs)", file=sys.stderr)
    for shadow in engine.challengers:
        print(f"challenger '{shadow.project.name}' {shadow.project.version} decides every request in the "
              "shadow (stored, never returned)", file=sys.stderr)
    if workers == 1:
        app = create_app(engine, reload=reload, reload_interval=reload_interval, close_engine=True)
        uvicorn.run(app, host=host, port=port, log_level=log_level)
        return 0
    if engine.store.url == "memory":
        print("warning: --store memory with several workers gives each worker a memory store of its own: a "
              "decision is found only by the worker that made it", file=sys.stderr)
    engine.close()
    os.environ[PROJECT_ENV] = str(Path(project).resolve())
    if store is not None:
        os.environ[STORE_ENV] = store
    os.environ[RELOAD_ENV] = "1" if reload else "0"
    os.environ[RELOAD_INTERVAL_ENV] = str(reload_interval)
    os.environ[CHALLENGERS_ENV] = os.pathsep.join(str(Path(folder).resolve()) for folder in challengers)
    uvicorn.run(f"{from_environment.__module__}:from_environment", factory=True, host=host, port=port,
                workers=workers, log_level=log_level)
    return 0


def _log_to_stderr(level: str) -> None:
    import logging

    log = logging.getLogger("composite.service")
    if not log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s:     %(name)s: %(message)s"))
        log.addHandler(handler)
    log.setLevel(level.upper())
