"""Decision ids: time-ordered, unique across processes and machines, readable in a URL.

A UUIDv7 layout (48-bit millisecond time, version, 74 random bits) written as 32 hex digits, so
ids sort by creation time as text; within one process a counter keeps them strictly increasing.
"""

from __future__ import annotations

import os
import threading
import time
from datetime import datetime, timezone

_lock = threading.Lock()
_last = 0


def _layout(ms: int, rand: int) -> int:
    rand_a = (rand >> 62) & 0xFFF
    rand_b = rand & ((1 << 62) - 1)
    return (ms << 80) | (0x7 << 76) | (rand_a << 64) | (0x2 << 62) | rand_b


def new_id() -> str:
    global _last
    value = _layout(time.time_ns() // 1_000_000, int.from_bytes(os.urandom(10), "big") >> 6)
    with _lock:
        # Two ids in the same millisecond keep their order; the random bits still keep
        # processes apart.
        if value <= _last:
            value = _last + 1
        _last = value
    return f"{value:032x}"


def new_ids(count: int) -> list[str]:
    """`count` increasing ids at once (one lock, one clock read)."""
    global _last
    # Random bits leave room below them so a batch of consecutive ids never carries past them.
    base = _layout(time.time_ns() // 1_000_000, int.from_bytes(os.urandom(8), "big") << 10)
    with _lock:
        start = max(base, _last + 1)
        _last = start + count - 1
    return [f"{start + i:032x}" for i in range(count)]


def id_time(decision_id: str) -> datetime:
    """When an id was made (to the millisecond)."""
    return datetime.fromtimestamp((int(decision_id, 16) >> 80) / 1000, tz=timezone.utc)
