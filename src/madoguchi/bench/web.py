"""``madoguchi bench web``: live-stream latency and screen-pop look-up time.

**Event to browser.** A server process runs the sample center (in-memory runtime) behind
uvicorn as ``madoguchi serve`` configures it; this process opens N WebSocket clients on the live
stream as a supervisor (each gets every event of the tenant). The clients are deliberately
cheap (a minimal RFC 6455 client on asyncio protocols, no per-message JSON parsing) so that the
figure is the server's. Once all have their snapshot, the server submits routing commands
(agent state changes, one event each) at R events/s for D seconds. Latency is the client's
receive time minus the event's ``at`` (both from the same machine's clock): it covers logging the
event, the bus, the hub's gathering tick, serialization, the socket and the client's parsing.
Each side reports the CPU seconds it used while events flowed, and the load average is noted:
on a shared machine the wall-clock latency is mostly waiting for a core. N is 50, 200 and 500
(``MADOGUCHI_BENCH_WEB_CLIENTS=…`` to choose; ``--quick``: 50 for 3 s). Target: p99 < 100 ms at
500 clients and 100 events/s. ``MADOGUCHI_BENCH_WEB_PARTS=stream`` skips the screen pop.

**Screen pop.** PostgreSQL (``MADOGUCHI_BENCH_PG``, default the local ``test`` database, schema
``bench_web_<M>``) holds M customers (1,000,000; 100,000 with ``--quick``) loaded once with COPY and
kept for later runs. Measured: the caller-number look-up the screen pop runs
(:func:`madoguchi.api.customers.find_by_phone`), and the whole ``GET /api/v1/screen-pop``
request in process (authentication, look-up, timeline, audit entry written). Target for the
look-up: p99 < 20 ms.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import json
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

PG_URL = os.environ.get("MADOGUCHI_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PG_SCHEMA = "bench_web"
"""Schema prefix; the customer count is appended (one kept data set per size)."""
REGISTER_WAIT_S = 90.0
"""How long the clients may take to connect and get their snapshots (then the run goes on with
those that did, and says how many failed and why)."""
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
    """The server side (a child process): app + runtime + the event driver.

    Prints one JSON line on stdout: the process CPU seconds spent while events were driven
    (from the first command to two seconds after the last), and that wall time.
    """
    import uvicorn
    from pydantic import SecretStr

    from madoguchi.api.app import create_app
    from madoguchi.api.seed import seed_sample_users
    from madoguchi.api.stream import StreamHub
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

    def connected() -> int:
        hub: StreamHub | None = app.state.ctx.extras.get("stream_hub")
        return 0 if hub is None else len(hub.clients)

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
                ws_per_message_deflate=False,  # as madoguchi serve runs it
                backlog=2048,
            )
        )
        serving = asyncio.create_task(server.serve())
        deadline = time.monotonic() + REGISTER_WAIT_S
        while connected() < clients and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        await asyncio.sleep(1.0)  # let the last snapshots go out
        gc.collect()
        gc.freeze()
        cpu_started = time.process_time()
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
        cpu_s = time.process_time() - cpu_started
        wall_s = time.perf_counter() - started
        print(
            json.dumps(
                {
                    "server_cpu_s": round(cpu_s, 2),
                    "wall_s": round(wall_s, 2),
                    "clients": connected(),
                }
            )
        )
        sys.stdout.flush()
        server.should_exit = True
        await serving

    try:
        import uvloop  # madoguchi serve runs on uvloop when it is installed: so does this
    except ImportError:  # pragma: no cover - platforms without uvloop
        asyncio.run(main())
    else:
        uvloop.run(main())


class _StreamClient(asyncio.Protocol):
    """A minimal WebSocket client of the live stream: just enough RFC 6455 to be cheap.

    Handshake, one masked ``register`` frame, then unmasked server frames parsed in place; for
    each event in an array frame the latency ``now - event.at`` is recorded. Pings are answered.
    """

    def __init__(self, request: bytes, expected: int, sink: _ClientSink) -> None:
        self.request = request
        self.expected = expected
        self.sink = sink
        self.buffer = bytearray()
        self.upgraded = False
        self.registered = False
        self.count = 0
        self.transport: asyncio.Transport | None = None
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.write(self.request)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.registered:
            self.sink.failed(f"closed before the snapshot ({exc or 'by the server'})")
        if not self.done.done():
            self.done.set_result(None)

    def _send(self, opcode: int, payload: bytes) -> None:
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        assert len(payload) < 126
        assert self.transport is not None
        self.transport.write(bytes((0x80 | opcode, 0x80 | len(payload))) + mask + masked)

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer
        buffer += data
        if not self.upgraded:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            if not buffer.startswith(b"HTTP/1.1 101"):
                self.sink.failed(bytes(buffer[:60]).decode(errors="replace").splitlines()[0])
                self.registered = True  # counted as failed once
                if self.transport is not None:
                    self.transport.close()
                return
            del buffer[: end + 4]
            self.upgraded = True
            self._send(1, b'{"type":"register","last_event_id":null}')
        received = time.time()
        while len(buffer) >= 2:
            opcode = buffer[0] & 0x0F
            length = buffer[1] & 0x7F
            head = 2
            if length == 126:
                if len(buffer) < 4:
                    return
                length = int.from_bytes(buffer[2:4], "big")
                head = 4
            elif length == 127:
                if len(buffer) < 10:
                    return
                length = int.from_bytes(buffer[2:10], "big")
                head = 10
            if len(buffer) < head + length:
                return
            payload = bytes(buffer[head : head + length])
            del buffer[: head + length]
            if opcode == 1:
                self._text(payload, received)
            elif opcode == 9:
                self._send(10, payload)
            elif opcode == 8:
                if not self.registered:
                    code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else None
                    self.sink.failed(f"closed with code {code} before the snapshot")
                    self.registered = True
                if self.transport is not None:
                    self.transport.close()
                return

    def _text(self, payload: bytes, received: float) -> None:
        if payload[:1] == b"[":
            latencies = self.sink.latencies
            for part in payload.split(b'"at":')[1:]:  # one per event of the array
                end = 0
                while part[end] not in b",}":
                    end += 1
                latencies.append(received - float(part[:end]))
                self.count += 1
            if self.count >= self.expected and self.transport is not None:
                self.transport.close()
            return
        kind = json.loads(payload).get("type")  # a control message: rare, parse it properly
        if kind == "snapshot":
            self.registered = True
            self.sink.registered += 1
            self.sink.settle()
        elif kind == "lagged":
            self.sink.lagged += 1


class _ClientSink:
    """What all the bench clients of one process share."""

    def __init__(self, clients: int) -> None:
        self.clients = clients
        self.latencies: list[float] = []
        self.registered = 0
        self.lagged = 0
        self.failures: dict[str, int] = {}
        self.all_registered = asyncio.Event()
        """Set when every client has its snapshot or has failed."""

    def failed(self, why: str) -> None:
        """A client that never got its snapshot (kept by reason for the report)."""
        self.failures[why] = self.failures.get(why, 0) + 1
        self.settle()

    def settle(self) -> None:
        if self.registered + sum(self.failures.values()) >= self.clients:
            self.all_registered.set()


async def _stream_clients(
    port: int, clients: int, expected: int, duration: float
) -> dict[str, Any]:
    import base64

    import httpx

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
    loop = asyncio.get_running_loop()
    sink = _ClientSink(clients)
    protocols: list[_StreamClient] = []
    for index in range(clients):
        key = base64.b64encode(os.urandom(16)).decode()
        request = (
            "GET /api/v1/stream HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            f"Cookie: {cookie}\r\n\r\n"
        ).encode()
        _transport, protocol = await loop.create_connection(
            functools.partial(_StreamClient, request, expected, sink), "127.0.0.1", port
        )
        protocols.append(protocol)
        if index % 50 == 49:
            await asyncio.sleep(0.05)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(sink.all_registered.wait(), REGISTER_WAIT_S)
    if sink.registered == 0:
        raise RuntimeError(f"no client registered: {sink.failures}")
    while not sink.latencies:  # the server starts driving events a second after the last snapshot
        await asyncio.sleep(0.005)
    cpu_started = time.process_time()
    started = time.perf_counter()
    deadline = time.perf_counter() + duration + 10.0
    while time.perf_counter() < deadline and not all(p.done.done() for p in protocols):
        await asyncio.sleep(0.1)
    cpu_s = time.process_time() - cpu_started
    wall_s = time.perf_counter() - started
    for protocol in protocols:
        if protocol.transport is not None:
            protocol.transport.close()
    return {
        "latencies": sink.latencies,
        "received": len(sink.latencies),
        "lagged": sink.lagged,
        "registered": sink.registered,
        "failures": sink.failures,
        "client_cpu_s": round(cpu_s, 2),
        "client_wall_s": round(wall_s, 2),
    }


def _load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def _stream_benchmark(clients: int, rate: float, duration: float) -> dict[str, Any]:
    import socket as sockets

    with sockets.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    expected = int(rate * duration)
    load_before = _load()
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
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        measured = asyncio.run(_stream_clients(port, clients, expected, duration))
    finally:
        try:
            out, _err = child.communicate(timeout=REGISTER_WAIT_S + duration + 30)
        except subprocess.TimeoutExpired:
            child.kill()
            out, _err = child.communicate()
    server = json.loads(out.strip().splitlines()[-1]) if out.strip() else {}
    latencies = [v * 1000 for v in measured["latencies"]]
    return {
        "clients": clients,
        "events_per_s": rate,
        "duration_s": duration,
        "events_sent": expected,
        "clients_registered": measured["registered"],
        "client_failures": measured["failures"],
        "deliveries_expected": expected * measured["registered"],
        "deliveries_received": measured["received"],
        "clients_dropped_lagging": measured["lagged"],
        "p50_ms": round(_percentile(latencies, 0.50), 2),
        "p99_ms": round(_percentile(latencies, 0.99), 2),
        "max_ms": round(max(latencies), 2) if latencies else None,
        "mean_ms": round(statistics.fmean(latencies), 2) if latencies else None,
        "server_cpu_s": server.get("server_cpu_s"),
        "server_wall_s": server.get("wall_s"),
        "client_cpu_s": measured["client_cpu_s"],
        "client_wall_s": measured["client_wall_s"],
        "load_before": load_before,
        "load_after": _load(),
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


def _stream_sizes(quick: bool) -> list[int]:
    """Client counts to measure: ``MADOGUCHI_BENCH_WEB_CLIENTS=50,500`` overrides."""
    chosen = os.environ.get("MADOGUCHI_BENCH_WEB_CLIENTS")
    if chosen:
        return [int(part) for part in chosen.split(",") if part.strip()]
    return [50] if quick else [50, 200, 500]


def run(quick: bool, console: Console) -> dict[str, Any]:
    """Run both benchmarks; print a table; return the JSON document.

    ``MADOGUCHI_BENCH_WEB_PARTS=stream`` (or ``screen_pop``) runs one part only."""
    parts = os.environ.get("MADOGUCHI_BENCH_WEB_PARTS", "stream,screen_pop").split(",")
    streams = [
        _stream_benchmark(clients=n, rate=100.0, duration=3.0 if quick else 15.0)
        for n in (_stream_sizes(quick) if "stream" in parts else [])
    ]
    pop = (
        _screen_pop_benchmark(
            count=100_000 if quick else 1_000_000,
            lookups=1000 if quick else 5000,
            console=console,
        )
        if "screen_pop" in parts
        else None
    )
    table = Table(title="madoguchi bench web")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_column("target", justify="right")
    for stream in streams:
        label = f"{stream['clients']} clients, {stream['events_per_s']:.0f} ev/s"
        table.add_row(f"stream p50 ({label})", f"{stream['p50_ms']} ms", "")
        table.add_row(
            f"stream p99 ({label})",
            f"{stream['p99_ms']} ms",
            "< 100 ms" if stream["clients"] == 500 else "",
        )
        table.add_row(
            "  clients registered (failed: why)",
            f"{stream['clients_registered']} / {stream['clients']}"
            + (f" ({stream['client_failures']})" if stream["client_failures"] else ""),
            "all",
        )
        table.add_row(
            "  deliveries, clients dropped",
            f"{stream['deliveries_received']:,} / {stream['deliveries_expected']:,}, "
            f"{stream['clients_dropped_lagging']}",
            "all, 0",
        )
        table.add_row(
            "  CPU s: server / clients (wall s)",
            f"{stream['server_cpu_s']} / {stream['client_cpu_s']} ({stream['server_wall_s']})",
            "",
        )
        table.add_row(
            "  load average before / after", f"{stream['load_before']} / {stream['load_after']}", ""
        )
    if pop is not None:
        table.add_row(
            f"screen-pop look-up p50 ({pop['customers']:,} customers)",
            f"{pop['lookup_p50_ms']} ms",
            "",
        )
        table.add_row("screen-pop look-up p99", f"{pop['lookup_p99_ms']} ms", "< 20 ms")
        table.add_row("GET /api/v1/screen-pop p50", f"{pop['request_p50_ms']} ms", "")
        table.add_row("GET /api/v1/screen-pop p99", f"{pop['request_p99_ms']} ms", "")
    console.print(table)
    return {
        "benchmark": "web",
        "quick": quick,
        "stream": streams[-1] if streams else None,
        "streams": streams,
        "screen_pop": pop,
    }


if __name__ == "__main__" and len(sys.argv) == 6 and sys.argv[1] == "serve":
    serve(int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]))
elif __name__ == "__main__":
    print(json.dumps({"usage": "python -m madoguchi.bench.web serve PORT CLIENTS RATE SECONDS"}))
