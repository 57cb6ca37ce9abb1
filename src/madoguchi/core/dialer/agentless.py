"""Agentless calls (自動音声発信): a reminder or notice with keypad confirmation.

"明日10時のご予約の確認です。確認される方は1を、変更をご希望の方は2を押してください。"
An :class:`AgentlessCall` is a pure state machine for one answered dial. Telephony (or the
simulator) feeds it what happened — :meth:`~AgentlessCall.answered`,
:meth:`~AgentlessCall.prompt_done`, :meth:`~AgentlessCall.digits`,
:meth:`~AgentlessCall.gather_timed_out`, :meth:`~AgentlessCall.hung_up` — and carries out the
actions it returns (:class:`PlayPrompt`, :class:`GatherDigits`, :class:`HangUp`). Its result
is one :class:`~madoguchi.core.dialer.events.AgentlessResulted` event.

Every transition is in :data:`TRANSITIONS` (state, input) → state::

    answered(person)  → playing_message → (prompt done) → gathering
    answered(machine) → leaving_message → (prompt done) → ended: message_left
    gathering + key "1" → closing → ended: confirmed       (keys of the script's choices)
    gathering + "9"/unknown key/time-out → replay the question (up to ``max_tries``)
    tries used up → closing → ended: no_input / invalid_input
    hang-up at any point before a choice → ended: hung_up
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from madoguchi.core.dialer.events import AgentlessResulted


class AgentlessState(StrEnum):
    """Where the call is."""

    DIALING = "dialing"
    PLAYING_MESSAGE = "playing_message"
    GATHERING = "gathering"
    LEAVING_MESSAGE = "leaving_message"
    CLOSING = "closing"
    ENDED = "ended"


class AgentlessInput(StrEnum):
    """What can happen to the call."""

    ANSWERED_BY_PERSON = "answered_by_person"
    ANSWERED_BY_MACHINE = "answered_by_machine"
    PROMPT_DONE = "prompt_done"
    CHOICE = "choice"
    """A key that is one of the script's choices."""
    RETRY = "retry"
    """The repeat key, an unknown key, or silence, with tries left."""
    GIVE_UP = "give_up"
    """The repeat key, an unknown key, or silence, with no tries left."""
    HANG_UP = "hang_up"


S, In = AgentlessState, AgentlessInput

TRANSITIONS: dict[tuple[AgentlessState, AgentlessInput], AgentlessState] = {
    (S.DIALING, In.ANSWERED_BY_PERSON): S.PLAYING_MESSAGE,
    (S.DIALING, In.ANSWERED_BY_MACHINE): S.LEAVING_MESSAGE,
    (S.PLAYING_MESSAGE, In.PROMPT_DONE): S.GATHERING,
    (S.PLAYING_MESSAGE, In.CHOICE): S.CLOSING,
    (S.GATHERING, In.CHOICE): S.CLOSING,
    (S.GATHERING, In.RETRY): S.GATHERING,
    (S.GATHERING, In.PROMPT_DONE): S.GATHERING,
    (S.GATHERING, In.GIVE_UP): S.CLOSING,
    (S.LEAVING_MESSAGE, In.PROMPT_DONE): S.ENDED,
    (S.CLOSING, In.PROMPT_DONE): S.ENDED,
    (S.PLAYING_MESSAGE, In.HANG_UP): S.ENDED,
    (S.GATHERING, In.HANG_UP): S.ENDED,
    (S.LEAVING_MESSAGE, In.HANG_UP): S.ENDED,
    (S.CLOSING, In.HANG_UP): S.ENDED,
}
"""(state, input) → next state; anything else is an :class:`AgentlessError`."""


class AgentlessError(ValueError):
    """An input that does not fit the call's state (a bug in the caller)."""


@dataclass(frozen=True, slots=True)
class AgentlessScript:
    """What the automated call says and which keys mean what."""

    message: str
    """The reminder or notice (business name and purpose first: 特定商取引法 Art. 16)."""
    question: str
    """The keypad question, e.g. "ご予約を確認される方は1を、変更は2を押してください"."""
    choices: tuple[tuple[str, str], ...] = (("1", "confirmed"), ("2", "change_requested"))
    """(key, result) pairs."""
    repeat_key: str = "9"
    max_tries: int = 3
    """Times the question is asked before giving up."""
    gather_timeout_s: float = 8.0
    thanks: str = "ありがとうございました。"
    machine_message: str = ""
    """Left on an answering machine; empty: ``message`` is left."""
    language: str = "ja"


@dataclass(frozen=True, slots=True)
class PlayPrompt:
    """Play ``text`` (synthesized) to the callee; report back with ``prompt_done``."""

    text: str
    language: str
    barge_in: bool = False
    """Keys pressed during the prompt count as an answer."""


@dataclass(frozen=True, slots=True)
class GatherDigits:
    """Collect up to ``max_digits`` keys, or report ``gather_timed_out`` after ``timeout_s``."""

    max_digits: int
    timeout_s: float


@dataclass(frozen=True, slots=True)
class HangUp:
    """End the call."""


AgentlessAction = PlayPrompt | GatherDigits | HangUp


@dataclass(slots=True)
class AgentlessCall:
    """One automated call; see the module docstring."""

    script: AgentlessScript
    campaign: str
    record_id: str
    dial_id: str
    state: AgentlessState = AgentlessState.DIALING
    tries: int = 0
    keys: str = ""
    """Every key the callee pressed, in order."""
    result: str | None = None
    answered_at: float | None = None
    events: list[AgentlessResulted] = field(default_factory=list)
    """The result event, once the call has ended."""

    # -- inputs --------------------------------------------------------------------------

    def answered(self, now: float, *, machine: bool = False) -> list[AgentlessAction]:
        """The dial was answered (by a person, or by an answering machine)."""
        self.answered_at = now
        if machine:
            self._go(In.ANSWERED_BY_MACHINE)
            text = self.script.machine_message or self.script.message
            return [PlayPrompt(text, self.script.language)]
        self._go(In.ANSWERED_BY_PERSON)
        return [PlayPrompt(self.script.message, self.script.language, barge_in=True)]

    def prompt_done(self, now: float) -> list[AgentlessAction]:
        """The last prompt finished playing."""
        state = self.state
        self._go(In.PROMPT_DONE)
        if state is S.PLAYING_MESSAGE:
            return self._ask()
        if state is S.GATHERING:
            return []  # the question finished: the gather is running
        if state is S.LEAVING_MESSAGE:
            self._finish("message_left", now)
        else:  # closing
            self._finish(self.result or "no_input", now)
        return [HangUp()]

    def digits(self, keys: str, now: float) -> list[AgentlessAction]:
        """The callee pressed ``keys`` (only the first counts)."""
        if not keys:
            raise AgentlessError("no keys")
        if self.state not in (S.PLAYING_MESSAGE, S.GATHERING):
            raise AgentlessError(f"keys while {self.state.value}")
        key = keys[0]
        self.keys += keys
        choice = dict(self.script.choices).get(key)
        if choice is not None:
            self._go(In.CHOICE)
            self.result = choice
            return [PlayPrompt(self.script.thanks, self.script.language)]
        if self.state is S.PLAYING_MESSAGE:
            return []  # a stray key during the message: the question follows
        return self._again("invalid_input")

    def gather_timed_out(self, now: float) -> list[AgentlessAction]:
        """No key within the gather's time-out."""
        return self._again("no_input")

    def hung_up(self, now: float) -> list[AgentlessAction]:
        """The callee hung up."""
        if self.state is S.ENDED:
            return []
        closing = self.state is S.CLOSING
        self._go(In.HANG_UP)
        if closing and self.result is not None:
            self._finish(self.result, now)
        else:
            self._finish("hung_up", now)
        return []

    # -- internals -----------------------------------------------------------------------

    def _go(self, what: AgentlessInput) -> None:
        try:
            self.state = TRANSITIONS[self.state, what]
        except KeyError:
            raise AgentlessError(f"{what.value} while {self.state.value}") from None

    def _ask(self) -> list[AgentlessAction]:
        self.tries += 1
        return [
            PlayPrompt(self.script.question, self.script.language, barge_in=True),
            GatherDigits(1, self.script.gather_timeout_s),
        ]

    def _again(self, failure: str) -> list[AgentlessAction]:
        if self.tries < self.script.max_tries:
            self._go(In.RETRY)
            return self._ask()
        self._go(In.GIVE_UP)
        self.result = failure
        return [PlayPrompt(self.script.thanks, self.script.language)]

    def _finish(self, result: str, now: float) -> None:
        self.result = result
        self.events.append(
            AgentlessResulted(
                at=now,
                campaign=self.campaign,
                record_id=self.record_id,
                dial_id=self.dial_id,
                result=result,
                keys=self.keys,
                tries=self.tries,
                duration_s=now - (self.answered_at if self.answered_at is not None else now),
            )
        )


#: What the dialer does with the record after each result: a disposition code (closing it)
#: or None (retry as after a no-answer).
RESULT_DISPOSITION: dict[str, str | None] = {
    "confirmed": "completed",
    "change_requested": "callback",
    "message_left": None,
    "no_input": None,
    "invalid_input": None,
    "hung_up": None,
}
