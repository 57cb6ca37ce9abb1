"""Blending policy and rotation, driven through the real routing engine."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from madoguchi.core.config import (
    AgentConfig,
    CenterConfig,
    LocalizedText,
    QueueConfig,
    TeamConfig,
)
from madoguchi.core.dialer.blending import (
    BlendingPolicy,
    BlendingRules,
    TeamBlending,
    expected_service_level,
    inbound_agents_needed,
)
from madoguchi.core.dialer.floor import BlendingFloor
from madoguchi.core.dialer.rotation import ROTATION_REASON, QueueRotation
from madoguchi.core.events import Event
from madoguchi.core.model import AgentState, Channel, Contact, Direction, EndReason, WorkMode
from madoguchi.core.routing import RoutingEngine
from madoguchi.core.routing import commands as rc
from madoguchi.core.routing import events as re

T0 = 1_764_000_000.0


def center(
    agents: int, mode: WorkMode, team_mode: WorkMode | None = None, rotate: float | None = None
) -> CenterConfig:
    return CenterConfig(
        name=LocalizedText("test"),
        queues=(
            QueueConfig("support", "t", LocalizedText("support"), after_contact_work_s=0.0),
            QueueConfig("claims", "t", LocalizedText("claims"), after_contact_work_s=0.0),
            QueueConfig("camp-q", "t", LocalizedText("campaign"), after_contact_work_s=0.0),
        ),
        teams=(
            TeamConfig(
                "blue",
                "t",
                LocalizedText("blue"),
                work_mode=team_mode or mode,
                max_continuous_queue_s=rotate,
            ),
        ),
        agents=tuple(
            AgentConfig(f"a{i}", "t", f"agent {i}", team="blue", work_mode=mode)
            for i in range(1, agents + 1)
        ),
    )


class Floor:
    """An engine with a blending floor and a rotation tracker fed by its events."""

    def __init__(self, config: CenterConfig, rotate: bool = False) -> None:
        self.engine = RoutingEngine(config)
        self.floor = BlendingFloor(config.agents, window_s=600.0, default_handle_s=180.0)
        self.rotation = QueueRotation(config.teams, config.agents, rest_s=900.0, pause_s=120.0)
        self.events: list[Event] = []
        for agent in config.agents:
            self.send(rc.AgentLogin(agent.id, available=True), T0)

    def send(self, command: Any, now: float) -> list[Event]:
        events = self.engine.receive(command, now)
        for item in events:
            self.floor.apply(item)
            self.rotation.apply(item)
        self.events.extend(events)
        return events

    def arrive(self, contact_id: str, now: float, queue: str = "support") -> list[Event]:
        contact = Contact(contact_id, Channel.VOICE, Direction.INBOUND, "t", now)
        return self.send(rc.EnqueueContact(contact, queue), now)


def policy(mode: WorkMode = WorkMode.BLENDED, **rules: Any) -> BlendingPolicy:
    return BlendingPolicy(
        [TeamBlending("blue", mode, "renewal", ("support",))], BlendingRules(**rules)
    )


def test_erlang_c_need_grows_with_load_and_is_zero_without_calls() -> None:
    assert inbound_agents_needed(0.0, 200.0, 0.8, 20.0) == 0
    light = inbound_agents_needed(60 / 3600, 200.0, 0.8, 20.0)
    heavy = inbound_agents_needed(600 / 3600, 200.0, 0.8, 20.0)
    assert 1 <= light < heavy
    assert heavy > 600 * 200 / 3600  # more agents than the offered load in erlangs


def test_given_quiet_inbound_when_blended_team_decides_then_idle_agents_go_to_the_dialer() -> None:
    f = Floor(center(6, WorkMode.BLENDED))
    decision = policy(headroom_agents=1).decide(f.floor, T0 + 60)
    reserved = [c for c in decision.commands if isinstance(c, rc.ReserveAgent)]
    # no inbound traffic yet: no Erlang need; all six may dial
    assert len(reserved) == 6
    assert all(c.campaign_id == "renewal" for c in reserved)
    for command in reserved:
        f.send(command, T0 + 60)
    assert all(f.engine.agent_state(f"a{i}") is AgentState.RESERVED for i in range(1, 7))


def test_given_inbound_traffic_then_erlang_need_is_kept_back_for_inbound() -> None:
    f = Floor(center(14, WorkMode.BLENDED))
    now = T0
    # 40 calls in 400 s, each talked for 100 s: the floor learns rate and handle time
    steps = sorted([(T0 + i * 10.0, 1, f"c{i}") for i in range(40)]
                   + [(T0 + i * 10.0 + 100.0, 0, f"c{i}") for i in range(40)])  # fmt: skip
    for now, arriving, contact_id in steps:
        if arriving:
            f.arrive(contact_id, now)
            offer = next(e for e in f.events if isinstance(e, re.ContactOffered)
                         and e.contact_id == contact_id)  # fmt: skip
            f.send(rc.AcceptOffer(contact_id, offer.agent_id), now)
        else:
            f.send(rc.EndContact(contact_id, EndReason.COMPLETED), now)
    decision = policy(headroom_agents=1).decide(f.floor, now + 101)
    team = decision.teams[0]
    rate = f.floor.arrival_rate(["support"], now + 101)
    assert rate == 40 / 600.0
    assert f.floor.handle_time(["support"]) == 100.0
    assert team.inbound_needed == inbound_agents_needed(rate, 100.0, 0.85, 20.0) + 1 > 2
    reserved = [c for c in decision.commands if isinstance(c, rc.ReserveAgent)]
    assert len(reserved) == team.outbound_allowed == 14 - team.inbound_needed == 3


def test_given_inbound_waits_when_policy_decides_then_idle_reservations_are_given_back() -> None:
    f = Floor(center(3, WorkMode.BLENDED))
    for i in (1, 2, 3):
        f.send(rc.ReserveAgent(f"a{i}", "renewal"), T0)
    f.send(rc.SetWorkMode("a1", WorkMode.OUTBOUND), T0)  # a1 cannot take inbound
    f.arrive("c1", T0 + 1)
    # the engine's own reflex took one blended reservation back for the caller
    reclaimed = [e for e in f.events if isinstance(e, re.AgentReleased) and e.reclaimed]
    assert len(reclaimed) == 1
    f.arrive("c2", T0 + 2)
    f.arrive("c3", T0 + 3)  # the engine has no blended reservation left for c3
    decision = policy().decide(f.floor, T0 + 4)
    assert decision.teams[0].reclaiming
    assert [c for c in decision.commands if isinstance(c, rc.ReserveAgent)] == []
    released = {c.agent_id for c in decision.commands if isinstance(c, rc.ReleaseAgent)}
    assert released == {"a1"}


def test_inbound_only_team_gives_back_reservations_and_outbound_team_is_all_held() -> None:
    f = Floor(center(2, WorkMode.BLENDED))
    f.send(rc.ReserveAgent("a1", "renewal"), T0)
    inbound = policy(WorkMode.INBOUND).decide(f.floor, T0 + 1)
    assert inbound.commands == (rc.ReleaseAgent("a1"),)
    outbound = policy(WorkMode.OUTBOUND).decide(f.floor, T0 + 1)
    assert outbound.commands == (rc.ReserveAgent("a2", "renewal"),)


def test_inbound_mode_agents_of_a_blended_team_are_never_reserved() -> None:
    f = Floor(center(2, WorkMode.INBOUND, team_mode=WorkMode.BLENDED))
    assert policy().decide(f.floor, T0 + 1).commands == ()


def test_given_an_outbound_call_then_the_agent_counts_as_held_until_available() -> None:
    f = Floor(center(2, WorkMode.BLENDED))
    f.send(rc.ReserveAgent("a1", "renewal"), T0)
    contact = Contact("o1", Channel.VOICE, Direction.OUTBOUND, "t", T0)
    f.send(rc.ConnectContact(contact, "a1", "camp-q"), T0 + 5)
    assert f.floor.agents["a1"].held_for_outbound
    assert f.floor.agents["a1"].campaign is None
    f.send(rc.EndContact("o1", EndReason.COMPLETED), T0 + 60)
    assert not f.floor.agents["a1"].held_for_outbound


def test_given_long_run_on_one_queue_then_blended_agent_rotates_to_outbound_and_back() -> None:
    f = Floor(center(1, WorkMode.BLENDED, rotate=3600.0))
    now = T0
    for i in range(8):  # one claim every 10 minutes
        now = T0 + i * 600.0
        f.arrive(f"c{i}", now, queue="claims")
        f.send(rc.AcceptOffer(f"c{i}", "a1"), now)
        f.send(rc.EndContact(f"c{i}", EndReason.COMPLETED), now + 300)
        if i < 6:
            assert f.rotation.due(now + 301) == []
    moves = f.rotation.due(now + 301)
    assert len(moves) == 1
    move = moves[0]
    assert move.command == rc.SetWorkMode("a1", WorkMode.OUTBOUND)
    assert move.queue == "claims"
    assert move.continuous_s >= 3600
    f.send(move.command, now + 301)
    assert f.rotation.due(now + 400) == []  # resting: nothing more
    back = f.rotation.due(now + 301 + 900)
    assert [m.command for m in back] == [rc.SetWorkMode("a1", WorkMode.BLENDED)]
    assert back[0].returning


def test_given_a_contact_from_another_queue_then_the_run_starts_again() -> None:
    f = Floor(center(1, WorkMode.BLENDED, rotate=1800.0))
    for i, queue in enumerate(["claims", "claims", "support", "claims"]):
        now = T0 + i * 600.0
        f.arrive(f"c{i}", now, queue=queue)
        f.send(rc.AcceptOffer(f"c{i}", "a1"), now)
        f.send(rc.EndContact(f"c{i}", EndReason.COMPLETED), now + 300)
    assert f.rotation.due(T0 + 3 * 600.0 + 301) == []


def test_inbound_only_team_gets_a_rotation_pause_instead_of_a_move() -> None:
    f = Floor(center(1, WorkMode.INBOUND, rotate=600.0))
    f.arrive("c1", T0, queue="claims")
    f.send(rc.AcceptOffer("c1", "a1"), T0)
    moves = f.rotation.due(T0 + 700)
    assert [m.command for m in moves] == [
        rc.SetAgentState("a1", AgentState.NOT_READY, ROTATION_REASON)
    ]
    back = f.rotation.due(T0 + 700 + 120)
    assert [m.command for m in back] == [rc.SetAgentState("a1", AgentState.AVAILABLE)]


def test_scalar_service_level_matches_the_wfm_erlang_c() -> None:
    from madoguchi.core.wfm.erlang import service_level_c

    cases: list[tuple[int, float, float]] = [(5, 0.01, 240.0), (20, 0.07, 230.0), (60, 0.2, 250.0)]
    for agents, rate, handle in cases:
        expected = float(service_level_c(agents, rate * handle, handle, 20.0))
        assert abs(expected_service_level(agents, rate, handle, 20.0) - expected) < 1e-9


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["arrive", "answer", "end", "dial", "hang_up"]), max_size=60))
def test_policy_commands_always_fit_and_no_caller_waits_beside_a_reserved_agent(
    steps: list[str],
) -> None:
    f = Floor(center(4, WorkMode.BLENDED))
    rules = policy(headroom_agents=0, plan_margin=-0.3, reclaim_service_level=0.4)
    now = T0
    for counter, step in enumerate(steps, 1):
        now += 7.0
        if step == "arrive":
            f.arrive(f"c{counter}", now)
        elif step == "answer":
            offers = [e for e in f.events if isinstance(e, re.ContactOffered)]
            for offer in offers:
                if f.engine.contact_state(offer.contact_id).value == "offered":
                    f.send(rc.AcceptOffer(offer.contact_id, offer.agent_id), now)
                    break
        elif step in ("end", "hang_up"):
            outbound = step == "hang_up"
            for agent in f.floor.agents.values():
                live = f.engine.agents[agent.id]
                if live.active and agent.outbound_contact == outbound:
                    f.send(rc.EndContact(next(iter(live.active)), EndReason.COMPLETED), now)
                    break
        else:
            reserved = [a for a in f.floor.agents.values() if a.campaign is not None]
            if reserved:
                contact = Contact(f"o{counter}", Channel.VOICE, Direction.OUTBOUND, "t", now)
                f.send(rc.ConnectContact(contact, reserved[0].id, "camp-q"), now)
        for command in rules.decide(f.floor, now).commands:
            f.send(command, now)  # raises if the policy asked for something impossible
        if f.floor.waiting(["support"]) > 0:
            assert not [a for a in f.floor.agents.values() if a.campaign is not None]


def test_policy_from_config_takes_each_team_mode_and_its_campaign() -> None:
    config = center(2, WorkMode.BLENDED)
    made = BlendingPolicy.from_config(config, {"blue": "renewal"}, {"blue": ["support"]})
    assert made.teams == (TeamBlending("blue", WorkMode.BLENDED, "renewal", ("support",)),)
    assert BlendingPolicy.from_config(config, {}, {}).teams == ()
