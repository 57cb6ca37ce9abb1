"""What a flow session asks its adapter to do (voice: TTS/RTP/SIP; chat: messages).

Commands are small frozen records, performed in order. A command that needs an answer (a gather,
an HTTP request, a customer lookup, a recording) is answered with an input from
:mod:`madoguchi.core.flows.inputs`; the session never performs I/O itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from madoguchi.core.events import install_slot_init
from madoguchi.core.flows.model import InputMode, TransferKind


@dataclass(frozen=True, slots=True)
class Say:
    """Speak (voice, TTS) or show (chat) a text."""

    text: str
    """The prompt, variables already filled in."""
    language: str
    barge_in: bool = False
    """Keypad input may interrupt it (voice)."""


@dataclass(frozen=True, slots=True)
class Play:
    """Play a recorded audio file (voice); chat shows ``text`` instead."""

    audio: str
    text: str
    language: str
    barge_in: bool = False


@dataclass(frozen=True, slots=True)
class Gather:
    """Wait for the customer's answer: keypad digits (voice) or a text / button (chat)."""

    mode: InputMode
    max_length: int
    """Digits: stop after this many (``#`` ends earlier)."""
    timeout_s: float
    buttons: tuple[str, ...] = ()
    """Chat: choices shown as buttons, each sent back as its text."""


@dataclass(frozen=True, slots=True)
class Enqueue:
    """Hand the contact to routing: wait in ``queue`` for an agent."""

    queue: str
    priority: int
    skills: tuple[tuple[str, int], ...]
    attributes: tuple[tuple[str, str], ...]
    """The contact's attributes as collected by the flow (shown to the agent)."""
    language: str
    music: str | None = None
    """Music on hold while waiting."""
    transcript: tuple[str, ...] = ()
    """Chat: the conversation with the bot so far, for the agent."""


@dataclass(frozen=True, slots=True)
class Transfer:
    """Hand the contact to a queue, an agent or an external number."""

    kind: TransferKind
    target: str


@dataclass(frozen=True, slots=True)
class HttpRequest:
    """Call an outside system; answer with ``HttpResponse`` or ``HttpFailed`` (same id)."""

    request_id: str
    method: str
    url: str
    body: str | None
    timeout_s: float


@dataclass(frozen=True, slots=True)
class LookupCustomer:
    """Find the customer; answer with ``CustomerLookupResult`` (same id)."""

    request_id: str
    by: str
    """``caller`` (by phone number) or ``customer_number``."""
    value: str


@dataclass(frozen=True, slots=True)
class RequestCallback:
    """Turn the contact into a callback request that keeps its place in ``queue``."""

    queue: str
    number: str


@dataclass(frozen=True, slots=True)
class RecordMessage:
    """Record a voice message (answer ``MessageLeft``); chat takes the next text."""

    max_seconds: float


@dataclass(frozen=True, slots=True)
class Hangup:
    """End the call / close the chat."""

    reason: str


FlowCommand = (
    Say
    | Play
    | Gather
    | Enqueue
    | Transfer
    | HttpRequest
    | LookupCustomer
    | RequestCallback
    | RecordMessage
    | Hangup
)
"""Anything a session asks of its adapter."""

for _kind in (
    Say,
    Play,
    Gather,
    Enqueue,
    Transfer,
    HttpRequest,
    LookupCustomer,
    RequestCallback,
    RecordMessage,
    Hangup,
):
    install_slot_init(_kind, keyword_only=False)  # same signature, fills the slots directly
