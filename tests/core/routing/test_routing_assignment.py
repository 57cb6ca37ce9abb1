"""Who gets which contact: skills, proficiency, priority with aging, capacity per channel."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from madoguchi.core.model import AgentState, Channel, ContactState, SkillRequirement
from madoguchi.core.routing import commands as rc
from madoguchi.core.routing import events as ev


def test_given_an_idle_agent_when_a_call_arrives_then_it_is_queued_offered_and_reserves_the_agent(
    desk: Callable[..., Any], build: Any
) -> None:
    d = desk([build.queue("sales", "sales")], [build.agent("a1", "sales")])
    d.login("a1")
    out = d.call("c1", "sales")
    assert [type(e) for e in out] == [ev.ContactQueued, ev.ContactOffered, ev.AgentStateChanged]
    assert d.state("a1") is AgentState.RESERVED
    assert d.engine.contact_state("c1") is ContactState.OFFERED
    d.answer("c1")
    assert d.state("a1") is AgentState.ON_CONTACT
    assert d.engine.contact_state("c1") is ContactState.CONNECTED


def test_given_agents_without_the_skill_when_a_call_arrives_then_it_waits(
    desk: Callable[..., Any], build: Any
) -> None:
    d = desk([build.queue("tech", "tech")], [build.agent("a1", "sales"), build.agent("a2", "tech")])
    d.login("a1")
    d.call("c1", "tech")
    assert d.engine.queue_position("c1") == 1
    d.login("a2")
    assert d.offered_to("c1") == "a2"


def test_given_low_proficiency_when_a_contact_needs_more_then_only_the_expert_is_offered(
    desk: Callable[..., Any], build: Any
) -> None:
    d = desk(
        [build.queue("tech", "tech")],
        [build.agent("novice", ("tech", 3)), build.agent("expert", ("tech", 9))],
    )
    d.login("novice", "expert")
    d.call("c1", "tech", skills=(SkillRequirement("tech", 8),))
    assert d.offered_to("c1") == "expert"
    d.call("c2", "tech", skills=(SkillRequirement("tech", 10),))
    assert d.offered_to("c2") is None


def test_given_equal_priority_when_an_agent_frees_then_the_earliest_caller_is_served_first(
    desk: Callable[..., Any], build: Any
) -> None:
    d = desk([build.queue("q", "s", aging_per_minute=0.0)], [build.agent("a1", "s")])
    for index in range(3):
        d.call(f"c{index}", "q")
        d.advance(1)
    assert [d.engine.queue_position(f"c{i}") for i in range(3)] == [1, 2, 3]
    d.login("a1")
    assert d.offered_to("c0") == "a1"


def test_given_a_higher_priority_contact_when_an_agent_frees_then_it_jumps_the_line(
    desk: Callable[..., Any], build: Any
) -> None:
    d = desk([build.queue("q", "s", aging_per_minute=0.0)], [build.agent("a1", "s")])
    d.call("normal", "q")
    d.advance(30)
    d.call("vip", "q", priority=5)
    assert d.engine.queue_position("vip") == 1
    d.login("a1")
    assert d.offered_to("vip") == "a1"


def test_given_aging_when_a_low_priority_contact_waits_long_then_it_overtakes_a_newer_urgent_one(
    desk: Callable[..., Any], build: Any
) -> None:
    d = desk(
        [build.queue("low", "s", aging_per_minute=1.0), build.queue("high", "s", priority=3)],
        [build.agent("a1", "s")],
    )
    d.call("old", "low")
    d.advance(5 * 60)  # 5 minutes of aging: effective priority 5
    d.call("new", "high")  # priority 3, ages from now
    d.login("a1")
    assert d.offered_to("old") == "a1"


def test_given_a_voice_call_in_progress_when_a_chat_arrives_then_the_agent_gets_nothing_else(
    desk: Callable[..., Any], build: Any
) -> None:
    agent = build.agent("a1", "s", capacity=((Channel.VOICE, 1), (Channel.CHAT, 3)))
    d = desk([build.queue("q", "s", channels=frozenset({Channel.VOICE, Channel.CHAT}))], [agent])
    d.login("a1")
    d.call("v1", "q")
    d.answer("v1")
    d.call("chat1", "q", channel=Channel.CHAT)
    assert d.offered_to("chat1") is None


def test_given_chat_capacity_three_when_chats_arrive_then_the_agent_holds_three_at_once(
    desk: Callable[..., Any], build: Any
) -> None:
    agent = build.agent("a1", "s", capacity=((Channel.VOICE, 1), (Channel.CHAT, 3)))
    d = desk([build.queue("q", "s", channels=frozenset({Channel.VOICE, Channel.CHAT}))], [agent])
    d.login("a1")
    for index in range(4):
        d.call(f"chat{index}", "q", channel=Channel.CHAT)
        if d.offered_to(f"chat{index}"):
            d.answer(f"chat{index}")
    assert [d.engine.contact_state(f"chat{i}") for i in range(4)] == [
        ContactState.CONNECTED,
        ContactState.CONNECTED,
        ContactState.CONNECTED,
        ContactState.QUEUED,
    ]
    d.call("voice", "q")
    assert d.offered_to("voice") is None, "a voice call needs the agent free of chats"
    d.do(rc.EndContact("chat0"))
    assert d.offered_to("chat3") == "a1"
    assert d.state("a1") is AgentState.ON_CONTACT


def test_given_an_agent_with_chats_when_the_last_chat_ends_then_after_contact_work_starts(
    desk: Callable[..., Any], build: Any
) -> None:
    agent = build.agent("a1", "s", capacity=((Channel.CHAT, 2),))
    q = build.queue("q", "s", channels=frozenset({Channel.CHAT}), after_contact_work_s=15)
    d = desk([q], [agent])
    d.login("a1")
    for name in ("x", "y"):
        d.call(name, "q", channel=Channel.CHAT)
        d.answer(name)
    d.do(rc.EndContact("x"))
    assert d.state("a1") is AgentState.ON_CONTACT
    d.do(rc.EndContact("y"))
    assert d.state("a1") is AgentState.AFTER_CONTACT_WORK
    d.advance(15)
    assert d.state("a1") is AgentState.AVAILABLE
    wrapped = d.events_of(ev.ContactWrappedUp)
    assert sorted(w.contact_id for w in wrapped) == ["x", "y"]


def test_given_after_contact_work_when_the_agent_completes_wrap_up_then_available_with_disposition(
    desk: Callable[..., Any], build: Any
) -> None:
    d = desk([build.queue("q", "s", after_contact_work_s=60)], [build.agent("a1", "s")])
    d.login("a1")
    d.call("c1", "q")
    d.answer("c1")
    d.advance(100)
    d.do(rc.EndContact("c1"))
    d.advance(12)
    d.do(rc.CompleteWrapUp("a1", "c1", disposition="resolved", notes="返品受付"))
    assert d.state("a1") is AgentState.AVAILABLE
    (wrapped,) = d.events_of(ev.ContactWrappedUp)
    assert (wrapped.acw_s, wrapped.disposition, wrapped.auto) == (12, "resolved", False)
    (ended,) = d.events_of(ev.ContactEnded)
    assert ended.talk_s == 100


def test_given_hold_when_the_call_ends_then_hold_time_is_apart_from_talk(
    desk: Callable[..., Any], build: Any
) -> None:
    d = desk([build.queue("q", "s")], [build.agent("a1", "s")])
    d.login("a1")
    d.call("c1", "q")
    d.answer("c1")
    d.advance(10)
    d.do(rc.HoldContact("c1"))
    d.advance(20)
    d.do(rc.ResumeContact("c1"))
    d.advance(5)
    d.do(rc.HoldContact("c1"))
    d.advance(3)
    d.do(rc.EndContact("c1"))
    (ended,) = d.events_of(ev.ContactEnded)
    assert (ended.talk_s, ended.hold_s) == (15, 23)


def test_given_a_busy_agent_asking_not_ready_when_the_work_ends_then_not_ready_with_that_reason(
    desk: Callable[..., Any], build: Any
) -> None:
    d = desk([build.queue("q", "s", after_contact_work_s=10)], [build.agent("a1", "s")])
    d.login("a1")
    d.call("c1", "q")
    d.answer("c1")
    d.do(rc.SetAgentState("a1", AgentState.NOT_READY, "break"))
    assert d.state("a1") is AgentState.ON_CONTACT
    d.do(rc.EndContact("c1"))
    d.advance(10)
    assert d.state("a1") is AgentState.NOT_READY
    assert d.engine.agents["a1"].reason == "break"
    d.call("c2", "q")
    assert d.offered_to("c2") is None
