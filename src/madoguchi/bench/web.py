"""``madoguchi bench web``: live-stream latency and screen-pop look-up time.

**Event to browser.** A server process runs the sample center (in-memory runtime) behind
uvicorn; this process opens N WebSocket clients on the live stream as a supervisor (each gets
every event of the tenant). Once all have their snapshot, the server submits routing commands
(agent state changes, one event each) at R events/s for D seconds. Latency is the client's
receive time minus the event's ``at`` (both from the same machine's clock): it covers logging the
event, the bus, serialization, the socket and the client's own parsing. Target: p99 < 100 ms at
500 clients and 100 events/s.

**Screen pop.** PostgreSQL (``MADOGUCHI_BENCH_PG``, default the local ``test`` database, schema
``bench_web_<M>``) holds M customers (1,000,000; 100,000 with ``--quick``) loaded once with COPY and
kept for later runs. Measured: the caller-number look-up the screen pop runs
(:func:`madoguchi.api.customers.find_by_phone`), and the whole ``GET /api/v1/screen-pop``
request in process (authentication, look-up, timeline, audit entry written). Target for the
look-up: p99 < 20 ms.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from typing import Any

from rich.console import Console
from rich.table import Table

PG_URL = os.environ.get("MADOGUCHI_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PG_SCHEMA = "bench_web"
"""Schema prefix; the customer count is appended (one kept data set per size)."""
BENCH_PASSWORD = "bench-password-1"  # noqa: S105 - a throwaway user of a throwaway server


def _fast_hasher() -> Any:
    from argon2 import PasswordHasher

    return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


# --------------------------------------------------------------------------- stream server


def serve(port: int, clients: int, rate: float, duration: float) -> None:
    """The server side (run in a child process): app + runtime + the event driver."""
    import uvicorn
    from pydantic import SecretStr

    from madoguchi.api.app import create_app
    from madoguchi.api.seed import seed_sample_users
    from madoguchi.bus import InProcessBus
    from madoguchi.runtime import CenterRuntime, SystemClock
    from madoguchi.samples import load_sample_center
    from madoguchi.settings import Settings
    from madoguchi.store import InMemoryEventStore

    config = load_sample_center()
    runtime = CenterRuntime(
        config, store=InMemoryEventStore(), bus=InProcessBus(), clock=SystemClock()
    )
    settings = Settings(
        environment="test",
        secret_key=SecretStr("b" * 48),
        database_url="sqlite+pysqlite:///:memory:",
        log_json=False,
        _env_file=None,
    )  # type: ignore[call-arg]
    app = create_app(settings, runtime, create_tables=True)
    with app.state.ctx.sessions() as db:
        seed_sample_users(db, config, BENCH_PASSWORD, time.time(), _fast_hasher())

    async def main() -> None:
        from madoguchi.core.model import AgentState
        from madoguchi.core.routing import commands as rc

        await runtime.start()
        agents = [a.id for a in config.agents if a.tenant == "midori"][:20]
        for agent_id in agents:
            await runtime.submit(rc.AgentLogin(agent_id))
        server = uvicorn.Server(
            uvicorn.Config(
                app,
                host="127.0.0.1",
                port=port,
                lifespan="off",
                log_level="warning",
                ws="websockets-sansio",
                backlog=2048,
            )
        )
        serving = asyncio.create_task(server.serve())
        hub = app.state.ctx.extras
        while len(hub.get("stream_hub", {}).get("clients", ())) < clients:
            await asyncio.sleep(0.05)
        await asyncio.sleep(1.0)  # let the last snapshots go out
        gc.collect()
        gc.freeze()
        started = time.perf_counter()
        for n in range(int(rate * duration)):
            due = started + n / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            agent_id = agents[n % len(agents)]
            available = (n // len(agents)) % 2 == 0
            await runtime.submit(
                rc.SetAgentState(
                    agent_id,
                    AgentState.AVAILABLE if available else AgentState.NOT_READY,
                    None if available else "break",
                )
            )
        await asyncio.sleep(2.0)
        server.should_exit = True
        await serving

    asyncio.run(main())


async def _stream_clients(
    port: int, clients: int, expected: int, duration: float
) -> dict[str, Any]:
    import httpx
    from websockets.asyncio.client import connect

    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
        for _ in range(200):
            try:
                signed = await http.post(
                    "/api/v1/auth/sign-in", json={"username": "sv01", "password": BENCH_PASSWORD}
                )
                break
            except httpx.TransportError:
                await asyncio.sleep(0.1)
        signed.raise_for_status()
        cookie = "; ".join(f"{k}={v}" for k, v in http.cookies.items())
    latencies: list[float] = []
    counts = [0] * clients
    ready = asyncio.Event()
    registered = 0
    lagged = 0

    async def client(index: int) -> None:
        nonlocal registered, lagged
        async with connect(
            f"ws://127.0.0.1:{port}/api/v1/stream",
            additional_headers={"Cookie": cookie},
            max_queue=None,
        ) as socket:
            await socket.send('{"type":"register","last_event_id":null}')
            await socket.recv()
            registered += 1
            if registered == clients:
                ready.set()
            deadline = None
            while True:
                timeout = 5.0 if deadline is None else max(0.1, deadline - time.time())
                try:
                    text = str(await asyncio.wait_for(socket.recv(decode=True), timeout))
                except TimeoutError:
                    return
                received = time.time()
                if '"at":' not in text:  # {"type":"lagged"}: this client fell behind
                    lagged += 1
                    return
                for part in text.split('"at":')[1:]:  # one per event (a batch holds several)
                    at = float(part.split(",", 1)[0].split("}", 1)[0])
                    latencies.append(received - at)
                    counts[index] += 1
                if deadline is None:
                    deadline = received + duration + 3.0
                if counts[index] >= expected:
                    return

    tasks = []
    for index in range(clients):
        tasks.append(asyncio.create_task(client(index)))
        if index % 50 == 49:
            await asyncio.sleep(0.05)
    await asyncio.gather(*tasks)
    return {"latencies": latencies, "counts": counts, "lagged": lagged}


def _stream_benchmark(clients: int, rate: float, duration: float) -> dict[str, Any]:
    import socket as sockets

    with sockets.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    expected = int(rate * duration)
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "madoguchi.bench.web",
            "serve",
            str(port),
            str(clients),
            str(rate),
            str(duration),
        ],
    )
    try:
        measured = asyncio.run(_stream_clients(port, clients, expected, duration))
    finally:
        child.wait(timeout=60)
    latencies = [v * 1000 for v in measured["latencies"]]
    received = sum(measured["counts"])
    return {
        "clients": clients,
        "events_per_s": rate,
        "duration_s": duration,
        "events_sent": expected,
        "deliveries_expected": expected * clients,
        "deliveries_received": received,
        "clients_dropped_lagging": measured["lagged"],
        "p50_ms": round(_percentile(latencies, 0.50), 2),
        "p99_ms": round(_percentile(latencies, 0.99), 2),
        "max_ms": round(max(latencies), 2) if latencies else None,
        "mean_ms": round(statistics.fmean(latencies), 2) if latencies else None,
    }


# --------------------------------------------------------------------------- screen pop


def _pg_engine(schema: str) -> Any:
    from madoguchi.store.engine import create_store_engine

    url = PG_URL + ("&" if "?" in PG_URL else "?") + f"options=-csearch_path%3D{schema}"
    return create_store_engine(url)


def _bench_phone(index: int) -> str:
    return f"+8190{index:08d}"


def _load_customers(engine: Any, schema: str, count: int, console: Console) -> float:
    """Create the bench schema and COPY ``count`` customers in (kept if already there)."""
    from sqlalchemy import text

    from madoguchi.store.crm import create_crm_tables

    with engine.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA IF NOT EXISTS {schema}"))
    create_crm_tables(engine)
    with engine.connect() as conn:
        have = conn.execute(text("SELECT count(*) FROM crm_customer WHERE tenant = 'midori'"))
        existing = int(have.scalar_one())
    if existing == count:
        return 0.0
    console.print(f"loading {count:,} customers into PostgreSQL schema {schema} …")
    started = time.perf_counter()
    stamp = datetime.now(UTC).isoformat()
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("TRUNCATE crm_customer CASCADE")
        columns = (
            "tenant, customer_number, name, name_kana, phone, phone_alt, email, address, "
            "language, fields, created_at, updated_at"
        )
        with cursor.copy(f"COPY crm_customer ({columns}) FROM STDIN") as copy:
            for i in range(count):
                copy.write_row(
                    (
                        "midori",
                        f"B{i:08d}",
                        f"顧客 {i}",
                        "コキャク",
                        _bench_phone(i),
                        None,
                        None,
                        "",
                        "ja",
                        '{"rank": "一般"}',
                        stamp,
                        stamp,
                    )
                )
        cursor.execute("ANALYZE crm_customer")
        raw.commit()
    finally:
        raw.close()
    return time.perf_counter() - started


def _screen_pop_benchmark(count: int, lookups: int, console: Console) -> dict[str, Any]:
    from sqlalchemy.orm import Session

    from madoguchi.api.customers import find_by_phone

    schema = f"{PG_SCHEMA}_{count}"
    engine = _pg_engine(schema)
    load_s = _load_customers(engine, schema, count, console)
    chooser = random.Random(7)  # benchmark sampling, not security
    timings: list[float] = []
    with Session(engine) as db:
        for _ in range(50):
            find_by_phone(db, "midori", _bench_phone(chooser.randrange(count)))
        for _ in range(lookups):
            phone = _bench_phone(chooser.randrange(count))
            started = time.perf_counter()
            found = find_by_phone(db, "midori", phone)
            timings.append((time.perf_counter() - started) * 1000)
            if not found or found[0].phone != phone:
                raise RuntimeError(f"screen pop found the wrong customer for {phone}")
    request_timings = asyncio.run(_screen_pop_requests(engine, count, min(lookups, 1000)))
    engine.dispose()
    return {
        "customers": count,
        "load_s": round(load_s, 1),
        "lookups": lookups,
        "lookup_p50_ms": round(_percentile(timings, 0.5), 3),
        "lookup_p99_ms": round(_percentile(timings, 0.99), 3),
        "request_p50_ms": round(_percentile(request_timings, 0.5), 3),
        "request_p99_ms": round(_percentile(request_timings, 0.99), 3),
    }


async def _screen_pop_requests(engine: Any, count: int, requests: int) -> list[float]:
    import httpx
    from pydantic import SecretStr

    from madoguchi.api.app import create_app
    from madoguchi.api.seed import seed_sample_users
    from madoguchi.bus import InProcessBus
    from madoguchi.runtime import CenterRuntime, SystemClock
    from madoguchi.samples import load_sample_center
    from madoguchi.settings import Settings
    from madoguchi.store import InMemoryEventStore

    config = load_sample_center()
    runtime = CenterRuntime(
        config, store=InMemoryEventStore(), bus=InProcessBus(), clock=SystemClock()
    )
    settings = Settings(
        environment="test", secret_key=SecretStr("b" * 48), log_json=False, _env_file=None
    )  # type: ignore[call-arg]
    app = create_app(settings, runtime, engine=engine)
    with app.state.ctx.sessions() as db:
        seed_sample_users(db, config, BENCH_PASSWORD, time.time(), _fast_hasher())
    await runtime.start()
    chooser = random.Random(11)  # benchmark sampling, not security
    timings: list[float] = []
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        signed = await client.post(
            "/api/v1/auth/sign-in", json={"username": "op01", "password": BENCH_PASSWORD}
        )
        signed.raise_for_status()
        for n in range(requests + 20):
            phone = _bench_phone(chooser.randrange(count))
            started = time.perf_counter()
            response = await client.get("/api/v1/screen-pop", params={"phone": phone})
            elapsed = (time.perf_counter() - started) * 1000
            assert response.status_code == 200
            assert response.json()["customer"]["phone"] == phone
            if n >= 20:
                timings.append(elapsed)
    await runtime.stop(drain_timeout=0.0)
    return timings


# --------------------------------------------------------------------------- entry point


def run(quick: bool, console: Console) -> dict[str, Any]:
    """Run both benchmarks; print a table; return the JSON document."""
    stream = _stream_benchmark(
        clients=50 if quick else 500, rate=100.0, duration=3.0 if quick else 15.0
    )
    pop = _screen_pop_benchmark(
        count=100_000 if quick else 1_000_000, lookups=1000 if quick else 5000, console=console
    )
    table = Table(title="madoguchi bench web")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_column("target", justify="right")
    table.add_row(
        f"stream p50 ({stream['clients']} clients, {stream['events_per_s']:.0f} ev/s)",
        f"{stream['p50_ms']} ms",
        "",
    )
    table.add_row("stream p99", f"{stream['p99_ms']} ms", "< 100 ms")
    table.add_row("clients dropped for lagging", str(stream["clients_dropped_lagging"]), "0")
    table.add_row(
        "stream deliveries",
        f"{stream['deliveries_received']:,} / {stream['deliveries_expected']:,}",
        "all",
    )
    table.add_row(
        f"screen-pop look-up p50 ({pop['customers']:,} customers)", f"{pop['lookup_p50_ms']} ms", ""
    )
    table.add_row("screen-pop look-up p99", f"{pop['lookup_p99_ms']} ms", "< 20 ms")
    table.add_row("GET /api/v1/screen-pop p50", f"{pop['request_p50_ms']} ms", "")
    table.add_row("GET /api/v1/screen-pop p99", f"{pop['request_p99_ms']} ms", "")
    console.print(table)
    return {"benchmark": "web", "quick": quick, "stream": stream, "screen_pop": pop}


if __name__ == "__main__" and len(sys.argv) == 6 and sys.argv[1] == "serve":
    serve(int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]))
elif __name__ == "__main__":
    print(json.dumps({"usage": "python -m madoguchi.bench.web serve PORT CLIENTS RATE SECONDS"}))
