"""Domain vocabulary shared by every part of the core: channels, directions, states, contacts.

Configuration records (queues, agents, calendars) live in :mod:`madoguchi.core.config`; the
routing engine keeps the live state of agents and queues; this module holds the plain values
that cross those boundaries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Channel(StrEnum):
    """How a contact reaches the center (or is reached)."""

    VOICE = "voice"
    CHAT = "chat"
    EMAIL = "email"
    WEBFORM = "webform"
    SMS = "sms"


#: Channels that occupy an agent entirely while handled (電話は1件ずつ).
EXCLUSIVE_CHANNELS: frozenset[Channel] = frozenset({Channel.VOICE})


class Direction(StrEnum):
    """Who started the contact."""

    INBOUND = "inbound"
    OUTBOUND = "outbound"
    CALLBACK = "callback"


class AgentState(StrEnum):
    """An agent's routing state; transitions are in :mod:`madoguchi.core.routing.agent_state`."""

    LOGGED_OUT = "logged_out"
    AVAILABLE = "available"
    RESERVED = "reserved"
    """A contact is offered to (ringing at) the agent, or the dialer holds the agent."""
    ON_CONTACT = "on_contact"
    AFTER_CONTACT_WORK = "after_contact_work"
    NOT_READY = "not_ready"


class WorkMode(StrEnum):
    """Which kind of work routing gives an agent (コールブレンディング)."""

    INBOUND = "inbound"
    OUTBOUND = "outbound"
    BLENDED = "blended"


class SelectionPolicy(StrEnum):
    """How a queue picks among eligible agents."""

    LONGEST_IDLE = "longest_idle"
    MOST_SKILLED = "most_skilled"
    """Highest proficiency in the contact's required skills, then longest idle."""
    LEAST_OCCUPIED = "least_occupied"
    """Fewest contacts (and least busy time today), for multi-contact channels."""
    ROUND_ROBIN = "round_robin"


class ContactState(StrEnum):
    """Where a contact is in its journey."""

    IN_FLOW = "in_flow"
    QUEUED = "queued"
    OFFERED = "offered"
    CONNECTED = "connected"
    ENDED = "ended"


class EndReason(StrEnum):
    """Why a contact ended."""

    COMPLETED = "completed"
    """Handled by an agent (or self-service) and closed normally."""
    SELF_SERVICE = "self_service"
    ABANDONED = "abandoned"
    """The customer left while waiting (放棄呼)."""
    QUEUE_FULL = "queue_full"
    CLOSED = "closed"
    """Arrived or waited into closed hours and got the closing treatment."""
    OVERFLOW = "overflow"
    """Waited the queue's maximum and got an ending treatment (a message, a disconnect)."""
    VOICEMAIL = "voicemail"
    CALLBACK_REQUESTED = "callback_requested"
    TRANSFERRED_EXTERNAL = "transferred_external"
    ERROR = "error"
    PEER_LOST = "peer_lost"
    CUSTOMER_BUSY = "customer_busy"
    """A callback: the customer's line was busy when the agent called back."""
    CUSTOMER_NO_ANSWER = "customer_no_answer"
    """A callback: the customer did not answer within the ring time."""
    CUSTOMER_UNREACHABLE = "customer_unreachable"
    """A callback: the number was invalid, the call was refused, or could not be placed."""


@dataclass(frozen=True, slots=True)
class SkillRequirement:
    """A contact needs ``skill`` at ``min_proficiency`` (1–10) or better."""

    skill: str
    min_proficiency: int = 1


@dataclass(slots=True)
class Contact:
    """One customer interaction on any channel, as routing sees it."""

    id: str
    channel: Channel
    direction: Direction
    tenant: str
    created_at: float
    queue: str | None = None
    priority: int = 0
    """Higher is served first; aging adds to it while waiting."""
    skills: tuple[SkillRequirement, ...] = ()
    attributes: dict[str, str] = field(default_factory=dict)
    customer_id: str | None = None
    from_address: str | None = None
    """Caller number, chat visitor id, email address…"""
    to_address: str | None = None
    """Dialled number (DNIS), mailbox, widget id…"""
    language: str = "ja"
    state: ContactState = ContactState.IN_FLOW
