"""Bounded time and memory for a hostile case, without threads.

In-process cases run under `bounded()`: a real-time interval timer (SIGALRM) interrupts a case
that has not finished after a generous `seconds`, so a hang fails the test instead of the run. CLI
cases run in a subprocess with `subprocess.run(..., timeout=...)` and an address-space limit, so
memory exhaustion shows as a failure too. Nothing asserts how long a case took, only that it ended.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Iterator, Sequence

GENEROUS = 60  # seconds: a hang detector on a loaded shared machine, never a performance bound
MEMORY = 4 * 2**30  # address space of one CLI process: far above a normal run, far below "exhausted"


class DidNotFinish(AssertionError):
    pass


@contextlib.contextmanager
def bounded(seconds: float = GENEROUS) -> Iterator[None]:
    if not hasattr(signal, "setitimer"):  # pragma: no cover - not on this platform: unguarded
        yield
        return

    def expire(signum: int, frame: object) -> None:
        raise DidNotFinish(f"the case did not finish within {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _limit_memory() -> None:  # runs in the child, before exec
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))
    except (ImportError, ValueError, OSError):  # pragma: no cover
        pass


def run_cli(args: Sequence[str], *, cwd: Path | None = None, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    """`composite ARGS` in a fresh interpreter, bounded in time and memory; stdout/stderr as text."""
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "OMP_NUM_THREADS": "1"}
    env.pop("COMPOSITE_STORE_URL", None)
    done = subprocess.run([sys.executable, "-m", "composite", *args], input=stdin, capture_output=True,
                          timeout=GENEROUS, cwd=cwd, env=env, preexec_fn=_limit_memory if os.name == "posix" else None)
    return subprocess.CompletedProcess(done.args, done.returncode, done.stdout.decode("utf-8", "replace"),
                                       done.stderr.decode("utf-8", "replace"))


def assert_clean_failure(done: subprocess.CompletedProcess, *, where: Sequence[str] = ()) -> None:
    """Exit 1 or 2, no traceback, one headline error line, and the location (any of `where`) on stderr."""
    stderr = done.stderr
    assert done.returncode in (1, 2), (done.returncode, stderr[-2000:])
    assert "Traceback" not in stderr, stderr[-4000:]
    lines = stderr.splitlines()
    headlines = [line for line in lines if line.startswith("error:") or ": error:" in line or " error(s), " in line]
    assert len(headlines) == 1, stderr[-2000:]
    assert len(stderr) < 5_000, stderr[:2000]  # a value is shown cut short, never in full
    if where:
        assert any(w in stderr for w in where), (where, stderr[-2000:])
