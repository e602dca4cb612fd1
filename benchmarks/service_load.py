"""The decision service under load: `composite serve --workers 2` on the default project (SQLite
store in a temporary folder), a closed loop of requests from a local async httpx client.

Reports p50 and p99 latency, throughput, errors (target 0) and decisions stored against 201
responses (target equal); the same load against a bare FastAPI endpoint returning the same JSON,
served the same way in the same run, is the baseline (the service's overhead as a ratio).

Run by hand: `python benchmarks/service_load.py` (20,000 requests at concurrency 32); CI
smoke-runs it with --smoke (about 50 requests).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks._common import package_version, table  # noqa: E402

REPO = Path(__file__).resolve().parents[1]

BARE_APP = """
from fastapi import FastAPI, Request
from fastapi.responses import Response

app = FastAPI()
BODY = {body!r}


@app.post("/decisions", status_code=201)
async def decide(request: Request) -> Response:
    await request.json()  # read and parse the request, as the service does
    return Response(BODY, status_code=201, media_type="application/json")


@app.get("/health")
async def health() -> dict:
    return {{"status": "ok"}}
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def requests(n: int, seed: int = 0) -> list[bytes]:
    """`n` applications around data/sample_application.json, varied so no two decide alike."""
    sample = json.loads((REPO / "data" / "sample_application.json").read_text())
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        request = {**sample, "duration_months": rng.randint(4, 72), "credit_amount": rng.randint(250, 18_000),
                   "age": rng.randint(19, 75), "checking_status": rng.choice(["none", "overdrawn", "low", "high"])}
        out.append(json.dumps(request).encode())
    return out


def start(command: list[str], port: int, *, cwd: Path, env: dict[str, str]) -> subprocess.Popen:
    import httpx

    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            pass
        if process.poll() is not None:
            raise SystemExit(f"the server did not start: {process.stderr.read().decode()[-2000:]}")
        if time.monotonic() > deadline:
            process.kill()
            raise SystemExit("the server did not answer /health within 60 s")
        time.sleep(0.2)


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


async def load(port: int, bodies: list[bytes], concurrency: int) -> dict[str, object]:
    """A closed loop: `concurrency` clients, each sending its next request when the last is answered."""
    import httpx

    latencies: list[float] = []
    statuses: dict[int, int] = {}
    failures: list[str] = []
    queue = iter(range(len(bodies)))
    headers = {"content-type": "application/json"}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=60) as client:
        async def one_client() -> None:
            for i in queue:
                t0 = time.perf_counter()
                try:
                    response = await client.post("/decisions", content=bodies[i], headers=headers)
                except httpx.HTTPError as exc:
                    failures.append(f"{type(exc).__name__}: {exc}")
                    continue
                latencies.append(time.perf_counter() - t0)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

        started = time.perf_counter()
        await asyncio.gather(*(one_client() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {"latencies": latencies, "statuses": statuses, "failures": failures, "elapsed": elapsed}


def quantile(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="about 50 requests, for CI")
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    try:
        import fastapi  # noqa: F401
        import httpx  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as exc:
        print(f"SKIPPED: {exc.name} is not installed; the service needs pip install 'composite-decisions[serve]' (and httpx)")
        return 0
    total, concurrency, warmup = (50, 8, 10) if args.smoke else (args.requests, args.concurrency, 200)

    bodies = requests(warmup + total)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        database = folder / "decisions.db"
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        env.pop("COMPOSITE_STORE_URL", None)

        port = free_port()
        service = start([sys.executable, "-m", "composite", "serve", "--project", str(REPO), "--store",
                         f"sqlite:///{database}", "--port", str(port), "--workers", str(args.workers),
                         "--log-level", "warning"], port, cwd=folder, env=env)
        try:
            asyncio.run(load(port, bodies[:warmup], concurrency))
            measured = asyncio.run(load(port, bodies[warmup:], concurrency))
            sample = asyncio.run(_one(port, bodies[0]))
        finally:
            stop(service)
        with sqlite3.connect(database) as db:
            stored = db.execute("SELECT COUNT(*) FROM decisions").fetchone()[0]
        created = warmup + measured["statuses"].get(201, 0) + 1  # the warm-up's and the sample's too

        (folder / "bare_app.py").write_text(textwrap.dedent(BARE_APP.format(body=sample)))
        port = free_port()
        bare = start([sys.executable, "-m", "uvicorn", "bare_app:app", "--app-dir", str(folder), "--port", str(port),
                      "--workers", str(args.workers), "--log-level", "warning"], port, cwd=folder, env=env)
        try:
            asyncio.run(load(port, bodies[:warmup], concurrency))
            baseline = asyncio.run(load(port, bodies[warmup:], concurrency))
        finally:
            stop(bare)

    ours, base = measured["latencies"], baseline["latencies"]
    errors = sum(n for status, n in measured["statuses"].items() if status != 201) + len(measured["failures"])
    rate, base_rate = len(ours) / measured["elapsed"], len(base) / baseline["elapsed"]
    p50, p99, b50, b99 = quantile(ours, 0.5), quantile(ours, 0.99), quantile(base, 0.5), quantile(base, 0.99)
    print(f"composite serve --workers {args.workers}, default project, SQLite store; {total:,} requests at "
          f"concurrency {concurrency} (closed loop, local async httpx client); fastapi {package_version('fastapi')}, "
          f"uvicorn {package_version('uvicorn')}; {os.cpu_count()} CPUs seen")
    rows = [
        ("p50 latency", f"{p50 * 1e3:.1f} ms", f"{b50 * 1e3:.1f} ms", f"x{p50 / b50:.1f} of bare"),
        ("p99 latency", f"{p99 * 1e3:.1f} ms", f"{b99 * 1e3:.1f} ms", f"x{p99 / b99:.1f} of bare"),
        ("throughput", f"{rate:,.0f} req/s", f"{base_rate:,.0f} req/s", f"{base_rate / rate:.1f}x fewer than bare"),
        ("errors", f"{errors:,}", f"{len(baseline['failures']):,}",
         f"target 0: {'met' if errors == 0 else 'MISSED'}"),
        ("stored vs 201", f"{stored:,} stored, {created:,} created", "",
         f"target equal: {'met' if stored == created else 'MISSED'}"),
    ]
    print(table(rows, ("measure", "service", "bare FastAPI (same run)", "result")))
    if measured["failures"]:
        print(f"first failure: {measured['failures'][0]}")
    if errors:
        print(f"statuses: {measured['statuses']}")
    return 0 if errors == 0 and stored == created else 1


async def _one(port: int, body: bytes) -> str:
    """One decision's response body: what the bare endpoint returns."""
    import httpx

    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        response = await client.post("/decisions", content=body, headers={"content-type": "application/json"})
    return response.text


if __name__ == "__main__":
    sys.exit(main())
