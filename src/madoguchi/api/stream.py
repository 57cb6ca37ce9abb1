"""The live event stream over WebSocket (``/api/v1/stream``).

Protocol (JSON text frames)::

    client → {"type": "register", "last_event_id": null | 1234}
    server → {"type": "snapshot", "last_event_id": N, "at": t, "agents": [...], "queues": [...]}
             or, when resuming after a drop, {"type": "resumed", "last_event_id": 1234}
             followed by the missed events read back from the event store
    server → {"type": "event", "id": N + 1, "event": {"type": "ContactOffered", ...}}  …
             or, when several events are waiting for this client, one frame
             {"type": "batch", "messages": [{"type": "event", ...}, ...]} (in order)
    server → {"type": "lagged"} then close 4008: the client fell more than its backlog behind
             (or the replay would be too long) and registers again (with its last id, or none).
    client → {"type": "ping"}   server → {"type": "pong", "last_event_id": N}

The subscription is opened before the snapshot is taken, and events with ids already covered by
the snapshot or the replay are skipped, so nothing is missed or doubled. Each client has a
bounded backlog on the bus: a frozen browser is cut off, it never slows routing. Events are
filtered by tenant, and agents receive only events about themselves.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import OrderedDict
from typing import Any

from fastapi import APIRouter, FastAPI, WebSocket, WebSocketDisconnect
from sqlalchemy.orm import Session

from madoguchi.api.auth import principal_from_cookie, principal_from_token
from madoguchi.api.context import ApiContext, Principal, Role
from madoguchi.api.health import ApiMetrics
from madoguchi.api.stream_filter import TenantResolver, event_filter
from madoguchi.api.values import finite
from madoguchi.bus import SubscriberLagged, Subscription
from madoguchi.core.events import Event, to_record

_log = logging.getLogger("madoguchi.api.stream")

router = APIRouter()

#: Close code telling the client to register again (it fell behind).
CLOSE_LAGGED = 4008
#: Close code for a missing or invalid sign-in.
CLOSE_UNAUTHORIZED = 4001
#: Close code for a client that does not register in time or speaks nonsense.
CLOSE_PROTOCOL = 4002
REGISTER_TIMEOUT_S = 10.0
#: Events a client that is behind gets in one frame (``{"type": "batch", "messages": [...]}``).
MAX_BATCH = 200


class EventTextCache:
    """The JSON text of recent events, so that 500 clients cost one serialization."""

    def __init__(self, size: int = 4096) -> None:
        self._texts: OrderedDict[int, str] = OrderedDict()
        self._size = size

    def text(self, event_id: int, item: Event) -> str:
        """``{"type": "event", "id": ..., "event": ...}`` for this event."""
        found = self._texts.get(event_id)
        if found is None:
            found = json.dumps(
                {"type": "event", "id": event_id, "event": finite(to_record(item))},
                ensure_ascii=False,
                allow_nan=False,
                separators=(",", ":"),
            )
            self._texts[event_id] = found
            if len(self._texts) > self._size:
                self._texts.popitem(last=False)
        return found


def _hub(ctx: ApiContext) -> dict[str, Any]:
    hub: dict[str, Any] | None = ctx.extras.get("stream_hub")
    if hub is None:
        hub = {"cache": EventTextCache(), "resolver": TenantResolver(ctx.config), "clients": set()}
        ctx.extras["stream_hub"] = hub
    return hub


def _authenticate(ctx: ApiContext, websocket: WebSocket) -> Principal | None:
    with ctx.sessions() as db:
        return _authenticate_in(ctx, db, websocket)


def _authenticate_in(ctx: ApiContext, db: Session, websocket: WebSocket) -> Principal | None:
    header = websocket.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return principal_from_token(db, header[7:].strip())
    origin = websocket.headers.get("origin")
    host = websocket.headers.get("host")
    if origin is not None and host is not None and origin.split("://", 1)[-1] != host:
        return None  # a page on another site must not ride the agent's cookie
    return principal_from_cookie(ctx, db, websocket.cookies.get(ctx.settings.session_cookie))


def visible_snapshot(ctx: ApiContext, viewer: Principal) -> dict[str, Any]:
    """The runtime snapshot cut down to what ``viewer`` may see."""
    resolver: TenantResolver = _hub(ctx)["resolver"]
    snapshot = ctx.runtime.snapshot()
    agents = [
        a
        for a in snapshot.agents
        if resolver.agent_tenant(str(a.get("agent_id", a.get("id")))) == viewer.tenant
    ]
    if viewer.role is Role.AGENT:
        agents = [a for a in agents if a.get("agent_id", a.get("id")) == viewer.agent_id]
    queues = [
        q
        for q in snapshot.queues
        if resolver.queue_tenant(str(q.get("queue_id", q.get("id")))) == viewer.tenant
    ]
    return {
        "type": "snapshot",
        "last_event_id": snapshot.last_event_id,
        "at": snapshot.at,
        "agents": agents,
        "queues": queues,
    }


@router.websocket("/api/v1/stream")
async def live_stream(websocket: WebSocket) -> None:
    """Register → snapshot (or replay) → events; see the module docstring."""
    ctx: ApiContext = websocket.app.state.ctx
    metrics: ApiMetrics = websocket.app.state.metrics
    viewer = await asyncio.to_thread(_authenticate, ctx, websocket)
    await websocket.accept()
    if viewer is None:
        await websocket.close(CLOSE_UNAUTHORIZED, "sign in first")
        return
    try:
        message = await asyncio.wait_for(websocket.receive_json(), REGISTER_TIMEOUT_S)
    except (TimeoutError, ValueError, WebSocketDisconnect):
        with contextlib.suppress(RuntimeError):
            await websocket.close(CLOSE_PROTOCOL, "register first")
        return
    after = message.get("last_event_id") if isinstance(message, dict) else None
    if (
        not isinstance(message, dict)
        or message.get("type") != "register"
        or not (after is None or (isinstance(after, int) and after >= 0))
    ):
        await websocket.close(CLOSE_PROTOCOL, "expected {type: register, last_event_id}")
        return
    hub = _hub(ctx)
    accept = event_filter(hub["resolver"], viewer)
    subscription: Subscription = ctx.runtime.bus.subscribe(
        max_backlog=ctx.settings.stream_backlog, accept=accept
    )
    hub["clients"].add(websocket)
    metrics.stream_clients.inc()
    try:
        covered = await _catch_up(ctx, websocket, viewer, after, accept, hub["cache"])
        if covered is None:
            metrics.stream_dropped.inc()
            await websocket.send_text('{"type":"lagged"}')
            await websocket.close(CLOSE_LAGGED, "too far behind: register again")
            return
        await _follow(websocket, subscription, covered, hub["cache"], metrics, ctx)
    except WebSocketDisconnect:
        pass
    finally:
        subscription.close()
        hub["clients"].discard(websocket)
        metrics.stream_clients.dec()


async def _catch_up(
    ctx: ApiContext,
    websocket: WebSocket,
    viewer: Principal,
    after: int | None,
    accept: Any,
    cache: EventTextCache,
) -> int | None:
    """Send the snapshot, or the events after ``after``; the last id covered (None: too far)."""
    last = int(ctx.runtime.last_event_id)
    if after is None or after > last:
        snapshot = visible_snapshot(ctx, viewer)
        text = json.dumps(finite(snapshot), ensure_ascii=False, default=str, allow_nan=False)
        await websocket.send_text(text)
        covered: int = snapshot["last_event_id"]
        return covered
    if last - after > ctx.settings.stream_resume_limit:
        return None
    await websocket.send_json({"type": "resumed", "last_event_id": after})
    logged = await asyncio.to_thread(
        lambda: list(ctx.runtime.store.read(after_id=after, limit=last - after))
    )
    covered = after
    for item in logged:
        if accept(item.event):
            await websocket.send_text(cache.text(item.id, item.event))
        covered = item.id
    return covered


async def _follow(
    websocket: WebSocket,
    subscription: Subscription,
    covered: int,
    cache: EventTextCache,
    metrics: ApiMetrics,
    ctx: ApiContext,
) -> None:
    async def pump() -> None:
        try:
            async for event_id, item in subscription:
                texts = [cache.text(event_id, item)] if event_id > covered else []
                while subscription.pending() and len(texts) < MAX_BATCH:
                    more_id, more = await anext(subscription)  # no wait: already queued
                    if more_id > covered:
                        texts.append(cache.text(more_id, more))
                if not texts:
                    continue
                if len(texts) == 1:
                    await websocket.send_text(texts[0])
                else:
                    await websocket.send_text(
                        '{"type":"batch","messages":[' + ",".join(texts) + "]}"
                    )
                metrics.stream_events.inc(len(texts))
        except SubscriberLagged:
            metrics.stream_dropped.inc()
            await websocket.send_text('{"type":"lagged"}')
            await websocket.close(CLOSE_LAGGED, "fell behind: register again")

    async def listen() -> None:
        while True:
            message = await websocket.receive_json()
            if isinstance(message, dict) and message.get("type") == "ping":
                await websocket.send_json(
                    {"type": "pong", "last_event_id": int(ctx.runtime.last_event_id)}
                )

    tasks = [asyncio.create_task(pump()), asyncio.create_task(listen())]
    try:
        done, _pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            error = task.exception()
            if error is not None and not isinstance(error, WebSocketDisconnect | ValueError):
                raise error
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(
                asyncio.CancelledError, WebSocketDisconnect, ValueError, RuntimeError
            ):
                await task


async def close_all(app: FastAPI) -> None:
    """Close every live-stream client (server shutdown)."""
    ctx: ApiContext = app.state.ctx
    hub = ctx.extras.get("stream_hub")
    if hub is None:
        return
    for websocket in list(hub["clients"]):
        with contextlib.suppress(Exception):
            await websocket.close(1001, "server shutting down")
