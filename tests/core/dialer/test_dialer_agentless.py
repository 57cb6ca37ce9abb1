"""The agentless reminder call: prompts, keypad gathering, retries and recorded results."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from madoguchi.core.dialer.agentless import (
    RESULT_DISPOSITION,
    TRANSITIONS,
    AgentlessCall,
    AgentlessError,
    AgentlessScript,
    AgentlessState,
    GatherDigits,
    HangUp,
    PlayPrompt,
)

SCRIPT = AgentlessScript(
    message="みどり歯科です。明日10時のご予約のお知らせです。",
    question="ご予約を確認される方は1を、変更をご希望の方は2を押してください。",
    max_tries=2,
)


def call() -> AgentlessCall:
    return AgentlessCall(SCRIPT, campaign="remind", record_id="r1", dial_id="d1")


def test_given_person_presses_1_then_confirmed_is_recorded_and_call_hangs_up() -> None:
    c = call()
    assert c.answered(100.0) == [PlayPrompt(SCRIPT.message, "ja", barge_in=True)]
    actions = c.prompt_done(105.0)
    assert actions == [PlayPrompt(SCRIPT.question, "ja", barge_in=True), GatherDigits(1, 8.0)]
    assert c.digits("1", 108.0) == [PlayPrompt(SCRIPT.thanks, "ja")]
    assert c.prompt_done(110.0) == [HangUp()]
    assert c.state is AgentlessState.ENDED
    (result,) = c.events
    assert (result.result, result.keys, result.tries, result.duration_s) == (
        "confirmed", "1", 1, 10.0,
    )  # fmt: skip
    assert RESULT_DISPOSITION[result.result] == "completed"


def test_given_key_during_message_then_it_answers_at_once() -> None:
    c = call()
    c.answered(0.0)
    assert c.digits("2", 2.0) == [PlayPrompt(SCRIPT.thanks, "ja")]
    c.prompt_done(4.0)
    assert c.events[0].result == "change_requested"


def test_given_silence_then_question_is_repeated_up_to_max_tries_then_no_input() -> None:
    c = call()
    c.answered(0.0)
    c.prompt_done(5.0)
    again = c.gather_timed_out(13.0)
    assert again == [PlayPrompt(SCRIPT.question, "ja", barge_in=True), GatherDigits(1, 8.0)]
    assert c.gather_timed_out(25.0) == [PlayPrompt(SCRIPT.thanks, "ja")]
    c.prompt_done(27.0)
    assert (c.events[0].result, c.events[0].tries) == ("no_input", 2)


def test_given_unknown_key_then_repeat_and_then_invalid_input() -> None:
    c = call()
    c.answered(0.0)
    c.prompt_done(5.0)
    c.digits("7", 6.0)
    c.digits("#", 9.0)
    c.prompt_done(10.0)
    assert (c.events[0].result, c.events[0].keys) == ("invalid_input", "7#")


def test_given_answering_machine_then_message_is_left() -> None:
    c = call()
    assert c.answered(0.0, machine=True) == [PlayPrompt(SCRIPT.message, "ja")]
    assert c.prompt_done(12.0) == [HangUp()]
    assert c.events[0].result == "message_left"


def test_given_hang_up_before_a_choice_then_hung_up_and_input_after_end_is_an_error() -> None:
    c = call()
    c.answered(0.0)
    c.prompt_done(5.0)
    assert c.hung_up(6.0) == []
    assert c.events[0].result == "hung_up"
    assert c.hung_up(7.0) == []  # twice is harmless
    with pytest.raises(AgentlessError):
        c.digits("1", 8.0)


def test_given_hang_up_during_thanks_then_the_choice_stands() -> None:
    c = call()
    c.answered(0.0)
    c.digits("1", 1.0)
    c.hung_up(2.0)
    assert c.events[0].result == "confirmed"


def test_every_table_target_is_a_state_and_ended_has_no_exit() -> None:
    assert all(target in AgentlessState for target in TRANSITIONS.values())
    assert not [key for key in TRANSITIONS if key[0] is AgentlessState.ENDED]


@given(st.lists(st.sampled_from(["1", "2", "7", "9", "timeout", "done", "hangup"]), max_size=12))
def test_any_callee_behaviour_ends_with_at_most_one_result(steps: list[str]) -> None:
    c = call()
    c.answered(0.0)
    for index, step in enumerate(steps, 1):
        try:
            if step == "timeout":
                c.gather_timed_out(float(index))
            elif step == "done":
                c.prompt_done(float(index))
            elif step == "hangup":
                c.hung_up(float(index))
            else:
                c.digits(step, float(index))
        except AgentlessError:
            pass  # an input that does not fit the state is refused and changes nothing
    c.hung_up(100.0)
    assert len(c.events) == 1
    assert c.state is AgentlessState.ENDED


def test_unconfirmed_reminder_is_retried_like_a_no_answer() -> None:
    from madoguchi.core.dialer import (
        Campaign,
        CampaignStatus,
        Dialer,
        DialOutcome,
        ListRecord,
        PacingState,
        ProgressivePacer,
    )
    from madoguchi.core.dialer.events import AttemptScheduled, DialPlaced

    campaign = Campaign("remind", "t", "remind", status=CampaignStatus.RUNNING)
    dialer = Dialer(campaign, ProgressivePacer(), records=[ListRecord("r1", "+81312345678")])
    now = 1_795_572_000.0  # 2026-11-25 11:00 Tokyo, a Wednesday
    (placed,) = dialer.place_dials(now, PacingState(now, 1, [], []))
    assert isinstance(placed, DialPlaced)
    dialer.dial_result(placed.dial_id, DialOutcome.ANSWERED, now + 5)
    (retry,) = dialer.retry_later("r1", now + 60)
    assert isinstance(retry, AttemptScheduled)
    assert retry.due == now + 60 + 2 * 3600.0
    assert retry.reason == "no_answer"
