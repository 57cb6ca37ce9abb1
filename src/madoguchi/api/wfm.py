"""Workforce calculators for supervisors and admins: staffing of an interval, cost per contact.

Both are thin wrappers over the pure :mod:`madoguchi.core.wfm` functions (the same ones as
``madoguchi wfm staff`` and the cost report): ``GET /api/v1/wfm/staffing`` gives the agents an
interval needs for a service target (Erlang C, or Erlang A with callers' patience) and how the
service looks with a few agents fewer or more; ``GET /api/v1/wfm/cost`` gives the monthly cost
of handling a volume in-house, the cost per contact against an outsourcer's price per call, and
the break-even volume. Inputs are bounded so one request stays a few milliseconds of work.
"""

from __future__ import annotations

import math
from typing import Annotated

import numpy as np
from fastapi import APIRouter, Query
from pydantic import BaseModel

from madoguchi.api.agents import Supervisor
from madoguchi.api.errors import COMMON_RESPONSES, InvalidField
from madoguchi.core.wfm.cost import (
    InHouseCosts,
    Operation,
    break_even_volume,
    in_house_cost,
    volume_grid,
)
from madoguchi.core.wfm.erlang import asa_c, offered_load, service_level_c
from madoguchi.core.wfm.staffing import StaffingTarget, staff_interval

router = APIRouter(prefix="/api/v1/wfm", tags=["wfm"], responses=COMMON_RESPONSES)


class StaffingRow(BaseModel):
    """Service with a given number of agents on the phones (Erlang C)."""

    agents: int
    service_level: float
    asa_s: float | None
    """None when the queue grows without bound (agents ≤ load)."""
    occupancy: float


class StaffingOut(BaseModel):
    """Agents needed for one interval and what they achieve."""

    model: str
    load_erlangs: float
    agents: int
    scheduled_agents: int
    service_level: float
    asa_s: float
    occupancy: float
    abandonment: float | None
    around: list[StaffingRow]
    """Service with a few agents fewer and more than needed."""


class CostOut(BaseModel):
    """Monthly in-house cost at a volume beside outsourcing (yen)."""

    monthly_calls: float
    peak_agents: int
    supervisors: int
    agent_hours: float
    wages: float
    seats: float
    telephony: float
    total: float
    per_contact: float | None
    per_agent_hour: float | None
    outsourcing_total: float
    outsourcing_per_contact: float
    saving: float
    """Outsourcing total minus in-house total (positive: in-house is cheaper)."""
    break_even_calls: float | None
    """Least monthly volume from which in-house costs no more per call (None: never)."""


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


Calls = Annotated[float, Query(ge=0, le=20_000, description="Calls offered in the interval")]
IntervalMin = Annotated[int, Query(ge=5, le=60, description="Interval length, minutes")]
Aht = Annotated[float, Query(ge=1, le=7200, description="Average handle time, seconds")]
Fraction = Annotated[float, Query(gt=0, lt=1)]
AnswerTime = Annotated[float, Query(ge=0, le=3600, description="Service-level threshold, s")]
Shrinkage = Annotated[float, Query(ge=0, le=0.9)]


@router.get("/staffing", response_model=StaffingOut, summary="Agents needed for an interval")
def staffing(
    caller: Supervisor,
    calls: Calls,
    aht_s: Aht,
    interval_min: IntervalMin = 30,
    service_level: Fraction = 0.8,
    answer_time_s: AnswerTime = 20.0,
    shrinkage: Shrinkage = 0.3,
    patience_s: Annotated[float | None, Query(ge=1, le=3600)] = None,
    max_abandonment: Annotated[float | None, Query(gt=0, lt=1)] = None,
) -> StaffingOut:
    """Erlang C, or Erlang A when ``patience_s`` is given (then ``max_abandonment`` may cap
    abandonment too)."""
    if max_abandonment is not None and patience_s is None:
        raise InvalidField("query.max_abandonment", "needs patience_s (Erlang A)")
    target = StaffingTarget(
        service_level=service_level,
        answer_time_s=answer_time_s,
        shrinkage=shrinkage,
        patience_s=patience_s,
        max_abandonment=max_abandonment,
    )
    interval_s = interval_min * 60.0
    # below the load the Erlang formulas overflow on the way to their limits (SL 0, ASA ∞)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        plan = staff_interval(calls, interval_s, aht_s, target)
        load = offered_load(calls, interval_s, aht_s)
        around = []
        for n in range(max(1, plan.agents - 3), plan.agents + 4):
            asa = float(asa_c(n, load, aht_s))
            around.append(
                StaffingRow(
                    agents=n,
                    service_level=float(service_level_c(n, load, aht_s, answer_time_s)),
                    asa_s=_finite(asa),
                    occupancy=min(1.0, load / n),
                )
            )
    return StaffingOut(
        model="erlang_a" if patience_s is not None else "erlang_c",
        load_erlangs=load,
        agents=plan.agents,
        scheduled_agents=plan.scheduled_agents,
        service_level=plan.service_level,
        asa_s=plan.asa_s,
        occupancy=plan.occupancy,
        abandonment=plan.abandonment,
        around=around,
    )


Money = Annotated[float, Query(ge=0, le=10_000_000)]


@router.get("/cost", response_model=CostOut, summary="Cost per contact against outsourcing")
def cost(
    caller: Supervisor,
    monthly_calls: Annotated[float, Query(ge=1, le=2_000_000)],
    outsourcing_price_per_call: Annotated[float, Query(gt=0, le=100_000)],
    aht_s: Aht = 300.0,
    open_hours_per_day: Annotated[float, Query(ge=1, le=24)] = 9.0,
    days_per_month: Annotated[float, Query(ge=1, le=31)] = 21.0,
    service_level: Fraction = 0.8,
    answer_time_s: AnswerTime = 20.0,
    shrinkage: Shrinkage = 0.3,
    agent_wage_per_hour: Money = 1200.0,
    supervisor_wage_per_hour: Money = 1800.0,
    agents_per_supervisor: Annotated[float, Query(ge=1, le=100)] = 8.0,
    wage_overhead: Annotated[float, Query(ge=0, le=2)] = 0.2,
    seat_per_month: Money = 25000.0,
    telephony_per_minute: Money = 2.0,
    telephony_per_seat_month: Money = 2000.0,
) -> CostOut:
    """Monthly in-house cost (Erlang C staffing over the open hours, shrinkage, supervisors,
    seats, telephony) beside the outsourcer's price; break-even searched from 100 to 2,000,000
    calls a month."""
    op = Operation(
        aht_s=aht_s,
        open_hours_per_day=open_hours_per_day,
        days_per_month=days_per_month,
        target=StaffingTarget(
            service_level=service_level, answer_time_s=answer_time_s, shrinkage=shrinkage
        ),
    )
    costs = InHouseCosts(
        agent_wage_per_hour=agent_wage_per_hour,
        supervisor_wage_per_hour=supervisor_wage_per_hour,
        agents_per_supervisor=agents_per_supervisor,
        wage_overhead=wage_overhead,
        seat_per_month=seat_per_month,
        telephony_per_minute=telephony_per_minute,
        telephony_per_seat_month=telephony_per_seat_month,
    )
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        month = in_house_cost(monthly_calls, op, costs)
        grid = volume_grid(100.0, 2_000_000.0, 60)
        break_even = break_even_volume(outsourcing_price_per_call, op, costs, grid)
    outsourced = monthly_calls * outsourcing_price_per_call
    return CostOut(
        monthly_calls=monthly_calls,
        peak_agents=month.peak_agents,
        supervisors=month.supervisors,
        agent_hours=month.agent_hours,
        wages=month.wages,
        seats=month.seats,
        telephony=month.telephony,
        total=month.total,
        per_contact=_finite(month.per_contact),
        per_agent_hour=_finite(month.per_agent_hour),
        outsourcing_total=outsourced,
        outsourcing_per_contact=outsourcing_price_per_call,
        saving=outsourced - month.total,
        break_even_calls=break_even,
    )
