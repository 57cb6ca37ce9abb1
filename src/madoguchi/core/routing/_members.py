"""Enum members as plain class attributes, for routing's hot paths.

On Python 3.11, looking a member up on its enum class (``AgentState.AVAILABLE``) costs about half a
microsecond: members are descriptors resolved through the enum's metaclass. The same member read
from an ordinary class attribute costs a few tens of nanoseconds, and routing reads dozens per
routed contact. These classes hold the very same member objects (``is`` comparisons hold).
"""

from __future__ import annotations

from typing import Final

from madoguchi.core.config import TreatmentKind
from madoguchi.core.model import AgentState, ContactState, EndReason, SelectionPolicy, WorkMode
from madoguchi.core.routing.agent_state import AgentTrigger
from madoguchi.core.routing.events import OverflowCause, QueueEntry
from madoguchi.core.routing.timers import TimerKind


class AgentStates:
    """The members of :class:`AgentState`."""

    LOGGED_OUT: Final = AgentState.LOGGED_OUT
    AVAILABLE: Final = AgentState.AVAILABLE
    RESERVED: Final = AgentState.RESERVED
    ON_CONTACT: Final = AgentState.ON_CONTACT
    AFTER_CONTACT_WORK: Final = AgentState.AFTER_CONTACT_WORK
    NOT_READY: Final = AgentState.NOT_READY


class ContactStates:
    """The members of :class:`ContactState`."""

    IN_FLOW: Final = ContactState.IN_FLOW
    QUEUED: Final = ContactState.QUEUED
    OFFERED: Final = ContactState.OFFERED
    CONNECTED: Final = ContactState.CONNECTED
    ENDED: Final = ContactState.ENDED


class WorkModes:
    """The members of :class:`WorkMode`."""

    INBOUND: Final = WorkMode.INBOUND
    OUTBOUND: Final = WorkMode.OUTBOUND
    BLENDED: Final = WorkMode.BLENDED


class Triggers:
    """The members of :class:`AgentTrigger`."""

    LOGIN: Final = AgentTrigger.LOGIN
    LOGIN_AVAILABLE: Final = AgentTrigger.LOGIN_AVAILABLE
    LOGOUT: Final = AgentTrigger.LOGOUT
    MAKE_AVAILABLE: Final = AgentTrigger.MAKE_AVAILABLE
    MAKE_NOT_READY: Final = AgentTrigger.MAKE_NOT_READY
    OFFER: Final = AgentTrigger.OFFER
    ACCEPT: Final = AgentTrigger.ACCEPT
    REJECT: Final = AgentTrigger.REJECT
    OFFER_TIMEOUT: Final = AgentTrigger.OFFER_TIMEOUT
    OFFER_WITHDRAWN: Final = AgentTrigger.OFFER_WITHDRAWN
    DIALER_RESERVE: Final = AgentTrigger.DIALER_RESERVE
    DIALER_RELEASE: Final = AgentTrigger.DIALER_RELEASE
    CONNECT: Final = AgentTrigger.CONNECT
    END_CONTACT: Final = AgentTrigger.END_CONTACT
    END_LAST_CONTACT: Final = AgentTrigger.END_LAST_CONTACT
    END_LAST_CONTACT_RINGING: Final = AgentTrigger.END_LAST_CONTACT_RINGING
    WRAP_UP_DONE: Final = AgentTrigger.WRAP_UP_DONE
    WRAP_UP_DONE_NOT_READY: Final = AgentTrigger.WRAP_UP_DONE_NOT_READY


class TimerKinds:
    """The members of :class:`TimerKind`."""

    OFFER: Final = TimerKind.OFFER
    MAX_WAIT: Final = TimerKind.MAX_WAIT
    AFTER_CONTACT_WORK: Final = TimerKind.AFTER_CONTACT_WORK
    CALLBACK: Final = TimerKind.CALLBACK


class QueueEntries:
    """The members of :class:`QueueEntry`."""

    NEW: Final = QueueEntry.NEW
    OVERFLOW: Final = QueueEntry.OVERFLOW
    TRANSFER: Final = QueueEntry.TRANSFER
    DIRECT: Final = QueueEntry.DIRECT


class OverflowCauses:
    """The members of :class:`OverflowCause`."""

    MAX_WAIT: Final = OverflowCause.MAX_WAIT
    FULL: Final = OverflowCause.FULL
    CLOSED: Final = OverflowCause.CLOSED


class TreatmentKinds:
    """The members of :class:`TreatmentKind`."""

    QUEUE: Final = TreatmentKind.QUEUE
    CALLBACK: Final = TreatmentKind.CALLBACK
    VOICEMAIL: Final = TreatmentKind.VOICEMAIL
    MESSAGE: Final = TreatmentKind.MESSAGE
    DISCONNECT: Final = TreatmentKind.DISCONNECT


class EndReasons:
    """The members of :class:`EndReason`."""

    COMPLETED: Final = EndReason.COMPLETED
    SELF_SERVICE: Final = EndReason.SELF_SERVICE
    ABANDONED: Final = EndReason.ABANDONED
    QUEUE_FULL: Final = EndReason.QUEUE_FULL
    CLOSED: Final = EndReason.CLOSED
    OVERFLOW: Final = EndReason.OVERFLOW
    VOICEMAIL: Final = EndReason.VOICEMAIL
    CALLBACK_REQUESTED: Final = EndReason.CALLBACK_REQUESTED
    TRANSFERRED_EXTERNAL: Final = EndReason.TRANSFERRED_EXTERNAL
    ERROR: Final = EndReason.ERROR
    PEER_LOST: Final = EndReason.PEER_LOST


class SelectionPolicies:
    """The members of :class:`SelectionPolicy`."""

    LONGEST_IDLE: Final = SelectionPolicy.LONGEST_IDLE
    MOST_SKILLED: Final = SelectionPolicy.MOST_SKILLED
    LEAST_OCCUPIED: Final = SelectionPolicy.LEAST_OCCUPIED
    ROUND_ROBIN: Final = SelectionPolicy.ROUND_ROBIN
