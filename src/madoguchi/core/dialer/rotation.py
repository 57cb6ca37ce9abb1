"""Rotation (ローテーション): nobody stays too long on one stressful queue.

A team's ``max_continuous_queue_s`` (:class:`~madoguchi.core.config.TeamConfig`) bounds the time
an agent works one queue without a change. :class:`QueueRotation` folds routing events: a run
on a queue starts with the agent's first contact connected from it and continues while every
following contact comes from the same queue; a contact from another queue, a logout, or a
not-ready spell of at least ``break_resets_s`` ends the run.

:meth:`QueueRotation.due` returns the moves to make, as routing commands:

- an agent whose team may dial (blended or outbound) is moved to the other kind of work for
  ``rest_s`` — ``SetWorkMode(outbound)`` off an inbound queue, ``SetWorkMode(inbound)`` off a
  campaign — and given their own work mode back afterwards;
- an agent of an inbound-only team has no other work to move to: they get a short not-ready
  spell (``SetAgentState(NOT_READY, "rotation")`` for ``pause_s``) after their current contact.

Pure: fed events, asked with ``now``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from madoguchi.core.config import AgentConfig, TeamConfig
from madoguchi.core.events import Event
from madoguchi.core.model import AgentState, Direction, WorkMode
from madoguchi.core.routing import commands as rc
from madoguchi.core.routing import events as re

RotationCommand = rc.SetWorkMode | rc.SetAgentState

ROTATION_REASON = "rotation"


@dataclass(frozen=True, slots=True)
class RotationMove:
    """One move: the command, and why."""

    agent_id: str
    command: RotationCommand
    queue: str
    """The queue the agent has worked too long (or is coming back from)."""
    continuous_s: float
    """How long the run on ``queue`` lasted."""
    returning: bool = False
    """True for the move back to the agent's own work mode after the rest."""


@dataclass(slots=True)
class _Run:
    queue: str
    started: float
    work_mode: WorkMode
    outbound: bool
    resting_until: float | None = None
    rested_queue: str = ""
    paused: bool = False


class QueueRotation:
    """Tracks continuous time on a queue per agent; see the module docstring."""

    def __init__(
        self,
        teams: Iterable[TeamConfig],
        agents: Iterable[AgentConfig],
        *,
        rest_s: float = 1800.0,
        pause_s: float = 300.0,
        break_resets_s: float = 600.0,
    ) -> None:
        team_by_id = {t.id: t for t in teams}
        self._team: dict[str, TeamConfig] = {
            a.id: team_by_id[a.team] for a in agents if a.team in team_by_id
        }
        self._mode: dict[str, WorkMode] = {a.id: a.work_mode for a in agents}
        self.rest_s = rest_s
        self.pause_s = pause_s
        self.break_resets_s = break_resets_s
        self._runs: dict[str, _Run] = {}
        self._direction: dict[str, tuple[Direction, str]] = {}
        self._away_since: dict[str, float] = {}

    def apply(self, event: Event) -> None:
        """Fold one routing event (others are ignored)."""
        if isinstance(event, re.ContactQueued):
            self._direction[event.contact_id] = (event.direction, event.queue_id)
        elif isinstance(event, re.ContactConnected):
            self._connected(event)
        elif isinstance(event, re.ContactEnded):
            self._direction.pop(event.contact_id, None)
        elif isinstance(event, re.AgentWorkModeChanged):
            run = self._runs.get(event.agent_id)
            if run is None or run.resting_until is None:
                self._mode[event.agent_id] = event.work_mode
        elif isinstance(event, re.AgentStateChanged):
            self._state_changed(event)

    def _connected(self, event: re.ContactConnected) -> None:
        direction, queue = self._direction.get(
            event.contact_id, (Direction.INBOUND, event.queue_id)
        )
        queue = event.queue_id or queue
        outbound = direction is Direction.OUTBOUND
        run = self._runs.get(event.agent_id)
        if run is not None and run.queue == queue:
            return
        if run is not None and run.resting_until is not None:
            run.queue, run.started, run.outbound = queue, event.at, outbound
            return
        self._runs[event.agent_id] = _Run(
            queue, event.at, self._mode.get(event.agent_id, WorkMode.INBOUND), outbound
        )

    def _state_changed(self, event: re.AgentStateChanged) -> None:
        agent = event.agent_id
        if event.state is AgentState.LOGGED_OUT:
            self._runs.pop(agent, None)
            self._away_since.pop(agent, None)
        elif event.state is AgentState.NOT_READY:
            self._away_since.setdefault(agent, event.at)
        else:
            since = self._away_since.pop(agent, None)
            run = self._runs.get(agent)
            if since is not None and run is not None and event.at - since >= self.break_resets_s:
                if run.resting_until is None:
                    del self._runs[agent]
                else:
                    run.started = event.at

    def due(self, now: float) -> list[RotationMove]:
        """The moves to make now (each returned once)."""
        moves: list[RotationMove] = []
        for agent, run in list(self._runs.items()):
            team = self._team.get(agent)
            limit = team.max_continuous_queue_s if team is not None else None
            if run.resting_until is not None:
                if now >= run.resting_until:
                    moves.append(self._come_back(agent, run, now))
                continue
            if limit is None or now - run.started < limit:
                continue
            assert team is not None
            moves.append(self._move(agent, run, team, now))
        return moves

    def _move(self, agent: str, run: _Run, team: TeamConfig, now: float) -> RotationMove:
        span = now - run.started
        if team.work_mode is WorkMode.INBOUND or run.work_mode is WorkMode.INBOUND:
            run.resting_until = now + self.pause_s
            run.rested_queue = run.queue
            run.paused = True
            command: RotationCommand = rc.SetAgentState(
                agent, AgentState.NOT_READY, ROTATION_REASON
            )
        else:
            other = WorkMode.INBOUND if run.outbound else WorkMode.OUTBOUND
            run.resting_until = now + self.rest_s
            run.rested_queue = run.queue
            command = rc.SetWorkMode(agent, other)
        return RotationMove(agent, command, run.queue, span)

    def _come_back(self, agent: str, run: _Run, now: float) -> RotationMove:
        queue = run.rested_queue
        span = now - run.started
        command: RotationCommand = (
            rc.SetAgentState(agent, AgentState.AVAILABLE)
            if run.paused
            else rc.SetWorkMode(agent, run.work_mode)
        )
        del self._runs[agent]
        return RotationMove(agent, command, queue, span, returning=True)
