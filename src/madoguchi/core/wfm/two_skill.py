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
that cross-trained agents are always where they are needed, so it is optimistic; its error has
to be measured against the simulator (``madoguchi simulate``) with a skills-based router, and is
not measured yet.
"""

from __future__ import annotations

from dataclasses import dataclass

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
