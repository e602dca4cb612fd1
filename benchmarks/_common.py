"""Helpers shared by the benchmarks: timing loops and a results table."""

from __future__ import annotations

import statistics
import time
from typing import Callable


def per_call(fn: Callable[[], object], *, repeat: int, number: int) -> float:
    """Best-of-`repeat` seconds per call of `fn`, each sample `number` calls long."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        samples.append((time.perf_counter() - start) / number)
    return min(samples)


def once(fn: Callable[[], object], *, repeat: int = 3) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return min(samples)


def table(rows: list[tuple[str, ...]], header: tuple[str, ...]) -> str:
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    line = lambda r: "  ".join(str(c).ljust(w) for c, w in zip(r, widths))  # noqa: E731
    return "\n".join([line(header), line(tuple("-" * w for w in widths))] + [line(r) for r in rows])


def median(values: list[float]) -> float:
    return statistics.median(values)


def package_version(package: str) -> str:
    """An installed distribution's version, "?" when it is not installed (printed beside the results)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return "?"
