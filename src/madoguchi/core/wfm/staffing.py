"""Agents needed per interval for a service target, by Erlang C or (with patience) Erlang A.

Every target is monotone in the number of agents (service level rises; ASA, abandonment and
occupancy fall), so the exact minimum meeting all of them is found by a search that starts near
``A + √A``, gallops to bracket the answer and bisects it. The Erlang C search runs on all the
intervals of a day at once (numpy); Erlang A goes interval by interval, started from the Erlang C
answer for the same targets.

Shrinkage (breaks, training, absence) turns agents on the phones into agents to schedule:
``scheduled = ⌈agents / (1 − shrinkage)⌉``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from madoguchi.core.wfm.erlang import asa_c, service_level_c
from madoguchi.core.wfm.erlang_a import ErlangAMetrics, erlang_a_metrics

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class StaffingTarget:
    """What an interval must achieve; ``None`` leaves a criterion out."""

    service_level: float | None = 0.8
    """Fraction of calls to answer within ``answer_time_s`` (0 < x < 1)."""
    answer_time_s: float = 20.0
    """The service-level threshold *T*, seconds."""
    max_asa_s: float | None = None
    """Highest acceptable average speed of answer, seconds."""
    max_abandonment: float | None = None
    """Highest acceptable fraction of abandoned calls (needs ``patience_s``)."""
    max_occupancy: float | None = None
    """Highest acceptable agent occupancy (0 < x ≤ 1)."""
    shrinkage: float = 0.0
    """Fraction of paid time not available for calls (0 ≤ x < 1)."""
    patience_s: float | None = None
    """Callers' mean patience, seconds; set it to use Erlang A instead of Erlang C."""

    def __post_init__(self) -> None:
        if self.service_level is not None and not 0.0 < self.service_level < 1.0:
            raise ValueError("service_level must be between 0 and 1 (exclusive)")
        if self.answer_time_s < 0:
            raise ValueError("answer_time_s must be non-negative")
        if self.max_asa_s is not None and self.max_asa_s <= 0:
            raise ValueError("max_asa_s must be positive")
        if self.max_abandonment is not None:
            if not 0.0 < self.max_abandonment < 1.0:
                raise ValueError("max_abandonment must be between 0 and 1 (exclusive)")
            if self.patience_s is None:
                raise ValueError("max_abandonment needs patience_s (Erlang A)")
        if self.max_occupancy is not None and not 0.0 < self.max_occupancy <= 1.0:
            raise ValueError("max_occupancy must be in (0, 1]")
        if not 0.0 <= self.shrinkage < 1.0:
            raise ValueError("shrinkage must be in [0, 1)")
        if self.patience_s is not None and self.patience_s <= 0:
            raise ValueError("patience_s must be positive")


@dataclass(frozen=True)
class IntervalStaffing:
    """The staffing of one interval and what it is expected to achieve."""

    load_erlangs: float
    """Offered load, Erlangs."""
    agents: int
    """Agents needed on the phones."""
    scheduled_agents: int
    """Agents to schedule once shrinkage is added."""
    service_level: float
    """Expected fraction answered within the threshold."""
    asa_s: float
    """Expected average speed of answer, seconds."""
    occupancy: float
    """Expected occupancy."""
    abandonment: float | None
    """Expected abandonment (Erlang A only)."""


def _scheduled(agents: int, shrinkage: float) -> int:
    return math.ceil(agents / (1.0 - shrinkage) - 1e-9)


def _minimal_agents(
    meets: Callable[[IntArray], npt.NDArray[np.bool_]], lo: IntArray, start: IntArray
) -> IntArray:
    """Least ``n > lo`` with ``meets(n)``, per element; ``lo`` is known to fail (or be a floor)."""
    hi = np.maximum(start, lo + 1)
    ok = meets(hi)
    step = np.maximum(1, (hi - lo) // 2)
    # gallop upward where the start fails
    while not ok.all():
        lo = np.where(ok, lo, hi)
        hi = np.where(ok, hi, hi + step)
        step = np.where(ok, step, step * 2)
        ok = meets(hi)
    while True:
        open_ = hi - lo > 1
        if not open_.any():
            return hi
        mid = np.where(open_, (lo + hi) // 2, hi)
        ok_mid = meets(mid)
        hi = np.where(open_ & ok_mid, mid, hi)
        lo = np.where(open_ & ~ok_mid, mid, lo)


def staff_intervals_erlang_c(
    calls: Sequence[float] | FloatArray,
    interval_s: float,
    aht_s: Sequence[float] | FloatArray | float,
    target: StaffingTarget,
) -> list[IntervalStaffing]:
    """Erlang C staffing of many intervals at once (``target.patience_s`` is ignored)."""
    volume = np.asarray(calls, dtype=np.float64)
    aht = np.broadcast_to(np.asarray(aht_s, dtype=np.float64), volume.shape).copy()
    if np.any(volume < 0) or np.any(aht <= 0) or interval_s <= 0:
        raise ValueError("calls must be ≥ 0, AHT and interval > 0")
    load = volume * aht / interval_s
    busy = load > 0
    a = load[busy]
    h = aht[busy]

    def meets(n: IntArray) -> npt.NDArray[np.bool_]:
        nf = n.astype(np.float64)
        ok = nf > a
        if target.service_level is not None:
            sl = np.asarray(service_level_c(nf, a, h, target.answer_time_s))
            ok &= sl >= target.service_level
        if target.max_asa_s is not None:
            ok &= np.asarray(asa_c(nf, a, h)) <= target.max_asa_s
        if target.max_occupancy is not None:
            ok &= a <= nf * target.max_occupancy * (1.0 + 1e-12)
        return ok

    agents = np.zeros(volume.shape, dtype=np.int64)
    if a.size:
        lo = np.floor(a).astype(np.int64)
        start = np.ceil(a + np.sqrt(a)).astype(np.int64)
        agents[busy] = _minimal_agents(meets, lo, start)
    nf = agents.astype(np.float64)
    safe_a = np.where(busy, load, 0.0)
    sl_all = np.where(
        busy,
        np.asarray(service_level_c(np.maximum(nf, 1.0), safe_a, aht, target.answer_time_s)),
        1.0,
    )
    asa_all = np.where(busy, np.asarray(asa_c(np.maximum(nf, 1.0), safe_a, aht)), 0.0)
    occ_all = np.where(busy, safe_a / np.maximum(nf, 1.0), 0.0)
    return [
        IntervalStaffing(
            load_erlangs=float(load[i]),
            agents=int(agents[i]),
            scheduled_agents=_scheduled(int(agents[i]), target.shrinkage),
            service_level=float(sl_all[i]),
            asa_s=float(asa_all[i]),
            occupancy=float(occ_all[i]),
            abandonment=None,
        )
        for i in range(volume.size)
    ]


def _erlang_a_meets(m: ErlangAMetrics, target: StaffingTarget) -> bool:
    if target.service_level is not None and m.service_level < target.service_level:
        return False
    if target.max_asa_s is not None and m.asa_s > target.max_asa_s:
        return False
    if target.max_abandonment is not None and m.abandonment > target.max_abandonment:
        return False
    return not (target.max_occupancy is not None and m.occupancy > target.max_occupancy + 1e-12)


def staff_interval_erlang_a(
    calls: float, interval_s: float, aht_s: float, target: StaffingTarget, start: int | None = None
) -> IntervalStaffing:
    """Erlang A staffing of one interval; ``start`` is a first guess (e.g. the Erlang C answer)."""
    if target.patience_s is None:
        raise ValueError("Erlang A needs target.patience_s")
    patience = target.patience_s
    load = calls * aht_s / interval_s
    if calls <= 0:
        return IntervalStaffing(0.0, 0, 0, 1.0, 0.0, 0.0, 0.0)
    cache: dict[int, ErlangAMetrics] = {}

    def metrics(n: int) -> ErlangAMetrics:
        if n not in cache:
            cache[n] = erlang_a_metrics(n, calls, interval_s, aht_s, patience, target.answer_time_s)
        return cache[n]

    def meets(n: int) -> bool:
        return n > 0 and _erlang_a_meets(metrics(n), target)

    upper = start if start is not None else math.ceil(load + math.sqrt(load))
    guess = upper
    if target.max_abandonment is not None:
        # fluid approximation: with n < load, about 1 − n/load of the callers hang up
        # (the exact answer lies a few agents above it: start 2 above)
        guess = min(upper, math.ceil(load * (1.0 - target.max_abandonment)) + 2)
    n = _least_meeting(meets, max(guess, 1), max(upper, 1))
    m = metrics(n)
    return IntervalStaffing(
        load_erlangs=load,
        agents=n,
        scheduled_agents=_scheduled(n, target.shrinkage),
        service_level=m.service_level,
        asa_s=m.asa_s,
        occupancy=m.occupancy,
        abandonment=m.abandonment,
    )


def _least_meeting(meets: Callable[[int], bool], guess: int, upper: int) -> int:
    """Least ``n ≥ 1`` with ``meets(n)`` (monotone), searched outward from ``guess``.

    Gallops away from the guess by 1, 2, 4, … (never past ``upper`` on the way up while
    ``upper`` meets), then bisects the bracket.
    """
    if meets(guess):
        hi, step = guess, 1
        while hi - step >= 1 and meets(hi - step):
            hi -= step
            step *= 2
        lo = max(0, hi - step)
    else:
        lo, step = guess, 1
        while True:
            hi = lo + step
            if hi >= upper > lo:
                hi = upper
            if meets(hi):
                break
            lo = hi
            step *= 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if meets(mid):
            hi = mid
        else:
            lo = mid
    return hi


def staff_intervals(
    calls: Sequence[float] | FloatArray,
    interval_s: float,
    aht_s: Sequence[float] | FloatArray | float,
    target: StaffingTarget,
) -> list[IntervalStaffing]:
    """Staffing per interval: Erlang C, or Erlang A when ``target.patience_s`` is set."""
    erlang_c_plan = staff_intervals_erlang_c(calls, interval_s, aht_s, _without_abandonment(target))
    if target.patience_s is None:
        return erlang_c_plan
    volume = np.asarray(calls, dtype=np.float64)
    aht = np.broadcast_to(np.asarray(aht_s, dtype=np.float64), volume.shape)
    return [
        staff_interval_erlang_a(float(volume[i]), interval_s, float(aht[i]), target, c.agents)
        for i, c in enumerate(erlang_c_plan)
    ]


def staff_interval(
    calls: float, interval_s: float, aht_s: float, target: StaffingTarget
) -> IntervalStaffing:
    """Staffing of a single interval (see :func:`staff_intervals`)."""
    return staff_intervals([calls], interval_s, aht_s, target)[0]


def _without_abandonment(target: StaffingTarget) -> StaffingTarget:
    if target.max_abandonment is None and target.patience_s is None:
        return target
    return StaffingTarget(
        service_level=target.service_level,
        answer_time_s=target.answer_time_s,
        max_asa_s=target.max_asa_s,
        max_abandonment=None,
        max_occupancy=target.max_occupancy,
        shrinkage=target.shrinkage,
        patience_s=None,
    )
