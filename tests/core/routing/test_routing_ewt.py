"""Estimated wait time: its formula, and its error against waits that actually happened."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from typing import Any

from madoguchi.bench.routing import ewt_error
from madoguchi.core.model import AgentState, Channel, SkillRequirement, WorkMode
from madoguchi.core.routing import RoutingEngine
from madoguchi.core.routing import commands as rc


def test_given_a_free_agent_then_the_estimate_is_zero_and_without_staff_it_is_infinite(
    desk: Callable[..., Any], build: Any
) -> None:
    d = desk([build.queue("q", "s")], [build.agent("a1", "s")])
    assert math.isinf(d.engine.estimated_wait("q", d.now))
    d.login("a1")
    assert d.engine.estimated_wait("q", d.now) == 0.0


def test_given_callers_ahead_then_the_estimate_is_their_share_of_handle_time(
    desk: Callable[..., Any], build: Any
) -> None:
    d = desk(
        [build.queue("q", "s", after_contact_work_s=0)],
        [build.agent("a1", "s"), build.agent("a2", "s")],
    )
    d.login("a1", "a2")
    d.call("c1", "q")
    d.answer("c1")
    d.advance(100)
    d.do(rc.EndContact("c1"))  # handle time learnt: 100 s
    for name in ("c2", "c3", "c4", "c5"):
        d.call(name, "q")
        if d.offered_to(name):
            d.answer(name)
    # Two agents busy, two callers waiting: the next caller is third in line.
    assert d.engine.estimated_wait("q", d.now) == 3 * 100 / 2
    assert d.engine.estimated_wait_for("c5", d.now) == 2 * 100 / 2
    assert d.engine.queue_position("c5") == 2


def test_estimate_error_against_real_waits_beats_a_constant_guess() -> None:
    figures = ewt_error(contacts=6_000, agents=10, occupancy=0.9)
    # Measured on this workload (seed 11): mean wait ≈ 80 s, MAE ≈ 26 s, bias ≈ +7 s;
    # the best constant guess is off by ≈ 80 s on average.
    assert figures["mae_s"] < 0.5 * figures["constant_guess_mae_s"]
    assert abs(figures["bias_s"]) < 0.2 * figures["mean_wait_s"]


def _estimate_by_counting(engine: RoutingEngine, queue_id: str) -> float:
    """The EWT formula evaluated by walking every agent (what the engine keeps counted)."""
    queue = engine.queues[queue_id]
    channel = Channel.VOICE if Channel.VOICE in queue.channels else min(queue.channels)
    needs: tuple[SkillRequirement, ...] = queue.skills
    staffed = 0
    free = False
    for agent in engine.agents.values():
        if not all(agent.levels.get(n.skill, 0) >= n.min_proficiency for n in needs):
            continue
        if agent.work_mode is WorkMode.OUTBOUND:
            continue
        if agent.state in (AgentState.LOGGED_OUT, AgentState.NOT_READY):
            continue
        staffed += 1
        if agent.is_ready() and agent.has_capacity_for(channel):
            free = True
    ahead = engine.waiting_count(queue_id)
    if ahead == 0 and free:
        return 0.0
    if staffed == 0:
        return math.inf
    return (ahead + 1) * engine.handle_average.get(queue_id, 180.0) / staffed


def test_given_random_days_with_skill_changes_then_the_kept_counts_give_the_walked_estimate(
    random_day: Any,
) -> None:
    make_center, operator_type = random_day

    class Shuffler(operator_type):  # type: ignore[misc, valid-type]
        def next_command(self) -> Any:
            if self.rng.random() < 0.05:
                agent_id = self.rng.choice(sorted(self.engine.agents))
                skills = tuple(
                    (name, self.rng.randint(1, 10))
                    for name in ("general", "vip")
                    if self.rng.random() < 0.7
                )
                return rc.SetAgentSkills(agent_id, skills)
            return super().next_command()

    engine = RoutingEngine(make_center())
    operator = Shuffler(engine, random.Random(777))
    log: list[Any] = []
    checked = 0
    for _ in range(1500):
        operator.step(log)
        for queue_id in engine.queues:
            expected = _estimate_by_counting(engine, queue_id)
            assert engine.estimated_wait(queue_id, operator.now) == expected, queue_id
            checked += expected not in (0.0, math.inf)
    assert checked > 100
