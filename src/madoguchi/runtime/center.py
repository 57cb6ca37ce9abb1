"""The center runtime: owns the clock, feeds commands to the core, logs and publishes events.

One :class:`CenterRuntime` runs one center in an asyncio loop. It is the only writer of routing
state: adapters (telephony, channels, the API, the demo's simulated agents) act by calling
:meth:`CenterRuntime.submit` and learn what happened from the bus. Every event is appended to the
store before anything else learns of it; a restarted runtime rebuilds the engine, the metrics and
the open contact records from the log (:meth:`CenterRuntime.start`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from madoguchi.bus import EventBus, InProcessBus
from madoguchi.core.config import CenterConfig
from madoguchi.core.events import Event
from madoguchi.core.metrics import MetricsBoard
from madoguchi.core.records import ContactRecordBuilder
from madoguchi.core.routing import RoutingEngine
from madoguchi.core.routing import commands as rc
from madoguchi.runtime.clock import Clock, SystemClock
from madoguchi.store.contact_records import stored_contact_record
from madoguchi.store.port import EventStore

_log = logging.getLogger("madoguchi.runtime")

Published = tuple[int, Event]


@dataclass(frozen=True, slots=True)
class RuntimeSnapshot:
    """What a client needs before it follows the live events after ``last_event_id``."""

    last_event_id: int
    at: float
    agents: list[dict[str, Any]] = field(default_factory=list)
    queues: list[dict[str, Any]] = field(default_factory=list)


class CenterRuntime:
    """Drives a :class:`RoutingEngine` in real time; see docs/dev/runtime-api.md."""

    def __init__(
        self,
        config: CenterConfig,
        store: EventStore,
        bus: EventBus | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.config = config
        self.store = store
        self.bus: EventBus = bus if bus is not None else InProcessBus()
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.engine = RoutingEngine(config)
        self.metrics = MetricsBoard(config)
        self.records = ContactRecordBuilder()
        self.last_event_id = 0
        self._timer: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._accepting = True
        self._started = False
        self._listeners: list[Callable[[int, Event], None]] = []

    # -- life cycle ----------------------------------------------------------------------

    async def start(self) -> None:
        """Rebuild the live state from the log, then arm the engine's timers."""
        self._loop = asyncio.get_running_loop()
        replayed = 0
        for logged in self.store.read():
            self.engine.apply(logged.event)
            self.metrics.apply(logged.event)
            self.records.apply(logged.event)  # completed records were persisted when logged
            self.last_event_id = logged.id
            replayed += 1
        if replayed:
            _log.info("rebuilt state from %d logged events", replayed)
        self._started = True
        # timers that fell due while we were down fire now
        self._on_timer()

    async def stop(self, drain_timeout: float = 30.0) -> None:
        """Refuse new contacts, wait up to ``drain_timeout`` for live ones, then stop timers."""
        self._accepting = False
        deadline = self.clock.now() + drain_timeout
        while self.engine.contacts and self.clock.now() < deadline:
            await asyncio.sleep(0.2)
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._started = False

    @property
    def accepting(self) -> bool:
        """False once a drain has begun: adapters must turn new contacts away."""
        return self._accepting

    def listen(self, listener: Callable[[int, Event], None]) -> None:
        """Call ``listener(event_id, event)`` for every event, in order, right after it is
        logged (soon after, from the loop: a listener may submit commands of its own)."""
        self._listeners.append(listener)

    # -- commands ------------------------------------------------------------------------

    async def submit(self, command: rc.RoutingCommand) -> list[Published]:
        """Run one routing command now; log, fold and publish what it caused."""
        return self.submit_now(command)

    def submit_now(self, command: rc.RoutingCommand) -> list[Published]:
        """:meth:`submit` for callers already inside the loop thread (no await)."""
        events = self.engine.receive(command, self.clock.now())
        published = self._commit(events)
        self._rearm()
        return published

    def record_events(self, events: Sequence[Event]) -> list[Published]:
        """Log and publish events produced outside routing (flows, telephony, channels)."""
        published = self._commit(events)
        self._rearm()
        return published

    def _commit(self, events: Sequence[Event]) -> list[Published]:
        if not events:
            return []
        last = self.store.append(events)
        first = last - len(events) + 1
        published = [(first + offset, item) for offset, item in enumerate(events)]
        completed = []
        for event_id, item in published:
            self.metrics.apply(item)
            record = self.records.apply(item)
            if record is not None:
                completed.append(stored_contact_record(record))
            self.bus.publish(event_id, item)
        if completed:
            self.store.upsert_contact_records(completed)
        if self._listeners:
            if self._loop is not None:
                self._loop.call_soon(self._notify, published)
            else:
                self._notify(published)
        self.last_event_id = last
        return published

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
            self._commit(events)
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
