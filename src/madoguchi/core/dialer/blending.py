"""Call blending (コールブレンディング): which agents the dialer may hold now, team by team.

Each team has a work mode (:class:`~madoguchi.core.config.TeamConfig`):

- **inbound-only**: the dialer never holds its agents (a reservation found is given back);
- **outbound-only**: every idle agent is held for the team's campaign;
- **blended**: inbound comes first. From the recent inbound arrival rate and handle time
  (:class:`~madoguchi.core.dialer.floor.BlendingFloor`) the policy computes, by Erlang C
  (:mod:`madoguchi.core.wfm`), how many agents inbound needs to meet the queue's service level
  (planned with a small margin, plus ``headroom_agents``). Staffed agents beyond that may be
  held by the dialer. When inbound contacts wait, the oldest has waited ``reclaim_wait_s``, or
  the expected service level with the agents left on inbound falls below
  ``reclaim_service_level``, every idle reservation is given back at once; and no new agent is
  reserved while an inbound contact waits.

The routing engine adds its own reflex: an inbound contact that finds no agent takes back an
idle blended reservation (``AgentReleased(reclaimed=True)``). The policy is pure: it reads a
floor and returns routing commands (``ReserveAgent``/``ReleaseAgent``) to send.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from madoguchi.core.config import CenterConfig, ServiceLevelTarget
from madoguchi.core.dialer.floor import BlendingFloor, FloorAgent
from madoguchi.core.model import AgentState, WorkMode
from madoguchi.core.routing import commands as rc
from madoguchi.core.wfm.erlang import erlang_b_recursion

BlendingCommand = rc.ReserveAgent | rc.ReleaseAgent


@dataclass(frozen=True, slots=True)
class BlendingRules:
    """Thresholds of the blended policy."""

    target: ServiceLevelTarget = field(default_factory=ServiceLevelTarget)
    """The inbound service level to keep (80 % within 20 s)."""
    plan_margin: float = 0.05
    """Inbound is staffed for ``target.fraction + plan_margin`` (capped below 1)."""
    headroom_agents: int = 1
    """Agents kept for inbound beyond the Erlang C figure."""
    reclaim_waiting: int = 1
    """Give reservations back when this many inbound contacts wait for an agent."""
    reclaim_wait_s: float = 10.0
    """… or when the oldest has waited this long."""
    reclaim_service_level: float | None = None
    """… or when the expected service level drops below this (default: the target)."""


@dataclass(frozen=True, slots=True)
class TeamBlending:
    """How one team blends: its mode, the campaign it dials for and the queues it answers."""

    team: str
    work_mode: WorkMode
    campaign: str
    queues: tuple[str, ...] = ()
    """Inbound queues whose demand the team answers."""
    agents: frozenset[str] | None = None
    """The team's agents the campaign may hold (None: all of them)."""


@dataclass(frozen=True, slots=True)
class TeamDecision:
    """Why the policy did what it did for one team (for logs and tests)."""

    team: str
    staffed: int
    inbound_needed: int
    outbound_allowed: int
    held_for_outbound: int
    expected_service_level: float
    reclaiming: bool


@dataclass(frozen=True, slots=True)
class BlendingDecision:
    """The commands to send now and the reasoning per team."""

    commands: tuple[BlendingCommand, ...]
    teams: tuple[TeamDecision, ...] = field(default=())


def inbound_agents_needed(
    rate_per_s: float, handle_s: float, service_level: float, answer_time_s: float
) -> int:
    """Fewest agents meeting ``service_level`` within ``answer_time_s`` by Erlang C."""
    load = rate_per_s * handle_s
    if load <= 0:
        return 0
    n = max(1, math.floor(load) + 1)
    while expected_service_level(n, rate_per_s, handle_s, answer_time_s) < service_level:
        n += 1
    return n


def expected_service_level(
    agents: int, rate_per_s: float, handle_s: float, answer_time_s: float
) -> float:
    """Erlang C service level (M/M/n) of ``agents`` for the arrival rate and handle time.

    Asked after every event, so it is a scalar computation (the Erlang B recursion of
    :func:`madoguchi.core.wfm.erlang.erlang_b_recursion`, then ``C = B / (1 − ρ(1 − B))`` and
    ``SL = 1 − C·e^{−(n − A)T/h}``) rather than the vectorised one used for planning.
    """
    load = rate_per_s * handle_s
    if load <= 0:
        return 1.0
    if agents <= load:
        return 0.0
    blocking = erlang_b_recursion(agents, load)
    rho = load / agents
    waiting = blocking / (1.0 - rho * (1.0 - blocking))
    return 1.0 - waiting * math.exp(-(agents - load) * answer_time_s / handle_s)


class BlendingPolicy:
    """Decides reservations team by team; see the module docstring."""

    def __init__(self, teams: Sequence[TeamBlending], rules: BlendingRules | None = None) -> None:
        self.teams = tuple(teams)
        self.rules = rules or BlendingRules()

    @classmethod
    def from_config(
        cls,
        center: CenterConfig,
        campaigns: Mapping[str, str],
        queues: Mapping[str, Iterable[str]],
        rules: BlendingRules | None = None,
    ) -> BlendingPolicy:
        """A policy for every team of ``center`` that has a campaign in ``campaigns``
        (team id → campaign id); ``queues`` gives each team's inbound queues."""
        return cls(
            [
                TeamBlending(t.id, t.work_mode, campaigns[t.id], tuple(queues.get(t.id, ())))
                for t in center.teams
                if t.id in campaigns
            ],
            rules,
        )

    def decide(self, floor: BlendingFloor, now: float) -> BlendingDecision:
        """The reservations to make or give back now."""
        commands: list[BlendingCommand] = []
        decisions: list[TeamDecision] = []
        for team in self.teams:
            decisions.append(self._decide_team(team, floor, now, commands))
        return BlendingDecision(tuple(commands), tuple(decisions))

    def _decide_team(
        self, team: TeamBlending, floor: BlendingFloor, now: float, out: list[BlendingCommand]
    ) -> TeamDecision:
        rules = self.rules
        agents = floor.team_agents(team.team)
        staffed = [a for a in agents if a.staffed]
        held = [a for a in staffed if a.held_for_outbound]
        idle_reserved = [a for a in staffed if a.campaign is not None]
        idle_reserved.sort(key=lambda a: a.since, reverse=True)  # newest reservations first
        available = [
            a
            for a in staffed
            if a.state is AgentState.AVAILABLE
            and a.campaign is None
            and _may_dial(a, team)
            and (team.agents is None or a.id in team.agents)
        ]
        available.sort(key=lambda a: a.since)  # longest idle first
        if team.work_mode is WorkMode.INBOUND:
            out.extend(rc.ReleaseAgent(a.id) for a in idle_reserved)
            return TeamDecision(team.team, len(staffed), len(staffed), 0, len(held), 1.0, False)
        if team.work_mode is WorkMode.OUTBOUND:
            out.extend(rc.ReserveAgent(a.id, team.campaign) for a in available)
            return TeamDecision(
                team.team, len(staffed), 0, len(staffed), len(held) + len(available), 1.0, False
            )
        target = rules.target
        rate = floor.arrival_rate(team.queues, now)
        handle = floor.handle_time(team.queues)
        plan_level = min(0.99, target.fraction + rules.plan_margin)
        needed = inbound_agents_needed(rate, handle, plan_level, target.seconds)
        if needed > 0 or rate > 0:
            needed += rules.headroom_agents
        allowed = max(0, len(staffed) - needed)
        on_inbound = len(staffed) - len(held)
        expected = expected_service_level(on_inbound, rate, handle, target.seconds)
        waiting = floor.waiting(team.queues)
        floor_level = (
            rules.reclaim_service_level
            if rules.reclaim_service_level is not None
            else target.fraction
        )
        reclaiming = (
            waiting >= rules.reclaim_waiting
            or floor.oldest_wait(team.queues, now) >= rules.reclaim_wait_s
            or expected < floor_level
        )
        if reclaiming:
            allowed = min(allowed, len(held) - len(idle_reserved))
        surplus = len(held) - allowed
        if surplus > 0:
            out.extend(rc.ReleaseAgent(a.id) for a in idle_reserved[:surplus])
        elif surplus < 0 and waiting == 0:
            out.extend(rc.ReserveAgent(a.id, team.campaign) for a in available[:-surplus])
        return TeamDecision(
            team.team, len(staffed), needed, allowed, len(held), expected, reclaiming
        )


def _may_dial(agent: FloorAgent, team: TeamBlending) -> bool:
    if agent.work_mode is WorkMode.INBOUND:
        return False
    return team.work_mode is not WorkMode.INBOUND
