"""Liveness, dependency status and Prometheus metrics.

* ``/healthz`` — the process answers (for a load balancer or systemd watchdog).
* ``/status`` — each dependency (database, event store, bus, runtime, and whatever other
  adapters registered in ``ctx.extras["status_checks"]``) with ``ok`` and a detail; 503 when one
  is down.
* ``/metrics`` — Prometheus text: HTTP requests and latency, live stream clients, and the
  center's own gauges (waiting contacts per queue, agents per state).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from pydantic import BaseModel
from sqlalchemy import text

from madoguchi.api.context import ApiContext, Ctx

_log = logging.getLogger("madoguchi.api")

router = APIRouter(tags=["health"])

#: A check another adapter registers: returns (ok, detail).
StatusCheck = Callable[[], tuple[bool, str]]


class DependencyStatus(BaseModel):
    """One dependency's health."""

    name: str
    ok: bool
    detail: str


class Status(BaseModel):
    """The server and every dependency it needs."""

    ok: bool
    uptime_s: float
    last_event_id: int
    dependencies: list[DependencyStatus]


class Health(BaseModel):
    """The process is alive."""

    ok: bool


class ApiMetrics:
    """The server's Prometheus registry and instruments (one per app, so tests stay apart)."""

    def __init__(self, ctx: ApiContext) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "madoguchi_http_requests",
            "HTTP requests served",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "madoguchi_http_request_seconds",
            "HTTP request duration",
            ["method", "route"],
            registry=self.registry,
        )
        self.stream_clients = Gauge(
            "madoguchi_stream_clients", "Connected live-stream clients", registry=self.registry
        )
        self.stream_events = Counter(
            "madoguchi_stream_events", "Events sent to live-stream clients", registry=self.registry
        )
        self.stream_dropped = Counter(
            "madoguchi_stream_lagged",
            "Stream clients dropped for falling behind",
            registry=self.registry,
        )
        self.registry.register(_CenterCollector(ctx))


class _CenterCollector(Collector):
    def __init__(self, ctx: ApiContext) -> None:
        self._ctx = ctx

    def collect(self) -> Iterator[GaugeMetricFamily]:
        snapshot = self._ctx.runtime.snapshot()
        waiting = GaugeMetricFamily(
            "madoguchi_queue_waiting", "Contacts waiting per queue", labels=["queue"]
        )
        for queue in snapshot.queues:
            waiting.add_metric(
                [str(queue.get("id", queue.get("queue_id", "")))], float(queue.get("waiting", 0))
            )
        yield waiting
        states: dict[str, int] = {}
        for agent in snapshot.agents:
            state = str(agent.get("state", "unknown"))
            states[state] = states.get(state, 0) + 1
        agents = GaugeMetricFamily("madoguchi_agents", "Agents per state", labels=["state"])
        for state, count in sorted(states.items()):
            agents.add_metric([state], float(count))
        yield agents
        yield GaugeMetricFamily(
            "madoguchi_last_event_id", "Id of the newest logged event", value=snapshot.last_event_id
        )


def install_request_metrics(app: FastAPI, metrics: ApiMetrics) -> None:
    """Count and time every HTTP request by its route template (not its raw path)."""

    @app.middleware("http")
    async def _measure(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        template = getattr(route, "path", "unmatched")
        metrics.requests.labels(request.method, template, str(response.status_code)).inc()
        metrics.latency.labels(request.method, template).observe(time.perf_counter() - started)
        return response


@router.get("/healthz", response_model=Health, summary="Liveness")
def healthz() -> Health:
    """Always ok while the process serves requests."""
    return Health(ok=True)


@router.get(
    "/status",
    response_model=Status,
    summary="Each dependency's health",
    responses={503: {"model": Status, "description": "A dependency is down"}},
)
def status(ctx: Ctx) -> Any:
    """Database, event store, bus, runtime and registered adapters; 503 if any is down."""
    checks: list[DependencyStatus] = []
    for name, check in _checks(ctx).items():
        try:
            ok, detail = check()
        except Exception as err:  # a failing check is a down dependency, not a 500
            ok, detail = False, f"{type(err).__name__}: {err}"
        checks.append(DependencyStatus(name=name, ok=ok, detail=detail))
    runtime = ctx.runtime
    body = Status(
        ok=all(c.ok for c in checks),
        uptime_s=round(runtime.clock.now() - ctx.started_at, 3),
        last_event_id=runtime.last_event_id,
        dependencies=checks,
    )
    return JSONResponse(body.model_dump(), status_code=200 if body.ok else 503)


def _checks(ctx: ApiContext) -> dict[str, StatusCheck]:
    def database() -> tuple[bool, str]:
        with ctx.sessions() as db:
            db.execute(text("SELECT 1"))
        return True, db.get_bind().dialect.name

    def event_store() -> tuple[bool, str]:
        return True, f"last id {ctx.runtime.store.last_id()}"

    def bus() -> tuple[bool, str]:
        count = getattr(ctx.runtime.bus, "subscriber_count", None)
        return True, type(ctx.runtime.bus).__name__ + (
            f", {count} subscribers" if count is not None else ""
        )

    def runtime() -> tuple[bool, str]:
        accepting = bool(getattr(ctx.runtime, "accepting", True))
        return accepting, "accepting contacts" if accepting else "draining"

    checks: dict[str, StatusCheck] = {
        "database": database,
        "event_store": event_store,
        "bus": bus,
        "runtime": runtime,
    }
    checks.update(ctx.extras.get("status_checks", {}))
    return checks


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}}},
)
def metrics(request: Request) -> Response:
    """Prometheus text exposition format."""
    registry: ApiMetrics = request.app.state.metrics
    return Response(generate_latest(registry.registry), media_type="text/plain; version=0.0.4")
