"""Delivering contact events to webhook endpoints: signed, retried with back-off, logged.

:class:`WebhookDispatcher` subscribes to the runtime's bus (a bounded subscription: routing
never waits for it), keeps the contact events (every event with a ``contact_id``), finds the
active endpoints of the event's tenant that want its type, writes one ``crm_webhook_delivery``
row per endpoint and sends it in a task of its own. A delivery is one ``POST`` of::

    {"delivery_id": 12, "event_id": 345, "type": "ContactEnded", "tenant": "midori",
     "event": {...the event's fields...}}

with the headers ``X-Madoguchi-Event``, ``X-Madoguchi-Delivery`` and
``X-Madoguchi-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>." + body>`` keyed by the
endpoint's secret (the receiver recomputes it and rejects stale timestamps). Any 2xx answer
delivers it; anything else (status, time-out, refused connection) is retried after
``base``, ``2·base``, ``4·base``… seconds up to ``webhook_max_attempts``, then marked failed.
Deliveries still pending when the server stops are resumed at the next start.

Database work runs on one worker thread, so the event loop (routing, media) never waits for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any, TypeVar

import httpx
from sqlalchemy import select

from madoguchi.api.context import ApiContext
from madoguchi.api.stream_filter import TenantResolver
from madoguchi.api.values import finite
from madoguchi.bus import SubscriberLagged, Subscription
from madoguchi.core.events import Event, to_record
from madoguchi.store.crm import Webhook, WebhookDelivery

_log = logging.getLogger("madoguchi.api.webhooks")

T = TypeVar("T")

SIGNATURE_HEADER = "X-Madoguchi-Signature"
#: Events buffered for the dispatcher before it counts as lagged (it then re-subscribes).
DISPATCH_BACKLOG = 10_000
#: Deliveries sent at the same time (more wait their turn).
MAX_IN_FLIGHT = 32


def is_contact_event(item: Event) -> bool:
    """Whether ``item`` is about a contact (the events webhooks carry)."""
    return isinstance(getattr(item, "contact_id", None), str)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(secret: str, header: str, body: bytes, now: float, tolerance_s: float = 300.0) -> bool:
    """What a receiver does: recompute the signature and refuse stale timestamps."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance_s:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), header)


@dataclass(frozen=True, slots=True)
class _Endpoint:
    id: int
    tenant: str
    url: str
    secret: str
    event_types: frozenset[str]


class WebhookDispatcher:
    """Sends the center's contact events to the configured endpoints (module docstring)."""

    def __init__(self, ctx: ApiContext, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.ctx = ctx
        self._transport = transport
        self._db = ThreadPoolExecutor(max_workers=1, thread_name_prefix="webhooks-db")
        self._endpoints: dict[str, list[_Endpoint]] | None = None
        self._resolver = TenantResolver(ctx.config)
        self._subscription: Subscription | None = None
        self._listener: asyncio.Task[None] | None = None
        self._deliveries: set[asyncio.Task[None]] = set()
        self._slots = asyncio.Semaphore(MAX_IN_FLIGHT)
        self._client: httpx.AsyncClient | None = None
        self._dispatching = False
        self.stats = {"events": 0, "delivered": 0, "failed": 0, "retries": 0, "lagged": 0}

    # ------------------------------------------------------------------ life cycle
    async def start(self) -> None:
        """Subscribe to the bus and resume deliveries left pending by the last run."""
        if self._listener is not None:
            return
        settings = self.ctx.settings
        self._client = httpx.AsyncClient(
            transport=self._transport, timeout=settings.webhook_timeout_s, follow_redirects=False
        )
        self._subscription = self.ctx.runtime.bus.subscribe(DISPATCH_BACKLOG, is_contact_event)
        self._listener = asyncio.get_running_loop().create_task(self._listen())
        for row_id, url, secret, payload, attempts in await self._run(self._pending_rows):
            self._spawn(row_id, url, secret, payload, attempts)

    async def stop(self) -> None:
        """Stop listening and sending (unsent deliveries stay pending for the next start)."""
        if self._subscription is not None:
            self._subscription.close()
        tasks = [t for t in (self._listener, *self._deliveries) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._listener = None
        if self._client is not None:
            await self._client.aclose()
        self._db.shutdown(wait=True)

    @property
    def running(self) -> bool:
        """Whether the dispatcher listens and sends (between start and stop)."""
        return self._listener is not None

    def send(self, row_id: int, url: str, secret: str, payload: dict[str, Any]) -> None:
        """Send an existing delivery row again from its first attempt (a manual retry)."""
        self._spawn(row_id, url, secret, _body(payload), 0)

    def endpoints_changed(self) -> None:
        """Re-read the endpoints before the next event (the admin API calls this)."""
        self._endpoints = None

    async def idle(self) -> None:
        """Wait until every event received so far has been delivered or given up (tests)."""
        while True:
            if self._dispatching or (
                self._subscription is not None and self._subscription.pending()
            ):
                await asyncio.sleep(0.01)
                continue
            busy = [t for t in self._deliveries if not t.done()]
            if not busy:
                return
            await asyncio.wait(busy)

    # ------------------------------------------------------------------ events in
    async def _listen(self) -> None:
        while True:
            assert self._subscription is not None
            try:
                async for event_id, item in self._subscription:
                    self._dispatching = True
                    try:
                        await self._dispatch(event_id, item)
                    except Exception:  # a broken row must not stop the dispatcher
                        _log.exception("webhook dispatch of event %d failed", event_id)
                    finally:
                        self._dispatching = False
                return
            except SubscriberLagged:
                self.stats["lagged"] += 1
                _log.warning("webhook dispatcher fell behind the bus; events were skipped")
                self._subscription = self.ctx.runtime.bus.subscribe(
                    DISPATCH_BACKLOG, is_contact_event
                )

    async def _dispatch(self, event_id: int, item: Event) -> None:
        tenant = self._resolver.tenant_of(item)
        if tenant is None:
            return
        if self._endpoints is None:
            self._endpoints = await self._run(self._load_endpoints)
        kind = type(item).__name__
        wanted = [
            e for e in self._endpoints.get(tenant, []) if not e.event_types or kind in e.event_types
        ]
        if not wanted:
            return
        self.stats["events"] += 1
        record = finite(to_record(item))
        now = self.ctx.runtime.clock.now()
        created = await self._run(partial(self._create_rows, wanted, event_id, kind, record, now))
        for endpoint, (row_id, payload) in zip(wanted, created, strict=True):
            self._spawn(row_id, endpoint.url, endpoint.secret, payload, 0)

    # ------------------------------------------------------------------ sending
    def _spawn(self, row_id: int, url: str, secret: str, payload: bytes, attempts: int) -> None:
        task = asyncio.get_running_loop().create_task(
            self._deliver(row_id, url, secret, payload, attempts)
        )
        self._deliveries.add(task)
        task.add_done_callback(self._deliveries.discard)

    async def _deliver(
        self, row_id: int, url: str, secret: str, payload: bytes, attempts: int
    ) -> None:
        settings = self.ctx.settings
        assert self._client is not None
        while attempts < settings.webhook_max_attempts:
            if attempts:
                self.stats["retries"] += 1
                await asyncio.sleep(settings.webhook_retry_base_s * 2 ** (attempts - 1))
            attempts += 1
            stamp = int(self.ctx.runtime.clock.now())
            status: int | None = None
            error = ""
            async with self._slots:
                try:
                    response = await self._client.post(
                        url,
                        content=payload,
                        headers={
                            "Content-Type": "application/json",
                            "User-Agent": "madoguchi-webhooks",
                            "X-Madoguchi-Delivery": str(row_id),
                            SIGNATURE_HEADER: sign(secret, stamp, payload),
                        },
                    )
                    status = response.status_code
                    if not 200 <= status < 300:
                        error = f"HTTP {status}"
                except httpx.HTTPError as err:
                    error = f"{type(err).__name__}: {err}"[:500]
            done = not error
            gave_up = not done and attempts >= settings.webhook_max_attempts
            retry_at = (
                None
                if done or gave_up
                else stamp + settings.webhook_retry_base_s * 2 ** (attempts - 1)
            )
            outcome = "delivered" if done else "failed" if gave_up else "pending"
            await self._run(
                partial(self._record_attempt, row_id, outcome, attempts, status, error, retry_at)
            )
            if done:
                self.stats["delivered"] += 1
                return
            if gave_up:
                self.stats["failed"] += 1
                _log.warning("webhook delivery %d to %s failed: %s", row_id, url, error)
                return

    # ------------------------------------------------------------------ database (worker thread)
    async def _run(self, work: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._db, work)

    def _load_endpoints(self) -> dict[str, list[_Endpoint]]:
        found: dict[str, list[_Endpoint]] = {}
        with self.ctx.sessions() as db:
            for row in db.scalars(select(Webhook).where(Webhook.active.is_(True))):
                found.setdefault(row.tenant, []).append(
                    _Endpoint(row.id, row.tenant, row.url, row.secret, frozenset(row.event_types))
                )
        return found

    def _create_rows(
        self,
        endpoints: list[_Endpoint],
        event_id: int,
        kind: str,
        record: dict[str, Any],
        now: float,
    ) -> list[tuple[int, bytes]]:
        stamp = datetime.fromtimestamp(now, UTC)
        with self.ctx.sessions() as db:
            rows = [
                WebhookDelivery(
                    webhook_id=e.id,
                    tenant=e.tenant,
                    event_id=event_id,
                    event_type=kind,
                    payload={},
                    status="pending",
                    attempts=0,
                    error="",
                    created_at=stamp,
                    next_attempt_at=stamp,
                )
                for e in endpoints
            ]
            db.add_all(rows)
            db.flush()
            for row in rows:
                row.payload = {
                    "delivery_id": row.id,
                    "event_id": event_id,
                    "type": kind,
                    "tenant": row.tenant,
                    "event": record,
                }
            db.commit()
            return [(row.id, _body(row.payload)) for row in rows]

    def _record_attempt(
        self,
        row_id: int,
        status: str,
        attempts: int,
        response_status: int | None,
        error: str,
        retry_at: float | None,
    ) -> None:
        with self.ctx.sessions() as db:
            row = db.get(WebhookDelivery, row_id)
            if row is None:  # the endpoint was deleted meanwhile
                return
            row.status = status
            row.attempts = attempts
            row.response_status = response_status
            row.error = error
            row.last_attempt_at = datetime.fromtimestamp(self.ctx.runtime.clock.now(), UTC)
            row.next_attempt_at = (
                datetime.fromtimestamp(retry_at, UTC) if retry_at is not None else None
            )
            db.commit()

    def _pending_rows(self) -> list[tuple[int, str, str, bytes, int]]:
        with self.ctx.sessions() as db:
            rows = db.execute(
                select(WebhookDelivery, Webhook)
                .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
                .where(WebhookDelivery.status == "pending", Webhook.active.is_(True))
            ).all()
            return [(d.id, w.url, w.secret, _body(d.payload), d.attempts) for d, w in rows]


def _body(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
