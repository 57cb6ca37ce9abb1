"""The simulator: a virtual day in the center, run through the real core.

Public API::

    from madoguchi.sim import load_scenario_file, run_scenario
    scenario, center = load_scenario_file(Path("day.yaml"))
    result = run_scenario(scenario, center)                    # SimResult
    result = run_scenario(scenario, center, staffing_plan=[12, 14, 15, ...])  # check a WFM plan

Modules: :mod:`.scenario` (the data), :mod:`.scenario_loader` (YAML with ``FILE:LINE:``
errors), :mod:`.files` (a scenario with its center and flows), :mod:`.profile` and
:mod:`.arrivals` (non-homogeneous Poisson traffic), :mod:`.distributions`, :mod:`.behaviour`
(simulated callers and agents) and :class:`.arrivals.LiveArrivals` (Poisson calls at a rate),
both reusable by a live demo driver, :mod:`.flow_callers` (callers in a contact flow, by the
real flow interpreter), :mod:`.staffing` (shifts, breaks, not-ready, staffing plans),
:mod:`.driver` (the virtual clock and the engine), :mod:`.results` and :mod:`.report` (tables,
CSV, JSON, HTML), :mod:`.reference` (an independent SimPy model for the benchmark).
``outbound_day`` is the dialer's own simulated outbound day.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from madoguchi.sim.arrivals import LiveArrivals
from madoguchi.sim.behaviour import AgentBehaviour, CallerBehaviour
from madoguchi.sim.files import load_scenario_file
from madoguchi.sim.results import SimResult
from madoguchi.sim.scenario import Scenario
from madoguchi.sim.scenario_loader import ScenarioError, parse_scenario

if TYPE_CHECKING:
    from madoguchi.sim.driver import Simulation, run_scenario

__all__ = [
    "AgentBehaviour",
    "CallerBehaviour",
    "LiveArrivals",
    "Scenario",
    "ScenarioError",
    "SimResult",
    "Simulation",
    "load_scenario_file",
    "parse_scenario",
    "run_scenario",
]


def __getattr__(name: str) -> Any:
    # the driver imports the routing engine: load it only when asked for
    if name in ("Simulation", "run_scenario"):
        from madoguchi.sim import driver

        return getattr(driver, name)
    raise AttributeError(name)
