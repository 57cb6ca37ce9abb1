"""Commands the routing engine accepts: one small frozen dataclass per request.

A command is a request, not a fact: the engine may refuse it with a
:class:`~madoguchi.core.routing.errors.RoutingError` (and then changes nothing). What it does
accept comes back as events (:mod:`madoguchi.core.routing.events`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from madoguchi.core.events import install_slot_init
from madoguchi.core.model import AgentState, Contact, EndReason, SkillRequirement, WorkMode

C = TypeVar("C")


def _command(cls: type[C]) -> type[C]:
    """A command class whose ``__init__`` fills its slots directly (cheaper on hot paths)."""
    install_slot_init(cls, keyword_only=False)
    return cls


@_command
@dataclass(frozen=True, slots=True)
class AgentLogin:
    """An agent signs in: NOT_READY("login"), or AVAILABLE when ``available``."""

    agent_id: str
    work_mode: WorkMode | None = None
    """None keeps the configured work mode."""
    available: bool = False


@_command
@dataclass(frozen=True, slots=True)
class AgentLogout:
    """An agent signs out (allowed while AVAILABLE, NOT_READY or in after-contact work)."""

    agent_id: str


@_command
@dataclass(frozen=True, slots=True)
class SetAgentState:
    """The agent asks to be AVAILABLE or NOT_READY (with a reason code).

    NOT_READY asked while on a contact takes effect when the agent's work ends.
    """

    agent_id: str
    state: AgentState
    reason: str | None = None


@_command
@dataclass(frozen=True, slots=True)
class SetWorkMode:
    """Inbound, outbound or blended work (コールブレンディング)."""

    agent_id: str
    work_mode: WorkMode


@_command
@dataclass(frozen=True, slots=True)
class SetAgentSkills:
    """Replace an agent's skills and proficiencies, live (any state, even logged out).

    ``skills`` is the complete new set as (skill id, proficiency 1–10) pairs, each skill known
    to the configuration and named once; an empty tuple leaves the agent with no skills. A
    contact already ringing at or connected to the agent stays there; from now on routing
    matches the agent by the new skills (and offers a fitting waiting contact at once).
    """

    agent_id: str
    skills: tuple[tuple[str, int], ...]


@_command
@dataclass(frozen=True, slots=True)
class EnqueueContact:
    """The contact waits in ``queue_id`` for an agent.

    ``priority`` None means the queue's priority plus ``contact.priority``; ``skills`` None means
    ``contact.skills`` when it has any, else the queue's default skills.
    """

    contact: Contact
    queue_id: str
    priority: int | None = None
    skills: tuple[SkillRequirement, ...] | None = None


@_command
@dataclass(frozen=True, slots=True)
class ConnectContact:
    """Connect a contact straight to an agent (an answered outbound or callback dial).

    The agent must be AVAILABLE, or RESERVED by the dialer. No queue wait, no offer.
    """

    contact: Contact
    agent_id: str
    queue_id: str | None = None
    """The queue (campaign queue) whose after-contact work and reports apply."""


@_command
@dataclass(frozen=True, slots=True)
class AcceptOffer:
    """The agent answers the contact offered to them."""

    contact_id: str
    agent_id: str


@_command
@dataclass(frozen=True, slots=True)
class RejectOffer:
    """The agent declines the offer: the contact returns to its place, the agent NOT_READY."""

    contact_id: str
    agent_id: str


@_command
@dataclass(frozen=True, slots=True)
class AbandonContact:
    """The customer left while queued or offered (放棄呼)."""

    contact_id: str


@_command
@dataclass(frozen=True, slots=True)
class EndContact:
    """The conversation is over; the agent enters after-contact work."""

    contact_id: str
    reason: EndReason = EndReason.COMPLETED


@_command
@dataclass(frozen=True, slots=True)
class CompleteWrapUp:
    """The agent finishes after-contact work (後処理) for a contact, with a disposition."""

    agent_id: str
    contact_id: str
    disposition: str | None = None
    notes: str = ""


@_command
@dataclass(frozen=True, slots=True)
class TransferContact:
    """Move a connected contact to a queue, a named agent, or the agent's team supervisor.

    Exactly one of ``to_queue``, ``to_agent`` and ``to_supervisor`` is given.
    """

    contact_id: str
    to_queue: str | None = None
    to_agent: str | None = None
    to_supervisor: bool = False


@_command
@dataclass(frozen=True, slots=True)
class HoldContact:
    """The agent puts the customer on hold (保留)."""

    contact_id: str


@_command
@dataclass(frozen=True, slots=True)
class ResumeContact:
    """The agent takes the customer off hold."""

    contact_id: str


@_command
@dataclass(frozen=True, slots=True)
class RequestCallback:
    """A queued customer asks to be called back: the request keeps the place in line."""

    contact_id: str
    number: str


@_command
@dataclass(frozen=True, slots=True)
class ScheduleCallback:
    """Hold a callback request dormant until ``due_at``, then put it in ``queue_id``.

    ``contact`` describes the callback (its own id, usually direction ``callback``); ``number``
    is the number to call back. ``due_at`` None means when the queue's business hours next open
    (at once if the queue is open now or has no hours). At the due time the contact enters the
    queue as a waiting callback request, like one made with :class:`RequestCallback`.
    ``priority`` None means the queue's priority plus ``contact.priority``.
    """

    contact: Contact
    queue_id: str
    due_at: float | None
    number: str
    priority: int | None = None


@_command
@dataclass(frozen=True, slots=True)
class CancelCallback:
    """Drop a scheduled callback that has not entered its queue yet."""

    contact_id: str


@_command
@dataclass(frozen=True, slots=True)
class ReserveAgent:
    """The dialer holds an AVAILABLE outbound or blended agent for a campaign."""

    agent_id: str
    campaign_id: str


@_command
@dataclass(frozen=True, slots=True)
class ReleaseAgent:
    """The dialer gives a reserved agent back."""

    agent_id: str


RoutingCommand = (
    AgentLogin
    | AgentLogout
    | SetAgentState
    | SetWorkMode
    | SetAgentSkills
    | EnqueueContact
    | ConnectContact
    | AcceptOffer
    | RejectOffer
    | AbandonContact
    | EndContact
    | CompleteWrapUp
    | TransferContact
    | HoldContact
    | ResumeContact
    | RequestCallback
    | ScheduleCallback
    | CancelCallback
    | ReserveAgent
    | ReleaseAgent
)
"""Every command :meth:`RoutingEngine.receive` accepts."""
