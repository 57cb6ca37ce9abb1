"""The runtime: commands in, events logged then published, state rebuilt from the log, timers."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest

from madoguchi.bus import SubscriberLagged
from madoguchi.core.config import (
    AgentConfig,
    CenterConfig,
    LocalizedText,
    QueueConfig,
    SkillConfig,
    TenantConfig,
)
from madoguchi.core.events import Event
from madoguchi.core.model import AgentState, Channel, Contact, Direction, SkillRequirement
from madoguchi.core.routing import commands as rc
from madoguchi.core.routing import events as rev
from madoguchi.core.routing.errors import UnknownAgent
from madoguchi.runtime import CenterRuntime, ManualClock, SystemClock
from madoguchi.runtime import center as center_module
from madoguchi.store import InMemoryEventStore, MalformedRecord, StoreUnavailable

T0 = 1_790_000_000.0


def small_center(offer_timeout_s: float = 20.0, acw_s: float = 30.0) -> CenterConfig:
    return CenterConfig(
        name=LocalizedText("テスト"),
        tenants=(TenantConfig("t1", LocalizedText("t1")),),
        skills=(SkillConfig("general", LocalizedText("一般")),),
        queues=(
            QueueConfig(
                "general",
                "t1",
                LocalizedText("一般"),
                skills=(SkillRequirement("general"),),
                offer_timeout_s=offer_timeout_s,
                after_contact_work_s=acw_s,
            ),
        ),
        agents=(
            AgentConfig("a1", "t1", "佐藤", skills=(("general", 5),)),
            AgentConfig("a2", "t1", "鈴木", skills=(("general", 7),)),
        ),
    )


def caller(n: int, at: float) -> Contact:
    return Contact(f"c{n}", Channel.VOICE, Direction.INBOUND, "t1", at, from_address="0312345678")


async def test_given_command_then_events_logged_before_published_in_order() -> None:
    store = InMemoryEventStore()
    clock = ManualClock(T0)
    runtime = CenterRuntime(small_center(), store, clock=clock)
    await runtime.start()
    subscription = runtime.bus.subscribe()
    published = await runtime.submit(rc.AgentLogin("a1", available=True))
    assert published
    assert [i for i, _ in published] == list(range(1, len(published) + 1))
    assert store.last_id() == published[-1][0] == runtime.last_event_id
    received = [await subscription.__anext__() for _ in published]
    assert received == published


async def test_given_refused_command_then_nothing_logged() -> None:
    store = InMemoryEventStore()
    runtime = CenterRuntime(small_center(), store, clock=ManualClock(T0))
    await runtime.start()
    with pytest.raises(UnknownAgent):
        await runtime.submit(rc.AgentLogin("nobody"))
    assert store.last_id() == 0


async def test_given_logged_day_when_restarted_then_state_and_views_are_rebuilt() -> None:
    store = InMemoryEventStore()
    clock = ManualClock(T0)
    first = CenterRuntime(small_center(), store, clock=clock)
    await first.start()
    await first.submit(rc.AgentLogin("a1", available=True))
    await first.submit(rc.AgentLogin("a2", available=True))
    await first.submit(rc.EnqueueContact(caller(1, T0), "general"))
    clock.advance(3)
    offered = first.engine.contacts["c1"].offered_to
    assert offered is not None
    await first.submit(rc.AcceptOffer("c1", offered))
    clock.advance(10)
    await first.submit(rc.EnqueueContact(caller(2, clock.now()), "general"))
    before = first.snapshot()

    second = CenterRuntime(small_center(), store, clock=clock)
    await second.start()
    after = second.snapshot()
    assert after.last_event_id == before.last_event_id
    assert after.agents == before.agents
    assert after.queues == before.queues
    assert second.metrics.totals("general").offered == first.metrics.totals("general").offered


async def test_completed_contact_record_is_stored() -> None:
    store = InMemoryEventStore()
    clock = ManualClock(T0)
    runtime = CenterRuntime(small_center(), store, clock=clock)
    await runtime.start()
    await runtime.submit(rc.AgentLogin("a1", available=True))
    await runtime.submit(rc.EnqueueContact(caller(1, T0), "general"))
    clock.advance(2)
    await runtime.submit(rc.AcceptOffer("c1", "a1"))
    clock.advance(60)
    await runtime.submit(rc.EndContact("c1"))
    clock.advance(5)
    await runtime.submit(rc.CompleteWrapUp("a1", "c1", disposition="resolved"))
    stored = store.get_contact_record("c1")
    assert stored is not None
    assert stored.agents == ("a1",)
    assert stored.document["dispositions"] == ["resolved"]


async def test_listener_sees_every_event_after_it_is_logged() -> None:
    store = InMemoryEventStore()
    runtime = CenterRuntime(small_center(), store, clock=ManualClock(T0))
    await runtime.start()
    seen: list[tuple[int, Event]] = []
    runtime.listen(lambda i, e: seen.append((i, e)))
    published = await runtime.submit(rc.AgentLogin("a1", available=True))
    await asyncio.sleep(0)
    assert seen == published
    assert all(store.last_id() >= i for i, _ in seen)


async def test_slow_subscriber_is_cut_off_without_stalling_routing() -> None:
    runtime = CenterRuntime(small_center(), InMemoryEventStore(), clock=ManualClock(T0))
    await runtime.start()
    frozen = runtime.bus.subscribe(max_backlog=2)
    for agent in ("a1", "a2"):
        await runtime.submit(rc.AgentLogin(agent, available=True))
        await runtime.submit(rc.SetAgentState(agent, AgentState.NOT_READY, "break"))
    with pytest.raises(SubscriberLagged):
        await frozen.__anext__()


async def test_offer_time_out_fires_from_the_loop_clock() -> None:
    runtime = CenterRuntime(
        small_center(offer_timeout_s=0.2), InMemoryEventStore(), clock=SystemClock()
    )
    await runtime.start()
    subscription = runtime.bus.subscribe()
    await runtime.submit(rc.AgentLogin("a1", available=True))
    await runtime.submit(rc.EnqueueContact(caller(1, runtime.clock.now()), "general"))

    async def timed_out() -> rev.ContactOfferTimedOut:
        async for _, item in subscription:
            if isinstance(item, rev.ContactOfferTimedOut):
                return item
        raise AssertionError("stream ended")

    event = await asyncio.wait_for(timed_out(), 3.0)
    assert event.agent_id == "a1"
    assert runtime.engine.agent_state("a1") is AgentState.NOT_READY
    await runtime.stop(drain_timeout=0)


class FlakyStore(InMemoryEventStore):
    """Refuses appends while ``down`` (a database that went away)."""

    def __init__(self) -> None:
        super().__init__()
        self.down = False

    def append(self, events: Any, *args: Any, **kwargs: Any) -> int:
        if self.down:
            raise StoreUnavailable("database went away")
        return super().append(events, *args, **kwargs)


class SlowStore(InMemoryEventStore):
    """A store that does I/O: the runtime writes to it from its worker thread."""

    blocking = True

    def __init__(self) -> None:
        super().__init__()
        self.batches: list[int] = []
        self.threads: set[int] = set()

    def append(self, events: Any, *args: Any, **kwargs: Any) -> int:
        events = list(events)
        self.threads.add(threading.get_ident())
        time.sleep(0.05)
        self.batches.append(len(events))
        return super().append(events, *args, **kwargs)


async def test_given_store_down_then_nothing_published_until_it_is_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(center_module, "RETRY_DELAY_S", 0.05)
    store = FlakyStore()
    runtime = CenterRuntime(small_center(), store, clock=ManualClock(T0))
    await runtime.start()
    seen: list[tuple[int, Event]] = []
    runtime.listen(lambda i, e: seen.append((i, e)))
    store.down = True
    login = asyncio.create_task(runtime.submit(rc.AgentLogin("a1", available=True)))
    await asyncio.sleep(0)  # a1's login is staged first
    runtime.submit_now(rc.AgentLogin("a2", available=True))
    await asyncio.sleep(0.2)
    assert not login.done()
    assert seen == []
    assert store.last_id() == 0
    assert runtime.log_stats.failures >= 2
    assert runtime.unlogged == 2
    store.down = False
    published = await asyncio.wait_for(login, 2.0)
    await runtime.flush()
    assert [i for i, _ in seen] == [1, 2]
    assert published == seen[:1]
    assert [type(e) for _, e in seen] == [rev.AgentStateChanged, rev.AgentStateChanged]
    assert [e.agent_id for _, e in seen] == ["a1", "a2"]  # type: ignore[attr-defined]


async def test_an_unstorable_event_loses_only_itself() -> None:
    store = InMemoryEventStore()
    runtime = CenterRuntime(small_center(), store, clock=ManualClock(T0))
    await runtime.start()
    seen: list[Event] = []
    runtime.listen(lambda _i, e: seen.append(e))
    bad = rev.AgentNotReadyRequested(at=float("nan"), agent_id="a1", reason="break")
    runtime.record_events([bad])
    published = await runtime.submit(rc.AgentLogin("a1", available=True))
    assert [e for _, e in published] == seen
    assert bad not in seen
    assert store.last_id() == 1
    runtime.record_events([bad])
    login = runtime.submit(rc.AgentLogin("a2", available=True))  # same batch as the bad one
    assert [e for _, e in await login] == seen[1:]
    # a command whose own event cannot be stored raises in its submitter
    too_long = Contact("c" * 200, Channel.VOICE, Direction.INBOUND, "t1", T0)
    with pytest.raises(MalformedRecord):
        await runtime.submit(rc.EnqueueContact(too_long, "general"))
    assert all(getattr(e, "contact_id", "") != too_long.id for _, e in store.read())


async def test_blocking_store_is_written_from_a_worker_while_the_loop_runs() -> None:
    store = SlowStore()
    runtime = CenterRuntime(small_center(), store, clock=ManualClock(T0), commit_window_s=0)
    await runtime.start()
    seen: list[int] = []
    runtime.listen(lambda i, _e: seen.append(i))
    ticks = 0

    async def ticking() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.005)
            ticks += 1

    ticker = asyncio.create_task(ticking())
    first = asyncio.create_task(runtime.submit(rc.AgentLogin("a1", available=True)))
    await asyncio.sleep(0.01)  # the first batch is being written now
    runtime.submit_now(rc.AgentLogin("a2", available=True))
    runtime.submit_now(rc.SetAgentState("a2", AgentState.NOT_READY, "break"))
    await first
    await runtime.flush()
    ticker.cancel()
    assert store.batches == [1, 2]  # what was staged during the write formed the next batch
    assert threading.get_ident() not in store.threads
    assert ticks >= 5  # the loop kept running during the two 50 ms writes
    assert seen == [1, 2, 3]
    await runtime.stop(drain_timeout=0)


async def test_events_staged_within_the_commit_window_share_one_transaction() -> None:
    store = SlowStore()
    runtime = CenterRuntime(small_center(), store, clock=ManualClock(T0), commit_window_s=0.1)
    assert CenterRuntime(small_center(), SlowStore()).commit_window_s == 0.010
    assert CenterRuntime(small_center(), InMemoryEventStore()).commit_window_s == 0
    await runtime.start()
    runtime.submit_now(rc.AgentLogin("a1", available=True))
    await asyncio.sleep(0.02)  # another loop iteration, still within the window
    assert store.batches == []
    runtime.submit_now(rc.AgentLogin("a2", available=True))
    await runtime.flush()
    assert store.batches == [2]
    await runtime.stop(drain_timeout=0)
