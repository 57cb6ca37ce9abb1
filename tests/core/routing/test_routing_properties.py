"""Invariants over random days: capacity, skills, conservation, FCFS, no idle mismatch."""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from madoguchi.core.events import Event
from madoguchi.core.model import EXCLUSIVE_CHANNELS, ContactState, Direction, WorkMode
from madoguchi.core.routing import RoutingEngine
from madoguchi.core.routing import commands as rc
from madoguchi.core.routing import events as ev

Key = tuple[float, int]


class Watcher:
    """Checks each new event against the rules, keeping a shadow of the waiting lines."""

    def __init__(self, engine: RoutingEngine) -> None:
        self.engine = engine
        self.aging = {q.id: q.aging_per_minute / 60 for q in engine.config.queues}
        self.order = 0
        self.keys: dict[str, Key] = {}
        self.group_of: dict[str, tuple[Any, ...]] = {}
        self.waiting: dict[tuple[Any, ...], dict[str, Key]] = {}
        self.needs: dict[str, tuple[tuple[str, int], ...]] = {}
        self.direct_offer: set[str] = set()
        self.ended: Counter[str] = Counter()
        self.seen: set[str] = set()

    def _unwait(self, contact_id: str) -> None:
        group = self.group_of.get(contact_id)
        if group is not None:
            self.waiting[group].pop(contact_id, None)

    def see(self, item: Event) -> None:
        if isinstance(item, ev.ContactQueued):
            self.seen.add(item.contact_id)
            self.needs[item.contact_id] = item.skills
            self._unwait(item.contact_id)
            if item.via == ev.QueueEntry.DIRECT:
                return
            self.order += 1
            rank = item.priority - self.aging[item.queue_id] * item.wait_started_at
            key = (-rank, self.order)
            group = (item.queue_id, item.skills, item.channel, item.direction != Direction.OUTBOUND)
            self.keys[item.contact_id] = key
            self.group_of[item.contact_id] = group
            self.waiting.setdefault(group, {})[item.contact_id] = key
        elif isinstance(item, ev.ContactOffered):
            if item.direct:
                self.direct_offer.add(item.contact_id)
                return
            group = self.group_of[item.contact_id]
            line = self.waiting[group]
            assert item.contact_id in line, f"{item.contact_id} offered but not waiting"
            assert line[item.contact_id] == min(line.values()), (
                f"FCFS broken in {group}: {item.contact_id} offered before an earlier contact"
            )
            del line[item.contact_id]
            agent = self.engine.agents[item.agent_id]
            for skill, level in self.needs[item.contact_id]:
                assert agent.levels.get(skill, 0) >= level, (
                    f"{item.agent_id} lacks {skill}>={level} for {item.contact_id}"
                )
        elif isinstance(item, ev.ContactOfferTimedOut | ev.ContactOfferRejected):
            if item.contact_id in self.direct_offer:
                self.direct_offer.discard(item.contact_id)
                return
            group = self.group_of[item.contact_id]
            self.waiting[group][item.contact_id] = self.keys[item.contact_id]
        elif isinstance(item, ev.ContactConnected):
            self.direct_offer.discard(item.contact_id)
        elif isinstance(item, ev.ContactOverflowed):
            if item.treatment != "callback":
                self._unwait(item.contact_id)
        elif isinstance(item, ev.ContactAbandoned | ev.ContactEnded):
            self._unwait(item.contact_id)
            if isinstance(item, ev.ContactEnded):
                self.ended[item.contact_id] += 1
                assert self.ended[item.contact_id] == 1, f"{item.contact_id} ended twice"

    def check_state(self) -> None:
        engine = self.engine
        for agent in engine.agents.values():
            for channel, count in agent.counts.items():
                assert count <= agent.capacity.get(channel, 0), f"{agent.id} over {channel}"
            if any(ch in EXCLUSIVE_CHANNELS for ch in agent.active.values()):
                assert len(agent.active) == 1, f"{agent.id} not exclusive"
                assert agent.offer is None, f"{agent.id} offered more while on voice"
        for contact_id in self.seen:
            live = engine.contacts.get(contact_id)
            assert (live is None) == (self.ended[contact_id] == 1), f"{contact_id} lost"
            if live is None:
                continue
            if live.state is ContactState.QUEUED:
                assert engine.queue_position(contact_id) >= 1
            elif live.state is ContactState.OFFERED:
                assert live.offered_to is not None
                assert engine.agents[live.offered_to].offer == contact_id
            elif live.state is ContactState.CONNECTED:
                assert live.agent_id is not None
                assert contact_id in engine.agents[live.agent_id].active
            else:
                raise AssertionError(f"{contact_id} left in {live.state}")
        waiting = [c for c in engine.contacts.values() if c.state is ContactState.QUEUED]
        for agent in engine.dialer_reserved.values():
            if agent.work_mode is not WorkMode.BLENDED:
                continue
            for contact in waiting:
                if contact.inbound and all(agent.levels.get(s, 0) >= lv for s, lv in contact.reqs):
                    assert contact.channel not in agent.capacity, (
                        f"reserved blended {agent.id} not reclaimed for waiting {contact.id}"
                    )
        for agent in engine.agents.values():
            if not agent.is_ready():
                continue
            for contact in waiting:
                mode_ok = agent.work_mode is not (
                    WorkMode.OUTBOUND if contact.inbound else WorkMode.INBOUND
                )
                skills_ok = all(agent.levels.get(s, 0) >= lv for s, lv in contact.reqs)
                assert not (mode_ok and skills_ok and agent.has_capacity_for(contact.channel)), (
                    f"ready {agent.id} and waiting {contact.id} fit but were not matched"
                )


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(seed=st.integers(min_value=0, max_value=2**32 - 1), steps=st.integers(50, 600))
def test_random_days_keep_every_routing_invariant(random_day: Any, seed: int, steps: int) -> None:
    make_center, operator_type = random_day
    engine = RoutingEngine(make_center())
    operator = operator_type(engine, random.Random(seed))
    watcher = Watcher(engine)
    log: list[Event] = []
    for _ in range(steps):
        before = len(log)
        operator.step(log)
        for item in log[before:]:
            watcher.see(item)
        watcher.check_state()


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(seed=st.integers(min_value=0, max_value=2**32 - 1), steps=st.integers(50, 400))
def test_random_days_with_live_skill_changes_keep_every_routing_invariant(
    random_day: Any, seed: int, steps: int
) -> None:
    make_center, operator_type = random_day

    class SkillShuffler(operator_type):  # type: ignore[misc, valid-type]
        def next_command(self) -> Any:
            if self.rng.random() < 0.08:
                agent_id = self.rng.choice(sorted(self.engine.agents))
                skills = tuple(
                    (name, self.rng.randint(1, 10))
                    for name in ("general", "vip")
                    if self.rng.random() < 0.7
                )
                return rc.SetAgentSkills(agent_id, skills)
            return super().next_command()

    engine = RoutingEngine(make_center())
    operator = SkillShuffler(engine, random.Random(seed))
    watcher = Watcher(engine)
    log: list[Event] = []
    for _ in range(steps):
        before = len(log)
        operator.step(log)
        for item in log[before:]:
            watcher.see(item)
        watcher.check_state()
