"""A contact flow (コンタクトフロー: IVR 音声ガイダンス and chat bot) as plain frozen records.

A :class:`Flow` is a set of named nodes; each node says what to present, what to wait for and
where to go next (targets are node ids). One flow serves voice and text: a menu is read out
and answered by keypad on the phone, and shown as numbered buttons in chat.

The loader (:mod:`madoguchi.core.flows.loader`) builds these records from YAML text and the
validator (:mod:`madoguchi.core.flows.validator`) checks them; the interpreter
(:mod:`madoguchi.core.flows.session`) runs them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from madoguchi.core.config import LocalizedText


class FlowOutcome(StrEnum):
    """How a contact left the flow (for containment and drop-off analytics)."""

    SELF_SERVICE = "self_service"
    """Served by the flow itself (自己解決) and ended."""
    QUEUED = "queued"
    """Handed to a queue for an agent."""
    TRANSFERRED = "transferred"
    CALLBACK = "callback"
    VOICEMAIL = "voicemail"
    CLOSED = "closed"
    """Ended with a closed-hours or closure message."""
    ABANDONED = "abandoned"
    """The caller hung up / the chat user left inside the flow."""
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class Prompt:
    """What a node says: text for speech synthesis / chat, or a recorded audio file."""

    text: LocalizedText | None = None
    audio: str | None = None
    """Path of a recorded prompt (voice only); ``text`` is shown in chat instead."""


@dataclass(frozen=True, slots=True)
class Retries:
    """No-input and invalid-input handling of a node that waits for the customer."""

    timeout_s: float = 5.0
    max_attempts: int = 3
    no_input: Prompt | None = None
    invalid: Prompt | None = None


@dataclass(frozen=True, slots=True)
class Node:
    """Base of every node: an id, and the line of the YAML file it was declared on."""

    id: str
    line: int = 0


@dataclass(frozen=True, slots=True)
class SayNode(Node):
    """Say or play a prompt, then go on (``barge_in``: keypad input cuts it short)."""

    prompt: Prompt = Prompt()
    barge_in: bool = True
    next: str = ""


@dataclass(frozen=True, slots=True)
class MenuOption:
    """One choice: a keypad digit on voice, a button (and keywords) in chat."""

    key: str
    label: LocalizedText
    next: str
    keywords: tuple[str, ...] = ()
    line: int = 0


@dataclass(frozen=True, slots=True)
class MenuNode(Node):
    """Offer options; retry on silence or a wrong key, then go to ``fallback``."""

    prompt: Prompt = Prompt()
    options: tuple[MenuOption, ...] = ()
    retries: Retries = Retries()
    fallback: str = ""
    barge_in: bool = True


class InputFormat(StrEnum):
    """Extra validation of collected input."""

    ANY = "any"
    DATE = "date"
    """A calendar date, ``YYYYMMDD`` on the keypad or ``YYYY-MM-DD`` / ``YYYY年M月D日`` in text."""
    PHONE_JP = "phone_jp"
    """A valid Japanese telephone number."""
    POSTAL_JP = "postal_jp"
    """A Japanese postal code (郵便番号), 7 digits with or without the hyphen."""


class InputMode(StrEnum):
    """What a node waits for."""

    DIGITS = "digits"
    TEXT = "text"


@dataclass(frozen=True, slots=True)
class CollectNode(Node):
    """Collect digits or text into a variable, validated; ``fallback`` once retries run out."""

    prompt: Prompt = Prompt()
    into: str = ""
    mode: InputMode = InputMode.DIGITS
    min_length: int = 1
    max_length: int = 32
    pattern: str | None = None
    format: InputFormat = InputFormat.ANY
    retries: Retries = Retries()
    next: str = ""
    fallback: str = ""
    sensitive: bool = False
    """Keep the value out of the event log (dates of birth, PINs)."""


@dataclass(frozen=True, slots=True)
class IdentifyNode(Node):
    """Look the customer up by caller number or by a collected customer number."""

    by: str = "caller"
    """``caller`` or the name of a variable holding a customer number."""
    fields: tuple[str, ...] = ()
    """Customer fields the lookup provides, stored as ``customer.<field>``."""
    timeout_s: float = 5.0
    found: str = ""
    not_found: str = ""


@dataclass(frozen=True, slots=True)
class VerifyNode(Node):
    """Ask for a secret (e.g. date of birth) and compare it with a customer field."""

    prompt: Prompt = Prompt()
    secret: str = ""
    """Variable holding the expected value, e.g. ``customer.birth_date``."""
    mode: InputMode = InputMode.DIGITS
    format: InputFormat = InputFormat.ANY
    retries: Retries = Retries()
    verified: str = ""
    failed: str = ""


@dataclass(frozen=True, slots=True)
class SetNode(Node):
    """Set attributes (templates), priority, required skills, language."""

    attributes: tuple[tuple[str, str], ...] = ()
    priority: int | None = None
    skills: tuple[tuple[str, int], ...] = ()
    language: str | None = None
    next: str = ""


@dataclass(frozen=True, slots=True)
class Condition:
    """A test on the contact and the center; ``kind`` selects which fields are used.

    kinds: ``attribute`` (``name`` with ``equals`` / ``one_of`` / ``exists``), ``open`` /
    ``holiday`` / ``closure`` (``calendar``), ``ewt_above`` (``queue``, ``seconds``),
    ``agents_available_below`` (``queue``, ``count``), ``channel`` and ``language`` (``equals``),
    ``all`` / ``any`` (``parts``), ``not`` (``parts[0]``).
    """

    kind: str
    name: str = ""
    equals: str | None = None
    one_of: tuple[str, ...] = ()
    calendar: str = ""
    queue: str = ""
    number: float = 0.0
    parts: tuple[Condition, ...] = ()
    line: int = 0


@dataclass(frozen=True, slots=True)
class ConditionNode(Node):
    """Go to the first branch whose condition holds, else to ``otherwise``."""

    branches: tuple[tuple[Condition, str], ...] = ()
    otherwise: str = ""


@dataclass(frozen=True, slots=True)
class QueueTreatment:
    """What a waiting customer hears and is offered (待ち呼対応)."""

    music: str | None = None
    """Music on hold (an audio file)."""
    announce_every_s: float | None = None
    """Announce the place in line and the estimated wait this often."""
    callback_after_s: float | None = None
    """Offer a callback after this long in the queue."""
    callback_if_ewt_above_s: float | None = None
    """Offer a callback as soon as the estimated wait exceeds this."""
    offer_message: bool = False
    """Offer to leave a message instead of waiting."""
    callback: str = ""
    """Node taking a callback request when the offer is accepted."""
    message: str = ""
    """Node taking a message when that offer is accepted."""


@dataclass(frozen=True, slots=True)
class EnqueueNode(Node):
    """Put the contact in a queue for an agent, with queue-time treatment."""

    queue: str = ""
    priority: int | None = None
    skills: tuple[tuple[str, int], ...] = ()
    treatment: QueueTreatment = QueueTreatment()
    prompt: Prompt | None = None


@dataclass(frozen=True, slots=True)
class CallbackNode(Node):
    """Take a callback request: confirm the number, keep the place in ``queue``."""

    queue: str = ""
    prompt: Prompt = Prompt()
    """Read with ``{number}``: "press 1 to be called back on {number}, 2 for another number"."""
    ask_number: Prompt = Prompt()
    retries: Retries = Retries()
    confirmation: Prompt | None = None
    fallback: str = ""


@dataclass(frozen=True, slots=True)
class VoicemailNode(Node):
    """Record a message (voice) or take a written one (chat)."""

    prompt: Prompt = Prompt()
    max_seconds: float = 120.0
    confirmation: Prompt | None = None


class TransferKind(StrEnum):
    """Where a transfer goes."""

    QUEUE = "queue"
    AGENT = "agent"
    NUMBER = "number"


@dataclass(frozen=True, slots=True)
class TransferNode(Node):
    """Hand the contact to a queue, an agent or an external number."""

    kind: TransferKind = TransferKind.QUEUE
    target: str = ""
    prompt: Prompt | None = None


@dataclass(frozen=True, slots=True)
class HttpNode(Node):
    """Call an existing system; map the JSON answer into variables; failures go to ``error``."""

    url: str = ""
    """A template: ``https://shop.example/api/orders/{order_no}``."""
    method: str = "GET"
    body: str | None = None
    timeout_s: float = 3.0
    retries: int = 1
    map: tuple[tuple[str, str], ...] = ()
    """(variable, dotted path in the JSON answer) pairs; a missing path is an error."""
    next: str = ""
    error: str = ""


@dataclass(frozen=True, slots=True)
class SurveyNode(Node):
    """Ask for a 1–5 rating (keypad or buttons) and, in chat, an optional free comment."""

    prompt: Prompt = Prompt()
    comment_prompt: Prompt | None = None
    retries: Retries = Retries()
    next: str = ""


@dataclass(frozen=True, slots=True)
class DisconnectNode(Node):
    """End the contact, optionally with a last prompt."""

    prompt: Prompt | None = None
    outcome: FlowOutcome = FlowOutcome.SELF_SERVICE


NODE_TYPES: dict[str, type[Node]] = {
    "say": SayNode,
    "menu": MenuNode,
    "collect": CollectNode,
    "identify": IdentifyNode,
    "verify": VerifyNode,
    "set": SetNode,
    "condition": ConditionNode,
    "enqueue": EnqueueNode,
    "callback": CallbackNode,
    "voicemail": VoicemailNode,
    "transfer": TransferNode,
    "http": HttpNode,
    "survey": SurveyNode,
    "disconnect": DisconnectNode,
}
"""The node types by their name in flow files."""


@dataclass(frozen=True, slots=True)
class Flow:
    """A versioned contact flow."""

    id: str
    version: int
    start: str
    nodes: dict[str, Node]
    name: LocalizedText = field(default_factory=lambda: LocalizedText(""))
    languages: tuple[str, ...] = ("ja", "en")
    variables: tuple[str, ...] = ()
    """Variables the contact brings in (attributes set before the flow)."""
    defaults: tuple[tuple[str, str], ...] = ()
    """Values of variables the contact does not bring (e.g. ``api_base``)."""
    source: str = ""
    """File name it was loaded from (for messages)."""
    lines: dict[str, int] = field(default_factory=dict, compare=False)
    """Line of each top-level key (for validator messages)."""


def node_kind(node: Node) -> str:
    """The node's type name as written in flow files."""
    return _KIND_BY_TYPE[type(node)]


_KIND_BY_TYPE: dict[type[Node], str] = {cls: name for name, cls in NODE_TYPES.items()}


def targets(node: Node) -> list[tuple[str, str]]:
    """Every (field, node id) a node can go to; empty ids are left out."""
    found: list[tuple[str, str]] = []
    for name in ("next", "fallback", "found", "not_found", "verified", "failed", "error"):
        value = getattr(node, name, "")
        if value:
            found.append((name, value))
    if isinstance(node, MenuNode):
        found.extend((f"option {o.key}", o.next) for o in node.options if o.next)
    elif isinstance(node, ConditionNode):
        found.extend(("branch", target) for _, target in node.branches)
        if node.otherwise:
            found.append(("otherwise", node.otherwise))
    elif isinstance(node, EnqueueNode):
        if node.treatment.callback:
            found.append(("treatment.callback", node.treatment.callback))
        if node.treatment.message:
            found.append(("treatment.message", node.treatment.message))
    return found
