"""A flow's callback request through the runtime: kept in line when queued, held until the queue
opens after hours (and across a restart)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from madoguchi.core.config import (
    AgentConfig,
    CenterConfig,
    HoursCalendar,
    LocalizedText,
    QueueConfig,
    SkillConfig,
    TenantConfig,
    TimeRange,
)
from madoguchi.core.model import Channel, Contact, Direction, SkillRequirement
from madoguchi.core.routing import commands as rc
from madoguchi.core.routing import events as rev
from madoguchi.runtime import CenterRuntime, ManualClock
from madoguchi.store import InMemoryEventStore

TOKYO = ZoneInfo("Asia/Tokyo")
FRIDAY_EVENING = datetime(2026, 1, 9, 20, 0, tzinfo=TOKYO).timestamp()
"""Fri 9 Jan 2026 20:00 JST; Mon 12 Jan is 成人の日 (a national holiday)."""
TUESDAY_OPENING = datetime(2026, 1, 13, 9, 0, tzinfo=TOKYO).timestamp()


def center_with_hours() -> CenterConfig:
    weekdays = HoursCalendar(id="weekdays", weekly=((TimeRange(9 * 60, 18 * 60),),) * 5 + ((), ()))
    return CenterConfig(
        name=LocalizedText("テスト"),
        tenants=(TenantConfig("t1", LocalizedText("t1")),),
        skills=(SkillConfig("general", LocalizedText("一般")),),
        calendars=(weekdays,),
        queues=(
            QueueConfig(
                "general",
                "t1",
                LocalizedText("一般"),
                skills=(SkillRequirement("general"),),
                hours="weekdays",
            ),
        ),
        agents=(AgentConfig("a1", "t1", "佐藤", skills=(("general", 5),)),),
    )


def caller(contact_id: str, at: float) -> Contact:
    return Contact(
        contact_id,
        Channel.VOICE,
        Direction.INBOUND,
        "t1",
        at,
        from_address="0312345678",
        attributes={"member": "12345"},
    )


async def test_given_after_hours_a_flows_callback_request_is_held_until_opening() -> None:
    store = InMemoryEventStore()
    clock = ManualClock(FRIDAY_EVENING)
    runtime = CenterRuntime(center_with_hours(), store, clock=clock)
    await runtime.start()
    events = runtime.request_callback(caller("c1", clock.now()), "general", "09011112222")
    assert [type(e) for e in events] == [rev.CallbackHeld]
    (held,) = events
    assert isinstance(held, rev.CallbackHeld)
    assert held.contact_id == "c1-cb"
    assert held.due_at == TUESDAY_OPENING  # past the weekend and 成人の日
    assert held.direction == Direction.CALLBACK
    assert held.number == "09011112222"
    assert held.attributes == {"member": "12345", "callback_for": "c1"}
    await runtime.flush()
    assert [type(e) for _, e in store.read()] == [rev.CallbackHeld]
    assert runtime.engine.next_timer() == TUESDAY_OPENING

    # A restart over the weekend keeps it.
    clock.set(TUESDAY_OPENING - 3600)
    second = CenterRuntime(center_with_hours(), store, clock=clock)
    await second.start()
    assert set(second.engine.scheduled) == {"c1-cb"}
    assert second.engine.next_timer() == TUESDAY_OPENING
    await second.submit(rc.AgentLogin("a1", available=True))
    clock.set(TUESDAY_OPENING)
    second._on_timer()  # the loop timer the runtime armed for the due time
    await second.flush()
    released = [e for _, e in store.read()][-5:]
    assert [type(e) for e in released] == [
        rev.CallbackReleased,
        rev.ContactQueued,
        rev.CallbackRequested,
        rev.ContactOffered,
        rev.AgentStateChanged,
    ]
    offered = released[3]
    assert isinstance(offered, rev.ContactOffered)
    assert (offered.contact_id, offered.agent_id) == ("c1-cb", "a1")


async def test_given_a_queued_caller_a_flows_callback_request_keeps_its_place() -> None:
    clock = ManualClock(TUESDAY_OPENING + 3600)
    runtime = CenterRuntime(center_with_hours(), InMemoryEventStore(), clock=clock)
    await runtime.start()
    await runtime.submit(rc.EnqueueContact(caller("c1", clock.now()), "general"))
    clock.advance(30)
    events = runtime.request_callback(caller("c1", clock.now()), "general", "09011112222")
    assert [type(e) for e in events] == [rev.CallbackRequested]
    assert runtime.engine.queue_position("c1") == 1
    assert runtime.engine.scheduled == {}


async def test_given_open_hours_and_a_caller_not_yet_queued_then_the_callback_waits_at_once() -> (
    None
):
    clock = ManualClock(TUESDAY_OPENING + 3600)
    runtime = CenterRuntime(center_with_hours(), InMemoryEventStore(), clock=clock)
    await runtime.start()
    events = runtime.request_callback(caller("c2", clock.now()), "general", "09011112222")
    assert [type(e) for e in events] == [
        rev.CallbackHeld,
        rev.CallbackReleased,
        rev.ContactQueued,
        rev.CallbackRequested,
    ]
    assert runtime.engine.queue_position("c2-cb") == 1
