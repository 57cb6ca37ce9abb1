"""Shift scheduling: cover the agents required per interval at least paid time, as a MILP.

Every shift a pattern allows (each start, each placement of each break) is a column; its
integer variable is how many agents work it. The requirement per interval is a covering
constraint ``Σ covers·x ≥ required``; when ``LabourRules.under_penalty`` is set, a continuous
shortfall per interval is allowed at that price (in paid hours per agent-interval), so a
headcount cap cannot make the problem infeasible. scipy's ``milp`` (HiGHS) solves it.

Labour rules (defaults from 労働基準法: at most 8 working hours a day, a break of at least
45 minutes over 6 hours and 60 minutes over 8 hours) are checked on every pattern.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csc_array

IntArray = npt.NDArray[np.int64]


class ScheduleError(ValueError):
    """A pattern breaks a labour rule, or the problem has no solution."""


@dataclass(frozen=True)
class BreakWindow:
    """A break to place inside a shift."""

    length_slots: int
    """Length, in intervals."""
    earliest_slot: int
    """Earliest start, intervals after the shift starts."""
    latest_slot: int
    """Latest start, intervals after the shift starts."""
    paid: bool = False
    """Whether the break is paid working time (a short rest) or not (lunch)."""


@dataclass(frozen=True)
class ShiftPattern:
    """A kind of shift: where it may start, how long it is, its breaks."""

    name: str
    """Label shown in the plan, e.g. ``"8h"`` or ``"part-time AM"``."""
    start_slots: tuple[int, ...]
    """Intervals (from the start of the horizon) at which it may start."""
    length_slots: int
    """Length from start to end, breaks included, in intervals."""
    breaks: tuple[BreakWindow, ...] = ()
    """Breaks, in any order; placements where they overlap or touch are skipped."""
    max_agents: int | None = None
    """At most this many agents on this pattern (e.g. part-timers available)."""


@dataclass(frozen=True)
class LabourRules:
    """Limits every schedule must respect."""

    max_working_hours: float = 8.0
    """Longest working time (paid, breaks excluded) per shift."""
    break_over_6h_min: float = 45.0
    """Least total break when working more than 6 hours."""
    break_over_8h_min: float = 60.0
    """Least total break when working more than 8 hours."""
    max_headcount: int | None = None
    """At most this many agents in the day."""
    under_penalty: float | None = None
    """If set, allow understaffing at this cost (paid hours per missing agent-interval)."""


@dataclass(frozen=True)
class ShiftAssignment:
    """Agents who work one particular shift."""

    pattern: str
    """Pattern name."""
    start_slot: int
    """First interval of the shift."""
    end_slot: int
    """Interval after the last one of the shift."""
    break_slots: tuple[tuple[int, int], ...]
    """Each break as (first interval, interval after its end)."""
    agents: int
    """How many agents work it."""
    paid_hours: float
    """Paid hours per agent."""


@dataclass(frozen=True)
class ShiftPlan:
    """The solved schedule and its fit to the requirement."""

    interval_s: int
    """Interval length, seconds."""
    required: IntArray
    """Agents required per interval."""
    scheduled: IntArray
    """Agents working (not on a break) per interval."""
    shifts: tuple[ShiftAssignment, ...]
    """Shifts with at least one agent."""
    paid_hours: float
    """Total paid hours."""
    headcount: int
    """Agents scheduled."""

    @property
    def over(self) -> IntArray:
        """Agents beyond the requirement per interval."""
        return np.asarray(np.maximum(self.scheduled - self.required, 0), dtype=np.int64)

    @property
    def under(self) -> IntArray:
        """Agents missing per interval."""
        return np.asarray(np.maximum(self.required - self.scheduled, 0), dtype=np.int64)


def check_pattern(pattern: ShiftPattern, rules: LabourRules, interval_s: int) -> None:
    """Raise :class:`ScheduleError` if the pattern cannot be worked under the rules."""
    hours = interval_s / 3600.0
    if pattern.length_slots <= 0 or not pattern.start_slots:
        raise ScheduleError(f"pattern {pattern.name!r}: needs a length and at least one start")
    total_break = sum(b.length_slots for b in pattern.breaks) * hours
    unpaid = sum(b.length_slots for b in pattern.breaks if not b.paid) * hours
    working = pattern.length_slots * hours - unpaid
    if working > rules.max_working_hours + 1e-9:
        raise ScheduleError(
            f"pattern {pattern.name!r}: {working:g} working hours "
            f"exceed {rules.max_working_hours:g}"
        )
    for limit_h, need_min in ((6.0, rules.break_over_6h_min), (8.0, rules.break_over_8h_min)):
        if working > limit_h + 1e-9 and total_break * 60.0 < need_min - 1e-9:
            raise ScheduleError(
                f"pattern {pattern.name!r}: works {working:g} h with {total_break * 60:g} min "
                f"of breaks; more than {limit_h:g} h needs {need_min:g} min"
            )
    for b in pattern.breaks:
        if b.length_slots <= 0 or b.earliest_slot < 0 or b.latest_slot < b.earliest_slot:
            raise ScheduleError(f"pattern {pattern.name!r}: a break window is empty")
        if b.latest_slot + b.length_slots > pattern.length_slots:
            raise ScheduleError(f"pattern {pattern.name!r}: a break can end after the shift")


def _break_placements(pattern: ShiftPattern) -> Iterator[tuple[tuple[int, int], ...]]:
    ranges = [range(b.earliest_slot, b.latest_slot + 1) for b in pattern.breaks]
    for starts in itertools.product(*ranges):
        spans = tuple(
            sorted((s, s + b.length_slots) for s, b in zip(starts, pattern.breaks, strict=True))
        )
        # breaks may not overlap or touch (two touching breaks are one long break)
        if all(spans[i][1] < spans[i + 1][0] for i in range(len(spans) - 1)):
            yield spans


def _candidate_shifts(
    patterns: Sequence[ShiftPattern], horizon: int, interval_s: int
) -> list[tuple[int, ShiftAssignment, IntArray]]:
    hours = interval_s / 3600.0
    out = []
    for index, pattern in enumerate(patterns):
        unpaid = sum(b.length_slots for b in pattern.breaks if not b.paid)
        paid = (pattern.length_slots - unpaid) * hours
        for start in pattern.start_slots:
            end = start + pattern.length_slots
            if start < 0 or end > horizon:
                continue
            for spans in _break_placements(pattern):
                rows = [
                    s for s in range(start, end) if not any(a <= s - start < b for a, b in spans)
                ]
                absolute = tuple((start + a, start + b) for a, b in spans)
                shift = ShiftAssignment(pattern.name, start, end, absolute, 0, paid)
                out.append((index, shift, np.asarray(rows, dtype=np.int64)))
    return out


def plan_shifts(
    required: Sequence[int] | IntArray,
    interval_s: int,
    patterns: Sequence[ShiftPattern],
    rules: LabourRules | None = None,
    time_limit_s: float = 30.0,
) -> ShiftPlan:
    """The schedule of least paid hours that covers ``required`` (agents per interval)."""
    rules = rules or LabourRules()
    req = np.asarray(required, dtype=np.int64)
    if req.ndim != 1 or np.any(req < 0):
        raise ScheduleError("required must be a sequence of non-negative agent counts")
    for pattern in patterns:
        check_pattern(pattern, rules, interval_s)
    candidates = _candidate_shifts(patterns, req.size, interval_s)
    if not candidates:
        raise ScheduleError("no shift of any pattern fits inside the horizon")
    n_x = len(candidates)
    n_u = req.size if rules.under_penalty is not None else 0
    rows, cols = [], []
    for c, (_, _, covered) in enumerate(candidates):
        rows.extend(covered.tolist())
        cols.extend([c] * covered.size)
    for i in range(n_u):
        rows.append(i)
        cols.append(n_x + i)
    cover = csc_array((np.ones(len(rows)), (rows, cols)), shape=(req.size, n_x + n_u))
    constraints = [LinearConstraint(cover, lb=req.astype(np.float64), ub=np.inf)]
    if rules.max_headcount is not None:
        ones = np.concatenate([np.ones(n_x), np.zeros(n_u)])
        constraints.append(LinearConstraint(ones[None, :], lb=0, ub=rules.max_headcount))
    for p_index, pattern in enumerate(patterns):
        if pattern.max_agents is not None:
            mask = np.array([float(i == p_index) for i, _, _ in candidates] + [0.0] * n_u)
            constraints.append(LinearConstraint(mask[None, :], lb=0, ub=pattern.max_agents))
    penalty = rules.under_penalty if rules.under_penalty is not None else 0.0
    cost = np.concatenate([[s.paid_hours for _, s, _ in candidates], np.full(n_u, penalty)])
    integrality = np.concatenate([np.ones(n_x), np.zeros(n_u)])
    result = milp(
        cost,
        constraints=constraints,
        integrality=integrality,
        bounds=Bounds(0, np.inf),
        options={"time_limit": time_limit_s},
    )
    if result.x is None:
        raise ScheduleError(f"no schedule meets the requirement: {result.message}")
    counts = np.rint(result.x[:n_x]).astype(np.int64)
    scheduled = np.zeros(req.size, dtype=np.int64)
    shifts = []
    for (_, shift, covered), count in zip(candidates, counts, strict=True):
        if count > 0:
            scheduled[covered] += count
            shifts.append(
                ShiftAssignment(
                    shift.pattern,
                    shift.start_slot,
                    shift.end_slot,
                    shift.break_slots,
                    int(count),
                    shift.paid_hours,
                )
            )
    shifts.sort(key=lambda s: (s.start_slot, s.pattern, s.break_slots))
    return ShiftPlan(
        interval_s=interval_s,
        required=req,
        scheduled=scheduled,
        shifts=tuple(shifts),
        paid_hours=float(sum(s.paid_hours * s.agents for s in shifts)),
        headcount=int(counts.sum()),
    )


def agents_per_interval(plan: ShiftPlan, horizon_start: float) -> list[tuple[float, int]]:
    """The plan as (interval start in epoch seconds, agents working) — a simulator's input."""
    return [(horizon_start + i * plan.interval_s, int(n)) for i, n in enumerate(plan.scheduled)]


def slots_for_hours(hours: float, interval_s: int) -> int:
    """Whole intervals in ``hours`` (must divide evenly)."""
    slots = hours * 3600.0 / interval_s
    if not math.isclose(slots, round(slots)):
        raise ScheduleError(
            f"{hours:g} h is not a whole number of {interval_s // 60}-min intervals"
        )
    return round(slots)
