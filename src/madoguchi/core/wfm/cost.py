"""Cost per contact of an in-house center, against outsourcing at a price per call.

The in-house center is staffed by Erlang C for its monthly volume: calls spread over the open
hours (flat, or by an intraday profile), agents per interval for the service target, shrinkage
added, and paid for every scheduled interval (a perfect shift fit: real rosters cost a few
percent more — see :mod:`madoguchi.core.wfm.schedule`). Supervisors come one per
``agents_per_supervisor`` agents; seats match the busiest interval; telephony is charged per
minute of talk and per seat.

Because a bigger center staffs closer to its load (Erlang economies of scale), the cost per
contact falls with volume: :func:`break_even_volume` finds the monthly volume above which
running the center costs less per call than an outsourcer's price.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from madoguchi.core.wfm.staffing import StaffingTarget, staff_intervals_erlang_c


@dataclass(frozen=True)
class InHouseCosts:
    """Prices of running the center (yen)."""

    agent_wage_per_hour: float = 1200.0
    """Agent's hourly wage (from ¥1,000)."""
    supervisor_wage_per_hour: float = 1800.0
    """Supervisor's hourly wage."""
    agents_per_supervisor: float = 8.0
    """Span of control (typically 6–10)."""
    wage_overhead: float = 0.2
    """Social insurance and benefits as a fraction of wages."""
    seat_per_month: float = 25000.0
    """Desk, PC, software licences and floor space per seat per month."""
    telephony_per_minute: float = 2.0
    """Carrier charge per minute of talk."""
    telephony_per_seat_month: float = 2000.0
    """Line and telephony licence per seat per month."""

    def __post_init__(self) -> None:
        if self.agent_wage_per_hour < 0 or self.supervisor_wage_per_hour < 0:
            raise ValueError("wages must be non-negative")
        if self.agents_per_supervisor <= 0:
            raise ValueError("agents_per_supervisor must be positive")


@dataclass(frozen=True)
class Operation:
    """How the center works."""

    aht_s: float = 300.0
    """Average handle time, seconds."""
    open_hours_per_day: float = 9.0
    """Hours open per day."""
    days_per_month: float = 21.0
    """Days open per month."""
    interval_s: int = 1800
    """Planning interval, seconds."""
    target: StaffingTarget = field(default_factory=lambda: StaffingTarget(shrinkage=0.3))
    """Service target and shrinkage."""
    intraday_profile: tuple[float, ...] | None = None
    """Share of a day's calls per interval (None: flat); its length sets the intervals."""

    def shares(self) -> npt.NDArray[np.float64]:
        """Share of the daily volume in each open interval."""
        if self.intraday_profile is not None:
            p = np.asarray(self.intraday_profile, dtype=np.float64)
            return np.asarray(p / p.sum(), dtype=np.float64)
        k = max(1, round(self.open_hours_per_day * 3600 / self.interval_s))
        return np.full(k, 1.0 / k)


@dataclass(frozen=True)
class CostBreakdown:
    """Monthly cost of the in-house center at one volume (yen)."""

    monthly_calls: float
    """Calls per month."""
    agent_hours: float
    """Paid agent hours per month."""
    peak_agents: int
    """Agents scheduled in the busiest interval (= agent seats)."""
    supervisors: int
    """Supervisors."""
    agents: float
    """Mean agents scheduled per open interval."""
    wages: float
    """Agents' and supervisors' pay with overhead."""
    seats: float
    """Seat costs."""
    telephony: float
    """Telephony costs."""

    @property
    def total(self) -> float:
        """Monthly total."""
        return self.wages + self.seats + self.telephony

    @property
    def per_contact(self) -> float:
        """Cost per call handled."""
        return self.total / self.monthly_calls if self.monthly_calls > 0 else math.inf

    @property
    def per_agent_hour(self) -> float:
        """Cost per paid agent hour (a fully loaded hourly rate)."""
        return self.total / self.agent_hours if self.agent_hours > 0 else math.inf


def in_house_cost(monthly_calls: float, op: Operation, costs: InHouseCosts) -> CostBreakdown:
    """Monthly cost of handling ``monthly_calls`` in-house."""
    if monthly_calls < 0:
        raise ValueError("monthly_calls must be non-negative")
    shares = op.shares()
    daily = monthly_calls / op.days_per_month
    plan = staff_intervals_erlang_c(daily * shares, op.interval_s, op.aht_s, op.target)
    scheduled = np.array([p.scheduled_agents for p in plan])
    interval_h = op.interval_s / 3600.0
    agent_hours = float(scheduled.sum()) * interval_h * op.days_per_month
    peak = int(scheduled.max()) if scheduled.size else 0
    supervisors = math.ceil(peak / costs.agents_per_supervisor) if peak else 0
    open_hours = shares.size * interval_h * op.days_per_month
    wages = (1.0 + costs.wage_overhead) * (
        agent_hours * costs.agent_wage_per_hour
        + supervisors * open_hours * costs.supervisor_wage_per_hour
    )
    seats = (peak + supervisors) * costs.seat_per_month
    telephony = (
        monthly_calls * op.aht_s / 60.0 * costs.telephony_per_minute
        + (peak + supervisors) * costs.telephony_per_seat_month
    )
    return CostBreakdown(
        monthly_calls=monthly_calls,
        agent_hours=agent_hours,
        peak_agents=peak,
        supervisors=supervisors,
        agents=float(scheduled.mean()) if scheduled.size else 0.0,
        wages=wages,
        seats=seats,
        telephony=telephony,
    )


def cost_curve(volumes: Sequence[float], op: Operation, costs: InHouseCosts) -> list[CostBreakdown]:
    """In-house cost at each monthly volume."""
    return [in_house_cost(v, op, costs) for v in volumes]


def volume_grid(low: float = 500.0, high: float = 500_000.0, points: int = 120) -> list[float]:
    """Monthly volumes spaced evenly on a log scale, rounded to whole calls."""
    return sorted({float(round(v)) for v in np.geomspace(low, high, points)})


def break_even_volume(
    price_per_call: float, op: Operation, costs: InHouseCosts, grid: Sequence[float] | None = None
) -> float | None:
    """Least monthly volume from which in-house costs at most ``price_per_call`` per call.

    "From which" means for every larger volume on the grid too (the curve is saw-toothed by
    whole agents); the crossing is then narrowed to within 1% by bisection. ``None`` if in-house
    never gets that cheap on the grid.
    """
    volumes = list(grid) if grid is not None else volume_grid()
    cheaper = [in_house_cost(v, op, costs).per_contact <= price_per_call for v in volumes]
    if not cheaper[-1]:
        return None
    k = len(cheaper) - 1
    while k > 0 and cheaper[k - 1]:
        k -= 1
    if k == 0:
        return volumes[0]
    lo, hi = volumes[k - 1], volumes[k]
    while hi - lo > 0.01 * hi:
        mid = round((lo + hi) / 2)
        if mid in (lo, hi):
            break
        if in_house_cost(mid, op, costs).per_contact <= price_per_call:
            hi = mid
        else:
            lo = mid
    return hi
