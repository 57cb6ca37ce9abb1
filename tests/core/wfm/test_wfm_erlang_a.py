"""Erlang A against a numerically solved birth–death chain and phase-type answer times."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.linalg import expm

from madoguchi.core.wfm.erlang_a import erlang_a_metrics


def _exact_by_chain(
    n: int, lam: float, mu: float, theta: float, t: float, cap: int = 120
) -> dict[str, float]:
    """Stationary law by solving πQ = 0 on a truncated chain; answer times by expm."""
    size = n + cap + 1
    q = np.zeros((size, size))
    for k in range(size):
        if k + 1 < size:
            q[k, k + 1] = lam
        if k > 0:
            q[k, k - 1] = min(k, n) * mu + max(k - n, 0) * theta
        q[k, k] = -q[k].sum()
    system = np.vstack([q.T, np.ones(size)])
    rhs = np.zeros(size + 1)
    rhs[-1] = 1.0
    pi = np.linalg.lstsq(system, rhs, rcond=None)[0]
    # the arrival's own position: state i = callers still ahead of it (i = 0..cap-1);
    # it leaves state i at rate nμ + iθ (to i−1, or to "answered" from 0) or θ (hangs up)
    m = cap
    gen = np.zeros((m, m))
    to_answer = np.zeros(m)
    for i in range(m):
        gen[i, i] = -(n * mu + i * theta + theta)
        if i > 0:
            gen[i, i - 1] = n * mu + i * theta
        else:
            to_answer[i] = n * mu
    inv = np.linalg.inv(-gen)
    p_answer = inv @ to_answer
    p_answer_by_t = p_answer - expm(gen * t) @ p_answer
    mean_wait = inv @ p_answer  # E[time to answer; answered] from each state
    arriving = pi[n : n + m]  # an arrival that finds n + i callers has i ahead
    answered_in_time = float(pi[:n].sum() + arriving @ p_answer_by_t)
    answered_total = float(pi[:n].sum() + arriving @ p_answer)
    wait_answered = float(arriving @ mean_wait)
    return {
        "service_level": answered_in_time,
        "abandonment": 1.0 - answered_total,
        "asa_s": wait_answered / answered_total,
        "wait_probability": float(pi[n:].sum()),
    }


@pytest.mark.parametrize(
    ("n", "calls", "aht_s", "patience_s"),
    [(3, 40, 180, 60), (5, 120, 120, 30), (4, 90, 200, 300), (2, 60, 150, 45)],
)
def test_erlang_a_matches_the_birth_death_chain(
    n: int, calls: float, aht_s: float, patience_s: float
) -> None:
    interval = 3600.0
    exact = _exact_by_chain(n, calls / interval, 1 / aht_s, 1 / patience_s, 20.0)
    ours = erlang_a_metrics(n, calls, interval, aht_s, patience_s, 20.0)
    assert ours.service_level == pytest.approx(exact["service_level"], abs=1e-9)
    assert ours.abandonment == pytest.approx(exact["abandonment"], abs=1e-9)
    assert ours.asa_s == pytest.approx(exact["asa_s"], rel=1e-7)
    assert ours.wait_probability == pytest.approx(exact["wait_probability"], abs=1e-9)


def test_erlang_a_with_endless_patience_approaches_erlang_c() -> None:
    m = erlang_a_metrics(14, 100, 1800, 180, 1e9, 20)
    assert m.service_level == pytest.approx(0.88835, abs=1e-4)
    assert m.asa_s == pytest.approx(7.836, abs=1e-2)
    assert m.abandonment < 1e-6


def test_erlang_a_stays_finite_when_far_overloaded() -> None:
    m = erlang_a_metrics(1000, 15000, 3600, 600, 120, 20)
    assert m.abandonment == pytest.approx(0.6, abs=1e-6)  # fluid limit 1 − n/load
    assert m.occupancy == pytest.approx(1.0, abs=1e-9)
    assert 0.0 <= m.service_level < 1e-6


def test_erlang_a_rejects_negative_agents() -> None:
    with pytest.raises(ValueError, match="agents"):
        erlang_a_metrics(-1, 10, 60, 60, 60, 20)
