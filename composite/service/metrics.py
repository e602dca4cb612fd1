"""The service's counters and histograms, rendered in the Prometheus text exposition format.

Written here rather than taken from prometheus_client: a few counters and histograms need no
dependency. One `Metrics` per process (each uvicorn worker counts its own requests).
"""

from __future__ import annotations

import bisect
import threading
from typing import Any, Iterable, Mapping

# seconds; a node takes microseconds, a request milliseconds
NODE_BUCKETS = (0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1)
REQUEST_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

OUTCOME_NAMES = ("decision", "outcome")
MAX_OUTCOMES = 50  # distinct outcome labels kept; more are counted as "other" (a numeric output is no label)


class _Histogram:
    __slots__ = ("buckets", "counts", "sum", "count")

    def __init__(self, buckets: tuple[float, ...]) -> None:
        self.buckets = buckets
        self.counts = [0] * len(buckets)
        self.sum = 0.0
        self.count = 0

    def observe(self, value: float) -> None:
        i = bisect.bisect_left(self.buckets, value)
        if i < len(self.counts):
            self.counts[i] += 1
        self.sum += value
        self.count += 1


class Metrics:
    """What `GET /metrics` shows: decisions by outcome, errors by code, node and request latencies."""

    def __init__(self, outputs: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self.outcome_output = outcome_output(tuple(outputs))
        self.decisions: dict[str, int] = {}
        self.errors: dict[str, int] = {}
        self.reloads: dict[str, int] = {"ok": 0, "failed": 0}
        self.nodes: dict[str, _Histogram] = {}
        self.requests: dict[tuple[str, str, str], int] = {}
        self.latency: dict[tuple[str, str], _Histogram] = {}

    def decided(self, outputs: Mapping[str, Any], timings: Iterable[tuple[str, str, float]] = ()) -> None:
        """One decision: its outcome and each node's duration (`Decision.node_timings()`, µs)."""
        label = self._outcome(outputs.get(self.outcome_output) if self.outcome_output else None)
        with self._lock:
            self.decisions[label] = self.decisions.get(label, 0) + 1
            for _name, kind, micros in timings:
                histogram = self.nodes.get(kind)
                if histogram is None:
                    histogram = self.nodes[kind] = _Histogram(NODE_BUCKETS)
                histogram.observe(micros / 1e6)

    def decided_many(self, outcomes: Iterable[Any]) -> None:
        """A batch's decisions, by outcome (a batch has no per-decision node timings)."""
        counts: dict[str, int] = {}
        for value in outcomes:
            label = self._outcome(value)
            counts[label] = counts.get(label, 0) + 1
        with self._lock:
            for label, n in counts.items():
                self.decisions[label] = self.decisions.get(label, 0) + n

    def failed(self, codes: Iterable[str]) -> None:
        with self._lock:
            for code in codes:
                self.errors[code] = self.errors.get(code, 0) + 1

    def reloaded(self, ok: bool) -> None:
        with self._lock:
            self.reloads["ok" if ok else "failed"] += 1

    def request(self, method: str, route: str, status: int, seconds: float) -> None:
        with self._lock:
            key = (method, route, str(status))
            self.requests[key] = self.requests.get(key, 0) + 1
            histogram = self.latency.get((method, route))
            if histogram is None:
                histogram = self.latency[(method, route)] = _Histogram(REQUEST_BUCKETS)
            histogram.observe(seconds)

    def _outcome(self, value: Any) -> str:
        if value is None:
            label = "null"
        elif isinstance(value, bool):
            label = "true" if value else "false"
        elif isinstance(value, (str, int)):
            label = str(value)[:100]
        else:
            return "other"
        if label not in self.decisions and len(self.decisions) >= MAX_OUTCOMES:
            return "other"
        return label

    def render(self, project: Any = None) -> str:
        """The Prometheus text exposition format (version 0.0.4)."""
        out: list[str] = []
        with self._lock:
            if project is not None:
                _head(out, "composite_project_info", "gauge", "The project version being served (always 1)")
                out.append(f"composite_project_info{_labels(name=project.name, version=project.version, hash=project.hash)} 1")
            _head(out, "composite_decisions_total", "counter",
                  f"Decisions stored, by outcome (the output '{self.outcome_output}')")
            for label, n in sorted(self.decisions.items()):
                out.append(f"composite_decisions_total{_labels(outcome=label)} {n}")
            _head(out, "composite_errors_total", "counter",
                  "Problems reported in error responses and rejected batch rows, by code")
            for code, n in sorted(self.errors.items()):
                out.append(f"composite_errors_total{_labels(code=code)} {n}")
            _head(out, "composite_reloads_total", "counter", "Project reloads by result (--reload)")
            for result, n in sorted(self.reloads.items()):
                out.append(f"composite_reloads_total{_labels(result=result)} {n}")
            _head(out, "composite_node_duration_seconds", "histogram", "Time one node took for one decision, by node kind")
            for kind, histogram in sorted(self.nodes.items()):
                _histogram(out, "composite_node_duration_seconds", histogram, kind=kind)
            _head(out, "composite_http_requests_total", "counter", "HTTP requests by method, route and status")
            for (method, route, status), n in sorted(self.requests.items()):
                out.append(f"composite_http_requests_total{_labels(method=method, route=route, status=status)} {n}")
            _head(out, "composite_http_request_duration_seconds", "histogram", "HTTP request latency by method and route")
            for (method, route), histogram in sorted(self.latency.items()):
                _histogram(out, "composite_http_request_duration_seconds", histogram, method=method, route=route)
        return "\n".join(out) + "\n"


def outcome_output(outputs: tuple[str, ...]) -> str | None:
    """The output decisions are counted by: one named decision or outcome, else the first."""
    for name in OUTCOME_NAMES:
        if name in outputs:
            return name
    return outputs[0] if outputs else None


def _head(out: list[str], name: str, kind: str, text: str) -> None:
    out.append(f"# HELP {name} {text}")
    out.append(f"# TYPE {name} {kind}")


def _histogram(out: list[str], name: str, histogram: _Histogram, **labels: str) -> None:
    cumulative = 0
    for bound, n in zip(histogram.buckets, histogram.counts):
        cumulative += n
        out.append(f"{name}_bucket{_labels(**labels, le=_float(bound))} {cumulative}")
    out.append(f"{name}_bucket{_labels(**labels, le='+Inf')} {histogram.count}")
    out.append(f"{name}_sum{_labels(**labels)} {_float(histogram.sum)}")
    out.append(f"{name}_count{_labels(**labels)} {histogram.count}")


def _float(value: float) -> str:
    return repr(float(value))


def _labels(**labels: str) -> str:
    escaped = (f'{key}="{_escape(str(value))}"' for key, value in labels.items())
    return "{" + ",".join(escaped) + "}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


__all__ = ["Metrics", "NODE_BUCKETS", "REQUEST_BUCKETS", "outcome_output"]
