"""Answering-machine detection (留守番電話の判定) for agentless calls, from the callee's talk.

Pure: telephony reports, for each 20 ms frame of the callee's audio, whether it carried speech
(:meth:`AnsweringMachineDetector.frame`), and calls :meth:`~AnsweringMachineDetector.tick`
while waiting; ``now`` is always passed in. The rule is the usual cadence heuristic:

- a person answers with a short greeting ("はい、山田です") and then waits: speech shorter
  than ``greeting_max_s`` followed by ``silence_after_greeting_s`` of silence → person;
- a machine plays a long greeting ("ただいま電話に出ることができません…"): speech running on
  (pauses shorter than ``silence_after_greeting_s`` do not end it) for ``greeting_max_s``
  or more → machine;
- nothing said for ``initial_silence_s``, no decision by ``max_s``, or a key pressed →
  person (a machine does not press keys; when in doubt the message is played to a person).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class AnswerKind(StrEnum):
    """Who answered."""

    PERSON = "person"
    MACHINE = "machine"


@dataclass(frozen=True, slots=True)
class AmdRules:
    """The detector's thresholds (seconds)."""

    greeting_max_s: float = 1.8
    silence_after_greeting_s: float = 0.8
    initial_silence_s: float = 3.0
    max_s: float = 4.5

    def __post_init__(self) -> None:
        for name in ("greeting_max_s", "silence_after_greeting_s", "initial_silence_s", "max_s"):
            value = getattr(self, name)
            if not 0.0 < value < 60.0:
                raise ValueError(f"{name} must be between 0 and 60 seconds, not {value!r}")


class AnsweringMachineDetector:
    """One answered call's detection; see the module docstring."""

    def __init__(self, answered_at: float, rules: AmdRules | None = None) -> None:
        self.rules = rules or AmdRules()
        self.answered_at = answered_at
        self.talk_started: float | None = None
        self.last_speech: float | None = None
        self.decision: AnswerKind | None = None
        self.reason = ""
        """Why it decided (for the log)."""

    def frame(self, now: float, speech: bool) -> AnswerKind | None:
        """A frame of the callee's audio heard at ``now``; the decision once made."""
        if self.decision is not None:
            return self.decision
        if speech:
            if self.talk_started is None:
                self.talk_started = now
            self.last_speech = now
            if now - self.talk_started >= self.rules.greeting_max_s:
                return self._decide(AnswerKind.MACHINE, "a long greeting")
        return self.tick(now)

    def key(self) -> AnswerKind:
        """The callee pressed a key: a person."""
        if self.decision is None:
            self._decide(AnswerKind.PERSON, "a key pressed")
        assert self.decision is not None
        return self.decision

    def tick(self, now: float) -> AnswerKind | None:
        """Time passes with no frame (or after one); the decision once made."""
        if self.decision is not None:
            return self.decision
        rules = self.rules
        if (
            self.last_speech is not None
            and now - self.last_speech >= rules.silence_after_greeting_s
        ):
            return self._decide(AnswerKind.PERSON, "a short greeting, then silence")
        if self.talk_started is None and now - self.answered_at >= rules.initial_silence_s:
            return self._decide(AnswerKind.PERSON, "silence (undecided: treated as a person)")
        if now - self.answered_at >= rules.max_s:
            return self._decide(AnswerKind.PERSON, "no decision in time (treated as a person)")
        return None

    def _decide(self, kind: AnswerKind, reason: str) -> AnswerKind:
        self.decision = kind
        self.reason = reason
        return kind
