"""Offer time-outs, rejections, queue max wait and overflow, queue size, closed hours."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from madoguchi.core.config import HoursCalendar, TimeRange, Treatment, TreatmentKind
from madoguchi.core.model import AgentState, ContactState, EndReason
from madoguchi.core.routing import commands as rc
from madoguchi.core.routing import events as ev

DAY = 86_400.0


def test_given_an_unanswered_offer_when_it_times_out_then_contact_keeps_its_place_and_agent_missed(
    desk: Callable[..., Any], build: Any
) -> None:
    d = desk(
        [build.queue("q", "s", offer_timeout_s=15, aging_per_minute=0)],
        [build.agent("a1", "s"), build.agent("a2", "s")],
    )
    d.login("a1")
    d.call("first", "q")
    d.advance(1)
    d.call("second", "q")
    assert d.engine.queue_position("second") == 1
    fired = d.advance(15)
    assert [type(e) for e in fired] == [ev.ContactOfferTimedOut, ev.AgentStateChanged]
    assert d.state("a1") is AgentState.NOT_READY
    assert d.engine.agents["a1"].reason == "missed"
    assert d.engine.queue_position("first") == 1, "back at its original place"
    assert d.engine.queue_position("second") == 2
    d.login("a2")
    assert d.offered_to("first") == "a2"


def test_given_an_offer_when_the_agent_rejects_then_contact_goes_to_the_next_agent(
    desk: Callable[..., Any], build: Any
) -> None:
    d = desk([build.queue("q", "s")], [build.agent("a1", "s"), build.agent("a2", "s")])
    d.login("a1", "a2")
    d.call("c1", "q")
    d.do(rc.RejectOffer("c1", "a1"))
    assert d.state("a1") is AgentState.NOT_READY
    assert d.engine.agents["a1"].reason == "rejected"
    assert d.offered_to("c1") == "a2"


def test_given_a_ringing_offer_when_the_caller_hangs_up_then_abandoned_and_agent_available_again(
    desk: Callable[..., Any], build: Any
) -> None:
    d = desk([build.queue("q", "s")], [build.agent("a1", "s")])
    d.login("a1")
    d.call("c1", "q")
    d.advance(3)
    d.do(rc.AbandonContact("c1"))
    (abandoned,) = d.events_of(ev.ContactAbandoned)
    assert (abandoned.agent_id, abandoned.wait_s) == ("a1", 3)
    assert d.state("a1") is AgentState.AVAILABLE
    assert d.engine.contact_state("c1") is ContactState.ENDED


def test_given_max_wait_when_it_passes_then_contact_moves_to_the_overflow_queue_keeping_its_wait(
    desk: Callable[..., Any], build: Any
) -> None:
    main = build.queue("main", "s", max_wait_s=60, overflow=Treatment(TreatmentKind.QUEUE, "ovf"))
    d = desk([main, build.queue("ovf", "t")], [build.agent("a1", "s"), build.agent("b1", "t")])
    d.call("c1", "main")
    fired = d.advance(60)
    assert [type(e) for e in fired] == [ev.ContactOverflowed, ev.ContactQueued]
    requeued = fired[1]
    assert (requeued.queue_id, requeued.via, requeued.wait_started_at) == (
        "ovf",
        ev.QueueEntry.OVERFLOW,
        d.build.T0,
    )
    assert requeued.skills == (("t", 1),)
    d.advance(10)
    d.login("b1")
    d.answer("c1")
    (connected,) = d.events_of(ev.ContactConnected)
    assert (connected.queue_id, connected.wait_s) == ("ovf", 70)


def test_given_callback_overflow_when_max_wait_passes_then_request_keeps_the_place_in_line(
    desk: Callable[..., Any], build: Any
) -> None:
    q = build.queue(
        "q", "s", max_wait_s=30, overflow=Treatment(TreatmentKind.CALLBACK), aging_per_minute=0
    )
    d = desk([q], [build.agent("a1", "s")])
    d.call("early", "q")
    d.advance(10)
    d.call("late", "q")
    d.advance(25)
    (request,) = d.events_of(ev.CallbackRequested)
    assert (request.contact_id, request.number, request.by_overflow) == (
        "early",
        "0312345678",
        True,
    )
    assert d.engine.queue_position("early") == 1
    d.advance(600)
    assert len(d.events_of(ev.ContactOverflowed)) == 2, "late overflows too; early only once"
    d.login("a1")
    assert d.offered_to("early") == "a1"


def test_given_a_caller_asking_for_a_callback_then_the_place_is_kept_and_max_wait_no_longer_applies(
    desk: Callable[..., Any], build: Any
) -> None:
    d = desk([build.queue("q", "s", max_wait_s=30)], [build.agent("a1", "s")])
    d.call("c1", "q")
    d.advance(5)
    d.do(rc.RequestCallback("c1", "09012345678"))
    d.advance(100)
    assert d.events_of(ev.ContactOverflowed) == []
    assert d.engine.queue_position("c1") == 1


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        (TreatmentKind.VOICEMAIL, EndReason.VOICEMAIL),
        (TreatmentKind.MESSAGE, EndReason.OVERFLOW),
        (TreatmentKind.DISCONNECT, EndReason.OVERFLOW),
    ],
)
def test_given_an_ending_overflow_when_max_wait_passes_then_contact_ends_with_that_reason(
    desk: Callable[..., Any], build: Any, kind: TreatmentKind, reason: EndReason
) -> None:
    d = desk([build.queue("q", "s", max_wait_s=45, overflow=Treatment(kind))], [])
    d.call("c1", "q")
    d.advance(45)
    (overflowed,) = d.events_of(ev.ContactOverflowed)
    assert (overflowed.cause, overflowed.treatment) == (ev.OverflowCause.MAX_WAIT, kind)
    (ended,) = d.events_of(ev.ContactEnded)
    assert ended.reason is reason


def test_given_a_full_queue_when_another_call_arrives_then_it_gets_the_queue_full_treatment(
    desk: Callable[..., Any], build: Any
) -> None:
    d = desk([build.queue("q", "s", max_size=2)], [])
    for name in ("c1", "c2", "c3"):
        d.call(name, "q")
    (overflowed,) = d.events_of(ev.ContactOverflowed)
    assert (overflowed.contact_id, overflowed.cause) == ("c3", ev.OverflowCause.FULL)
    (ended,) = d.events_of(ev.ContactEnded)
    assert ended.reason is EndReason.QUEUE_FULL
    assert d.engine.waiting_count("q") == 2


def test_given_overflow_targets_forming_a_loop_when_both_are_full_then_the_contact_is_disconnected(
    desk: Callable[..., Any], build: Any
) -> None:
    a = build.queue("a", "s", max_size=0, when_full=Treatment(TreatmentKind.QUEUE, "b"))
    b = build.queue("b", "s", max_size=0, when_full=Treatment(TreatmentKind.QUEUE, "a"))
    d = desk([a, b], [])
    d.call("c1", "a")
    assert [e.treatment for e in d.events_of(ev.ContactOverflowed)] == [
        TreatmentKind.QUEUE,
        TreatmentKind.DISCONNECT,
    ]
    (ended,) = d.events_of(ev.ContactEnded)
    assert ended.reason is EndReason.QUEUE_FULL


def _weekday_hours(build: Any) -> HoursCalendar:
    nine_to_six = (TimeRange(9 * 60, 18 * 60),)
    return HoursCalendar(id="weekdays", weekly=(nine_to_six,) * 5 + ((), ()))


def test_given_a_national_holiday_when_a_call_arrives_then_it_gets_the_closed_message(
    desk: Callable[..., Any], build: Any
) -> None:
    # T0 is 2026-01-01 09:00 in Tokyo: 元日, a Thursday.
    q = build.queue("q", "s", hours="weekdays")
    d = desk([q], [build.agent("a1", "s")], calendars=(_weekday_hours(build),))
    d.login("a1")
    d.call("c1", "q")
    (ended,) = d.events_of(ev.ContactEnded)
    assert ended.reason is EndReason.CLOSED
    assert d.offered_to("c1") is None


def test_given_callers_waiting_at_closing_time_then_they_get_the_closed_treatment(
    desk: Callable[..., Any], build: Any
) -> None:
    q = build.queue("q", "s", hours="weekdays", when_closed=Treatment(TreatmentKind.VOICEMAIL))
    d = desk([q], [], calendars=(_weekday_hours(build),))
    d.advance_to(build.T0 + 5 * DAY + 8 * 3600 + 59 * 60)  # Tue 2026-01-06 17:59 JST
    d.call("c1", "q")
    assert d.engine.queue_position("c1") == 1
    assert d.engine.next_timer() == build.T0 + 5 * DAY + 9 * 3600
    d.advance(60)
    (overflowed,) = d.events_of(ev.ContactOverflowed)
    assert (overflowed.cause, overflowed.treatment) == (
        ev.OverflowCause.CLOSED,
        TreatmentKind.VOICEMAIL,
    )
    (ended,) = d.events_of(ev.ContactEnded)
    assert ended.reason is EndReason.VOICEMAIL
