"""Approximate staffing of two skills served by dedicated and cross-trained agents.

Method (Erlang per skill with a pooling correction):

1. ``n_a`` and ``n_b``: Erlang C staffing of each skill on its own (two separate teams).
2. ``n_pool``: Erlang C staffing of the pooled traffic (λ_a + λ_b, volume-weighted AHT), the
   staff if everyone could take both skills.
3. A plan of ``d_a`` and ``d_b`` dedicated agents and ``f`` cross-trained agents is accepted when
   every skill could be served by the agents eligible for it (``d_a + f ≥ n_a``,
   ``d_b + f ≥ n_b``) and the whole team is as large as the pooled one
   (``d_a + d_b + f ≥ n_pool``).

The least such team needs ``f = n_a + n_b − n_pool`` cross-trained agents (the pooling gain) to
reach the pooled size; with fewer cross-trained agents it is ``n_a + n_b − f``. The rule assumes
that cross-trained agents are always where they are needed, so it is optimistic (its error
against the simulator is measured by ``madoguchi bench wfm_skills``; see docs/wfm.md).

:func:`corrected_two_skill_staffing` corrects the rule with an evaluator — in practice a
simulated day through the real router (:mod:`madoguchi.wfm_two_skill_sim`): while a skill misses
its service level, add an agent where it is missing (a dedicated agent of that skill, or a
cross-trained one when both miss); when the rule's team already meets both, remove dedicated
agents from the skill with the most slack while both still meet.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from madoguchi.core.wfm.staffing import StaffingTarget, staff_interval


@dataclass(frozen=True)
class SkillDemand:
    """The traffic of one skill in an interval."""

    name: str
    """Skill name."""
    calls: float
    """Calls in the interval."""
    aht_s: float
    """Average handle time, seconds."""


@dataclass(frozen=True)
class TwoSkillStaffing:
    """A two-skill team and the single-skill figures it was derived from."""

    dedicated_a: int
    """Agents who take only the first skill."""
    dedicated_b: int
    """Agents who take only the second skill."""
    cross_trained: int
    """Agents who take both."""
    separate_a: int
    """Erlang C staff of the first skill alone."""
    separate_b: int
    """Erlang C staff of the second skill alone."""
    pooled: int
    """Erlang C staff if every agent took both skills."""

    @property
    def total(self) -> int:
        """Agents in the team."""
        return self.dedicated_a + self.dedicated_b + self.cross_trained


def two_skill_staffing(
    a: SkillDemand,
    b: SkillDemand,
    interval_s: float,
    target: StaffingTarget,
    cross_trained: int | None = None,
) -> TwoSkillStaffing:
    """The least team for both skills; ``cross_trained`` fixes how many agents have both skills.

    Without ``cross_trained``, the plan uses the fewest cross-trained agents that reach the
    pooled team size.
    """
    n_a = staff_interval(a.calls, interval_s, a.aht_s, target).agents
    n_b = staff_interval(b.calls, interval_s, b.aht_s, target).agents
    calls = a.calls + b.calls
    aht = (a.calls * a.aht_s + b.calls * b.aht_s) / calls if calls > 0 else 1.0
    n_pool = staff_interval(calls, interval_s, aht, target).agents
    f = max(0, n_a + n_b - n_pool) if cross_trained is None else cross_trained
    if f < 0:
        raise ValueError("cross_trained must be non-negative")
    d_a = max(0, n_a - f)
    d_b = max(0, n_b - f)
    shortfall = max(0, n_pool - (d_a + d_b + f))
    if a.calls * a.aht_s >= b.calls * b.aht_s:
        d_a += shortfall
    else:
        d_b += shortfall
    return TwoSkillStaffing(
        dedicated_a=d_a,
        dedicated_b=d_b,
        cross_trained=f,
        separate_a=n_a,
        separate_b=n_b,
        pooled=n_pool,
    )


SkillServiceLevels = tuple[float, float]
"""Service level of the first and the second skill, as an evaluator measured them."""


@dataclass(frozen=True)
class CorrectedTwoSkillStaffing:
    """The team after correction, what it achieved, and every team tried on the way."""

    team: TwoSkillStaffing
    service_levels: SkillServiceLevels
    """Of ``team``, as evaluated."""
    met: bool
    """Whether ``team`` meets the target for both skills (False: steps ran out)."""
    tried: list[tuple[TwoSkillStaffing, SkillServiceLevels]] = field(default_factory=list)
    """Every evaluated team in order, the rule's first."""


def corrected_two_skill_staffing(
    a: SkillDemand,
    b: SkillDemand,
    interval_s: float,
    target: StaffingTarget,
    evaluate: Callable[[TwoSkillStaffing], SkillServiceLevels],
    cross_trained: int | None = None,
    max_steps: int = 12,
) -> CorrectedTwoSkillStaffing:
    """The rule's team (:func:`two_skill_staffing`), corrected by ``evaluate`` (see the module
    docstring); only the service-level target is corrected for."""
    goal = target.service_level
    if goal is None:
        raise ValueError("the correction needs a service-level target")
    team = two_skill_staffing(a, b, interval_s, target, cross_trained)
    levels = evaluate(team)
    tried = [(team, levels)]
    added = False
    for _ in range(max_steps):
        miss_a, miss_b = levels[0] < goal, levels[1] < goal
        if not (miss_a or miss_b):
            break
        if miss_a and miss_b:
            team = replace(team, cross_trained=team.cross_trained + 1)
        elif miss_a:
            team = replace(team, dedicated_a=team.dedicated_a + 1)
        else:
            team = replace(team, dedicated_b=team.dedicated_b + 1)
        added = True
        levels = evaluate(team)
        tried.append((team, levels))
    met = min(levels) >= goal
    if met and not added:
        for _ in range(max_steps):
            trial = _one_fewer(team, levels)
            if trial is None:
                break
            trial_levels = evaluate(trial)
            tried.append((trial, trial_levels))
            if min(trial_levels) < goal:
                break
            team, levels = trial, trial_levels
    return CorrectedTwoSkillStaffing(team, levels, met, tried)


def _one_fewer(team: TwoSkillStaffing, levels: SkillServiceLevels) -> TwoSkillStaffing | None:
    """The team minus one dedicated agent of the skill with more slack (or the other skill)."""
    order = ("a", "b") if levels[0] >= levels[1] else ("b", "a")
    for skill in order:
        if skill == "a" and team.dedicated_a > 0:
            return replace(team, dedicated_a=team.dedicated_a - 1)
        if skill == "b" and team.dedicated_b > 0:
            return replace(team, dedicated_b=team.dedicated_b - 1)
    return None
