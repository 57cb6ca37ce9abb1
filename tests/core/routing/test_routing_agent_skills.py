"""Live skill change: SetAgentSkills replaces an agent's skills and re-routes at once."""

from __future__ import annotations

import random
from typing import Any

import pytest

from madoguchi.core.events import Event, from_record, to_record
from madoguchi.core.model import AgentState, Channel, SkillRequirement
from madoguchi.core.routing import (
    InvalidCommand,
    RoutingEngine,
    UnknownAgent,
    UnknownSkill,
)
from madoguchi.core.routing import commands as rc
from madoguchi.core.routing import events as ev


def _two_queue_desk(desk: Any, build: Any) -> Any:
    queues = [build.queue("general", "general"), build.queue("english", "english")]
    agents = [
        build.agent("a1", ("general", 5)),
        build.agent("a2", ("general", 5), ("english", 3)),
    ]
    d = desk(queues, agents)
    return d


def test_given_an_available_agent_given_a_skill_a_waiting_contact_needs_then_it_is_offered_at_once(
    desk: Any, build: Any
) -> None:
    d = _two_queue_desk(desk, build)
    d.login("a1")
    d.call("c1", "english")
    assert d.engine.queue_position("c1") == 1
    out = d.do(rc.SetAgentSkills("a1", (("general", 5), ("english", 4))))
    assert out[0] == ev.AgentSkillsChanged(
        at=d.now, agent_id="a1", skills=(("general", 5), ("english", 4))
    )
    offers = [e for e in out if isinstance(e, ev.ContactOffered)]
    assert [(o.contact_id, o.agent_id) for o in offers] == [("c1", "a1")]
    assert d.state("a1") is AgentState.RESERVED


def test_given_an_agent_whose_skill_is_removed_then_routing_no_longer_offers_that_work(
    desk: Any, build: Any
) -> None:
    d = _two_queue_desk(desk, build)
    d.login("a2")
    out = d.do(rc.SetAgentSkills("a2", (("general", 5),)))
    assert [type(e) for e in out] == [ev.AgentSkillsChanged]
    out = d.call("c1", "english")
    assert not [e for e in out if isinstance(e, ev.ContactOffered)]
    assert d.engine.estimated_wait("english", d.now) == float("inf")  # nobody staffed any more
    out = d.call("c2", "general")
    assert [e.agent_id for e in out if isinstance(e, ev.ContactOffered)] == ["a2"]


def test_given_new_proficiencies_then_minimum_levels_are_checked_against_them(
    desk: Any, build: Any
) -> None:
    d = _two_queue_desk(desk, build)
    d.login("a2")
    needs = (SkillRequirement("english", 6),)
    out = d.call("c1", "english", skills=needs)
    assert not [e for e in out if isinstance(e, ev.ContactOffered)]
    out = d.do(rc.SetAgentSkills("a2", (("english", 6),)))
    assert [e.contact_id for e in out if isinstance(e, ev.ContactOffered)] == ["c1"]


def test_given_a_busy_or_logged_out_agent_then_skills_change_without_an_offer(
    desk: Any, build: Any
) -> None:
    d = _two_queue_desk(desk, build)
    d.login("a1")
    d.call("c1", "general")
    d.answer("c1")
    d.call("c2", "english")
    out = d.do(rc.SetAgentSkills("a1", (("english", 2),)))
    assert [type(e) for e in out] == [ev.AgentSkillsChanged]
    assert d.state("a1") is AgentState.ON_CONTACT
    # When the agent is free again (after-contact work over) the new skill takes c2.
    d.do(rc.EndContact("c1"))
    d.advance(120)
    assert d.offered_to("c2") == "a1"
    # A logged-out agent's skills change too, and count at the next login.
    out = d.do(rc.SetAgentSkills("a2", ()))
    assert [type(e) for e in out] == [ev.AgentSkillsChanged]
    d.login("a2")
    assert d.engine.snapshot()["agents"]["a2"]["skills"] == []


def test_given_a_chat_agent_with_spare_capacity_then_a_newly_fitting_chat_is_offered(
    desk: Any, build: Any
) -> None:
    chat = frozenset({Channel.CHAT})
    queues = [
        build.queue("g", "general", channels=chat),
        build.queue("e", "english", channels=chat),
    ]
    cap = ((Channel.CHAT, 2),)
    d = desk(queues, [build.agent("a1", ("general", 5), capacity=cap)])
    d.login("a1")
    d.call("c1", "g", channel=Channel.CHAT)
    d.answer("c1")
    d.call("c2", "e", channel=Channel.CHAT)
    assert d.offered_to("c2") is None
    out = d.do(rc.SetAgentSkills("a1", (("general", 5), ("english", 5))))
    assert [e.contact_id for e in out if isinstance(e, ev.ContactOffered)] == ["c2"]


@pytest.mark.parametrize(
    ("skills", "error"),
    [
        ((("klingon", 5),), UnknownSkill),
        ((("general", 0),), InvalidCommand),
        ((("general", 11),), InvalidCommand),
        ((("general", 5), ("general", 6)), InvalidCommand),
        ((("general", "5"),), InvalidCommand),
        ((("general", 5.0),), InvalidCommand),
        ((("general", True),), InvalidCommand),
        ((("general",),), InvalidCommand),
    ],
)
def test_given_bad_skills_then_a_typed_error_and_nothing_changes(
    desk: Any, build: Any, skills: Any, error: type[Exception]
) -> None:
    d = _two_queue_desk(desk, build)
    d.login("a1", "a2")
    d.call("c1", "english")
    before = d.engine.snapshot()
    with pytest.raises(error):
        d.engine.receive(rc.SetAgentSkills("a1", skills), d.now)
    assert d.engine.snapshot() == before


def test_given_an_unknown_agent_then_unknown_agent(desk: Any, build: Any) -> None:
    d = _two_queue_desk(desk, build)
    with pytest.raises(UnknownAgent):
        d.engine.receive(rc.SetAgentSkills("nobody", (("general", 5),)), d.now)
    assert UnknownSkill("x").error_id == "no-such-skill"


def test_given_a_dialer_reserved_blended_agent_who_gains_a_waiting_skill_then_routing_reclaims_it(
    desk: Any, build: Any
) -> None:
    from madoguchi.core.model import WorkMode

    queues = [build.queue("general", "general"), build.queue("english", "english")]
    d = desk(queues, [build.agent("b1", ("general", 5), work_mode=WorkMode.BLENDED)])
    d.login("b1")
    d.do(rc.ReserveAgent("b1", "camp"))
    d.call("c1", "english")
    assert d.offered_to("c1") is None
    out = d.do(rc.SetAgentSkills("b1", (("english", 5),)))
    released = [e for e in out if isinstance(e, ev.AgentReleased)]
    assert len(released) == 1
    assert released[0].reclaimed
    assert d.offered_to("c1") == "b1"


def test_given_skill_changes_in_the_log_when_rebuilt_then_state_and_future_are_identical(
    random_day: Any,
) -> None:
    make_center, operator_type = random_day

    class SkillShuffler(operator_type):  # type: ignore[misc, valid-type]
        """The random operator, plus live skill changes now and then."""

        def next_command(self) -> Any:
            if self.rng.random() < 0.05:
                agent_id = self.rng.choice(sorted(self.engine.agents))
                skills: list[tuple[str, int]] = []
                for name in ("general", "vip"):
                    if self.rng.random() < 0.7:
                        skills.append((name, self.rng.randint(1, 10)))
                if self.rng.random() < 0.1:
                    skills.append(("general", 0))  # refused: must change nothing
                return rc.SetAgentSkills(agent_id, tuple(skills))
            return super().next_command()

    config = make_center()
    original = RoutingEngine(config)
    operator = SkillShuffler(original, random.Random(4242))
    log: list[Event] = []
    for _ in range(1500):
        operator.step(log)
    changes = [e for e in log if isinstance(e, ev.AgentSkillsChanged)]
    assert len(changes) > 20
    stored = [from_record(to_record(item)) for item in log]
    rebuilt = RoutingEngine.rebuild(config, stored)
    assert rebuilt.snapshot() == original.snapshot()
    logs: list[list[Event]] = []
    for engine in (original, rebuilt):
        follower = SkillShuffler(engine, random.Random(7), start=operator.now)
        follower.count = operator.count
        continued: list[Event] = []
        for _ in range(800):
            follower.step(continued)
        logs.append(continued)
    assert logs[0] == logs[1]
    assert rebuilt.snapshot() == original.snapshot()
