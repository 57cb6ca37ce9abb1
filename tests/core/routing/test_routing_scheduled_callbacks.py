"""Scheduled callbacks: held dormant until due (or until the queue opens), then waiting in line."""

from __future__ import annotations

import math
import random
from typing import Any

import pytest

from madoguchi.core.config import HoursCalendar, TimeRange
from madoguchi.core.events import Event, from_record, to_record
from madoguchi.core.model import Channel, Contact, ContactState, Direction
from madoguchi.core.routing import (
    DuplicateContact,
    InvalidCommand,
    RoutingEngine,
    UnknownContact,
    UnknownQueue,
)
from madoguchi.core.routing import commands as rc
from madoguchi.core.routing import events as ev

DAY = 86_400.0
HOUR = 3_600.0


def _weekday_hours() -> HoursCalendar:
    nine_to_six = (TimeRange(9 * 60, 18 * 60),)
    return HoursCalendar(id="weekdays", weekly=(nine_to_six,) * 5 + ((), ()))


def _callback(contact_id: str, at: float, **kwargs: Any) -> Contact:
    return Contact(
        id=contact_id,
        channel=Channel.VOICE,
        direction=Direction.CALLBACK,
        tenant="acme",
        created_at=at,
        from_address="0312345678",
        **kwargs,
    )


def _desk(desk: Any, build: Any, *agents: Any, **queue_kwargs: Any) -> Any:
    q = build.queue("q", "s", hours="weekdays", **queue_kwargs)
    return desk([q, build.queue("always", "s")], list(agents), calendars=(_weekday_hours(),))


def test_given_a_holiday_when_a_callback_is_scheduled_then_it_waits_dormant_until_opening(
    desk: Any, build: Any
) -> None:
    # T0 is 2026-01-01 09:00 in Tokyo: 元日 (closed); the queue next opens Fri 2 Jan 09:00.
    d = _desk(desk, build, build.agent("a1", "s"))
    d.login("a1")
    out = d.do(rc.ScheduleCallback(_callback("cb1", d.now), "q", None, "0398765432"))
    assert [type(e) for e in out] == [ev.CallbackHeld]
    (held,) = out
    assert held.due_at == build.T0 + DAY
    assert (held.queue_id, held.number, held.direction) == ("q", "0398765432", "callback")
    assert held.skills == (("s", 1),)
    assert d.engine.next_timer() == build.T0 + DAY
    assert d.engine.contact_state("cb1") is ContactState.IN_FLOW
    assert d.engine.waiting_count("q") == 0
    assert d.engine.snapshot()["scheduled"] == {
        "cb1": {"queue": "q", "due_at": build.T0 + DAY, "number": "0398765432"}
    }
    assert d.advance(DAY - 1) == []
    fired = d.advance(1)
    assert [type(e) for e in fired] == [
        ev.CallbackReleased,
        ev.ContactQueued,
        ev.CallbackRequested,
        ev.ContactOffered,
        ev.AgentStateChanged,
    ]
    queued = fired[1]
    assert isinstance(queued, ev.ContactQueued)
    assert (queued.at, queued.wait_started_at, queued.queue_id) == (d.now, d.now, "q")
    assert queued.direction == Direction.CALLBACK
    requested = fired[2]
    assert isinstance(requested, ev.CallbackRequested)
    assert (requested.number, requested.wait_s, requested.by_overflow) == ("0398765432", 0, False)
    assert d.offered_to("cb1") == "a1"
    assert d.engine.snapshot()["scheduled"] == {}


def test_given_friday_evening_then_the_callback_is_released_on_monday_morning(
    desk: Any, build: Any
) -> None:
    d = _desk(desk, build)
    d.advance_to(build.T0 + DAY + 9 * HOUR + 30 * 60)  # Fri 2 Jan 18:30 JST
    out = d.do(rc.ScheduleCallback(_callback("cb1", d.now), "q", None, "0398765432"))
    (held,) = out
    assert held.due_at == build.T0 + 4 * DAY  # Mon 5 Jan 09:00 JST
    fired = d.advance(4 * DAY)
    assert [type(e) for e in fired] == [ev.CallbackReleased, ev.ContactQueued, ev.CallbackRequested]
    assert fired[0].at == build.T0 + 4 * DAY
    # Nobody is logged in: it waits as a callback request, and the first agent ready takes it.
    assert d.engine.queue_position("cb1") == 1
    assert d.engine.contact_state("cb1") is ContactState.QUEUED


def test_given_an_open_queue_or_a_past_due_time_then_the_callback_enters_the_queue_at_once(
    desk: Any, build: Any
) -> None:
    d = _desk(desk, build, build.agent("a1", "s"))
    d.login("a1")
    out = d.do(rc.ScheduleCallback(_callback("cb1", d.now), "always", None, "0398765432"))
    kinds = [type(e) for e in out]
    assert kinds[:4] == [
        ev.CallbackHeld,
        ev.CallbackReleased,
        ev.ContactQueued,
        ev.CallbackRequested,
    ]
    assert ev.ContactOffered in kinds
    assert out[0].due_at == d.now
    out = d.do(rc.ScheduleCallback(_callback("cb2", d.now), "q", d.now - 60, "0398765432"))
    assert [type(e) for e in out][:2] == [ev.CallbackHeld, ev.CallbackReleased]
    assert out[0].due_at == d.now
    assert d.engine.queue_position("cb2") == 1  # a1 rings with cb1


def test_given_a_due_time_in_closed_hours_then_the_released_callback_waits_for_an_agent(
    desk: Any, build: Any
) -> None:
    d = _desk(desk, build, build.agent("a1", "s"))
    due = build.T0 + 2 * HOUR  # still the holiday
    out = d.do(rc.ScheduleCallback(_callback("cb1", d.now), "q", due, "0398765432", priority=7))
    assert out[0].due_at == due
    assert out[0].priority == 7
    d.advance_to(due)
    assert d.engine.queue_position("cb1") == 1
    d.advance(HOUR)  # the closed queue's treatment leaves callback requests waiting
    assert d.engine.queue_position("cb1") == 1
    d.login("a1")
    assert d.offered_to("cb1") == "a1"


def test_given_a_scheduled_callback_when_cancelled_then_it_never_enters_the_queue(
    desk: Any, build: Any
) -> None:
    d = _desk(desk, build, build.agent("a1", "s"))
    d.do(rc.ScheduleCallback(_callback("cb1", d.now), "q", None, "0398765432"))
    out = d.do(rc.CancelCallback("cb1"))
    assert out == [ev.CallbackCancelled(at=d.now, contact_id="cb1", queue_id="q")]
    assert d.engine.next_timer() is None
    assert d.engine.contact_state("cb1") is ContactState.ENDED
    assert d.advance(2 * DAY) == []
    with pytest.raises(InvalidCommand):
        d.engine.receive(rc.CancelCallback("cb1"), d.now)
    with pytest.raises(UnknownContact):
        d.engine.receive(rc.CancelCallback("nobody"), d.now)
    with pytest.raises(DuplicateContact):  # the id is spent
        d.engine.receive(rc.ScheduleCallback(_callback("cb1", d.now), "q", None, "1"), d.now)
    d.do(rc.ScheduleCallback(_callback("cb2", d.now), "always", None, "0398765432"))
    with pytest.raises(InvalidCommand, match="EndContact"):
        d.engine.receive(rc.CancelCallback("cb2"), d.now)


@pytest.mark.parametrize(
    ("queue_id", "contact_id", "due_at", "number", "error"),
    [
        ("nowhere", "new", None, "0398765432", UnknownQueue),
        ("q", "cb1", None, "0398765432", DuplicateContact),
        ("q", "c1", None, "0398765432", DuplicateContact),
        ("q", "new", None, "", InvalidCommand),
        ("q", "new", None, "   ", InvalidCommand),
        ("q", "new", math.nan, "0398765432", InvalidCommand),
        ("q", "new", math.inf, "0398765432", InvalidCommand),
        ("q", "new", "tomorrow", "0398765432", InvalidCommand),
        ("never", "new", None, "0398765432", InvalidCommand),
    ],
)
def test_given_a_bad_schedule_then_a_typed_error_and_nothing_changes(
    desk: Any,
    build: Any,
    queue_id: str,
    contact_id: str,
    due_at: Any,
    number: str,
    error: type[Exception],
) -> None:
    q = build.queue("q", "s", hours="weekdays")
    never = build.queue("never", "s", hours="closed")
    calendars = (_weekday_hours(), HoursCalendar(id="closed", weekly=((),) * 7))
    d = desk([q, never], [build.agent("a1", "s")], calendars=calendars)
    d.do(rc.ScheduleCallback(_callback("cb1", d.now), "q", None, "0398765432"))
    d.call("c1", "never")  # closed: ended at once, its id is spent
    before = d.engine.snapshot()
    timer = d.engine.next_timer()
    command = rc.ScheduleCallback(_callback(contact_id, d.now), queue_id, due_at, number)
    with pytest.raises(error):
        d.engine.receive(command, d.now)
    assert d.engine.snapshot() == before
    assert d.engine.next_timer() == timer


def test_given_scheduled_callbacks_in_the_log_when_rebuilt_then_they_come_due_the_same(
    desk: Any, build: Any
) -> None:
    d = _desk(desk, build, build.agent("a1", "s"), build.agent("a2", "s"))
    d.login("a1")
    d.do(rc.ScheduleCallback(_callback("cb1", d.now), "q", None, "0311111111"))
    d.do(rc.ScheduleCallback(_callback("cb2", d.now), "q", build.T0 + 3 * HOUR, "0322222222"))
    d.do(rc.ScheduleCallback(_callback("cb3", d.now), "q", build.T0 + 5 * HOUR, "0333333333"))
    d.do(rc.CancelCallback("cb3"))
    d.advance(3 * HOUR)  # cb2 released and offered to a1
    stored = [from_record(to_record(item)) for item in d.log]
    rebuilt = RoutingEngine.rebuild(d.config, stored)
    assert rebuilt.snapshot() == d.engine.snapshot()
    assert rebuilt.next_timer() == d.engine.next_timer()
    logs: list[list[Event]] = []
    for engine in (d.engine, rebuilt):
        now = d.now
        continued: list[Event] = []
        continued += engine.receive(rc.AcceptOffer("cb2", "a1"), now)
        while (due := engine.next_timer()) is not None and due <= now + 2 * DAY:
            now = due
            continued += engine.handle_timer(now)
        continued += engine.receive(rc.AgentLogin("a2", available=True), now)
        logs.append(continued)
    assert logs[0] == logs[1]
    assert any(isinstance(e, ev.CallbackReleased) and e.contact_id == "cb1" for e in logs[0])
    assert [e.agent_id for e in logs[0] if isinstance(e, ev.ContactOffered)] == ["a2"]
    assert rebuilt.snapshot() == d.engine.snapshot()


def test_given_random_days_with_scheduled_callbacks_then_rebuild_matches(random_day: Any) -> None:
    make_center, operator_type = random_day

    class Scheduler(operator_type):  # type: ignore[misc, valid-type]
        """The random operator, plus callbacks scheduled and cancelled now and then."""

        def next_command(self) -> Any:
            roll = self.rng.random()
            if roll < 0.04:
                self.count += 1
                due = self.now + self.rng.choice([-10.0, 0.0, 30.0, 300.0])
                queue = self.rng.choice(["inquiry", "vip", "backup"])
                contact = _callback(f"s{self.count}", self.now)
                return rc.ScheduleCallback(contact, queue, due, "0120000000")
            if roll < 0.05 and self.engine.scheduled:
                return rc.CancelCallback(self.rng.choice(sorted(self.engine.scheduled)))
            return super().next_command()

    config = make_center()
    original = RoutingEngine(config)
    operator = Scheduler(original, random.Random(31337))
    log: list[Event] = []
    for _ in range(1500):
        operator.step(log)
    assert sum(isinstance(e, ev.CallbackReleased) for e in log) > 10
    assert sum(isinstance(e, ev.CallbackCancelled) for e in log) > 0
    rebuilt = RoutingEngine.rebuild(config, [from_record(to_record(e)) for e in log])
    assert rebuilt.snapshot() == original.snapshot()
    assert rebuilt.next_timer() == original.next_timer()
