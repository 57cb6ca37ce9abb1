"""What comes back into a flow session: the customer's answers and outside results."""

from __future__ import annotations

from dataclasses import dataclass, field

from madoguchi.core.events import install_slot_init


@dataclass(frozen=True, slots=True)
class Digits:
    """Keypad digits the caller pressed (one gather's worth, ``#`` stripped)."""

    digits: str


@dataclass(frozen=True, slots=True)
class Text:
    """A chat message or a pressed button's text."""

    text: str


@dataclass(frozen=True, slots=True)
class HttpResponse:
    """The answer to an ``HttpRequest``."""

    request_id: str
    status: int
    body: str


@dataclass(frozen=True, slots=True)
class HttpFailed:
    """An ``HttpRequest`` that got no answer (time-out, refused connection, TLS error…)."""

    request_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class CustomerLookupResult:
    """The answer to a ``LookupCustomer``: ``customer_id`` None when nobody matched."""

    request_id: str
    customer_id: str | None
    fields: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class MessageLeft:
    """A voice message was recorded (its duration) in answer to ``RecordMessage``."""

    duration_s: float
    reference: str = ""
    """Where the recording is kept."""


@dataclass(frozen=True, slots=True)
class AgentConnected:
    """Routing connected the queued contact to an agent."""

    agent_id: str


@dataclass(frozen=True, slots=True)
class CustomerLeft:
    """The caller hung up / the chat user closed the window."""


FlowInput = (
    Digits
    | Text
    | HttpResponse
    | HttpFailed
    | CustomerLookupResult
    | MessageLeft
    | AgentConnected
    | CustomerLeft
)
"""Anything a session receives."""

for _kind in (Digits, Text, HttpResponse, HttpFailed, MessageLeft, AgentConnected):
    install_slot_init(_kind, keyword_only=False)  # same signature, fills the slots directly
