"""Who is signed in when: agents from the scenario's pools, their shifts, breaks, not-ready.

:func:`build_roster` turns pools into agent configurations (generated ones, or the center's
own) and a time-ordered list of :class:`RosterChange` — sign in, start/end a break or a
not-ready spell, sign out. With a staffing plan (agents per interval, as a WFM schedule gives)
the pools' shifts are replaced: at each interval boundary the first *n* agents are signed in.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

import numpy as np

from madoguchi.core.config import AgentConfig, CenterConfig
from madoguchi.sim.scenario import AgentPool, Scenario


class RosterAction(StrEnum):
    """A change in an agent's attendance."""

    LOGIN = "login"
    LOGOUT = "logout"
    NOT_READY = "not_ready"
    """Start a break or a not-ready spell (``reason`` says which)."""
    READY = "ready"


@dataclass(frozen=True, slots=True, order=True)
class RosterChange:
    """At ``at`` seconds after opening, ``agent_id`` does ``action``."""

    at: float
    agent_id: str
    action: RosterAction
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Roster:
    """The simulated agents and their attendance over the day."""

    agents: tuple[AgentConfig, ...]
    pool_of: dict[str, AgentPool]
    changes: tuple[RosterChange, ...]


def build_roster(
    scenario: Scenario, center: CenterConfig, generator: np.random.Generator
) -> Roster:
    """Agents and attendance changes for ``scenario`` (see the module docstring)."""
    tenant = center.tenants[0].id if center.tenants else "default"
    agents: list[AgentConfig] = []
    pool_of: dict[str, AgentPool] = {}
    for pool in scenario.pools:
        if pool.agent_ids:
            configs = [center.agent(a) for a in pool.agent_ids]
        else:
            prefix = pool.prefix if pool.prefix is not None else f"sim-{pool.name}-"
            configs = [
                AgentConfig(
                    id=f"{prefix}{n:04d}",
                    tenant=pool.tenant or tenant,
                    name=f"{pool.name} {n}",
                    skills=pool.skills,
                    capacity=pool.capacity,
                )
                for n in range(1, pool.count + 1)
            ]
        for config in configs:
            agents.append(config)
            pool_of[config.id] = pool
    if scenario.staffing_plan is not None:
        agents = _plan_agents(agents, pool_of, max(scenario.staffing_plan, default=0))
        changes = _plan_changes(scenario, agents)
    else:
        changes = _shift_changes(scenario, agents, pool_of, generator)
    return Roster(tuple(agents), pool_of, tuple(sorted(changes)))


def _shift_changes(
    scenario: Scenario,
    agents: list[AgentConfig],
    pool_of: dict[str, AgentPool],
    generator: np.random.Generator,
) -> list[RosterChange]:
    opening = scenario.open_min
    changes: list[RosterChange] = []
    members: dict[str, int] = {}
    for agent in agents:
        pool = pool_of[agent.id]
        index = members.get(pool.name, 0)
        members[pool.name] = index + 1
        start = (pool.shift_start - opening) * 60.0
        end = (pool.shift_end - opening) * 60.0
        changes.append(RosterChange(start, agent.id, RosterAction.LOGIN))
        changes.append(RosterChange(end, agent.id, RosterAction.LOGOUT))
        for item in pool.breaks:
            offset = (index * item.spread_min / pool.count) if pool.count else 0.0
            begin = (item.start - opening + offset) * 60.0
            if start <= begin < end:
                changes.append(RosterChange(begin, agent.id, RosterAction.NOT_READY, "break"))
                back = min(begin + item.minutes * 60.0, end)
                changes.append(RosterChange(back, agent.id, RosterAction.READY, "break"))
        if pool.not_ready is not None and pool.not_ready.per_hour > 0:
            hours = (end - start) / 3600.0
            count = int(generator.poisson(pool.not_ready.per_hour * hours))
            instants = np.sort(generator.uniform(start, end, count))
            durations = pool.not_ready.duration.sample(generator, count)
            for at, length in zip(instants.tolist(), durations.tolist(), strict=True):
                reason = pool.not_ready.reason
                changes.append(RosterChange(at, agent.id, RosterAction.NOT_READY, reason))
                changes.append(RosterChange(min(at + length, end), agent.id, RosterAction.READY))
    return changes


def _plan_agents(
    agents: list[AgentConfig], pool_of: dict[str, AgentPool], needed: int
) -> list[AgentConfig]:
    """Exactly ``needed`` agents, cycling over the pools' agents and cloning if short."""
    if not agents:
        raise ValueError("a staffing plan needs at least one agent pool to take skills from")
    result: list[AgentConfig] = []
    for n in range(needed):
        model = agents[n % len(agents)]
        agent = model if n < len(agents) else replace(model, id=f"{model.id}-plan{n:04d}")
        pool_of[agent.id] = pool_of[model.id]
        result.append(agent)
    return result


def _plan_changes(scenario: Scenario, agents: list[AgentConfig]) -> list[RosterChange]:
    plan = scenario.staffing_plan or ()
    interval_s = (scenario.staffing_interval_min or scenario.interval_min) * 60.0
    changes: list[RosterChange] = []
    staffed = 0
    for index, wanted in enumerate(plan):
        at = index * interval_s
        for agent in agents[staffed:wanted]:
            changes.append(RosterChange(at, agent.id, RosterAction.LOGIN))
        for agent in agents[wanted:staffed]:
            changes.append(RosterChange(at, agent.id, RosterAction.LOGOUT))
        staffed = wanted
    end = (scenario.close_min - scenario.open_min) * 60.0
    changes.extend(RosterChange(end, a.id, RosterAction.LOGOUT) for a in agents[:staffed])
    return changes
