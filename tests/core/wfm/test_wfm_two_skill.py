"""Two-skill staffing: between the pooled team and two separate teams."""

from __future__ import annotations

from madoguchi.core.wfm.staffing import StaffingTarget
from madoguchi.core.wfm.two_skill import SkillDemand, two_skill_staffing

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
        for f in range(0, 20)
    ]
    assert totals == sorted(totals, reverse=True)
    assert min(totals) == two_skill_staffing(SALES, SUPPORT, 1800, StaffingTarget()).pooled
