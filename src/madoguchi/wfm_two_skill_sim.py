"""Two-skill teams through the simulator: what a team of dedicated and cross-trained agents
really achieves under the real router (issue 7, part 6).

The model day: two queues (``skill-a``, ``skill-b``), each needing its own skill; Poisson
arrivals at a constant rate for ``hours`` from midnight (flat profile, at most 24 hours a run);
exponential handle times with each skill's AHT; no after-contact work, no ring delay, callers
who never hang up (the Erlang C assumptions, so the only difference from the approximation is
how the agents are shared).
Dedicated agents hold one skill, cross-trained agents both at the same proficiency; the router
offers an arriving call to the longest-idle eligible agent and gives a freed agent the
longest-waiting call it can take.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from madoguchi.core.config import (
    CenterConfig,
    LocalizedText,
    QueueConfig,
    ServiceLevelTarget,
    SkillConfig,
    TenantConfig,
)
from madoguchi.core.model import SkillRequirement
from madoguchi.core.wfm.two_skill import SkillDemand, SkillServiceLevels, TwoSkillStaffing
from madoguchi.sim.distributions import Exponential, Fixed
from madoguchi.sim.profile import FLAT_PROFILE
from madoguchi.sim.scenario import AgentPool, ContactKind, Scenario

QUEUE_A = "skill-a"
QUEUE_B = "skill-b"
OPEN_MIN = 0
"""The model day opens at midnight so that it can last up to 24 hours."""
MAX_HOURS = 24


def two_skill_center(answer_time_s: float) -> CenterConfig:
    """A center with the two queues, each needing its own skill."""
    return CenterConfig(
        name=LocalizedText("二スキル", "two skills"),
        tenants=(TenantConfig("t", LocalizedText("t")),),
        skills=(SkillConfig("a", LocalizedText("a")), SkillConfig("b", LocalizedText("b"))),
        queues=tuple(
            QueueConfig(
                id=queue,
                tenant="t",
                name=LocalizedText(queue),
                skills=(SkillRequirement(skill, 1),),
                service_level=ServiceLevelTarget(0.8, answer_time_s),
                offer_timeout_s=3600.0,
                after_contact_work_s=0.0,
            )
            for queue, skill in ((QUEUE_A, "a"), (QUEUE_B, "b"))
        ),
    )


def two_skill_day(
    a: SkillDemand,
    b: SkillDemand,
    interval_s: float,
    team: TwoSkillStaffing,
    hours: int = 8,
    seed: int = 1,
) -> Scenario:
    """The model day (module docstring) for ``team`` at the intervals' traffic."""
    if not 1 <= hours <= MAX_HOURS:
        raise ValueError(f"hours must be 1–{MAX_HOURS} (use more runs for longer)")
    per_hour = 3600.0 / interval_s
    volume = (a.calls + b.calls) * per_hour * hours
    total = a.calls + b.calls
    close = OPEN_MIN + hours * 60
    pools = tuple(
        AgentPool(name, count, OPEN_MIN, close, skills=skills, ring_delay=Fixed(0.0))
        for name, count, skills in (
            ("dedicated-a", team.dedicated_a, (("a", 5),)),
            ("dedicated-b", team.dedicated_b, (("b", 5),)),
            ("cross-trained", team.cross_trained, (("a", 5), ("b", 5))),
        )
        if count > 0
    )
    return Scenario(
        name="two-skill",
        day=date(2026, 11, 25),
        open_min=OPEN_MIN,
        close_min=close,
        volume=volume,
        mix=(
            ContactKind(QUEUE_A, a.calls / total, handle_time=Exponential(a.aht_s), patience=None),
            ContactKind(QUEUE_B, b.calls / total, handle_time=Exponential(b.aht_s), patience=None),
        ),
        pools=pools,
        seed=seed,
        interval_min=60,
        profile=FLAT_PROFILE,
        weekday_factors=(1.0,) * 7,
        drain_min=60,
    )


@dataclass(frozen=True)
class TeamResult:
    """Simulated service level of each skill and of all calls (pooled over runs)."""

    service_level_a: float
    service_level_b: float
    service_level: float
    offered: int


def simulate_team(
    a: SkillDemand,
    b: SkillDemand,
    interval_s: float,
    team: TwoSkillStaffing,
    answer_time_s: float,
    *,
    hours: int = 8,
    runs: int = 2,
    seed: int = 1,
) -> TeamResult:
    """Run ``runs`` model days (seeds ``seed``…: every team meets the same callers)."""
    from madoguchi.sim import run_scenario

    if a.calls <= 0 or b.calls <= 0:
        raise ValueError("both skills need calls")
    center = two_skill_center(answer_time_s)
    in_target = {QUEUE_A: 0, QUEUE_B: 0}
    offered = {QUEUE_A: 0, QUEUE_B: 0}
    for k in range(runs):
        result = run_scenario(two_skill_day(a, b, interval_s, team, hours, seed + k), center)
        for queue in (QUEUE_A, QUEUE_B):
            tally = result.queues.get(queue)
            if tally is not None:
                in_target[queue] += tally.answered_in_target
                offered[queue] += tally.offered

    def ratio(n: int, d: int) -> float:
        return n / d if d else 1.0

    return TeamResult(
        ratio(in_target[QUEUE_A], offered[QUEUE_A]),
        ratio(in_target[QUEUE_B], offered[QUEUE_B]),
        ratio(sum(in_target.values()), sum(offered.values())),
        sum(offered.values()),
    )


def simulation_evaluator(
    a: SkillDemand,
    b: SkillDemand,
    interval_s: float,
    answer_time_s: float,
    *,
    hours: int = 8,
    runs: int = 2,
    seed: int = 1,
) -> Callable[[TwoSkillStaffing], SkillServiceLevels]:
    """An evaluator for :func:`~madoguchi.core.wfm.two_skill.corrected_two_skill_staffing`."""

    def evaluate(team: TwoSkillStaffing) -> SkillServiceLevels:
        found = simulate_team(
            a, b, interval_s, team, answer_time_s, hours=hours, runs=runs, seed=seed
        )
        return found.service_level_a, found.service_level_b

    return evaluate
