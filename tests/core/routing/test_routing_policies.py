"""Agent selection policies, per queue."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from madoguchi.core.model import Channel, SelectionPolicy
from madoguchi.core.routing import commands as rc


def test_given_two_idle_agents_when_call_arrives_then_longest_idle_answers(
    desk: Callable[..., Any], build: Any
) -> None:
    d = desk([build.queue("q", "s")], [build.agent("a1", "s"), build.agent("a2", "s")])
    d.do(rc.AgentLogin("a2", available=True))
    d.advance(5)
    d.do(rc.AgentLogin("a1", available=True))
    d.call("c1", "q")
    assert d.offered_to("c1") == "a2"


def test_given_longest_idle_when_an_agent_finishes_then_it_goes_to_the_back(
    desk: Callable[..., Any], build: Any
) -> None:
    d = desk(
        [build.queue("q", "s", after_contact_work_s=0)],
        [build.agent("a1", "s"), build.agent("a2", "s")],
    )
    d.login("a1", "a2")
    d.call("c1", "q")
    d.answer("c1")
    d.advance(1)
    d.do(rc.EndContact("c1"))
    d.advance(1)
    d.call("c2", "q")
    assert d.offered_to("c2") == "a2"


def test_given_most_skilled_policy_when_call_arrives_then_the_most_proficient_answers(
    desk: Callable[..., Any], build: Any
) -> None:
    d = desk(
        [build.queue("q", "s", policy=SelectionPolicy.MOST_SKILLED)],
        [build.agent("a1", ("s", 4)), build.agent("a2", ("s", 9)), build.agent("a3", ("s", 9))],
    )
    d.login("a1", "a2")
    d.advance(1)
    d.login("a3")
    d.call("c1", "q")
    assert d.offered_to("c1") == "a2", "a2 and a3 tie at 9: the longer idle wins"


def test_given_least_occupied_policy_when_chat_arrives_then_the_agent_with_fewest_chats_gets_it(
    desk: Callable[..., Any], build: Any
) -> None:
    chat = frozenset({Channel.CHAT})
    cap = ((Channel.CHAT, 3),)
    d = desk(
        [
            build.queue("q", "s", channels=chat),
            build.queue("lq", "s", channels=chat, policy=SelectionPolicy.LEAST_OCCUPIED),
        ],
        [build.agent("a1", "s", capacity=cap), build.agent("a2", "s", capacity=cap)],
    )
    d.login("a1")
    for name in ("x", "y"):
        d.call(name, "q", channel=Channel.CHAT)
        d.answer(name)
    d.advance(1)
    d.login("a2")
    d.call("z", "lq", channel=Channel.CHAT)
    assert d.offered_to("z") == "a2", "a1 was ready longer but holds two chats"
    d.answer("z")
    d.call("longest", "q", channel=Channel.CHAT)
    assert d.offered_to("longest") == "a1", "the longest-idle queue still prefers a1"


def test_given_round_robin_policy_when_calls_arrive_then_agents_take_turns_in_configured_order(
    desk: Callable[..., Any], build: Any
) -> None:
    d = desk(
        [build.queue("q", "s", policy=SelectionPolicy.ROUND_ROBIN, after_contact_work_s=0)],
        [build.agent(f"a{i}", "s") for i in range(1, 4)],
    )
    d.login("a3", "a2", "a1")
    picked = []
    for index in range(6):
        d.call(f"c{index}", "q")
        agent = d.offered_to(f"c{index}")
        picked.append(agent)
        d.answer(f"c{index}")
        d.do(rc.EndContact(f"c{index}"))
    assert picked == ["a1", "a2", "a3", "a1", "a2", "a3"]
