"""The result collector folds the day's facts at the end: the same figures as booking each."""

from __future__ import annotations

import random

import pytest

from madoguchi.core.model import AgentState
from madoguchi.sim.results import ResultCollector

START = 1_800_000_000.0
WIDTH = 900.0
COUNT = 4
STATES = (
    AgentState.AVAILABLE,
    AgentState.RESERVED,
    AgentState.ON_CONTACT,
    AgentState.AFTER_CONTACT_WORK,
    AgentState.NOT_READY,
    AgentState.LOGGED_OUT,
)
KIND = {
    AgentState.RESERVED: 0,
    AgentState.ON_CONTACT: 0,
    AgentState.AFTER_CONTACT_WORK: 0,
    AgentState.AVAILABLE: 1,
    AgentState.NOT_READY: 2,
}


def naive(
    changes: list[tuple[str, AgentState, float]], end: float
) -> tuple[dict[str, list[float]], list[list[float]]]:
    """Seconds per agent and kind, and per interval and kind, one second-slice at a time."""
    per_agent: dict[str, list[float]] = {}
    buckets = [[0.0, 0.0, 0.0] for _ in range(COUNT)]
    current: dict[str, tuple[AgentState, float]] = {}

    def book(agent: str, state: AgentState, since: float, until: float) -> None:
        kind = KIND.get(state)
        if kind is None or until <= since:
            return
        per_agent.setdefault(agent, [0.0, 0.0, 0.0])[kind] += until - since
        for i in range(COUNT):
            a, b = START + i * WIDTH, START + (i + 1) * WIDTH
            overlap = min(until, b) - max(since, a)
            if overlap > 0:
                buckets[i][kind] += overlap

    for agent, state, at in changes:
        if agent in current:
            book(agent, *current[agent], at)
        current[agent] = (state, at)
    for agent, (state, since) in current.items():
        book(agent, state, since, end)
    return per_agent, buckets


@pytest.mark.parametrize("seed", range(5))
def test_given_random_agent_days_when_folded_then_time_matches_booking_each_stretch(
    seed: int,
) -> None:
    rng = random.Random(seed)
    changes: list[tuple[str, AgentState, float]] = []
    at = START - 300.0  # some agents sign in before the first interval
    end = START + COUNT * WIDTH + 600.0  # the drain after the last interval is not bucketed
    while True:
        at += rng.expovariate(1 / 15.0)
        if at >= end:
            break
        changes.append((f"a{rng.randrange(7)}", rng.choice(STATES), round(at, 3)))
    collector = ResultCollector(START, WIDTH, COUNT, [f"i{i}" for i in range(COUNT)])
    for agent, state, when in changes:
        collector.agent_state(agent, state, when)
    result = collector.result("day", end)
    per_agent, buckets = naive(changes, end)
    assert set(result.agents) == set(per_agent)
    for agent, (busy, available, not_ready) in per_agent.items():
        time = result.agents[agent]
        assert time.busy_s == pytest.approx(busy)
        assert time.available_s == pytest.approx(available)
        assert time.not_ready_s == pytest.approx(not_ready)
    for interval, (busy, available, not_ready) in zip(result.intervals, buckets, strict=True):
        assert interval.agents.busy_s == pytest.approx(busy)
        assert interval.agents.available_s == pytest.approx(available)
        assert interval.agents.not_ready_s == pytest.approx(not_ready)


def test_given_contacts_when_folded_then_intervals_queues_and_total_agree() -> None:
    rng = random.Random(3)
    collector = ResultCollector(START, WIDTH, COUNT, [f"i{i}" for i in range(COUNT)])
    expected_answered = {"q1": 0, "q2": 0}
    for n in range(500):
        queue = rng.choice(("q1", "q2"))
        arrived = START + rng.uniform(-100.0, COUNT * WIDTH + 100.0)  # clipped to the day
        collector.offered(queue, arrived)
        if n % 3:
            wait = rng.uniform(0.0, 60.0)
            collector.answered(queue, arrived, wait, 200.0, 20.0, f"a{n % 5}")
            expected_answered[queue] += 1
        else:
            collector.abandoned(queue, arrived)
    result = collector.result("day", START + COUNT * WIDTH)
    assert result.total.offered == 500
    assert {q: t.answered for q, t in result.queues.items()} == expected_answered
    assert sum(i.contacts.offered for i in result.intervals) == 500
    assert sum(i.contacts.answered_in_target for i in result.intervals) == (
        result.total.answered_in_target
    )
    assert sum(t.handled for t in result.agents.values()) == result.total.answered
    assert result.total.wait_answered_s == pytest.approx(
        sum(i.contacts.wait_answered_s for i in result.intervals)
    )


def test_given_an_empty_day_when_folded_then_every_figure_is_zero() -> None:
    result = ResultCollector(START, WIDTH, COUNT, [f"i{i}" for i in range(COUNT)]).result(
        "empty", START + COUNT * WIDTH
    )
    assert result.total.offered == 0
    assert result.queues == {}
    assert result.agents == {}
    assert all(i.agents.staffed_s == 0.0 for i in result.intervals)
