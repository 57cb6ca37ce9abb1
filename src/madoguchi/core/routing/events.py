"""The routing vocabulary: every fact the ACD states, one frozen dataclass each.

The engine changes its state only by applying these events (so the event log alone rebuilds
it). Every event has ``at`` (epoch seconds). Durations are seconds. Each is listed with its
fields in docs/events.md.
"""

from __future__ import annotations

from enum import StrEnum

from madoguchi.core.config import TreatmentKind
from madoguchi.core.events import Event, event
from madoguchi.core.model import AgentState, Channel, Direction, EndReason, WorkMode


class QueueEntry(StrEnum):
    """How a contact came to wait in a queue (``ContactQueued.via``)."""

    NEW = "new"
    """Arrived from a flow or a channel."""
    OVERFLOW = "overflow"
    """Moved here by another queue's overflow, queue-full or closed treatment."""
    TRANSFER = "transfer"
    """Transferred here by an agent (or returned after a missed direct transfer)."""
    DIRECT = "direct"
    """Connected straight to an agent (:class:`ConnectContact`): never waited."""


class OverflowCause(StrEnum):
    """Why a contact left its queue by a treatment (``ContactOverflowed.cause``)."""

    MAX_WAIT = "max_wait"
    FULL = "full"
    CLOSED = "closed"


@event
class ContactQueued(Event):
    """A contact starts waiting in a queue (or, with ``via="direct"``, enters routing)."""

    contact_id: str
    queue_id: str
    """The queue; "" for a direct connection without a queue."""
    tenant: str
    channel: Channel
    direction: Direction
    created_at: float
    """When the contact itself began (before any flow or queue)."""
    priority: int
    """Base priority in this queue (higher first); aging adds to it while waiting."""
    skills: tuple[tuple[str, int], ...]
    """Required (skill, minimum proficiency) pairs."""
    wait_started_at: float
    """Start of the wait: earlier than ``at`` when the contact overflowed from another queue."""
    via: QueueEntry = QueueEntry.NEW
    customer_id: str | None = None
    from_address: str | None = None
    """Caller number, chat visitor id, email address…"""
    to_address: str | None = None
    """Dialled number (DNIS), mailbox, widget id…"""
    language: str = "ja"
    attributes: dict[str, str]
    """Flow-collected data (会員番号, menu choices…)."""


@event
class ContactOffered(Event):
    """Routing picked an agent and rings them (the agent is reserved for this contact)."""

    contact_id: str
    agent_id: str
    queue_id: str
    timeout_at: float
    """When the offer times out if not answered."""
    direct: bool = False
    """A transfer to this named agent, not a pick from the queue."""


@event
class ContactOfferTimedOut(Event):
    """Nobody answered the offer in time; the contact is back at its place in line."""

    contact_id: str
    agent_id: str
    queue_id: str


@event
class ContactOfferRejected(Event):
    """The agent declined the offer; the contact is back at its place in line."""

    contact_id: str
    agent_id: str
    queue_id: str


@event
class ContactConnected(Event):
    """The agent answered: customer and agent are talking (or chatting)."""

    contact_id: str
    agent_id: str
    queue_id: str
    wait_s: float
    """Time from ``wait_started_at`` of the last ContactQueued to this answer."""


@event
class ContactAbandoned(Event):
    """The customer left while waiting or while the offer rang (放棄呼)."""

    contact_id: str
    queue_id: str
    wait_s: float
    agent_id: str | None = None
    """The agent it was being offered to, if it was ringing."""


@event
class ContactOverflowed(Event):
    """A queue's treatment took the contact out of line (max wait, queue full, closed)."""

    contact_id: str
    from_queue: str
    cause: OverflowCause
    treatment: TreatmentKind
    to_queue: str | None = None
    """Target queue for the ``queue`` treatment (a ContactQueued follows)."""
    wait_s: float


@event
class ContactTransferred(Event):
    """An agent handed a connected contact on; their part (talk, hold) ends here."""

    contact_id: str
    from_agent: str
    from_queue: str
    to_queue: str | None = None
    to_agent: str | None = None
    talk_s: float
    """Talk time of the ending part, hold excluded."""
    hold_s: float


@event
class ContactHeld(Event):
    """The agent put the customer on hold."""

    contact_id: str
    agent_id: str


@event
class ContactResumed(Event):
    """The customer is off hold."""

    contact_id: str
    agent_id: str
    held_s: float


@event
class ContactEnded(Event):
    """The contact is over; emitted exactly once per contact."""

    contact_id: str
    reason: EndReason
    queue_id: str
    """The last queue it was in ("" if none)."""
    agent_id: str | None = None
    """The agent it was connected to at the end, who now does after-contact work."""
    talk_s: float = 0.0
    """Talk time of the last agent's part, hold excluded."""
    hold_s: float = 0.0


@event
class ContactWrappedUp(Event):
    """An agent finished after-contact work (後処理) for a contact."""

    contact_id: str
    agent_id: str
    queue_id: str
    acw_s: float
    disposition: str | None = None
    notes: str = ""
    auto: bool = False
    """Ended by the queue's after-contact-work timer (or log-out), not by the agent."""


@event
class CallbackRequested(Event):
    """The waiting customer will be called back; the request keeps the place in line."""

    contact_id: str
    queue_id: str
    number: str
    wait_s: float
    by_overflow: bool = False
    """Made by the queue's overflow or closed treatment rather than asked by the caller."""


@event
class CallbackHeld(Event):
    """A callback request is held dormant until ``due_at``, then enters ``queue_id``."""

    contact_id: str
    queue_id: str
    due_at: float
    """When it enters the queue (the queue's next opening when none was asked)."""
    number: str
    """The number to call back."""
    tenant: str
    channel: Channel
    direction: Direction
    created_at: float
    priority: int
    """Base priority in the queue once released."""
    skills: tuple[tuple[str, int], ...]
    """Required (skill, minimum proficiency) pairs once released."""
    customer_id: str | None = None
    from_address: str | None = None
    to_address: str | None = None
    language: str = "ja"
    attributes: dict[str, str]


@event
class CallbackReleased(Event):
    """A scheduled callback came due: a ContactQueued and a CallbackRequested follow."""

    contact_id: str
    queue_id: str
    due_at: float


@event
class CallbackCancelled(Event):
    """A scheduled callback was dropped before it came due."""

    contact_id: str
    queue_id: str


@event
class AgentStateChanged(Event):
    """An agent's routing state changed (see the state diagram in docs/events.md)."""

    agent_id: str
    state: AgentState
    previous: AgentState
    reason: str | None = None
    """NOT_READY reason code ("login", "missed", "rejected", "break"…)."""


@event
class AgentNotReadyRequested(Event):
    """A busy agent asked for NOT_READY (or missed a chat offer); it applies when work ends."""

    agent_id: str
    reason: str


@event
class AgentWorkModeChanged(Event):
    """An agent's work mode changed (inbound, outbound, blended)."""

    agent_id: str
    work_mode: WorkMode
    previous: WorkMode


@event
class AgentSkillsChanged(Event):
    """An agent's skills were replaced live; routing matches the agent by these from now on."""

    agent_id: str
    skills: tuple[tuple[str, int], ...]
    """The complete new set of (skill id, proficiency 1–10) pairs."""


@event
class AgentReserved(Event):
    """The dialer holds an idle agent for a campaign's next answered call."""

    agent_id: str
    campaign_id: str


@event
class AgentReleased(Event):
    """A dialer reservation ended; ``reclaimed`` when inbound demand took the agent back."""

    agent_id: str
    campaign_id: str
    reclaimed: bool = False
    """True: a waiting inbound contact needed this blended agent (the dialer should slow down)."""


ROUTING_EVENTS: tuple[type[Event], ...] = (
    ContactQueued,
    ContactOffered,
    ContactOfferTimedOut,
    ContactOfferRejected,
    ContactConnected,
    ContactAbandoned,
    ContactOverflowed,
    ContactTransferred,
    ContactHeld,
    ContactResumed,
    ContactEnded,
    ContactWrappedUp,
    CallbackRequested,
    CallbackHeld,
    CallbackReleased,
    CallbackCancelled,
    AgentStateChanged,
    AgentNotReadyRequested,
    AgentWorkModeChanged,
    AgentSkillsChanged,
    AgentReserved,
    AgentReleased,
)
"""Every event this module declares, in documentation order."""
