"""`composite serve --reload`: watch a project's files and swap a good edit in, keep the running
version on a bad one. Polls modification times and sizes in a thread: no new dependency.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from composite.errors import CompositeError

if TYPE_CHECKING:
    from composite.engine import CompositeEngine

log = logging.getLogger("composite.service")

WATCHED_FOLDERS = ("knowledge", "rules", "models", "data")


@dataclass
class ReloadStatus:
    """The last reload: what `GET /ready` reports. `error` is set while a bad edit is on disk."""

    checked_at: float | None = None
    reloaded_at: float | None = None
    error: str | None = None
    problems: list[dict[str, Any]] = field(default_factory=list)
    failed_at: float | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"status": "failed" if self.error else "ok"}
        if self.reloaded_at is not None:
            out["reloaded_at"] = _iso(self.reloaded_at)
        if self.error:
            out.update(error=self.error, problems=self.problems, failed_at=_iso(self.failed_at or 0.0))
        return out


def fingerprint(root: Path, artifacts: Any = ()) -> dict[str, tuple[int, int]]:
    """(mtime_ns, size) of composite.yaml, every artifact and every file below the project's folders."""
    found: dict[str, tuple[int, int]] = {}
    paths = [root / "composite.yaml", *(root / relative for relative in artifacts)]
    for folder in WATCHED_FOLDERS:
        if (root / folder).is_dir():
            paths.extend(p for p in (root / folder).rglob("*") if "__pycache__" not in p.parts)
    for path in paths:
        try:
            stat = path.stat()
        except OSError:
            continue
        if path.is_file():
            found[path.as_posix()] = (stat.st_mtime_ns, stat.st_size)
    return found


class ProjectWatcher:
    """Polls the project's files every `interval` seconds; on a change, `engine.reload()`.

    The engine loads the new version completely before it swaps it in (decisions in flight keep
    theirs); a project that fails to load raises, and the running version stays: the error is kept
    in `status` (for `/ready`) and logged, until an edit loads or the files are back as they were.
    """

    def __init__(self, engine: "CompositeEngine", *, interval: float = 1.0,
                 on_reload: Callable[[bool], None] | None = None) -> None:
        self.engine = engine
        self.interval = interval
        self.status = ReloadStatus()
        self._on_reload = on_reload
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._seen = self._fingerprint()

    def _fingerprint(self) -> dict[str, tuple[int, int]]:
        project = self.engine.project
        return fingerprint(Path(project.root), project.artifacts)

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="composite-reload", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.check()
            except Exception:  # the watcher must outlive anything a check meets
                log.exception("the project watcher failed; it keeps watching")

    def check(self) -> bool | None:
        """Reload when a file changed: True when a new version was swapped in, False when the
        change left the project as it was, None when nothing changed. Raises nothing."""
        now = self._fingerprint()
        self.status.checked_at = time.time()
        if now == self._seen:
            return None
        self._seen = now
        before = self.engine.project
        try:
            changed = self.engine.reload()
        except CompositeError as exc:
            self._failed(before, str(exc), [p.to_dict() for p in exc.problems])
            return False
        except Exception as exc:  # a loader bug must not stop the service either
            self._failed(before, f"{type(exc).__name__}: {exc}", [])
            return False
        self.status.error, self.status.problems, self.status.failed_at = None, [], None
        if changed:
            project = self.engine.project
            self.status.reloaded_at = time.time()
            self._seen = self._fingerprint()  # a new version may read new files
            log.info("reloaded project '%s' %s (%s), was %s (%s)", project.name, project.version, project.hash,
                     before.version, before.hash)
            if self._on_reload:
                self._on_reload(True)
        return changed

    def _failed(self, kept: Any, error: str, problems: list[dict[str, Any]]) -> None:
        self.status.error = error[:4000]
        self.status.problems = problems[:50]
        self.status.failed_at = time.time()
        log.error("reload failed; still serving project '%s' %s (%s):\n%s", kept.name, kept.version, kept.hash,
                  self.status.error)
        if self._on_reload:
            self._on_reload(False)


def _iso(seconds: float) -> str:
    from datetime import datetime, timezone

    return datetime.fromtimestamp(seconds, timezone.utc).isoformat(timespec="milliseconds")


__all__ = ["ProjectWatcher", "ReloadStatus", "fingerprint"]
