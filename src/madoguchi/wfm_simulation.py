"""Checking a WFM staffing plan by simulation (issue 7, part 4).

A plan (``madoguchi wfm schedule --plan-json``: agents per interval from an opening time) is laid
over a simulator scenario — its traffic, callers and agents' skills — and the day is run through
the real routing engine (:func:`madoguchi.sim.run_scenario` with ``staffing_plan``). The
scenario's report intervals become the plan's; the plan's first interval is placed at its
``open`` time (it must fall on the plan's interval grid from the scenario's opening), and
intervals the plan does not cover have no agents.

The planned figures (:mod:`madoguchi.core.wfm.plan_check`) come from the scenario's *expected*
traffic per interval (its profile, volume and weekday factor; redials are not expected) and its
mean handle time (talk plus after-contact work, share-weighted over the contact kinds). With
``model="auto"`` they are Erlang A when every kind's patience is exponential (share-weighted mean
patience), else Erlang C.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from madoguchi.core.wfm.plan_check import (
    CheckedInterval,
    PlannedInterval,
    RealizedInterval,
    planned_intervals,
)
from madoguchi.wfm_io import WfmInputError

if TYPE_CHECKING:
    from madoguchi.core.config import CenterConfig
    from madoguchi.sim.results import SimResult
    from madoguchi.sim.scenario import Scenario

MODELS = ("auto", "erlang-c", "erlang-a")


@dataclass(frozen=True)
class StaffingPlan:
    """Agents per interval from ``open_min`` (minutes after local midnight)."""

    interval_min: int
    open_min: int
    agents: tuple[int, ...]


def _hhmm(text: object) -> int | None:
    if not isinstance(text, str) or len(text) != 5 or text[2] != ":":
        return None
    hours, minutes = text[:2], text[3:]
    if not (hours.isdigit() and minutes.isdigit()) or int(hours) > 23 or int(minutes) > 59:
        return None
    return int(hours) * 60 + int(minutes)


def read_plan_json(path: Path) -> StaffingPlan:
    """The plan written by ``wfm schedule --plan-json``; :class:`WfmInputError` on problems."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise WfmInputError(path, None, f"cannot read: {err.strerror}") from err
    try:
        document = json.loads(text)
    except json.JSONDecodeError as err:
        raise WfmInputError(path, err.lineno, f"not JSON: {err.msg}") from err
    if not isinstance(document, dict):
        raise WfmInputError(path, 1, "expected a JSON object with 'staffing_plan'")
    interval = document.get("interval_min")
    if not isinstance(interval, int) or isinstance(interval, bool) or not 1 <= interval <= 1440:
        raise WfmInputError(path, None, "'interval_min' must be a whole number of minutes")
    open_min = _hhmm(document.get("open", "00:00"))
    if open_min is None:
        raise WfmInputError(path, None, "'open' must be HH:MM")
    agents = document.get("staffing_plan")
    if (
        not isinstance(agents, list)
        or not agents
        or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in agents)
    ):
        raise WfmInputError(path, None, "'staffing_plan' must be a list of agent counts ≥ 0")
    return StaffingPlan(interval, open_min, tuple(agents))


def plan_from_agents(agents: list[int], interval_min: int, open_min: int) -> StaffingPlan:
    """A plan held in memory (what ``wfm schedule --simulate`` checks without a file)."""
    return StaffingPlan(interval_min, open_min, tuple(agents))


def align_plan(scenario: Scenario, plan: StaffingPlan) -> tuple[Scenario, list[int]]:
    """The scenario on the plan's interval grid and the agents for each of its intervals."""
    offset, rest = divmod(plan.open_min - scenario.open_min, plan.interval_min)
    if rest:
        raise ValueError(
            f"the plan's intervals ({plan.interval_min} min from "
            f"{plan.open_min // 60:02d}:{plan.open_min % 60:02d}) do not fall on a grid from the "
            f"scenario's opening ({scenario.open_min // 60:02d}:{scenario.open_min % 60:02d})"
        )
    aligned = replace(scenario, interval_min=plan.interval_min, staffing_plan=None)
    staffing = []
    for i in range(aligned.intervals):
        j = i - offset
        staffing.append(plan.agents[j] if 0 <= j < len(plan.agents) else 0)
    if not any(staffing):
        raise ValueError("the plan has no agents during the scenario's open hours")
    return aligned, staffing


@dataclass(frozen=True)
class ExpectedTraffic:
    """The scenario's expected first-attempt calls and handle time per interval."""

    calls: list[float]
    aht_s: float
    patience_s: float | None
    """Share-weighted mean patience when every kind's patience is exponential."""
    answer_time_s: float
    """Service-level threshold of the queue with the largest share."""


def expected_traffic(scenario: Scenario, center: CenterConfig) -> ExpectedTraffic:
    """Expected calls per report interval, mean handle time, patience and threshold."""
    from madoguchi.sim.distributions import Exponential

    pieces = scenario.profile.rates(scenario.open_min, scenario.close_min, scenario.expected_volume)
    width = scenario.interval_min * 60.0
    span = (scenario.close_min - scenario.open_min) * 60.0
    calls = []
    for i in range(scenario.intervals):
        lo, hi = i * width, min((i + 1) * width, span)
        calls.append(sum(rate * max(0.0, min(b, hi) - max(a, lo)) for a, b, rate in pieces))
    shares = sum(k.share for k in scenario.mix)
    aht = 0.0
    patience: float | None = 0.0
    for kind in scenario.mix:
        queue = center.queue(kind.queue)
        acw = (
            kind.after_contact_work.mean
            if kind.after_contact_work is not None
            else queue.after_contact_work_s
        )
        aht += kind.share / shares * (kind.handle_time.mean + acw)
        if isinstance(kind.patience, Exponential) and patience is not None:
            patience += kind.patience.mean * kind.share / shares
        else:
            patience = None
    main = max(scenario.mix, key=lambda k: k.share)
    threshold = center.queue(main.queue).service_level.seconds
    return ExpectedTraffic(calls, aht, patience, threshold)


def _realized(results: list[SimResult]) -> list[RealizedInterval]:
    out = []
    for parts in zip(*(r.intervals for r in results), strict=True):
        out.append(
            RealizedInterval(
                offered=sum(p.contacts.offered for p in parts),
                answered=sum(p.contacts.answered for p in parts),
                answered_in_target=sum(p.contacts.answered_in_target for p in parts),
                abandoned=sum(p.contacts.abandoned for p in parts),
                wait_answered_s=sum(p.contacts.wait_answered_s for p in parts),
                busy_s=sum(p.agents.busy_s for p in parts),
                available_s=sum(p.agents.available_s for p in parts),
                agents_staffed=sum(p.agents_staffed for p in parts) / len(parts),
            )
        )
    return out


@dataclass(frozen=True)
class PlanCheck:
    """A plan checked by simulation: per interval, and per queue for the whole day."""

    intervals: list[CheckedInterval]
    queues: dict[str, RealizedInterval]
    """Simulated contacts of each queue over the day (summed over runs; no agent time)."""


def _queue_totals(results: list[SimResult]) -> dict[str, RealizedInterval]:
    names = sorted({q for r in results for q in r.queues})
    totals = {}
    for name in names:
        tallies = [r.queues[name] for r in results if name in r.queues]
        totals[name] = RealizedInterval(
            offered=sum(t.offered for t in tallies),
            answered=sum(t.answered for t in tallies),
            answered_in_target=sum(t.answered_in_target for t in tallies),
            abandoned=sum(t.abandoned for t in tallies),
            wait_answered_s=sum(t.wait_answered_s for t in tallies),
        )
    return totals


def check_plan(
    scenario: Scenario,
    center: CenterConfig,
    plan: StaffingPlan,
    *,
    runs: int = 1,
    model: str = "auto",
) -> PlanCheck:
    """Run ``plan`` through ``runs`` simulated days (seeds ``seed``, ``seed+1``…) and set the
    pooled results beside the planned figures, per interval of the plan's grid."""
    from madoguchi.sim import run_scenario

    if runs < 1:
        raise ValueError("runs must be at least 1")
    if model not in MODELS:
        raise ValueError(f"model must be one of {', '.join(MODELS)}")
    aligned, staffing = align_plan(scenario, plan)
    traffic = expected_traffic(aligned, center)
    patience = traffic.patience_s if model != "erlang-c" else None
    if model == "erlang-a" and patience is None:
        raise ValueError("Erlang A needs exponential patience for every contact kind")
    planned: list[PlannedInterval] = planned_intervals(
        staffing,
        traffic.calls,
        [traffic.aht_s] * len(staffing),
        aligned.interval_min * 60.0,
        traffic.answer_time_s,
        patience,
    )
    results = [
        run_scenario(replace(aligned, seed=aligned.seed + k), center, staffing_plan=staffing)
        for k in range(runs)
    ]
    labels = [i.label for i in results[0].intervals]
    intervals = [
        CheckedInterval(label, p, r)
        for label, p, r in zip(labels, planned, _realized(results), strict=True)
    ]
    return PlanCheck(intervals, _queue_totals(results))
