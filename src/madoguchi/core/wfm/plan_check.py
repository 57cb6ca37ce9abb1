"""A staffing plan's promise beside what a simulated day delivered, interval by interval.

*Planned* figures are the queueing model's: Erlang C (M/M/n) for the plan's agents and the
expected traffic, or Erlang A (M/M/n+M) when the callers' mean patience is known. *Realized*
figures are counts from a simulated day (or several, pooled): service level is answered within
the threshold over offered (abandoned calls count against it), ASA the mean wait of answered
calls, abandonment abandoned over offered, occupancy busy over busy plus available agent time.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from madoguchi.core.wfm.erlang import asa_c, service_level_c
from madoguchi.core.wfm.erlang_a import erlang_a_metrics


@dataclass(frozen=True)
class PlannedInterval:
    """What the model expects of one interval with the plan's agents."""

    agents: int
    """Agents on the phones."""
    calls: float
    """Expected calls offered."""
    aht_s: float
    """Expected handle time (talk and after-contact work), seconds."""
    service_level: float
    asa_s: float
    """``inf`` when the agents cannot carry the load (Erlang C)."""
    occupancy: float
    abandonment: float | None
    """Erlang A only."""


@dataclass(frozen=True)
class RealizedInterval:
    """Counts of a simulated interval (summed over runs)."""

    offered: int = 0
    answered: int = 0
    answered_in_target: int = 0
    abandoned: int = 0
    wait_answered_s: float = 0.0
    busy_s: float = 0.0
    """Agent seconds ringing, talking or in after-contact work."""
    available_s: float = 0.0
    agents_staffed: float = 0.0
    """Average agents signed in (mean over runs)."""

    @property
    def service_level(self) -> float | None:
        """Answered within the threshold over offered; None without calls."""
        return self.answered_in_target / self.offered if self.offered else None

    @property
    def asa_s(self) -> float | None:
        """Mean wait of answered calls."""
        return self.wait_answered_s / self.answered if self.answered else None

    @property
    def abandonment(self) -> float | None:
        """Abandoned over offered."""
        return self.abandoned / self.offered if self.offered else None

    @property
    def occupancy(self) -> float | None:
        """Busy over busy plus available agent time."""
        working = self.busy_s + self.available_s
        return self.busy_s / working if working > 0 else None


@dataclass(frozen=True)
class CheckedInterval:
    """One interval: the plan's promise and the simulated result."""

    label: str
    planned: PlannedInterval
    realized: RealizedInterval

    @property
    def service_level_gap(self) -> float | None:
        """Realized minus planned service level (negative: the plan promised too much)."""
        realized = self.realized.service_level
        return None if realized is None else realized - self.planned.service_level


def planned_intervals(
    agents: Sequence[int],
    calls: Sequence[float],
    aht_s: Sequence[float],
    interval_s: float,
    answer_time_s: float,
    patience_s: float | None = None,
) -> list[PlannedInterval]:
    """The model's figures per interval: Erlang C, or Erlang A with ``patience_s``."""
    if not len(agents) == len(calls) == len(aht_s):
        raise ValueError("agents, calls and aht_s need one entry per interval")
    out: list[PlannedInterval] = []
    for n, volume, aht in zip(agents, calls, aht_s, strict=True):
        if n < 0 or volume < 0:
            raise ValueError("agents and calls must be non-negative")
        if volume == 0 or aht <= 0:
            out.append(PlannedInterval(n, volume, aht, 1.0, 0.0, 0.0, 0.0 if patience_s else None))
            continue
        load = volume * aht / interval_s
        if patience_s is not None:
            m = erlang_a_metrics(n, volume, interval_s, aht, patience_s, answer_time_s)
            out.append(
                PlannedInterval(
                    n, volume, aht, m.service_level, m.asa_s, m.occupancy, m.abandonment
                )
            )
            continue
        if n == 0:
            out.append(PlannedInterval(0, volume, aht, 0.0, math.inf, 0.0, None))
            continue
        sl = float(service_level_c(float(n), load, aht, answer_time_s))
        asa = float(asa_c(float(n), load, aht))
        out.append(PlannedInterval(n, volume, aht, sl, asa, min(1.0, load / n), None))
    return out


def _number(value: float | None, digits: int = 4) -> float | None:
    if value is None or math.isinf(value) or math.isnan(value):
        return None
    return round(value, digits)


def _weighted(pairs: Sequence[tuple[float, float]]) -> float | None:
    weight = sum(w for _, w in pairs)
    return sum(v * w for v, w in pairs) / weight if weight > 0 else None


def check_document(
    intervals: Sequence[CheckedInterval], queues: Mapping[str, RealizedInterval] | None = None
) -> dict[str, Any]:
    """JSON-ready comparison: per interval and for the day (planned figures weighted by calls),
    and the simulated day of each queue when ``queues`` is given."""
    rows = []
    for item in intervals:
        p, r = item.planned, item.realized
        rows.append(
            {
                "interval_start": item.label,
                "agents": p.agents,
                "agents_staffed": _number(r.agents_staffed, 2),
                "calls_expected": _number(p.calls, 1),
                "offered": r.offered,
                "planned_service_level": _number(p.service_level),
                "service_level": _number(r.service_level),
                "service_level_gap": _number(item.service_level_gap),
                "planned_asa_s": _number(p.asa_s, 2),
                "asa_s": _number(r.asa_s, 2),
                "planned_abandonment": _number(p.abandonment),
                "abandonment": _number(r.abandonment),
                "planned_occupancy": _number(p.occupancy),
                "occupancy": _number(r.occupancy),
            }
        )
    total = RealizedInterval(
        offered=sum(i.realized.offered for i in intervals),
        answered=sum(i.realized.answered for i in intervals),
        answered_in_target=sum(i.realized.answered_in_target for i in intervals),
        abandoned=sum(i.realized.abandoned for i in intervals),
        wait_answered_s=sum(i.realized.wait_answered_s for i in intervals),
        busy_s=sum(i.realized.busy_s for i in intervals),
        available_s=sum(i.realized.available_s for i in intervals),
    )
    by_calls = [(i.planned, i.planned.calls) for i in intervals]
    planned_abandonment = (
        _weighted([(p.abandonment, w) for p, w in by_calls if p.abandonment is not None])
        if any(p.abandonment is not None for p, _ in by_calls)
        else None
    )
    finite_asa = [(p.asa_s, w) for p, w in by_calls if math.isfinite(p.asa_s)]
    day = {
        "calls_expected": _number(sum(w for _, w in by_calls), 1),
        "offered": total.offered,
        "planned_service_level": _number(_weighted([(p.service_level, w) for p, w in by_calls])),
        "service_level": _number(total.service_level),
        "planned_asa_s": _number(_weighted(finite_asa), 2)
        if len(finite_asa) == len(by_calls)
        else None,
        "asa_s": _number(total.asa_s, 2),
        "planned_abandonment": _number(planned_abandonment),
        "abandonment": _number(total.abandonment),
        "occupancy": _number(total.occupancy),
        "intervals_below_plan": sum(
            1 for i in intervals if (gap := i.service_level_gap) is not None and gap < -0.05
        ),
    }
    document: dict[str, Any] = {"day": day, "intervals": rows}
    if queues is not None:
        document["queues"] = {
            name: {
                "offered": q.offered,
                "service_level": _number(q.service_level),
                "asa_s": _number(q.asa_s, 2),
                "abandonment": _number(q.abandonment),
            }
            for name, q in sorted(queues.items())
        }
    return document
