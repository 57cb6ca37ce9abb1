"""Agent selection policies: which of several fitting agents a queue's contact goes to.

Candidates arrive in the order they became ready (longest idle first), so every policy breaks
its ties by that order.
"""

from __future__ import annotations

from collections.abc import Sequence

from madoguchi.core.model import SelectionPolicy
from madoguchi.core.routing._members import (
    SelectionPolicies,
)
from madoguchi.core.routing.agents import LiveAgent
from madoguchi.core.routing.queues import Requirement


def longest_idle(candidates: Sequence[LiveAgent]) -> LiveAgent:
    """The agent ready the longest."""
    return candidates[0]


def most_skilled(candidates: Sequence[LiveAgent], needs: Sequence[Requirement]) -> LiveAgent:
    """Highest total proficiency in the needed skills (all skills if none), then longest idle."""
    best = candidates[0]
    best_score = _score(best, needs)
    for agent in candidates[1:]:
        score = _score(agent, needs)
        if score > best_score:
            best, best_score = agent, score
    return best


def least_occupied(candidates: Sequence[LiveAgent]) -> LiveAgent:
    """Fewest contacts in hand relative to capacity, then longest idle."""
    best = candidates[0]
    best_load = len(best.active) / best.total_capacity
    for agent in candidates[1:]:
        load = len(agent.active) / agent.total_capacity
        if load < best_load:
            best, best_load = agent, load
    return best


def round_robin(candidates: Sequence[LiveAgent], last_order: int) -> LiveAgent:
    """The next agent after the last one this queue picked, in configuration order, cyclic."""
    after = [a for a in candidates if a.order > last_order]
    pool = after or list(candidates)
    return min(pool, key=lambda a: a.order)


def select_agent(
    policy: SelectionPolicy,
    candidates: Sequence[LiveAgent],
    needs: Sequence[Requirement],
    last_order: int,
) -> LiveAgent:
    """Apply ``policy`` to a non-empty list of fitting candidates."""
    if policy is SelectionPolicies.MOST_SKILLED:
        return most_skilled(candidates, needs)
    if policy is SelectionPolicies.LEAST_OCCUPIED:
        return least_occupied(candidates)
    if policy is SelectionPolicies.ROUND_ROBIN:
        return round_robin(candidates, last_order)
    return longest_idle(candidates)


def _score(agent: LiveAgent, needs: Sequence[Requirement]) -> int:
    if not needs:
        return sum(agent.levels.values())
    return sum(agent.levels.get(skill, 0) for skill, _ in needs)
