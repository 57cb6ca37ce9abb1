"""Two-skill staffing: between the pooled team and two separate teams."""

from __future__ import annotations

import pytest

from madoguchi.core.wfm.erlang import service_level_c
from madoguchi.core.wfm.staffing import StaffingTarget
from madoguchi.core.wfm.two_skill import (
    SkillDemand,
    SkillServiceLevels,
    TwoSkillStaffing,
    corrected_two_skill_staffing,
    two_skill_staffing,
)

SALES = SkillDemand("sales", calls=100, aht_s=180)
SUPPORT = SkillDemand("support", calls=60, aht_s=300)


def test_the_least_team_reaches_the_pooled_size_with_the_pooling_gain_cross_trained() -> None:
    plan = two_skill_staffing(SALES, SUPPORT, 1800, StaffingTarget())
    assert plan.separate_a == 14
    assert plan.pooled < plan.separate_a + plan.separate_b
    assert plan.total == plan.pooled
    assert plan.cross_trained == plan.separate_a + plan.separate_b - plan.pooled
    assert plan.dedicated_a + plan.cross_trained >= plan.separate_a
    assert plan.dedicated_b + plan.cross_trained >= plan.separate_b


def test_without_cross_training_the_team_is_two_separate_teams() -> None:
    plan = two_skill_staffing(SALES, SUPPORT, 1800, StaffingTarget(), cross_trained=0)
    assert (plan.dedicated_a, plan.dedicated_b) == (plan.separate_a, plan.separate_b)


def test_more_cross_training_never_needs_a_bigger_team() -> None:
    totals = [
        two_skill_staffing(SALES, SUPPORT, 1800, StaffingTarget(), cross_trained=f).total
        for f in range(20)
    ]
    assert totals == sorted(totals, reverse=True)
    assert min(totals) == two_skill_staffing(SALES, SUPPORT, 1800, StaffingTarget()).pooled


def _erlang_c_by_skill(team: TwoSkillStaffing) -> SkillServiceLevels:
    """An evaluator that gives each skill its dedicated agents and half the cross-trained."""
    share = team.cross_trained / 2
    levels = []
    for demand, dedicated in ((SALES, team.dedicated_a), (SUPPORT, team.dedicated_b)):
        load = demand.calls * demand.aht_s / 1800
        levels.append(float(service_level_c(dedicated + share, load, demand.aht_s, 20.0)))
    return levels[0], levels[1]


def test_the_correction_adds_agents_until_both_skills_meet_the_target() -> None:
    fixed = corrected_two_skill_staffing(SALES, SUPPORT, 1800, StaffingTarget(), _erlang_c_by_skill)
    rule = two_skill_staffing(SALES, SUPPORT, 1800, StaffingTarget())
    assert fixed.met
    assert min(fixed.service_levels) >= 0.8
    assert fixed.team.total > rule.total  # the rule is optimistic for this evaluator
    assert fixed.tried[0][0] == rule
    assert fixed.tried[-1] == (fixed.team, fixed.service_levels)
    # one agent fewer somewhere, and a skill would miss
    assert len(fixed.tried) == fixed.team.total - rule.total + 1


def test_the_correction_removes_agents_when_the_rule_overstaffs() -> None:
    def generous(team: TwoSkillStaffing) -> SkillServiceLevels:
        return (0.8 + 0.01 * team.dedicated_a, 0.8 + 0.01 * team.dedicated_b)

    fixed = corrected_two_skill_staffing(
        SALES, SUPPORT, 1800, StaffingTarget(), generous, max_steps=40
    )
    assert fixed.met
    assert (fixed.team.dedicated_a, fixed.team.dedicated_b) == (0, 0)
    assert fixed.service_levels == (0.8, 0.8)


def test_the_correction_reports_a_team_that_still_misses_when_steps_run_out() -> None:
    fixed = corrected_two_skill_staffing(
        SALES, SUPPORT, 1800, StaffingTarget(), lambda team: (0.5, 0.9), max_steps=3
    )
    assert not fixed.met
    assert len(fixed.tried) == 4
    with pytest.raises(ValueError, match="service-level"):
        corrected_two_skill_staffing(
            SALES,
            SUPPORT,
            1800,
            StaffingTarget(service_level=None, max_asa_s=20),
            _erlang_c_by_skill,
        )
