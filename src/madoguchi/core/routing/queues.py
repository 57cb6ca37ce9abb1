"""Contacts in routing, and the lines they wait in (priority with aging, then arrival).

Contacts waiting in the same queue with the same needs (required skills, channel, direction)
form a *group*, kept sorted. A contact's rank is ``priority - aging·wait_start``: its effective
priority at ``now`` is ``rank + aging·now``, so within one queue (one aging rate) the order of
waiting contacts never changes with time and a sorted list keeps it; ties go to the earlier
arrival. A returned offer (time-out, rejection) puts the contact back with the same key, at its
original place.
"""

from __future__ import annotations

from bisect import bisect_left, insort

from madoguchi.core.model import Channel
from madoguchi.core.routing._members import (
    ContactStates,
)
from madoguchi.core.routing.events import ContactQueued

Requirement = tuple[str, int]
GroupKey = tuple[str, tuple[Requirement, ...], Channel, bool]
"""(queue id, sorted requirements, channel, inbound)"""
Entry = tuple[float, int, str]
"""(-rank, arrival sequence, contact id): the sort key of a waiting contact."""


def high_requirements(reqs: tuple[Requirement, ...]) -> tuple[Requirement, ...]:
    """The requirements above the lowest proficiency (the ones a skill mask cannot check)."""
    for req in reqs:
        if req[1] > 1:
            return tuple(r for r in reqs if r[1] > 1)
    return ()


class LiveContact:
    """One contact's live routing state."""

    __slots__ = (
        "agent_id",
        "callback_number",
        "channel",
        "connected_at",
        "entered_queue_at",
        "entry",
        "group",
        "held_since",
        "high_reqs",
        "hold_s",
        "id",
        "inbound",
        "mask",
        "offer_direct",
        "offered_to",
        "origin",
        "overflow_due",
        "queue_id",
        "reqs",
        "state",
        "wait_started_at",
    )

    def __init__(
        self,
        origin: ContactQueued,
        mask: int,
        inbound: bool,
        high_reqs: tuple[Requirement, ...] | None = None,
    ) -> None:
        self.id = origin.contact_id
        self.origin = origin
        """The latest ContactQueued: the contact's description."""
        channel = origin.channel
        self.channel = channel if type(channel) is Channel else Channel(channel)
        self.inbound = inbound
        self.state = ContactStates.IN_FLOW
        self.queue_id = origin.queue_id
        self.reqs: tuple[Requirement, ...] = origin.skills
        self.mask = mask
        self.high_reqs = high_requirements(origin.skills) if high_reqs is None else high_reqs
        self.group: Group | None = None
        self.entry: Entry | None = None
        self.wait_started_at = origin.wait_started_at
        self.entered_queue_at = origin.at
        self.offered_to: str | None = None
        self.offer_direct = False
        self.agent_id: str | None = None
        self.connected_at = 0.0
        self.held_since: float | None = None
        self.hold_s = 0.0
        self.callback_number: str | None = None
        self.overflow_due: float | None = None


class Group:
    """Contacts of one queue with identical needs, best first."""

    __slots__ = (
        "aging_per_s",
        "channel",
        "entries",
        "high_reqs",
        "inbound",
        "key",
        "mask",
        "skillset",
    )

    def __init__(self, key: GroupKey, mask: int, aging_per_s: float) -> None:
        self.key = key
        self.mask = mask
        self.high_reqs = tuple(r for r in key[1] if r[1] > 1)
        self.channel = key[2]
        self.inbound = key[3]
        self.aging_per_s = aging_per_s
        self.skillset = tuple(sorted(r[0] for r in key[1]))
        """The skill names needed, sorted (their number bounds :attr:`WaitingLines.max_req_len`)."""
        self.entries: list[Entry] = []
        """Sorted best first. A plain list: groups are short, and C-level insort beats a tree."""

    def head(self) -> Entry:
        """The best waiting entry (the group is never empty while indexed)."""
        return self.entries[0]


class WaitingLines:
    """Every waiting contact, grouped; indexed by queue and by the skills needed (a bit mask)."""

    __slots__ = (
        "by_mask",
        "by_queue",
        "callbacks",
        "groups",
        "known",
        "max_req_len",
        "seq",
        "sizes",
    )

    def __init__(self) -> None:
        self.known: dict[GroupKey, Group] = {}
        """Every group ever formed (kept when empty: forming one costs more than keeping it)."""
        self.groups: dict[GroupKey, Group] = {}
        """Groups with someone waiting."""
        self.by_queue: dict[str, dict[GroupKey, Group]] = {}
        self.by_mask: dict[int, dict[GroupKey, Group]] = {}
        """Groups with someone waiting, by the bit mask of the skills they need."""
        self.sizes: dict[str, int] = {}
        """Waiting contacts per queue, callback requests included."""
        self.callbacks: dict[str, int] = {}
        self.max_req_len = 0
        self.seq = 0

    def new_entry(self, rank: float, contact_id: str) -> Entry:
        """A fresh sort key: after every earlier arrival of the same rank."""
        self.seq += 1  # (RoutingState._queued inlines this)
        return (-rank, self.seq, contact_id)

    def insert(self, contact: LiveContact, entry: Entry, aging_per_s: float) -> None:
        """Put the contact in line with this key."""
        key: GroupKey = (contact.queue_id, contact.reqs, contact.channel, contact.inbound)
        group = self.groups.get(key)
        if group is None:
            group = self.known.get(key)
            if group is None:
                group = self.known[key] = Group(key, contact.mask, aging_per_s)
                self.max_req_len = max(self.max_req_len, len(group.skillset))
            self.groups[key] = group
            self.by_queue.setdefault(key[0], {})[key] = group
            self.by_mask.setdefault(group.mask, {})[key] = group
        insort(group.entries, entry)
        contact.group = group
        contact.entry = entry
        contact.state = ContactStates.QUEUED
        queue = contact.queue_id
        self.sizes[queue] = self.sizes.get(queue, 0) + 1
        if contact.callback_number is not None:
            self.callbacks[queue] = self.callbacks.get(queue, 0) + 1

    def remove(self, contact: LiveContact) -> None:
        """Take the contact out of line (its ``entry`` is kept to come back to its place)."""
        group = contact.group
        if group is None or contact.entry is None:
            return
        entries = group.entries
        del entries[bisect_left(entries, contact.entry)]
        contact.group = None
        queue = contact.queue_id
        self.sizes[queue] -= 1
        if contact.callback_number is not None:
            self.callbacks[queue] -= 1
        if not entries:
            key = group.key
            del self.groups[key]
            del self.by_queue[key[0]][key]
            del self.by_mask[group.mask][key]

    def mark_callback(self, contact: LiveContact) -> None:
        """Count a waiting contact as a callback request from now on."""
        if contact.group is not None and contact.callback_number is None:
            self.callbacks[contact.queue_id] = self.callbacks.get(contact.queue_id, 0) + 1

    def live_count(self, queue_id: str) -> int:
        """Waiting contacts with a customer on the line (callback requests excluded)."""
        return self.sizes.get(queue_id, 0) - self.callbacks.get(queue_id, 0)

    def position(self, contact: LiveContact) -> int:
        """1-based place of a waiting contact in its queue (all groups of the queue)."""
        if contact.entry is None or contact.group is None:
            raise ValueError("not waiting")
        entry = contact.entry
        ahead = 0
        for group in self.by_queue.get(contact.queue_id, {}).values():
            ahead += bisect_left(group.entries, entry)
        return ahead + 1

    def in_order(self, queue_id: str) -> list[str]:
        """Contact ids waiting in the queue, best first."""
        merged: list[Entry] = []
        for group in self.by_queue.get(queue_id, {}).values():
            merged.extend(group.entries)
        merged.sort()
        return [e[2] for e in merged]
