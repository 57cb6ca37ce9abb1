"""The center runtime: owns the clock, feeds commands to the core, logs and publishes events.

One :class:`CenterRuntime` runs one center in an asyncio loop. It is the only writer of routing
state: adapters (telephony, channels, the API, the demo's simulated agents) act by calling
:meth:`CenterRuntime.submit` and learn what happened from the bus. Every event is appended to the
store before anything else learns of it; a restarted runtime rebuilds the engine, the metrics and
the open contact records from the log (:meth:`CenterRuntime.start`).

**Group commit.** A command's events are *staged*: the engine's state moves at once, and the
events wait in order for the end of the loop's current iteration (on a database store, up to
``commit_window_s``, 10 ms by default, to gather more), when everything staged is
appended in one transaction (with the contact records those events completed and the tenant of
each event) and only then folded into the metrics, published on the bus and handed to the
listeners. On a database store the transaction runs in one worker thread, so the loop goes on
while it commits; what is staged meanwhile forms the next batch (one batch in flight at a time,
so ids and publication keep the staging order). A crash therefore never publishes an event that
is not logged; it loses the events of the batch not yet committed, which nobody has seen.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from madoguchi.bus import EventBus, InProcessBus
from madoguchi.core.config import CenterConfig
from madoguchi.core.events import Event
from madoguchi.core.metrics import MetricsBoard
from madoguchi.core.model import Channel, Contact, Direction
from madoguchi.core.records import ContactRecordBuilder
from madoguchi.core.routing import RoutingEngine
from madoguchi.core.routing import commands as rc
from madoguchi.runtime.clock import Clock, SystemClock
from madoguchi.store.contact_records import stored_contact_record
from madoguchi.store.errors import MalformedRecord
from madoguchi.store.port import EventStore, StoredContactRecord

_log = logging.getLogger("madoguchi.runtime")

Published = tuple[int, Event]

#: Default gathering time of a batch on a store that does I/O: events staged within 10 ms share
#: one transaction (at 50 calls/s: ~7 events per commit instead of ~2.6, writer CPU per call
#: 0.85 ms instead of 1.2–1.4 ms); they are published at most that much later. 0 on the
#: in-memory store, which has no commit to save.
COMMIT_WINDOW_S = 0.010

#: Seconds between attempts to write a batch the store refused (database unreachable…).
RETRY_DELAY_S = 1.0

#: Contacts whose tenant the resolver remembers (oldest forgotten first).
REMEMBERED_CONTACTS = 100_000


@dataclass(frozen=True, slots=True)
class RuntimeSnapshot:
    """What a client needs before it follows the live events after ``last_event_id``."""

    last_event_id: int
    at: float
    agents: list[dict[str, Any]] = field(default_factory=list)
    queues: list[dict[str, Any]] = field(default_factory=list)


class TenantResolver:
    """Which tenant each event belongs to, so that the log files it there.

    In order of preference: the event's own ``tenant`` field; the tenant already learnt for its
    contact (``contact_id``) or campaign (``campaign``); the tenant whose main flow is the
    event's ``flow_id``; the configured tenant of its agent (``agent_id``/``from_agent``) or
    queue (``queue_id``/``from_queue``); the only tenant of a single-tenant center. Feed it
    every event in log order (:meth:`resolve`): it learns contacts and campaigns as it goes.
    """

    def __init__(self, config: CenterConfig) -> None:
        self._agents = {agent.id: agent.tenant for agent in config.agents}
        self._queues = {queue.id: queue.tenant for queue in config.queues}
        owners: dict[str, set[str]] = {}
        for tenant in config.tenants:
            if tenant.main_flow is not None:
                owners.setdefault(tenant.main_flow, set()).add(tenant.id)
        self._flows = {flow: next(iter(ids)) for flow, ids in owners.items() if len(ids) == 1}
        self._only = config.tenants[0].id if len(config.tenants) == 1 else None
        self._contacts: dict[str, str] = {}
        self._campaigns: dict[str, str] = {}

    def resolve(self, item: Event) -> str | None:
        """The tenant of ``item`` (None when nothing tells), remembering what it learns."""
        tenant = getattr(item, "tenant", None)
        contact = getattr(item, "contact_id", None)
        campaign = getattr(item, "campaign", None)
        if not isinstance(tenant, str) or not tenant:
            tenant = self._infer(item, contact, campaign)
        if tenant is not None:
            if isinstance(contact, str) and contact not in self._contacts:
                self._contacts[contact] = tenant
                if len(self._contacts) > REMEMBERED_CONTACTS:
                    del self._contacts[next(iter(self._contacts))]
            if isinstance(campaign, str):
                self._campaigns[campaign] = tenant
        return tenant

    def _infer(self, item: Event, contact: object, campaign: object) -> str | None:
        if isinstance(contact, str) and (known := self._contacts.get(contact)) is not None:
            return known
        if isinstance(campaign, str) and (known := self._campaigns.get(campaign)) is not None:
            return known
        for name, table in (
            ("flow_id", self._flows),
            ("agent_id", self._agents),
            ("from_agent", self._agents),
            ("queue_id", self._queues),
            ("from_queue", self._queues),
        ):
            value = getattr(item, name, None)
            if isinstance(value, str) and (known := table.get(value)) is not None:
                return known
        return self._only


@dataclass(slots=True)
class _Batch:
    """Staged events on their way to the log, with what goes in the same transaction."""

    events: list[Event] = field(default_factory=list)
    tenants: list[str | None] = field(default_factory=list)
    records: list[StoredContactRecord] = field(default_factory=list)
    waiters: list[tuple[int, int, asyncio.Future[list[Published]]]] = field(default_factory=list)
    """(first, end) positions in ``events`` of one :meth:`CenterRuntime.submit`, its future."""


@dataclass(slots=True)
class LogStats:
    """How the event log's group commit has gone (for benchmarks and health)."""

    batches: int = 0
    events: int = 0
    largest_batch: int = 0
    failures: int = 0
    """Batches the store refused as a whole (retried, or written event by event)."""
    write_s: float = 0.0
    """Wall time spent writing batches (in the worker thread when the store does I/O)."""
    write_cpu_s: float = 0.0
    """CPU time of the thread writing them, over those writes."""


class CenterRuntime:
    """Drives a :class:`RoutingEngine` in real time; see docs/dev/runtime-api.md."""

    def __init__(
        self,
        config: CenterConfig,
        store: EventStore,
        bus: EventBus | None = None,
        clock: Clock | None = None,
        commit_window_s: float | None = None,
    ) -> None:
        self.config = config
        self.commit_window_s = (
            commit_window_s
            if commit_window_s is not None
            else (COMMIT_WINDOW_S if store.blocking else 0.0)
        )
        """How long staged events wait for more before their transaction starts (0: the end
        of the loop iteration)."""
        self.store = store
        self.bus: EventBus = bus if bus is not None else InProcessBus()
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.engine = RoutingEngine(config)
        self.metrics = MetricsBoard(config)
        self.records = ContactRecordBuilder()
        self.tenants = TenantResolver(config)
        self.last_event_id = 0
        self.log_stats = LogStats()
        self._timer: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._accepting = True
        self._started = False
        self._listeners: list[Callable[[int, Event], None]] = []
        self._staged = _Batch()
        self._flush_due = False
        self._writing = False
        self._inline = True
        """Write at once, in the caller's thread (before start, after stop)."""
        self._flushing = False
        self._retry: asyncio.TimerHandle | None = None
        self._settled: list[asyncio.Future[None]] = []
        self._executor: ThreadPoolExecutor | None = None

    # -- life cycle ----------------------------------------------------------------------

    async def start(self) -> None:
        """Rebuild the live state from the log, then arm the engine's timers."""
        self._loop = asyncio.get_running_loop()
        replayed = 0
        for logged in self.store.read():
            self.engine.apply(logged.event)
            self.metrics.apply(logged.event)
            self.records.apply(logged.event)  # completed records were persisted when logged
            self.tenants.resolve(logged.event)
            self.last_event_id = logged.id
            replayed += 1
        if replayed:
            _log.info("rebuilt state from %d logged events", replayed)
        if self.store.blocking and self._executor is None:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix="madoguchi-event-log")
        self._inline = False
        self._started = True
        # timers that fell due while we were down fire now
        self._on_timer()

    async def stop(self, drain_timeout: float = 30.0) -> None:
        """Refuse new contacts, wait up to ``drain_timeout`` for live ones, log what is staged,
        then stop timers. Events recorded afterwards (hang-ups at shutdown) are logged at once."""
        self._accepting = False
        deadline = self.clock.now() + drain_timeout
        while self.engine.contacts and self.clock.now() < deadline:
            await asyncio.sleep(0.2)
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        try:
            await asyncio.wait_for(self.flush(), timeout=max(5.0, drain_timeout))
        except TimeoutError:
            _log.error("stopping with %d events not logged", len(self._staged.events))
        self._started = False
        self._inline = True
        if self._retry is not None:
            self._retry.cancel()
            self._retry = None
        if self._executor is not None and not self._writing:
            self._executor.shutdown(wait=False)
            self._executor = None

    async def flush(self) -> None:
        """Wait until every event staged so far is logged and published."""
        while self._staged.events or self._staged.records or self._writing:
            loop = asyncio.get_running_loop()
            settled: asyncio.Future[None] = loop.create_future()
            self._settled.append(settled)
            if not self._writing and self._retry is None:
                self._schedule_flush()
            await settled

    @property
    def accepting(self) -> bool:
        """False once a drain has begun: adapters must turn new contacts away."""
        return self._accepting

    @property
    def unlogged(self) -> int:
        """Events staged or being written, not yet logged and published."""
        return len(self._staged.events) + (1 if self._writing else 0)

    def listen(self, listener: Callable[[int, Event], None]) -> None:
        """Call ``listener(event_id, event)`` for every event, in order, right after it is
        logged (from the loop, never inside the caller of :meth:`submit`: a listener may submit
        commands of its own)."""
        self._listeners.append(listener)

    # -- commands ------------------------------------------------------------------------

    async def submit(self, command: rc.RoutingCommand) -> list[Published]:
        """Run one routing command now; return its events once they are logged and published.

        Raises the engine's :class:`RoutingError` subclasses unchanged (nothing is staged)."""
        events = self.engine.receive(command, self.clock.now())
        if not events:
            self._rearm()
            return []
        done: asyncio.Future[list[Published]] = asyncio.get_running_loop().create_future()
        first = len(self._staged.events)
        self._staged.waiters.append((first, first + len(events), done))
        self._stage(events)
        self._rearm()
        return await done

    def submit_now(self, command: rc.RoutingCommand) -> list[Event]:
        """:meth:`submit` for callers inside the loop thread that need not wait: the command
        runs (the engine's state moves) now, its events are logged and published at the end of
        this loop iteration. Returns those events."""
        events = self.engine.receive(command, self.clock.now())
        self._stage(events)
        self._rearm()
        return events

    def request_callback(self, contact: Contact, queue_id: str, number: str) -> list[Event]:
        """A flow's callback request for ``contact``, to be called back on ``number``.

        A contact routing holds (waiting in a queue) keeps its place as a callback request
        (``RequestCallback``). Any other (after hours, or before it was ever queued) becomes a
        callback contact of its own, ``<id>-cb`` with direction ``callback``, held dormant until
        ``queue_id`` next opens (``ScheduleCallback``; at once when the queue is open). Runs like
        :meth:`submit_now`; raises the engine's ``RoutingError`` unchanged.
        """
        if contact.id in self.engine.contacts:
            return self.submit_now(rc.RequestCallback(contact.id, number))
        callback = Contact(
            id=f"{contact.id}-cb",
            channel=Channel.VOICE,
            direction=Direction.CALLBACK,
            tenant=contact.tenant,
            created_at=self.clock.now(),
            queue=queue_id,
            priority=contact.priority,
            skills=contact.skills,
            attributes={**contact.attributes, "callback_for": contact.id},
            customer_id=contact.customer_id,
            from_address=number,
            to_address=contact.to_address,
            language=contact.language,
        )
        return self.submit_now(rc.ScheduleCallback(callback, queue_id, None, number))

    def record_events(self, events: Sequence[Event]) -> list[Event]:
        """Log and publish events produced outside routing (flows, telephony, channels), in
        order with routing's, at the end of this loop iteration."""
        events = list(events)
        self._stage(events)
        self._rearm()
        return events

    # -- the event log (group commit) ----------------------------------------------------

    def _stage(self, events: Sequence[Event]) -> None:
        if not events:
            return
        staged = self._staged
        resolve = self.tenants.resolve
        fold = self.records.apply
        for item in events:
            staged.events.append(item)
            staged.tenants.append(resolve(item))
            record = fold(item)
            if record is not None:
                staged.records.append(stored_contact_record(record))
        self._schedule_flush()

    def _schedule_flush(self) -> None:
        if self._inline or self._loop is None:
            self._flush_inline()
        elif not self._flush_due and not self._writing and self._retry is None:
            self._flush_due = True
            if self.commit_window_s > 0:
                self._loop.call_later(self.commit_window_s, self._flush)
            else:
                self._loop.call_soon(self._flush)

    def _take(self) -> _Batch:
        batch, self._staged = self._staged, _Batch()
        return batch

    def _flush(self) -> None:
        """End of a loop iteration: write what is staged, in a worker thread when the store
        does I/O."""
        self._flush_due = False
        self._retry = None
        if self._writing or not (self._staged.events or self._staged.records):
            return
        if self._executor is None or self._loop is None:
            self._flush_inline()
            return
        batch = self._take()
        self._writing = True
        written = self._executor.submit(self._write, batch)
        loop = self._loop
        written.add_done_callback(
            lambda future: loop.call_soon_threadsafe(self._written, batch, future)
        )

    def _flush_inline(self) -> None:
        if self._flushing or self._writing:
            return
        self._flushing = True
        try:
            while self._staged.events or self._staged.records:
                batch = self._take()
                try:
                    ids = self._write(batch)
                except Exception as err:
                    self._failed(batch, err)
                    return
                self._publish(batch, ids)
        finally:
            self._flushing = False
            self._settle()

    def _write(self, batch: _Batch) -> list[int | None]:
        """One transaction for the batch (worker thread); event by event if the store refuses
        one of its records, so that one bad event loses only itself."""
        started, cpu = time.perf_counter(), time.thread_time()
        try:
            return self._write_batch(batch)
        finally:
            self.log_stats.write_s += time.perf_counter() - started
            self.log_stats.write_cpu_s += time.thread_time() - cpu

    def _write_batch(self, batch: _Batch) -> list[int | None]:
        try:
            last = self.store.append(
                batch.events, tenants=batch.tenants, contact_records=batch.records
            )
        except MalformedRecord as err:
            _log.error("event log refused a batch (%s); writing its events one by one", err)
            return self._write_one_by_one(batch)
        first = last - len(batch.events) + 1
        return list(range(first, last + 1))

    def _write_one_by_one(self, batch: _Batch) -> list[int | None]:
        ids: list[int | None] = []
        for item, tenant in zip(batch.events, batch.tenants, strict=True):
            try:
                ids.append(self.store.append([item], tenants=[tenant]))
            except MalformedRecord as err:
                _log.error("event not logged, not published: %r: %s", item, err)
                ids.append(None)
        for record in batch.records:
            try:
                self.store.upsert_contact_records([record])
            except MalformedRecord as err:
                _log.error("contact record %s not stored: %s", record.contact_id, err)
        return ids

    def _written(self, batch: _Batch, future: Future[list[int | None]]) -> None:
        self._writing = False
        try:
            ids = future.result()
        except Exception as err:
            self._failed(batch, err)
        else:
            self._publish(batch, ids)
            if self._staged.events or self._staged.records:
                self._schedule_flush()
        self._settle()

    def _failed(self, batch: _Batch, err: BaseException) -> None:
        """The store could not take the batch: keep it, in front of what was staged since,
        and try again later. Nothing of it is published meanwhile."""
        self.log_stats.failures += 1
        _log.error(
            "event log unavailable, %d events wait (retrying in %g s): %s",
            len(batch.events),
            RETRY_DELAY_S,
            err,
        )
        later = self._staged
        shift = len(batch.events)
        batch.events.extend(later.events)
        batch.tenants.extend(later.tenants)
        batch.records.extend(later.records)
        batch.waiters.extend((a + shift, b + shift, done) for a, b, done in later.waiters)
        self._staged = batch
        if self._loop is not None and self._retry is None and not self._inline:
            self._retry = self._loop.call_later(RETRY_DELAY_S, self._flush)
        self._settle()

    def _settle(self) -> None:
        settled, self._settled = self._settled, []
        for future in settled:
            if not future.done():
                future.set_result(None)

    def _publish(self, batch: _Batch, ids: list[int | None]) -> None:
        stats = self.log_stats
        stats.batches += 1
        stats.events += len(batch.events)
        stats.largest_batch = max(stats.largest_batch, len(batch.events))
        published: list[Published] = []
        fold = self.metrics.apply
        publish = self.bus.publish
        for event_id, item in zip(ids, batch.events, strict=True):
            if event_id is None:
                continue
            try:
                fold(item)
            except Exception:  # a metrics bug must not keep an event from its listeners
                _log.exception("metrics could not fold event %d", event_id)
            publish(event_id, item)
            published.append((event_id, item))
        if published:
            self.last_event_id = published[-1][0]
        for first, end, done in batch.waiters:
            if done.done():
                continue
            mine = [
                (i, e)
                for i, e in zip(ids[first:end], batch.events[first:end], strict=True)
                if i is not None
            ]
            if len(mine) < end - first:
                done.set_exception(MalformedRecord("an event of this command could not be logged"))
            else:
                done.set_result(mine)
        if self._listeners and published:
            self._notify(published)

    def _notify(self, published: list[Published]) -> None:
        for listener in tuple(self._listeners):
            for event_id, item in published:
                try:
                    listener(event_id, item)
                except Exception:  # one adapter's bug must not silence the others
                    _log.exception("event listener %r failed", listener)

    # -- timers --------------------------------------------------------------------------

    def _rearm(self) -> None:
        if self._loop is None or not self._started:
            return
        due = self.engine.next_timer()
        if self._timer is not None:
            if due is not None and abs(self._timer.when() - self._loop_time_for(due)) < 1e-3:
                return
            self._timer.cancel()
            self._timer = None
        if due is not None:
            self._timer = self._loop.call_at(self._loop_time_for(due), self._on_timer)

    def _loop_time_for(self, instant: float) -> float:
        assert self._loop is not None
        return self._loop.time() + max(0.0, instant - self.clock.now())

    def _on_timer(self) -> None:
        self._timer = None
        try:
            events = self.engine.handle_timer(self.clock.now())
            self._stage(events)
        except Exception:  # a bug must not stop the center's clock
            _log.exception("timer handling failed")
        self._rearm()

    # -- views ---------------------------------------------------------------------------

    def snapshot(self) -> RuntimeSnapshot:
        """Agents and queues as they are now, with the id of the last event they include."""
        now = self.clock.now()
        return RuntimeSnapshot(
            last_event_id=self.last_event_id,
            at=now,
            agents=[self.agent_view(agent_id, now) for agent_id in self.engine.agents],
            queues=[self.queue_view(q.id, now) for q in self.config.queues],
        )

    def agent_view(self, agent_id: str, now: float) -> dict[str, Any]:
        """One agent as the desktop and the wallboard show it."""
        agent = self.engine.agents[agent_id]
        config = agent.config
        stats = self.metrics.agent(agent_id, now)
        return {
            "agent_id": agent_id,
            "name": config.name,
            "tenant": config.tenant,
            "team": config.team,
            "state": agent.state.value,
            "reason": agent.reason,
            "since": agent.state_since,
            "work_mode": agent.work_mode.value,
            "offer": agent.offer,
            "contacts": sorted(agent.active),
            "wrap_up": sorted(agent.wrapups),
            "campaign": agent.campaign,
            "handled": stats.handled,
            "aht_s": stats.aht_s,
        }

    def queue_view(self, queue_id: str, now: float) -> dict[str, Any]:
        """One queue's live line: waiting, longest wait, estimated wait, agents by state."""
        live = self.metrics.queue_now(queue_id, now)
        return {
            "queue_id": queue_id,
            "waiting": live.waiting,
            "callbacks_waiting": live.callbacks_waiting,
            "longest_wait_s": live.longest_wait_s,
            "estimated_wait_s": self.engine.estimated_wait(queue_id, now),
            "agents_by_state": dict(live.agents_by_state),
        }
