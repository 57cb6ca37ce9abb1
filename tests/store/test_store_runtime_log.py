"""The runtime's group commit on every store: one transaction per loop iteration, events filed
by tenant, contact records committed with the events that completed them, the log rebuilding
the same state."""

from __future__ import annotations

from typing import Any

from madoguchi.core.config import (
    AgentConfig,
    CenterConfig,
    LocalizedText,
    QueueConfig,
    SkillConfig,
    TenantConfig,
)
from madoguchi.core.events import Event
from madoguchi.core.flows.events import FlowEntered, NodeVisited
from madoguchi.core.model import AgentState, Channel, Contact, Direction, SkillRequirement
from madoguchi.core.routing import commands as rc
from madoguchi.core.routing import events as rev
from madoguchi.runtime import CenterRuntime, ManualClock
from madoguchi.store import EventStore

T0 = 1_790_000_000.0


def two_tenants() -> CenterConfig:
    def queue(queue_id: str, tenant: str) -> QueueConfig:
        return QueueConfig(
            queue_id, tenant, LocalizedText(queue_id), skills=(SkillRequirement(tenant),)
        )

    return CenterConfig(
        name=LocalizedText("二社"),
        tenants=(
            TenantConfig("midori", LocalizedText("みどり"), main_flow="midori-main"),
            TenantConfig("aozora", LocalizedText("あおぞら"), main_flow="aozora-main"),
        ),
        skills=(
            SkillConfig("midori", LocalizedText("みどり")),
            SkillConfig("aozora", LocalizedText("あおぞら")),
        ),
        queues=(queue("m-general", "midori"), queue("a-general", "aozora")),
        agents=(
            AgentConfig("m1", "midori", "佐藤", skills=(("midori", 5),)),
            AgentConfig("a1", "aozora", "鈴木", skills=(("aozora", 5),)),
        ),
    )


def contact(contact_id: str, tenant: str) -> Contact:
    return Contact(contact_id, Channel.VOICE, Direction.INBOUND, tenant, T0)


def flow_entered(contact_id: str, flow_id: str) -> list[Event]:
    return [
        FlowEntered(at=T0, contact_id=contact_id, flow_id=flow_id, flow_version=1, channel="voice"),
        NodeVisited(at=T0, contact_id=contact_id, flow_id=flow_id, node="welcome", kind="say"),
    ]


def count_transactions(store: EventStore) -> list[int]:
    """Wrap ``store.append``: the list gets the size of every batch appended."""
    sizes: list[int] = []
    append = store.append

    def counting(events: Any, *args: Any, **kwargs: Any) -> int:
        events = list(events)
        sizes.append(len(events))
        return append(events, *args, **kwargs)

    store.append = counting  # type: ignore[method-assign]
    return sizes


async def a_day(runtime: CenterRuntime, clock: ManualClock) -> list[tuple[int, Event]]:
    """Two tenants' agents and callers; returns what the bus published, in order."""
    published: list[tuple[int, Event]] = []
    runtime.listen(lambda event_id, item: published.append((event_id, item)))
    # one loop iteration: two logins, two flows, one enqueue -> one transaction
    runtime.submit_now(rc.AgentLogin("m1", available=True))
    runtime.submit_now(rc.AgentLogin("a1", available=True))
    runtime.record_events(flow_entered("mc1", "midori-main"))
    runtime.record_events(flow_entered("ac1", "aozora-main"))
    runtime.submit_now(rc.EnqueueContact(contact("mc1", "midori"), "m-general"))
    await runtime.flush()
    await runtime.submit(rc.EnqueueContact(contact("ac1", "aozora"), "a-general"))
    clock.advance(2)
    await runtime.submit(rc.AcceptOffer("mc1", "m1"))
    await runtime.submit(rc.AcceptOffer("ac1", "a1"))
    clock.advance(30)
    runtime.submit_now(rc.EndContact("mc1"))
    runtime.submit_now(rc.EndContact("ac1"))
    clock.advance(5)
    await runtime.submit(rc.CompleteWrapUp("m1", "mc1", disposition="resolved"))
    await runtime.submit(rc.CompleteWrapUp("a1", "ac1", disposition="resolved"))
    await runtime.flush()
    return published


async def test_one_loop_iteration_is_one_transaction_logged_before_published(
    store: EventStore,
) -> None:
    clock = ManualClock(T0)
    runtime = CenterRuntime(two_tenants(), store, clock=clock)
    await runtime.start()
    sizes = count_transactions(store)
    subscription = runtime.bus.subscribe(max_backlog=10_000)
    logged_when_seen: list[bool] = []
    runtime.listen(lambda event_id, _item: logged_when_seen.append(store.last_id() >= event_id))

    published = await a_day(runtime, clock)

    # the first iteration's 2 logins (1 event each), 2 flows (2 events each) and an enqueue
    # (queued + offered + agent reserved) went in one transaction
    assert sizes[0] == 2 + 2 * 2 + 3
    assert len(sizes) < len(published)
    assert all(logged_when_seen)
    ids = [event_id for event_id, _ in published]
    assert ids == list(range(1, len(published) + 1)) == list(range(1, store.last_id() + 1))
    assert [(logged.id, logged.event) for logged in store.read()] == published
    assert [subscription._backlog.popleft() for _ in published] == published
    assert runtime.last_event_id == store.last_id()
    await runtime.stop(drain_timeout=0)


async def test_each_event_is_filed_under_its_tenant_and_read_alone(store: EventStore) -> None:
    clock = ManualClock(T0)
    runtime = CenterRuntime(two_tenants(), store, clock=clock)
    await runtime.start()
    published = await a_day(runtime, clock)

    midori = [item for _, item in store.read(tenant="midori")]
    aozora = [item for _, item in store.read(tenant="aozora")]
    assert len(midori) + len(aozora) == len(published)
    for events, agent, caller, flow in (
        (midori, "m1", "mc1", "midori-main"),
        (aozora, "a1", "ac1", "aozora-main"),
    ):
        assert {getattr(item, "agent_id", agent) for item in events} == {agent}
        assert {getattr(item, "contact_id", caller) for item in events} == {caller}
        assert {getattr(item, "flow_id", flow) for item in events} == {flow}
        kinds = {type(item) for item in events}
        assert {FlowEntered, rev.ContactQueued, rev.AgentStateChanged} <= kinds
        assert rev.ContactWrappedUp in kinds
    assert [r.contact_id for r in store.find_contact_records(tenant="midori")] == ["mc1"]
    assert [r.contact_id for r in store.find_contact_records(tenant="aozora")] == ["ac1"]
    await runtime.stop(drain_timeout=0)


async def test_completed_record_commits_with_the_events_and_log_rebuilds_the_state(
    store: EventStore,
) -> None:
    clock = ManualClock(T0)
    first = CenterRuntime(two_tenants(), store, clock=clock)
    await first.start()
    await a_day(first, clock)
    # the wrap-up that completed each record was published: its record is already stored
    stored = store.get_contact_record("mc1")
    assert stored is not None
    assert stored.document["dispositions"] == ["resolved"]
    await first.submit(rc.SetAgentState("a1", AgentState.NOT_READY, "break"))
    before = first.snapshot()
    await first.stop(drain_timeout=0)

    second = CenterRuntime(two_tenants(), store, clock=clock)
    await second.start()
    after = second.snapshot()
    assert after.last_event_id == before.last_event_id == store.last_id()
    assert after.agents == before.agents
    assert after.queues == before.queues
    # the rebuilt runtime files new events as the first did
    await second.submit(rc.EnqueueContact(contact("ac2", "aozora"), "a-general"))
    assert [type(e) for _, e in store.read(after_id=before.last_event_id, tenant="aozora")]
    assert not list(store.read(after_id=before.last_event_id, tenant="midori"))


async def test_events_recorded_after_stop_are_logged_at_once(store: EventStore) -> None:
    runtime = CenterRuntime(two_tenants(), store, clock=ManualClock(T0))
    await runtime.start()
    await runtime.submit(rc.AgentLogin("m1", available=True))
    await runtime.stop(drain_timeout=0)
    before = store.last_id()
    runtime.record_events(flow_entered("mc9", "midori-main"))
    assert store.last_id() == before + 2
