"""Live agents as routing sees them, and the index of agents ready for an offer.

An agent is *ready* when routing may offer it a contact now: AVAILABLE, or ON_CONTACT with spare
chat/email capacity, no offer ringing, no pending NOT_READY and no voice contact. Ready agents
sit in insertion-ordered dicts (per skill, and one for all) in the order they became ready;
since time only moves forward, the first entry is the longest idle. Two families of dicts exist:
agents that take inbound work (inbound, blended) and agents that take outbound work (outbound,
blended).
"""

from __future__ import annotations

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
        "index_dicts",
        "levels",
        "listed_in",
        "mask",
        "member_of",
        "offer",
        "order",
        "pending_reason",
        "ready",
        "reason",
        "shared",
        "skill_names",
        "staffed",
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
        self.shared: tuple[tuple[Channel, int], ...] = tuple(
            (ch, n) for ch, n in self.capacity.items() if ch not in EXCLUSIVE_CHANNELS
        )
        """Capacity on channels an agent can hold several of (chat, email…) at once."""
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
        self.member_of: tuple[str, ...] = ()
        """Queues whose default skills the agent meets (their EWT staffing counts it)."""
        self.staffed = False
        """Counted as staffed for those queues: signed in, not NOT_READY, not outbound-only."""
        self.listed_in: tuple[dict[str, LiveAgent], ...] = ()
        """The :class:`ReadyAgents` dicts the agent is an entry of while ready."""
        self.index_dicts: tuple[dict[str, LiveAgent], ...] | None = None
        """The dicts its work mode and skills put it in when ready (cached)."""
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
            held = mask.bit_count()
            found: list[int] = []
            if held <= 8:  # walk all 2^held sub-masks (at most 256), keep the small ones
                sub = mask
                while True:
                    if sub.bit_count() <= max_len:
                        found.append(sub)
                    if not sub:
                        break
                    sub = (sub - 1) & mask
            else:
                bits = [1 << i for i in range(mask.bit_length()) if mask >> i & 1]
                for size in range(min(max_len, held) + 1):
                    found.extend(sum(chosen) for chosen in combinations(bits, size))
            self.subsets = tuple(found)
            self.subsets_len = max_len
        return self.subsets

    def is_ready(self) -> bool:
        """Whether routing may offer this agent a contact now."""
        state = self.state
        if state is AgentStates.AVAILABLE:
            return True
        if state is not AgentStates.ON_CONTACT or not self.shared:
            return False
        if self.offer is not None or self.pending_reason is not None or self.exclusive:
            return False
        counts = self.counts
        for channel, limit in self.shared:  # noqa: SIM110 - a loop: no generator on a hot path
            if counts.get(channel, 0) < limit:
                return True
        return False


class ReadyAgents:
    """Agents ready for an offer, per work family, per skill, in the order they became ready.

    Each ready agent is an entry of every dict of its family (all agents, and one per skill it
    holds); the agent keeps the list of those dicts (:attr:`LiveAgent.listed_in`), so joining
    and leaving cost one store or delete per dict and no lookups.
    """

    __slots__ = ("inbound_all", "inbound_by_skill", "outbound_all", "outbound_by_skill")

    def __init__(self) -> None:
        # Plain dicts, not OrderedDict: agents leave from the front all day, so a dict's
        # iteration steps over deleted slots until its next resize, but that costs a pointer test
        # per slot in C, while an OrderedDict's iterator does two hash lookups per entry (about
        # 3× slower per pick on the 10k bench).
        self.inbound_all: dict[str, LiveAgent] = {}
        self.inbound_by_skill: dict[str, dict[str, LiveAgent]] = {}
        self.outbound_all: dict[str, LiveAgent] = {}
        self.outbound_by_skill: dict[str, dict[str, LiveAgent]] = {}

    def refresh(self, agent: LiveAgent) -> None:
        """Put the agent in or out of the index after its state or load changed."""
        state = agent.state
        if state is AgentStates.AVAILABLE:
            ready = True
        elif state is AgentStates.ON_CONTACT and agent.shared:
            ready = agent.is_ready()
        else:
            ready = False
        if ready is agent.ready:
            return
        agent.ready = ready
        agent_id = agent.id
        if ready:
            listed = agent.index_dicts
            if listed is None:
                listed = agent.index_dicts = self._dicts_of(agent)
            agent.listed_in = listed
            for entries in listed:
                entries[agent_id] = agent
        else:
            for entries in agent.listed_in:
                del entries[agent_id]
            agent.listed_in = ()

    def drop(self, agent: LiveAgent) -> None:
        """Take the agent out (before a work-mode or skill change); :meth:`refresh` puts it back."""
        agent.index_dicts = None
        if agent.ready:
            agent.ready = False
            for entries in agent.listed_in:
                del entries[agent.id]
            agent.listed_in = ()

    def _dicts_of(self, agent: LiveAgent) -> tuple[dict[str, LiveAgent], ...]:
        mode = agent.work_mode
        found: list[dict[str, LiveAgent]] = []
        if mode is not WorkModes.OUTBOUND:
            found.append(self.inbound_all)
            found.extend(self._skill_dicts(agent, self.inbound_by_skill))
        if mode is not WorkModes.INBOUND:
            found.append(self.outbound_all)
            found.extend(self._skill_dicts(agent, self.outbound_by_skill))
        return tuple(found)

    @staticmethod
    def _skill_dicts(
        agent: LiveAgent, by_skill: dict[str, dict[str, LiveAgent]]
    ) -> list[dict[str, LiveAgent]]:
        found = []
        for skill in agent.skill_names:
            entries = by_skill.get(skill)
            if entries is None:
                entries = by_skill[skill] = {}
            found.append(entries)
        return found
