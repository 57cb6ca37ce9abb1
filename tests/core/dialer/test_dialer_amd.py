"""Answering-machine detection from the callee's talk cadence (pure)."""

from __future__ import annotations

import pytest

from madoguchi.core.dialer.amd import AmdRules, AnsweringMachineDetector, AnswerKind


def feed(detector: AnsweringMachineDetector, start: float, seconds: float, speech: bool) -> float:
    """20 ms frames from ``start`` for ``seconds``; returns the end time."""
    now = start
    for _ in range(round(seconds / 0.02)):
        now += 0.02
        if detector.frame(now, speech) is not None:
            break
    return now


def test_a_short_greeting_then_silence_is_a_person() -> None:
    detector = AnsweringMachineDetector(0.0)
    end = feed(detector, 0.0, 0.4, speech=False)
    end = feed(detector, end, 0.7, speech=True)  # "はい、山田です"
    assert detector.tick(end) is None
    feed(detector, end, 1.0, speech=False)
    assert detector.decision is AnswerKind.PERSON
    assert "short greeting" in detector.reason


def test_a_long_greeting_with_short_pauses_is_a_machine() -> None:
    detector = AnsweringMachineDetector(0.0)
    end = 0.0
    for _ in range(4):  # phrases of 0.6 s with 0.3 s pauses: one greeting running on
        end = feed(detector, end, 0.6, speech=True)
        end = feed(detector, end, 0.3, speech=False)
    assert detector.decision is AnswerKind.MACHINE
    assert detector.frame(end + 1.0, speech=False) is AnswerKind.MACHINE  # decided once


def test_silence_and_keys_count_as_a_person() -> None:
    silent = AnsweringMachineDetector(10.0)
    assert silent.tick(12.9) is None
    assert silent.tick(13.0) is AnswerKind.PERSON
    keyed = AnsweringMachineDetector(0.0)
    feed(keyed, 0.0, 1.0, speech=True)
    assert keyed.key() is AnswerKind.PERSON


def test_no_decision_by_the_limit_is_a_person() -> None:
    detector = AnsweringMachineDetector(0.0, AmdRules(greeting_max_s=10.0, max_s=2.0))
    feed(detector, 0.0, 2.5, speech=True)
    assert detector.decision is AnswerKind.PERSON
    assert "in time" in detector.reason


def test_rules_out_of_range_are_refused() -> None:
    with pytest.raises(ValueError, match="greeting_max_s"):
        AmdRules(greeting_max_s=0.0)
