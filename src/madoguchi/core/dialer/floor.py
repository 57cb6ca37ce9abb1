"""The blending view of the floor: what each agent is doing and how much inbound work there is.

:class:`BlendingFloor` folds routing events (:mod:`madoguchi.core.routing.events`) into the few
facts the blending policy needs: each agent's state, work mode, dialer reservation and whether
their current contact is outbound; the inbound contacts waiting per queue; and, per queue, the
recent inbound arrival rate (a sliding window) and a moving average of handle time. Pure: fed
events, asked with ``now``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

from madoguchi.core.config import AgentConfig
from madoguchi.core.events import Event
from madoguchi.core.model import AgentState, Direction, WorkMode
from madoguchi.core.routing import events as re

#: Weight of the newest handle time in the moving average.
HANDLE_SMOOTHING = 0.05


@dataclass(slots=True)
class FloorAgent:
    """One agent as blending sees them."""

    id: str
    team: str | None
    work_mode: WorkMode
    state: AgentState = AgentState.LOGGED_OUT
    since: float = 0.0
    """When the agent entered ``state``."""
    campaign: str | None = None
    """The campaign holding the agent (a dialer reservation), if any."""
    outbound_contact: bool = False
    """On an outbound contact or in its after-contact work."""

    @property
    def staffed(self) -> bool:
        """Logged in and not on a break (not-ready)."""
        return self.state not in (AgentState.LOGGED_OUT, AgentState.NOT_READY)

    @property
    def held_for_outbound(self) -> bool:
        """Reserved by the dialer or busy with outbound work."""
        return self.campaign is not None or (self.outbound_contact and self.staffed)


class BlendingFloor:
    """Agents and inbound demand folded from routing events (see the module docstring)."""

    def __init__(
        self,
        agents: Iterable[AgentConfig],
        *,
        window_s: float = 900.0,
        default_handle_s: float = 240.0,
    ) -> None:
        self.agents: dict[str, FloorAgent] = {
            a.id: FloorAgent(a.id, a.team, a.work_mode) for a in agents
        }
        self.window_s = window_s
        self.default_handle_s = default_handle_s
        self._direction: dict[str, Direction] = {}
        self._waiting: dict[str, tuple[str, float]] = {}
        """inbound contact id -> (queue, waiting since), while queued and not offered"""
        self._offered: dict[str, tuple[str, float]] = {}
        self._arrivals: dict[str, deque[float]] = {}
        self._handle: dict[str, float] = {}
        self._acw: dict[str, float] = {}
        self._contact_queue: dict[str, str] = {}

    def seed_agent(
        self,
        agent_id: str,
        state: AgentState,
        since: float,
        work_mode: WorkMode,
        campaign: str | None = None,
    ) -> None:
        """Set an agent as found in a running engine (a floor started after the agents
        logged in); later events fold on top."""
        agent = self.agents.get(agent_id)
        if agent is None:
            return
        agent.state = state
        agent.since = since
        agent.work_mode = work_mode
        agent.campaign = campaign

    # -- folding ---------------------------------------------------------------------------

    def apply(self, event: Event) -> None:
        """Fold one routing event (others are ignored)."""
        if isinstance(event, re.AgentStateChanged):
            agent = self.agents.get(event.agent_id)
            if agent is not None:
                agent.state = event.state
                agent.since = event.at
                if event.state in (AgentState.AVAILABLE, AgentState.LOGGED_OUT):
                    agent.outbound_contact = False
                if event.state is AgentState.LOGGED_OUT:
                    agent.campaign = None
        elif isinstance(event, re.AgentWorkModeChanged):
            if event.agent_id in self.agents:
                self.agents[event.agent_id].work_mode = event.work_mode
        elif isinstance(event, re.AgentReserved):
            if event.agent_id in self.agents:
                self.agents[event.agent_id].campaign = event.campaign_id
        elif isinstance(event, re.AgentReleased):
            if event.agent_id in self.agents:
                self.agents[event.agent_id].campaign = None
        elif isinstance(event, re.ContactQueued):
            self._queued(event)
        elif isinstance(event, re.ContactOffered):
            waiting = self._waiting.pop(event.contact_id, None)
            if waiting is not None:
                self._offered[event.contact_id] = waiting
        elif isinstance(event, re.ContactOfferTimedOut | re.ContactOfferRejected):
            back = self._offered.pop(event.contact_id, None)
            if back is not None:
                self._waiting[event.contact_id] = back
        elif isinstance(event, re.ContactConnected):
            self._connected(event)
        elif isinstance(event, re.ContactAbandoned | re.ContactOverflowed):
            self._waiting.pop(event.contact_id, None)
            self._offered.pop(event.contact_id, None)
        elif isinstance(event, re.ContactEnded):
            self._ended(event)
        elif isinstance(event, re.ContactWrappedUp):
            queue = event.queue_id
            previous = self._acw.get(queue)
            self._acw[queue] = (
                event.acw_s
                if previous is None
                else previous + HANDLE_SMOOTHING * (event.acw_s - previous)
            )

    def _queued(self, event: re.ContactQueued) -> None:
        self._direction[event.contact_id] = event.direction
        self._contact_queue[event.contact_id] = event.queue_id
        if event.direction is Direction.OUTBOUND or event.via is re.QueueEntry.DIRECT:
            return
        self._waiting[event.contact_id] = (event.queue_id, event.wait_started_at)
        if event.via is re.QueueEntry.NEW:
            self._arrivals.setdefault(event.queue_id, deque()).append(event.at)

    def _connected(self, event: re.ContactConnected) -> None:
        self._waiting.pop(event.contact_id, None)
        self._offered.pop(event.contact_id, None)
        agent = self.agents.get(event.agent_id)
        if agent is not None:
            outbound = self._direction.get(event.contact_id) is Direction.OUTBOUND
            agent.outbound_contact = outbound
            agent.campaign = None  # a connect ends the dialer's reservation

    def _ended(self, event: re.ContactEnded) -> None:
        self._waiting.pop(event.contact_id, None)
        self._offered.pop(event.contact_id, None)
        direction = self._direction.pop(event.contact_id, None)
        queue = self._contact_queue.pop(event.contact_id, event.queue_id)
        if direction is Direction.INBOUND and event.agent_id is not None:
            handle = event.talk_s + event.hold_s
            previous = self._handle.get(queue)
            self._handle[queue] = (
                handle if previous is None else previous + HANDLE_SMOOTHING * (handle - previous)
            )

    # -- questions -------------------------------------------------------------------------

    def waiting(self, queues: Iterable[str]) -> int:
        """Inbound contacts of ``queues`` waiting for an agent (not yet ringing anyone)."""
        wanted = set(queues)
        return sum(1 for queue, _ in self._waiting.values() if queue in wanted)

    def oldest_wait(self, queues: Iterable[str], now: float) -> float:
        """Seconds the longest-waiting inbound contact of ``queues`` has waited (0: none)."""
        wanted = set(queues)
        starts = [since for queue, since in self._waiting.values() if queue in wanted]
        return now - min(starts) if starts else 0.0

    def arrival_rate(self, queues: Iterable[str], now: float) -> float:
        """New inbound contacts per second over the last ``window_s``."""
        total = 0
        for queue in queues:
            times = self._arrivals.get(queue)
            if times is None:
                continue
            while times and times[0] < now - self.window_s:
                times.popleft()
            total += len(times)
        return total / self.window_s

    def handle_time(self, queues: Iterable[str]) -> float:
        """Moving average of talk + hold + after-contact work of inbound contacts (seconds)."""
        known = [q for q in queues if q in self._handle]
        if not known:
            return self.default_handle_s
        talk = sum(self._handle[q] for q in known) / len(known)
        acw = sum(self._acw.get(q, 0.0) for q in known) / len(known)
        return talk + acw

    def team_agents(self, team: str) -> list[FloorAgent]:
        """The agents of ``team``."""
        return [a for a in self.agents.values() if a.team == team]
