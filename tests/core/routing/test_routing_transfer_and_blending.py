"""Transfers (queue, agent, supervisor), direct connections and dialer reservations."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from madoguchi.core.config import LocalizedText, TeamConfig
from madoguchi.core.model import AgentState, ContactState, Direction, WorkMode
from madoguchi.core.routing import AgentUnavailable
from madoguchi.core.routing import commands as rc
from madoguchi.core.routing import events as ev


def test_given_a_connected_call_when_transferred_to_a_queue_then_it_waits_there_and_agent_wraps_up(
    desk: Callable[..., Any], build: Any
) -> None:
    d = desk(
        [build.queue("front", "s", after_contact_work_s=20), build.queue("tech", "t")],
        [build.agent("a1", "s"), build.agent("b1", "t")],
    )
    d.login("a1")
    d.call("c1", "front")
    d.answer("c1")
    d.advance(40)
    out = d.do(rc.TransferContact("c1", to_queue="tech"))
    assert [type(e) for e in out] == [
        ev.ContactTransferred,
        ev.AgentStateChanged,
        ev.ContactQueued,
    ]
    assert out[0].talk_s == 40
    assert d.state("a1") is AgentState.AFTER_CONTACT_WORK
    d.login("b1")
    d.answer("c1")
    assert d.engine.contact_state("c1") is ContactState.CONNECTED


def test_given_a_named_agent_when_transferred_then_only_that_agent_is_offered_the_call(
    desk: Callable[..., Any], build: Any
) -> None:
    d = desk(
        [build.queue("q", "s", after_contact_work_s=0)],
        [build.agent("a1", "s"), build.agent("a2", "s"), build.agent("x", "other")],
    )
    d.login("a1")
    d.call("c1", "q")
    d.answer("c1")
    d.login("a2", "x")
    d.do(rc.TransferContact("c1", to_agent="x"))
    offered = d.events_of(ev.ContactOffered)[-1]
    assert (offered.agent_id, offered.direct) == ("x", True)


def test_given_a_team_supervisor_when_the_agent_escalates_then_the_supervisor_is_offered_the_call(
    desk: Callable[..., Any], build: Any
) -> None:
    team = TeamConfig("t1", "acme", LocalizedText("一課"), supervisor="sv")
    d = desk(
        [build.queue("q", "s")],
        [build.agent("a1", "s", team="t1"), build.agent("sv", "s", team="t1")],
        teams=(team,),
    )
    d.login("a1")
    d.call("c1", "q")
    d.answer("c1")
    d.login("sv")
    d.do(rc.TransferContact("c1", to_supervisor=True))
    assert d.offered_to("c1") == "sv"
    d.answer("c1")
    assert d.engine.contacts["c1"].agent_id == "sv"


def test_given_a_busy_target_when_transferring_to_it_then_agent_unavailable_and_nothing_changes(
    desk: Callable[..., Any], build: Any
) -> None:
    d = desk([build.queue("q", "s")], [build.agent("a1", "s"), build.agent("a2", "s")])
    d.login("a1")
    d.call("c1", "q")
    d.answer("c1")
    before = d.engine.snapshot()
    with pytest.raises(AgentUnavailable):
        d.do(rc.TransferContact("c1", to_agent="a2"))
    assert d.engine.snapshot() == before


def test_given_a_missed_direct_transfer_then_the_call_returns_to_its_queue(
    desk: Callable[..., Any], build: Any
) -> None:
    d = desk(
        [build.queue("q", "s", offer_timeout_s=10, after_contact_work_s=300)],
        [build.agent("a1", "s"), build.agent("a2", "s"), build.agent("a3", "s")],
    )
    d.login("a1")
    d.call("c1", "q")
    d.answer("c1")
    d.login("a2")
    d.do(rc.TransferContact("c1", to_agent="a2"))
    d.advance(10)
    assert d.state("a2") is AgentState.NOT_READY
    assert d.engine.queue_position("c1") == 1
    d.login("a3")
    assert d.offered_to("c1") == "a3"


def test_given_a_dialer_reservation_when_inbound_waits_then_the_blended_agent_is_reclaimed(
    desk: Callable[..., Any], build: Any
) -> None:
    d = desk(
        [build.queue("q", "s")],
        [build.agent("out1", "s", work_mode=WorkMode.OUTBOUND), build.agent("bl1", "s")],
    )
    d.login("out1")
    d.do(rc.AgentLogin("bl1", work_mode=WorkMode.BLENDED, available=True))
    d.do(rc.ReserveAgent("out1", "camp"))
    d.do(rc.ReserveAgent("bl1", "camp"))
    out = d.call("c1", "q")
    released = [e for e in out if isinstance(e, ev.AgentReleased)]
    assert [(e.agent_id, e.reclaimed) for e in released] == [("bl1", True)]
    assert d.offered_to("c1") == "bl1"
    assert d.state("out1") is AgentState.RESERVED, "an outbound-only agent is never reclaimed"


def test_given_an_inbound_only_agent_when_the_dialer_reserves_it_then_refused(
    desk: Callable[..., Any], build: Any
) -> None:
    d = desk([build.queue("q", "s")], [build.agent("a1", "s")])
    d.login("a1")
    with pytest.raises(AgentUnavailable):
        d.do(rc.ReserveAgent("a1", "camp"))


def test_given_a_reserved_agent_when_the_dialer_connects_an_answered_call_then_on_contact(
    desk: Callable[..., Any], build: Any
) -> None:
    d = desk(
        [build.queue("camp", "s", after_contact_work_s=5)],
        [build.agent("a1", "s", work_mode=WorkMode.OUTBOUND)],
    )
    d.login("a1")
    d.do(rc.ReserveAgent("a1", "camp"))
    outbound = build.contact("o1", direction=Direction.OUTBOUND)
    out = d.do(rc.ConnectContact(outbound, "a1", queue_id="camp"))
    assert [type(e) for e in out] == [ev.ContactQueued, ev.ContactConnected, ev.AgentStateChanged]
    assert out[0].via is ev.QueueEntry.DIRECT
    assert d.state("a1") is AgentState.ON_CONTACT
    assert d.engine.dialer_reserved == {}
    d.do(rc.EndContact("o1"))
    d.advance(5)
    assert d.state("a1") is AgentState.AVAILABLE


def test_given_a_released_agent_then_waiting_work_reaches_it(
    desk: Callable[..., Any], build: Any
) -> None:
    d = desk([build.queue("q", "s")], [build.agent("a1", "s", work_mode=WorkMode.OUTBOUND)])
    d.login("a1")
    d.do(rc.ReserveAgent("a1", "camp"))
    d.do(rc.SetWorkMode("a1", WorkMode.BLENDED))
    d.do(rc.ReleaseAgent("a1"))
    (released,) = d.events_of(ev.AgentReleased)
    assert not released.reclaimed
    d.call("c1", "q")
    assert d.offered_to("c1") == "a1"


def test_given_an_outbound_agent_when_an_inbound_call_waits_then_it_is_not_offered_until_blended(
    desk: Callable[..., Any], build: Any
) -> None:
    d = desk([build.queue("q", "s")], [build.agent("a1", "s", work_mode=WorkMode.OUTBOUND)])
    d.login("a1")
    d.call("c1", "q")
    assert d.offered_to("c1") is None
    d.do(rc.SetWorkMode("a1", WorkMode.BLENDED))
    assert d.offered_to("c1") == "a1"


def test_given_after_contact_work_when_the_agent_goes_not_ready_then_wrap_up_ends_automatically(
    desk: Callable[..., Any], build: Any
) -> None:
    d = desk([build.queue("q", "s", after_contact_work_s=120)], [build.agent("a1", "s")])
    d.login("a1")
    d.call("c1", "q")
    d.answer("c1")
    d.do(rc.EndContact("c1"))
    d.advance(7)
    d.do(rc.SetAgentState("a1", AgentState.NOT_READY, "lunch"))
    (wrapped,) = d.events_of(ev.ContactWrappedUp)
    assert (wrapped.acw_s, wrapped.auto) == (7, True)
    assert d.state("a1") is AgentState.NOT_READY
    assert d.engine.next_timer() is None, "the ACW timer is gone"
