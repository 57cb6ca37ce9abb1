"""The simulator, driving the real routing engine, reproduces queueing theory.

One queue, Poisson arrivals, exponential handling:

- without abandonment (M/M/n) service level and ASA match Erlang C;
- with exponential patience (M/M/n+M) the abandonment rate matches Erlang A, computed here from
  the stationary distribution of the birth–death chain.

The theory is evaluated at the arrival rate the simulated day actually had (its Poisson count),
and the tolerances are three or more standard deviations of a simulated day, estimated from the
spread over independent seeds (the seeds here are fixed, so the tests are deterministic).
"""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pytest

from madoguchi.core.config import (
    CenterConfig,
    LocalizedText,
    QueueConfig,
    ServiceLevelTarget,
    SkillConfig,
    TenantConfig,
)
from madoguchi.core.model import SkillRequirement
from madoguchi.sim.distributions import Exponential, Fixed
from madoguchi.sim.driver import run_scenario
from madoguchi.sim.profile import FLAT_PROFILE
from madoguchi.sim.scenario import AgentPool, ContactKind, Scenario

AGENTS = 10
AHT_S = 60.0
TARGET_S = 20.0


def one_queue_center() -> CenterConfig:
    return CenterConfig(
        name=LocalizedText("検証", "validation"),
        tenants=(TenantConfig("t", LocalizedText("t")),),
        skills=(SkillConfig("s", LocalizedText("s")),),
        queues=(
            QueueConfig(
                id="q",
                tenant="t",
                name=LocalizedText("q"),
                skills=(SkillRequirement("s", 1),),
                service_level=ServiceLevelTarget(0.8, TARGET_S),
                offer_timeout_s=3600.0,
                after_contact_work_s=0.0,
            ),
        ),
    )


def one_queue_day(load: float, patience: float | None, seed: int) -> Scenario:
    """A 24-hour day at constant rate: ``load`` Erlangs on :data:`AGENTS` agents."""
    return Scenario(
        name="validation",
        day=date(2026, 11, 25),
        open_min=0,
        close_min=1440,
        volume=load / AHT_S * 86_400,
        mix=(
            ContactKind(
                "q",
                1.0,
                handle_time=Exponential(AHT_S),
                patience=None if patience is None else Exponential(patience),
            ),
        ),
        pools=(AgentPool("p", AGENTS, 0, 1440, skills=(("s", 5),), ring_delay=Fixed(0.0)),),
        seed=seed,
        interval_min=60,
        profile=FLAT_PROFILE,
        weekday_factors=(1.0,) * 7,
        drain_min=0,
    )


def erlang_c(n: int, a: float) -> float:
    """Probability of waiting in M/M/n (the Erlang C formula, summed directly)."""
    terms = [a**k / math.factorial(k) for k in range(n)]
    top = a**n / math.factorial(n) * n / (n - a)
    return top / (sum(terms) + top)


def erlang_a_abandonment(n: int, lam: float, mu: float, theta: float) -> float:
    """Stationary abandonment probability of M/M/n+M from its birth–death chain."""
    states = 400
    weights = np.empty(states)
    weights[0] = 1.0
    for k in range(1, states):
        death = min(k, n) * mu + max(k - n, 0) * theta
        weights[k] = weights[k - 1] * lam / death
    pi = weights / weights.sum()
    waiting = sum(max(k - n, 0) * p for k, p in enumerate(pi))
    return float(theta * waiting / lam)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [11, 12])
def test_given_mmn_without_abandonment_when_a_day_is_simulated_then_erlang_c_holds(
    seed: int,
) -> None:
    result = run_scenario(one_queue_day(8.0, None, seed), one_queue_center())
    total = result.total
    load = total.offered / 86_400 * AHT_S  # Erlang C at the rate the day actually had
    c = erlang_c(AGENTS, load)
    drain_rate = (AGENTS - load) / AHT_S
    assert total.offered > 10_000
    assert total.abandoned == 0
    # spread over 8 seeds: service level ±0.02, ASA ±14 % (one standard deviation)
    assert total.service_level == pytest.approx(1 - c * math.exp(-drain_rate * TARGET_S), abs=0.06)
    assert total.asa_s == pytest.approx(c / drain_rate, rel=0.35)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [21, 22])
def test_given_mmn_with_exponential_patience_when_simulated_then_erlang_a_abandonment_holds(
    seed: int,
) -> None:
    patience = 120.0
    result = run_scenario(one_queue_day(10.0, patience, seed), one_queue_center())
    total = result.total
    rate = total.offered / 86_400
    expected = erlang_a_abandonment(AGENTS, rate, 1 / AHT_S, 1 / patience)
    assert 0.05 < expected < 0.2
    # spread over 6 seeds: ±0.005 (one standard deviation)
    assert total.abandon_rate == pytest.approx(expected, abs=0.02)
    assert total.answered + total.abandoned == total.offered
