"""Erlang B and Erlang C: blocking, waiting probability, service level, ASA, occupancy.

Notation: ``n`` agents, offered load ``a`` in Erlangs (arrival rate × mean handle time),
``aht_s`` mean handle time in seconds, ``answer_time_s`` the service-level threshold *T*.

Erlang B is computed without overflow for any size: for ``n > a`` it is the ratio of the Poisson
probability of ``n`` to the Poisson distribution function at ``n`` (log-space probability and the
regularized incomplete gamma function), and for ``n ≤ a`` the finite series
``1/B = Σ_i n!/((n-i)! a^i)`` whose terms shrink at least geometrically. Both agree with the
classic recursion ``B(n) = a·B(n−1) / (n + a·B(n−1))`` (tested).

Every function takes scalars or numpy arrays (broadcast) and returns floats or float arrays.
"""

from __future__ import annotations

import math
from typing import overload

import numpy as np
import numpy.typing as npt
from scipy import special

FloatArray = npt.NDArray[np.float64]


def erlang_b_recursion(n: int, a: float) -> float:
    """Erlang B by the textbook recursion (O(n), stable); the reference for the fast form."""
    if n < 0 or a < 0:
        raise ValueError("n and a must be non-negative")
    b = 1.0
    for k in range(1, n + 1):
        b = a * b / (k + a * b)
    return b


def _erlang_b_small_n(n: int, a: float) -> float:
    """Erlang B for ``n ≤ a`` by the series ``1/B = Σ_i Π_{m<i} (n−m)/a`` (terms shrink fast)."""
    if n == 0:
        return 1.0
    total = 1.0
    term = 1.0
    for m in range(n):
        term *= (n - m) / a
        total += term
        if term < total * 1e-17:
            break
    return 1.0 / total


def _erlang_b_scalar(n: float, a: float) -> float:
    if n < 0 or a < 0:
        raise ValueError("n and a must be non-negative")
    if a == 0.0:
        return 1.0 if n == 0 else 0.0
    log_pmf = n * math.log(a) - a - math.lgamma(n + 1.0)
    if n > a:
        return 0.0 if log_pmf < -745.0 else math.exp(log_pmf) / float(special.pdtr(n, a))
    if log_pmf > -700.0:
        cdf = float(special.pdtr(n, a))
        if cdf > 1e-290:
            return min(1.0, math.exp(log_pmf) / cdf)
    return _erlang_b_small_n(round(n), a)


@overload
def erlang_b(n: int | float, a: float) -> float: ...
@overload
def erlang_b(n: FloatArray, a: FloatArray | float) -> FloatArray: ...
def erlang_b(n: int | float | FloatArray, a: float | FloatArray) -> float | FloatArray:
    """Probability that an arrival finds all ``n`` servers busy in M/M/n/n (Erlang B).

    Exact and overflow-free for loads up to at least 10⁵ Erlangs.
    """
    if isinstance(n, int | float) and isinstance(a, int | float):
        return _erlang_b_scalar(float(n), float(a))
    n_arr = np.asarray(n, dtype=np.float64)
    a_arr = np.asarray(a, dtype=np.float64)
    n_b, a_b = np.broadcast_arrays(n_arr, a_arr)
    if np.any(n_b < 0) or np.any(a_b < 0):
        raise ValueError("n and a must be non-negative")
    out = np.empty(n_b.shape, dtype=np.float64)
    large = n_b > a_b
    if np.any(large):
        nl = n_b[large]
        al = a_b[large]
        with np.errstate(divide="ignore", under="ignore"):
            log_pmf = special.xlogy(nl, al) - al - special.gammaln(nl + 1.0)
            cdf = special.pdtr(nl, al)
            out[large] = np.exp(log_pmf) / cdf
    small_idx = np.flatnonzero(~large.ravel())
    flat_out = out.ravel()
    flat_n = n_b.ravel()
    flat_a = a_b.ravel()
    for i in small_idx:
        flat_out[i] = _erlang_b_small_n(round(float(flat_n[i])), float(flat_a[i]))
    out = flat_out.reshape(n_b.shape)
    if out.ndim == 0:
        return float(out)
    return out


@overload
def erlang_c(n: int | float, a: float) -> float: ...
@overload
def erlang_c(n: FloatArray, a: FloatArray | float) -> FloatArray: ...
def erlang_c(n: int | float | FloatArray, a: float | FloatArray) -> float | FloatArray:
    """Probability that an arrival waits in M/M/n (Erlang C); 1 when ``n ≤ a`` (unstable)."""
    n_arr, a_arr = np.broadcast_arrays(
        np.asarray(n, dtype=np.float64), np.asarray(a, dtype=np.float64)
    )
    b = np.asarray(erlang_b(n_arr, a_arr), dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        c = n_arr * b / (n_arr - a_arr * (1.0 - b))
    c = np.where(n_arr > a_arr, c, 1.0)
    if c.ndim == 0:
        return float(c)
    return c


def service_level_c(
    n: int | float | FloatArray,
    a: float | FloatArray,
    aht_s: float | FloatArray,
    answer_time_s: float,
) -> float | FloatArray:
    """Fraction of calls answered within ``answer_time_s`` in M/M/n (0 when ``n ≤ a``)."""
    n_arr, a_arr, h_arr = np.broadcast_arrays(
        np.asarray(n, dtype=np.float64),
        np.asarray(a, dtype=np.float64),
        np.asarray(aht_s, dtype=np.float64),
    )
    c = np.asarray(erlang_c(n_arr, a_arr), dtype=np.float64)
    sl = 1.0 - c * np.exp(-(n_arr - a_arr) * answer_time_s / h_arr)
    sl = np.where(n_arr > a_arr, sl, 0.0)
    if sl.ndim == 0:
        return float(sl)
    return sl


def asa_c(
    n: int | float | FloatArray, a: float | FloatArray, aht_s: float | FloatArray
) -> float | FloatArray:
    """Average speed of answer (mean wait, seconds) in M/M/n; ``inf`` when ``n ≤ a``."""
    n_arr, a_arr, h_arr = np.broadcast_arrays(
        np.asarray(n, dtype=np.float64),
        np.asarray(a, dtype=np.float64),
        np.asarray(aht_s, dtype=np.float64),
    )
    c = np.asarray(erlang_c(n_arr, a_arr), dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        asa = c * h_arr / (n_arr - a_arr)
    asa = np.where(n_arr > a_arr, asa, math.inf)
    if asa.ndim == 0:
        return float(asa)
    return asa


def offered_load(calls: float, interval_s: float, aht_s: float) -> float:
    """Offered load in Erlangs: calls per interval × AHT / interval length."""
    return calls * aht_s / interval_s
