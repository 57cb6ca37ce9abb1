"""Workforce management (WFM): Erlang staffing, forecasting, shift scheduling, cost per contact.

Pure computation (numpy, scipy): no I/O and no clock. Modules:

- :mod:`.erlang` — Erlang B and C, service level, ASA.
- :mod:`.erlang_a` — Erlang A (M/M/n+M, callers who hang up).
- :mod:`.staffing` — agents per interval for service-level, ASA, abandonment and occupancy targets.
- :mod:`.forecast_history`, :mod:`.day_calendar`, :mod:`.forecast` — volume and AHT forecast.
- :mod:`.schedule` — shift scheduling as a MILP.
- :mod:`.cost`, :mod:`.cost_chart` — cost per contact and break-even against outsourcing.
- :mod:`.two_skill` — approximate staffing of two skills with cross-trained agents, and its
  correction by an evaluator (a simulator, outside the core).
- :mod:`.plan_check` — a plan's planned figures beside simulated ones, per interval.
"""

from madoguchi.core.wfm.erlang import asa_c, erlang_b, erlang_c, offered_load, service_level_c
from madoguchi.core.wfm.erlang_a import ErlangAMetrics, erlang_a_metrics
from madoguchi.core.wfm.staffing import (
    IntervalStaffing,
    StaffingTarget,
    staff_interval,
    staff_intervals,
)

__all__ = [
    "ErlangAMetrics",
    "IntervalStaffing",
    "StaffingTarget",
    "asa_c",
    "erlang_a_metrics",
    "erlang_b",
    "erlang_c",
    "offered_load",
    "service_level_c",
    "staff_interval",
    "staff_intervals",
]
