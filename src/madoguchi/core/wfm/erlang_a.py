"""Erlang A: the M/M/n+M queue, where waiting callers hang up after an exponential patience.

Rates: arrivals λ, service μ = 1/AHT, abandonment θ = 1/mean patience. With ``x = nμ/θ`` and
``y = λ/θ``, the stationary probability of ``n + j`` callers in the system is
``π_n · r_j`` with ``r_j = y^j / ((x+1)(x+2)…(x+j))``; the states below ``n`` are those of
Erlang B, so ``π_n = B / (1 + B·(Σ_j r_j − 1))`` with ``B = erlang_b(n, λ/μ)``.

A caller who arrives with ``j`` callers waiting ahead is answered with probability
``x/(x+j+1)`` (the rates telescope), and answered within ``t`` with probability
``x/(x+j+1) · I_p(j+1, x+1)``, ``p = 1 − e^{−θt}`` (regularized incomplete beta). The mean wait
of an answered caller given ``j`` is ``(ψ(x+j+2) − ψ(x+1))/θ``. Service level here counts every
offered call in the denominator: a call that abandons, even early, is a call not answered in time.

The sum over ``j`` is truncated once the remaining mass is below 1e-15 of the total; a test checks
these formulas against a numerically solved birth–death chain and a phase-type distribution.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import special

from madoguchi.core.wfm.erlang import erlang_b


@dataclass(frozen=True)
class ErlangAMetrics:
    """Steady-state performance of M/M/n+M for one interval."""

    agents: int
    """Agents answering calls (``n``)."""
    service_level: float
    """Fraction of offered calls answered within the threshold."""
    asa_s: float
    """Mean wait of answered calls, seconds."""
    abandonment: float
    """Fraction of offered calls that hang up before being answered."""
    occupancy: float
    """Fraction of agent time spent handling calls."""
    wait_probability: float
    """Fraction of offered calls that have to wait at all."""


def _log_queue_terms(x: float, y: float) -> np.ndarray:
    """``log r_j`` for j = 0..J, with J large enough that the dropped tail is negligible."""
    j_max = math.ceil(max(0.0, y - x) + 12.0 * math.sqrt(max(y, 1.0)) + 30.0)
    log_y = math.log(y)
    base = special.gammaln(x + 1.0)
    while True:
        j = np.arange(j_max + 1, dtype=np.float64)
        log_r = j * log_y - special.gammaln(x + j + 1.0) + base
        peak = float(log_r.max())
        if log_r[-1] < peak - 40.0 and log_r[-1] < log_r[-2]:
            return np.asarray(log_r, dtype=np.float64)
        j_max *= 2


def erlang_a_metrics(
    agents: int,
    calls: float,
    interval_s: float,
    aht_s: float,
    patience_s: float,
    answer_time_s: float,
) -> ErlangAMetrics:
    """Erlang A service level, ASA, abandonment and occupancy for one interval.

    ``calls`` arrive in ``interval_s`` seconds; ``patience_s`` is the callers' mean patience.
    """
    if agents < 0:
        raise ValueError("agents must be non-negative")
    if calls < 0 or interval_s <= 0 or aht_s <= 0 or patience_s <= 0 or answer_time_s < 0:
        raise ValueError("calls ≥ 0 and interval, AHT and patience > 0 are required")
    lam = calls / interval_s
    if lam == 0.0:
        return ErlangAMetrics(agents, 1.0, 0.0, 0.0, 0.0, 0.0)
    theta = 1.0 / patience_s
    load = lam * aht_s
    x = agents * patience_s / aht_s
    y = lam * patience_s
    b = erlang_b(agents, load)
    log_r = _log_queue_terms(x, y)
    peak = float(log_r.max())
    log_s = peak + math.log(float(np.exp(log_r - peak).sum()))
    with np.errstate(divide="ignore"):
        log_b = math.log(b) if b > 0.0 else -math.inf
        log_den = float(np.logaddexp(math.log1p(-b) if b < 1.0 else -math.inf, log_b + log_s))
        log_q = log_r + log_b - log_den
    # keep the terms that matter (the sequence is unimodal in j)
    kept = np.flatnonzero(log_q >= log_q.max() - 40.0)
    j0 = int(kept[0])
    j = np.arange(j0, kept[-1] + 1, dtype=np.float64)
    q = np.exp(log_q[j0 : kept[-1] + 1])
    p_wait = float(q.sum())
    answered_given_j = x / (x + j + 1.0)
    abandonment = float(np.sum(q * (1.0 - answered_given_j)))
    p = -math.expm1(-theta * answer_time_s)
    in_time = _answered_in_time_given_answered(j0, j, x, p)
    service_level = (1.0 - p_wait) + float(np.sum(q * answered_given_j * in_time))
    if x > 0:
        # (ψ(x+j+2) − ψ(x+1))/θ, built by ψ(z+1) = ψ(z) + 1/z
        first = float(special.digamma(x + j0 + 2.0) - special.digamma(x + 1.0))
        steps = np.concatenate(([first], 1.0 / (x + j[1:] + 1.0)))
        wait_answered = np.cumsum(steps) / theta
        answered = 1.0 - abandonment
        asa = (
            float(np.sum(q * answered_given_j * wait_answered)) / answered if answered > 0 else 0.0
        )
    else:
        asa = math.inf
    occupancy = load * (1.0 - abandonment) / agents if agents > 0 else 0.0
    return ErlangAMetrics(
        agents=agents,
        service_level=min(1.0, max(0.0, service_level)),
        asa_s=asa,
        abandonment=min(1.0, max(0.0, abandonment)),
        occupancy=min(1.0, occupancy),
        wait_probability=min(1.0, p_wait),
    )


def _answered_in_time_given_answered(j0: int, j: np.ndarray, x: float, p: float) -> np.ndarray:
    """``I_p(j+1, x+1)`` for consecutive ``j`` from ``j0``.

    One incomplete-beta evaluation at ``j0``, then ``I_p(a+1, b) = I_p(a, b) − NB(a)``, where
    ``NB`` is the negative-binomial probability ``Γ(a+b)/(Γ(a+1)Γ(b)) p^a (1−p)^b`` — far cheaper
    than an incomplete beta per term, and exact to rounding.
    """
    if x <= 0.0 or p <= 0.0:
        return np.zeros_like(j)
    if p >= 1.0:
        return np.ones_like(j)
    first = float(special.betainc(j0 + 1.0, x + 1.0, p))
    i = j[1:]
    log_nb = (
        special.gammaln(i + x + 1.0)
        - special.gammaln(i + 1.0)
        - special.gammaln(x + 1.0)
        + i * math.log(p)
        + (x + 1.0) * math.log1p(-p)
    )
    values = first - np.concatenate(([0.0], np.cumsum(np.exp(log_nb))))
    return np.asarray(np.clip(values, 0.0, 1.0), dtype=np.float64)
