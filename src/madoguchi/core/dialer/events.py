"""Events of the outbound dialer (see docs/events.md, section "Outbound")."""

from __future__ import annotations

from madoguchi.core.dialer.campaign import DialOutcome
from madoguchi.core.events import Event, event


@event
class DialPlaced(Event):
    """The dialer placed a call to a list record."""

    dial_id: str
    campaign: str
    tenant: str
    record_id: str
    number: str
    attempt: int
    """1 for the first attempt at this record."""
    agent_id: str | None = None
    """Set in preview mode and for callbacks to a named agent."""


@event
class DialBlocked(Event):
    """A dial was refused at the moment of dialling; the record is not called."""

    campaign: str
    tenant: str
    record_id: str
    number: str
    reason: str
    """do_not_call, outside_window, invalid_number, max_attempts, daily_cap, daily_connect_cap."""


@event
class DialResulted(Event):
    """A placed dial ended its ringing phase with an outcome."""

    dial_id: str
    campaign: str
    record_id: str
    outcome: DialOutcome
    ring_s: float
    """Seconds from placing the dial to the outcome."""


@event
class OutboundConnected(Event):
    """An answered callee was bridged to an agent within the connect rule."""

    dial_id: str
    campaign: str
    record_id: str
    agent_id: str
    wait_s: float


@event
class OutboundAbandoned(Event):
    """An answered callee found no agent within the connect rule and heard the recorded
    message (business name, purpose, callback number) before the call ended."""

    dial_id: str
    campaign: str
    record_id: str


@event
class AttemptScheduled(Event):
    """The record will be dialled again at ``due``."""

    campaign: str
    record_id: str
    due: float
    reason: str


@event
class CallbackScheduled(Event):
    """The callee asked to be called back at ``due`` (by ``agent_id`` or anyone)."""

    campaign: str
    record_id: str
    due: float
    agent_id: str | None = None


@event
class RecordClosed(Event):
    """No more attempts at this record."""

    campaign: str
    record_id: str
    reason: str
    """completed, refused, max_attempts, invalid_number, do_not_call, wrong_number."""


@event
class DoNotCallAdded(Event):
    """A number was put on a do-not-call list."""

    tenant: str
    number: str
    campaign: str | None = None
    reason: str = ""
    added_by: str | None = None


@event
class OutboundDispositioned(Event):
    """The agent recorded the result of an outbound conversation."""

    campaign: str
    record_id: str
    agent_id: str
    disposition: str
    """sale, appointment, refused, callback, wrong_number, … (the campaign's codes)."""
    notes: str = ""
    appointment_at: float | None = None
    appointment_rep: str | None = None


@event
class AgentlessResulted(Event):
    """An automated (agentless) reminder or notice call ended with a result."""

    campaign: str
    record_id: str
    dial_id: str
    result: str
    """confirmed, change_requested (the script's choices), message_left, no_input,
    invalid_input, hung_up."""
    keys: str = ""
    """Every key the callee pressed, in order."""
    tries: int = 0
    """Times the keypad question was asked."""
    duration_s: float = 0.0
    """Seconds from the answer to the end."""


@event
class OutboundCallEnded(Event):
    """An outbound conversation between a callee and an agent ended."""

    dial_id: str
    campaign: str
    record_id: str
    agent_id: str
    talk_s: float
    """Seconds of conversation (the agent's after-call work is not included)."""
