"""Live agents as routing sees them, and the index of agents ready for an offer.

An agent is *ready* when routing may offer it a contact now: AVAILABLE, or ON_CONTACT with spare
chat/email capacity, no offer ringing, no pending NOT_READY and no voice contact. Ready agents
sit in insertion-ordered dicts (per skill, and one for all) in the order they became ready;
since time only moves forward, the first entry is the longest idle. Two families of dicts exist:
agents that take inbound work (inbound, blended) and agents that take outbound work (outbound,
blended).
"""

from __future__ import annotations

from collections import OrderedDict
from itertools import combinations

from madoguchi.core.config import AgentConfig
from madoguchi.core.model import EXCLUSIVE_CHANNELS, Channel, WorkMode
from madoguchi.core.routing._members import (
    AgentStates,
    WorkModes,
)


class LiveAgent:
    """One agent's live routing state."""

    __slots__ = (
        "active",
        "acw_queue",
        "campaign",
        "capacity",
        "config",
        "counts",
        "exclusive",
        "id",
        "levels",
        "mask",
        "offer",
        "order",
        "pending_reason",
        "ready",
        "reason",
        "skill_names",
        "state",
        "state_since",
        "subsets",
        "subsets_len",
        "total_capacity",
        "work_mode",
        "wrapups",
    )

    def __init__(self, config: AgentConfig, order: int, mask: int) -> None:
        self.id = config.id
        self.config = config
        self.order = order
        """Position in the configuration (round robin order)."""
        self.levels: dict[str, int] = dict(config.skills)
        self.skill_names: tuple[str, ...] = tuple(sorted(self.levels))
        self.mask = mask
        self.capacity: dict[Channel, int] = {
            ch: (1 if ch in EXCLUSIVE_CHANNELS else n) for ch, n in config.capacity if n > 0
        }
        self.total_capacity = sum(self.capacity.values()) or 1
        self.state = AgentStates.LOGGED_OUT
        self.reason: str | None = None
        self.state_since = 0.0
        self.work_mode: WorkMode = config.work_mode
        self.offer: str | None = None
        """Contact id ringing at this agent."""
        self.active: dict[str, Channel] = {}
        """Connected contacts."""
        self.counts: dict[Channel, int] = {}
        self.exclusive = False
        """On a voice (exclusive) contact."""
        self.wrapups: dict[str, tuple[str, float, float, float]] = {}
        """Ended contacts awaiting wrap-up: id → (queue id, ended at, connected s, hold s)."""
        self.pending_reason: str | None = None
        self.campaign: str | None = None
        """Dialer campaign holding this agent (state RESERVED)."""
        self.acw_queue = ""
        self.ready = False
        self.subsets: tuple[int, ...] = ()
        self.subsets_len = -1

    def set_skills(self, skills: tuple[tuple[str, int], ...], mask: int) -> None:
        """Replace the agent's skills (take it out of :class:`ReadyAgents` first)."""
        self.levels = dict(skills)
        self.skill_names = tuple(sorted(self.levels))
        self.mask = mask
        self.subsets = ()
        self.subsets_len = -1

    def has_capacity_for(self, channel: Channel) -> bool:
        """Whether one more contact on ``channel`` fits (voice needs the agent free)."""
        if self.exclusive:
            return False
        if channel in EXCLUSIVE_CHANNELS:
            return not self.active and channel in self.capacity
        return self.counts.get(channel, 0) < self.capacity.get(channel, 0)

    def mask_subsets(self, max_len: int) -> tuple[int, ...]:
        """Every sub-mask of the agent's skill mask with 0..max_len skills (cached).

        These are the skill masks of the waiting groups the agent could serve, so routing looks
        them up directly instead of walking every group.
        """
        if self.subsets_len != max_len:
            mask = self.mask
            bits = [1 << i for i in range(mask.bit_length()) if mask >> i & 1]
            found: list[int] = []
            for size in range(min(max_len, len(bits)) + 1):
                found.extend(sum(chosen) for chosen in combinations(bits, size))
            self.subsets = tuple(found)
            self.subsets_len = max_len
        return self.subsets

    def is_ready(self) -> bool:
        """Whether routing may offer this agent a contact now."""
        state = self.state
        if state is AgentStates.AVAILABLE:
            return True
        if state is not AgentStates.ON_CONTACT:
            return False
        if self.offer is not None or self.pending_reason is not None or self.exclusive:
            return False
        return any(
            self.counts.get(ch, 0) < n
            for ch, n in self.capacity.items()
            if ch not in EXCLUSIVE_CHANNELS
        )


class ReadyAgents:
    """Agents ready for an offer, per work family, per skill, in the order they became ready."""

    __slots__ = ("inbound_all", "inbound_by_skill", "outbound_all", "outbound_by_skill")

    def __init__(self) -> None:
        # OrderedDict, not dict: agents leave from the front all day, and a plain dict's
        # iteration would step over every deleted slot until it is next resized.
        self.inbound_all: dict[str, LiveAgent] = OrderedDict()
        self.inbound_by_skill: dict[str, dict[str, LiveAgent]] = {}
        self.outbound_all: dict[str, LiveAgent] = OrderedDict()
        self.outbound_by_skill: dict[str, dict[str, LiveAgent]] = {}

    def refresh(self, agent: LiveAgent) -> None:
        """Put the agent in or out of the index after its state or load changed."""
        state = agent.state
        if state is AgentStates.AVAILABLE:
            ready = True
        elif state is AgentStates.ON_CONTACT:
            ready = agent.is_ready()
        else:
            ready = False
        if ready == agent.ready:
            return
        agent.ready = ready
        mode = agent.work_mode
        inbound = mode is not WorkModes.OUTBOUND
        outbound = mode is not WorkModes.INBOUND
        if ready:
            if inbound:
                self._add(agent, self.inbound_all, self.inbound_by_skill)
            if outbound:
                self._add(agent, self.outbound_all, self.outbound_by_skill)
        else:
            self._remove(agent, self.inbound_all, self.inbound_by_skill)
            self._remove(agent, self.outbound_all, self.outbound_by_skill)

    def drop(self, agent: LiveAgent) -> None:
        """Take the agent out (before a work-mode change); :meth:`refresh` puts it back."""
        if agent.ready:
            agent.ready = False
            self._remove(agent, self.inbound_all, self.inbound_by_skill)
            self._remove(agent, self.outbound_all, self.outbound_by_skill)

    @staticmethod
    def _add(
        agent: LiveAgent, every: dict[str, LiveAgent], by_skill: dict[str, dict[str, LiveAgent]]
    ) -> None:
        every[agent.id] = agent
        for skill in agent.skill_names:
            group = by_skill.get(skill)
            if group is None:
                group = by_skill[skill] = OrderedDict()
            group[agent.id] = agent

    @staticmethod
    def _remove(
        agent: LiveAgent, every: dict[str, LiveAgent], by_skill: dict[str, dict[str, LiveAgent]]
    ) -> None:
        if every.pop(agent.id, None) is None:
            return
        for skill in agent.skill_names:
            group = by_skill.get(skill)
            if group is not None:
                group.pop(agent.id, None)
