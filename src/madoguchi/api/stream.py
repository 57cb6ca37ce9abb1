"""The live event stream over WebSocket (``/api/v1/stream``).

Protocol (JSON text frames)::

    client → {"type": "register", "last_event_id": null | 1234}
    server → {"type": "snapshot", "last_event_id": N, "at": t, "agents": [...], "queues": [...]}
             or, when resuming after a drop, {"type": "resumed", "last_event_id": 1234}
             followed by the missed events read back from the event store
    server → [{"id": N + 1, "event": {"type": "ContactOffered", ...}}, {"id": N + 2, ...}]
             every event comes inside an array frame: the events that arrived since this
             client's last send, in order (one or more; a flush every FLUSH_INTERVAL_S at most)
    server → {"type": "lagged"} then close 4008: the client fell more than its backlog behind
             (or the replay would be too long) and registers again (with its last id, or none).
    client → {"type": "ping"}   server → {"type": "pong", "last_event_id": N}

Control messages are JSON objects with a ``type``; events always come in arrays.

How the server keeps this cheap for hundreds of clients: one :class:`StreamHub` per app reads
the bus once; every ``FLUSH_INTERVAL_S`` it turns the events that arrived into one array frame
per *audience* (a tenant's supervisors and admins share one audience; each agent is their own),
serializing each event once, and hands the same text to every client of that audience. Each
client has a writer task and a bounded outbox counted in events: frames waiting while the client
is slow are merged into one array at its next send, and a client more than ``stream_backlog``
events behind is dropped with ``{"type": "lagged"}`` (close 4008) rather than slowing the others.

The client joins its audience before the snapshot is taken (or the replay read), and events with
ids already covered by the snapshot or the replay are skipped, so nothing is missed or doubled.
Events are filtered by tenant, and agents receive only events about themselves.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, FastAPI, WebSocket, WebSocketDisconnect
from sqlalchemy.orm import Session
from starlette.types import ASGIApp, Receive, Scope, Send
from websockets.protocol import State as WsState

from madoguchi.api.auth import principal_from_cookie, principal_from_token
from madoguchi.api.context import ApiContext, Principal, Role
from madoguchi.api.health import ApiMetrics
from madoguchi.api.stream_filter import TenantResolver, event_filter, names_agent
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
#: Events of a replay sent in one array frame.
MAX_BATCH = 200
#: How long the hub gathers events before it sends them (the first event of a quiet period
#: waits this long at most; at 100 events/s a frame carries about two).
FLUSH_INTERVAL_S = 0.015
#: The hub's own bus backlog: it reads the bus continuously, so only a stalled loop fills it.
HUB_BACKLOG = 100_000
LAGGED_TEXT = '{"type":"lagged"}'
#: Where :class:`RawSendCapture` leaves the server's own ASGI ``send`` in the scope.
RAW_SEND_KEY = "madoguchi.stream.raw_send"
STREAM_PATH = "/api/v1/stream"


class RawSendCapture:
    """Outermost middleware: keeps the server's ``send`` of stream connections in the scope.

    Starlette wraps ``send`` for its exception handling; the stream's :class:`DirectWriter` needs
    the server's own callable to find the connection (see there). Nothing else changes.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket" and scope.get("path") == STREAM_PATH:
            scope[RAW_SEND_KEY] = send
        await self.app(scope, receive, send)


class EventTextCache:
    """The JSON text of recent events (``{"id": N, "event": {...}}``), serialized once."""

    def __init__(self, size: int = 4096) -> None:
        self._texts: OrderedDict[int, str] = OrderedDict()
        self._size = size

    def text(self, event_id: int, item: Event) -> str:
        """``{"id": ..., "event": ...}`` for this event (an element of an array frame)."""
        found = self._texts.get(event_id)
        if found is None:
            found = json.dumps(
                {"id": event_id, "event": finite(to_record(item))},
                ensure_ascii=False,
                allow_nan=False,
                separators=(",", ":"),
            )
            self._texts[event_id] = found
            if len(self._texts) > self._size:
                self._texts.popitem(last=False)
        return found


@dataclass(slots=True)
class Frame:
    """One flush's events for one audience: the ids, their texts and the array text."""

    ids: list[int]
    texts: list[str]
    text: str
    _wire: bytes | None = None

    def wire(self) -> bytes:
        """The whole WebSocket text message (RFC 6455 header + UTF-8), built once."""
        if self._wire is None:
            self._wire = websocket_text_frame(self.text)
        return self._wire

    def after(self, covered: int) -> list[str]:
        """The element texts of events later than ``covered``."""
        return [t for i, t in zip(self.ids, self.texts, strict=True) if i > covered]


def websocket_text_frame(text: str) -> bytes:
    """One unfragmented, unmasked (server to client) WebSocket text frame holding ``text``."""
    payload = text.encode()
    size = len(payload)
    if size < 126:
        header = bytes((0x81, size))
    elif size < 1 << 16:
        header = bytes((0x81, 126)) + size.to_bytes(2, "big")
    else:
        header = bytes((0x81, 127)) + size.to_bytes(8, "big")
    return header + payload


def _is_transport(found: object) -> bool:
    """A stream transport of asyncio or of uvloop (whose transports do not subclass
    ``asyncio.Transport``): something to ``write`` bytes to that knows when it is closing."""
    return callable(getattr(found, "write", None)) and callable(getattr(found, "is_closing", None))


class DirectWriter:
    """Writes pre-framed messages straight to a uvicorn ``websockets-sansio`` connection.

    The same bytes go to every client of an audience, with no per-client ASGI call, framing or
    task switch. Used only when the connection negotiated no extension (no per-message
    compression: the bytes on the wire are the frame as built) and while its transport is not
    paused; otherwise the client's writer sends through ASGI as usual. :meth:`find` returns None
    for any other server, which then always takes the ASGI path.
    """

    __slots__ = ("_conn", "_protocol", "_transport", "_writable")

    def __init__(self, protocol: Any) -> None:
        self._protocol = protocol
        self._conn = protocol.conn
        self._transport: asyncio.WriteTransport = protocol.transport
        self._writable: asyncio.Event = protocol.writable

    @classmethod
    def find(cls, send: Any) -> DirectWriter | None:
        """The direct writer behind the server's ASGI ``send``, when it is one we know."""
        protocol = getattr(send, "__self__", None)
        conn = getattr(protocol, "conn", None)
        if (
            protocol is None
            or type(protocol).__name__ != "WebSocketsSansIOProtocol"
            or not _is_transport(getattr(protocol, "transport", None))
            or not isinstance(getattr(protocol, "writable", None), asyncio.Event)
            or getattr(conn, "extensions", None) != []
            or getattr(conn, "state", None) is not WsState.OPEN
        ):
            return None
        return cls(protocol)

    def ready(self) -> bool:
        """Whether a frame written now goes out without waiting."""
        protocol = self._protocol
        return (
            self._writable.is_set()
            and not protocol.close_sent
            and not protocol.disconnected
            and self._conn.state is WsState.OPEN
            and not self._transport.is_closing()
        )

    def write(self, data: bytes) -> None:
        """Queue ``data`` (whole frames) on the socket."""
        self._transport.write(data)


@dataclass(eq=False, slots=True)
class StreamClient:
    """One connected client: its outbox of frames and the writer's wake-up."""

    websocket: WebSocket
    max_backlog: int
    covered: int = -1
    frames: deque[Frame] = field(default_factory=deque)
    waiting: int = 0
    lagged: bool = False
    closed: bool = False
    following: bool = False
    """Caught up (snapshot or replay sent): frames may go out directly."""
    direct: DirectWriter | None = None
    sending: bool = False
    """The writer task has a send in flight (later frames must wait behind it)."""
    wake: asyncio.Event = field(default_factory=asyncio.Event)

    def push(self, frame: Frame) -> None:
        """Send ``frame`` now when the socket takes it; else queue it for the writer task.

        Past the backlog the client is marked lagged (its writer drops it)."""
        if self.lagged or self.closed:
            return
        direct = self.direct
        if (
            direct is not None
            and self.following
            and not self.sending
            and not self.frames
            and frame.ids[0] > self.covered
            and direct.ready()
        ):
            direct.write(frame.wire())
            self.covered = frame.ids[-1]
            return
        self.waiting += len(frame.ids)
        if self.waiting > self.max_backlog:
            self.lagged = True
            self.frames.clear()
        else:
            self.frames.append(frame)
        self.wake.set()

    def take(self) -> str | None:
        """The text to send now: every waiting frame in one array (None: nothing new)."""
        frames = self.frames
        self.waiting = 0
        if len(frames) == 1 and frames[0].ids[0] > self.covered:
            frame = frames.popleft()
            self.covered = frame.ids[-1]
            return frame.text
        parts: list[str] = []
        while frames:
            frame = frames.popleft()
            if frame.ids[0] > self.covered:
                parts.append(frame.text[1:-1])
            elif frame.ids[-1] > self.covered:
                parts.append(",".join(frame.after(self.covered)))
            else:
                continue
            self.covered = frame.ids[-1]
        if not parts:
            return None
        return "[" + ",".join(parts) + "]"


@dataclass(eq=False, slots=True)
class Audience:
    """Clients that see exactly the same events (a tenant's supervisors, or one agent)."""

    accept: Callable[[Event], bool]
    clients: list[StreamClient] = field(default_factory=list)


class StreamHub:
    """Reads the bus once, serializes each event once per audience, fans frames out."""

    def __init__(self, ctx: ApiContext, metrics: ApiMetrics | None = None) -> None:
        self.ctx = ctx
        self.metrics = metrics
        self.cache = EventTextCache()
        self.resolver = TenantResolver(ctx.config)
        self.clients: set[WebSocket] = set()
        self.flush_interval_s = FLUSH_INTERVAL_S
        self._audiences: dict[tuple[str, str], Audience] = {}
        self._subscription: Subscription | None = None
        self._task: asyncio.Task[None] | None = None

    @staticmethod
    def audience_key(viewer: Principal) -> tuple[str, str]:
        """Who sees the same events as ``viewer``."""
        if viewer.role is Role.AGENT:
            return ("agent", viewer.agent_id or "")
        return ("tenant", viewer.tenant)

    def reconfigure(self) -> None:
        """The configuration changed (live edit): resolve tenants against the new one."""
        self.resolver = TenantResolver(self.ctx.config)
        for key, audience in self._audiences.items():
            audience.accept = self._filter(key)

    def _filter(self, key: tuple[str, str]) -> Callable[[Event], bool]:
        kind, name = key
        if kind == "agent":
            if not name:
                return lambda item: False
            return lambda item: names_agent(item, name)
        resolver = self.resolver

        def same_tenant(item: Event) -> bool:
            found = resolver.tenant_of(item)
            return found is None or found == name

        return same_tenant

    def stream_clients(self) -> list[StreamClient]:
        """Every joined client (tests, diagnostics)."""
        return [client for audience in self._audiences.values() for client in audience.clients]

    def join(self, viewer: Principal, websocket: WebSocket, max_backlog: int) -> StreamClient:
        """Start receiving frames for ``viewer`` (before its snapshot is taken)."""
        self._ensure_running()
        key = self.audience_key(viewer)
        audience = self._audiences.get(key)
        if audience is None:
            audience = Audience(self._filter(key))
            self._audiences[key] = audience
        client = StreamClient(websocket, max_backlog)
        audience.clients.append(client)
        self.clients.add(websocket)
        return client

    def leave(self, viewer: Principal, client: StreamClient) -> None:
        """Stop sending to ``client``."""
        client.closed = True
        client.wake.set()
        self.clients.discard(client.websocket)
        key = self.audience_key(viewer)
        audience = self._audiences.get(key)
        if audience is not None:
            with contextlib.suppress(ValueError):
                audience.clients.remove(client)
            if not audience.clients:
                del self._audiences[key]

    def _ensure_running(self) -> None:
        if self._task is None or self._task.done():
            self._subscription = self.ctx.runtime.bus.subscribe(max_backlog=HUB_BACKLOG)
            self._task = asyncio.get_running_loop().create_task(self._run(self._subscription))

    async def _run(self, subscription: Subscription) -> None:
        try:
            async for first in subscription:
                await asyncio.sleep(self.flush_interval_s)  # gather what else arrives
                batch = [first]
                while subscription.pending():
                    batch.append(await anext(subscription))  # already queued: no wait
                self.flush(batch)
        except SubscriberLagged:
            _log.warning("the stream hub fell behind the bus; every client registers again")
            for audience in self._audiences.values():
                for client in audience.clients:
                    client.lagged = True
                    client.wake.set()
            self._task = None

    def flush(self, batch: list[tuple[int, Event]]) -> None:
        """Send ``batch`` (events in id order) to every audience that may see them."""
        text_of = self.cache.text
        sent = 0
        for audience in tuple(self._audiences.values()):
            accept = audience.accept
            ids: list[int] = []
            texts: list[str] = []
            for event_id, item in batch:
                if accept(item):
                    ids.append(event_id)
                    texts.append(text_of(event_id, item))
            if not ids:
                continue
            frame = Frame(ids, texts, "[" + ",".join(texts) + "]")
            for client in audience.clients:
                client.push(frame)
            sent += len(ids) * len(audience.clients)
        if self.metrics is not None and sent:
            self.metrics.stream_events.inc(sent)

    async def stop(self) -> None:
        """Stop reading the bus (server shutdown)."""
        if self._subscription is not None:
            self._subscription.close()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None


def hub_of(ctx: ApiContext, metrics: ApiMetrics | None = None) -> StreamHub:
    """The app's stream hub (created on first use)."""
    hub: StreamHub | None = ctx.extras.get("stream_hub")
    if hub is None:
        hub = StreamHub(ctx, metrics)
        ctx.extras["stream_hub"] = hub
    elif hub.metrics is None:
        hub.metrics = metrics
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
    resolver = hub_of(ctx).resolver
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


@router.websocket(STREAM_PATH)
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
        or isinstance(after, bool)
        or not (after is None or (isinstance(after, int) and after >= 0))
    ):
        await websocket.close(CLOSE_PROTOCOL, "expected {type: register, last_event_id}")
        return
    hub = hub_of(ctx, metrics)
    client = hub.join(viewer, websocket, ctx.settings.stream_backlog)
    metrics.stream_clients.inc()
    try:
        covered = await _catch_up(ctx, hub, websocket, viewer, after)
        if covered is None:
            metrics.stream_dropped.inc()
            await websocket.send_text(LAGGED_TEXT)
            await websocket.close(CLOSE_LAGGED, "too far behind: register again")
            return
        client.covered = covered
        client.direct = DirectWriter.find(websocket.scope.get(RAW_SEND_KEY))
        await _follow(websocket, client, metrics, ctx)
    except WebSocketDisconnect:
        pass
    finally:
        hub.leave(viewer, client)
        metrics.stream_clients.dec()


async def _catch_up(
    ctx: ApiContext, hub: StreamHub, websocket: WebSocket, viewer: Principal, after: int | None
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
    await websocket.send_text(json.dumps({"type": "resumed", "last_event_id": after}))
    logged = await asyncio.to_thread(
        lambda: list(ctx.runtime.store.read(after_id=after, limit=last - after))
    )
    accept = event_filter(hub.resolver, viewer)
    texts = [hub.cache.text(item.id, item.event) for item in logged if accept(item.event)]
    for start in range(0, len(texts), MAX_BATCH):
        await websocket.send_text("[" + ",".join(texts[start : start + MAX_BATCH]) + "]")
    return logged[-1].id if logged else after


async def _follow(
    websocket: WebSocket, client: StreamClient, metrics: ApiMetrics, ctx: ApiContext
) -> None:
    async def write() -> None:
        wake = client.wake
        while True:
            await wake.wait()
            wake.clear()
            if client.lagged:
                metrics.stream_dropped.inc()
                await websocket.send_text(LAGGED_TEXT)
                await websocket.close(CLOSE_LAGGED, "fell behind: register again")
                return
            if client.closed:
                return
            text = client.take()
            if text is not None:
                client.sending = True
                try:
                    await websocket.send_text(text)
                finally:
                    client.sending = False

    async def listen() -> None:
        while True:
            message = await websocket.receive_json()
            if isinstance(message, dict) and message.get("type") == "ping":
                await websocket.send_text(
                    json.dumps({"type": "pong", "last_event_id": int(ctx.runtime.last_event_id)})
                )

    client.following = True
    client.wake.set()  # frames may have arrived during the catch-up
    tasks = [asyncio.create_task(write()), asyncio.create_task(listen())]
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
    hub: StreamHub | None = ctx.extras.get("stream_hub")
    if hub is None:
        return
    await hub.stop()
    for websocket in list(hub.clients):
        with contextlib.suppress(Exception):
            await websocket.close(1001, "server shutting down")
