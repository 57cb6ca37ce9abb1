"""Behaviour of the dialer: lists, do-not-call, calling windows, retries, callbacks, caps."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from madoguchi.core.dialer import (
    Campaign,
    CampaignStatus,
    Dialer,
    DialerError,
    DialOutcome,
    DncEntry,
    DoNotCallRegistry,
    ListImportError,
    ListRecord,
    PacingState,
    ProgressivePacer,
    normalize_number,
    parse_call_list,
)
from madoguchi.core.dialer.events import (
    AttemptScheduled,
    CallbackScheduled,
    DialBlocked,
    DialPlaced,
    DoNotCallAdded,
    RecordClosed,
)

TOKYO = ZoneInfo("Asia/Tokyo")


def at(day: int, hour: int, minute: int = 0) -> float:
    """An instant in November 2026, Tokyo time (25th is a Wednesday, 23rd a holiday)."""
    return datetime(2026, 11, day, hour, minute, tzinfo=TOKYO).timestamp()


def free(n: int, now: float) -> PacingState:
    return PacingState(now=now, free_agents=n, busy_elapsed=[], ringing_elapsed=[])


def make_dialer(*numbers: str, **campaign_fields: object) -> Dialer:
    campaign = Campaign(
        id="renewal",
        tenant="midori",
        name="更新案内",
        status=CampaignStatus.RUNNING,
        **campaign_fields,  # type: ignore[arg-type]
    )
    records = [ListRecord(id=f"r{i}", number=n) for i, n in enumerate(numbers, 1)]
    return Dialer(campaign, ProgressivePacer(), records=records)


def test_given_csv_with_japanese_numbers_when_parsed_then_e164_and_duplicates_merged() -> None:
    text = (
        "電話番号,氏名,plan\n03-1234-5678,山田太郎,gold\n"
        "090-1234-5678,佐藤花子,\n+81312345678,,silver\n"
    )
    records = parse_call_list(text, "list.csv")
    assert [r.number for r in records] == ["+81312345678", "+819012345678"]
    assert records[0].name == "山田太郎"
    assert records[0].attributes == {"plan": "gold"}


def test_given_csv_with_bad_rows_when_parsed_then_every_row_named_and_nothing_loaded() -> None:
    text = 'phone,name\n03-1234-5678,ok\nnot-a-number,x\n"",y\n0120-000,z\n'
    with pytest.raises(ListImportError) as caught:
        parse_call_list(text, "list.csv")
    lines = [p.line for p in caught.value.problems]
    assert lines == [3, 4, 5]
    assert str(caught.value.problems[0]).startswith("list.csv:3: ")


def test_given_csv_without_phone_column_then_rejected_at_line_1() -> None:
    with pytest.raises(ListImportError, match=r"list\.csv:1: no phone column"):
        parse_call_list("name\nfoo\n", "list.csv")


def test_normalize_number_refuses_invalid() -> None:
    with pytest.raises(ValueError, match="not a valid number"):
        normalize_number("03-1234")


def test_given_free_agents_when_progressive_then_one_dial_each() -> None:
    dialer = make_dialer("+81312345671", "+81312345672", "+81312345673")
    events = dialer.place_dials(at(25, 10), free(2, at(25, 10)))
    assert [type(e) for e in events] == [DialPlaced, DialPlaced]
    assert dialer.outstanding == 2


def test_given_number_on_tenant_dnc_when_dialling_then_blocked_and_logged() -> None:
    dnc = DoNotCallRegistry()
    dnc.add(DncEntry("+81312345671", "midori", None, "refused"))
    campaign = Campaign(id="c", tenant="midori", name="c", status=CampaignStatus.RUNNING)
    dialer = Dialer(
        campaign,
        ProgressivePacer(),
        dnc,
        [ListRecord(id="r1", number="+81312345671"), ListRecord(id="r2", number="+81312345672")],
    )
    events = dialer.place_dials(at(25, 10), free(1, at(25, 10)))
    assert isinstance(events[0], DialBlocked)
    assert events[0].reason == "do_not_call"
    assert isinstance(events[1], DialPlaced)
    assert events[1].record_id == "r2"


def test_given_number_added_to_dnc_after_loading_then_checked_at_moment_of_dialling() -> None:
    dialer = make_dialer("+81312345671")
    dialer.dnc.add(DncEntry("+81312345671", "midori", "renewal", "campaign list"))
    events = dialer.place_dials(at(25, 10), free(1, at(25, 10)))
    assert [getattr(e, "reason", None) for e in events] == ["do_not_call"]


def test_given_refusal_when_dispositioned_then_never_solicited_again_by_the_tenant() -> None:
    dialer = make_dialer("+81312345671")
    placed = dialer.place_dials(at(25, 10), free(1, at(25, 10)))[0]
    assert isinstance(placed, DialPlaced)
    dialer.dial_result(placed.dial_id, DialOutcome.ANSWERED, at(25, 10, 1))
    events = dialer.disposition("r1", "a1", "refused", at(25, 10, 5))
    assert any(isinstance(e, DoNotCallAdded) for e in events)
    assert dialer.dnc.blocking("midori", "another-campaign", "+81312345671") is not None
    assert dialer.records["r1"].closed == "refused"


def test_given_evening_or_holiday_when_dialling_then_blocked_outside_window() -> None:
    dialer = make_dialer("+81312345671")
    evening = dialer.place_dials(at(25, 20, 30), free(1, at(25, 20, 30)))
    assert [getattr(e, "reason", None) for e in evening] == ["outside_window"]
    holiday = make_dialer("+81312345671")  # 23 November 2026: 勤労感謝の日
    events = holiday.place_dials(at(23, 10), free(1, at(23, 10)))
    assert [getattr(e, "reason", None) for e in events] == ["outside_window"]


def test_given_no_answer_when_resulted_then_retry_scheduled_by_rule() -> None:
    dialer = make_dialer("+81312345671")
    placed = dialer.place_dials(at(25, 10), free(1, at(25, 10)))[0]
    assert isinstance(placed, DialPlaced)
    events = dialer.dial_result(placed.dial_id, DialOutcome.NO_ANSWER, at(25, 10, 1))
    retry = events[-1]
    assert isinstance(retry, AttemptScheduled)
    assert retry.due == pytest.approx(at(25, 12, 1))
    assert dialer.place_dials(at(25, 11), free(1, at(25, 11))) == []
    again = dialer.place_dials(at(25, 12, 2), free(1, at(25, 12, 2)))
    assert isinstance(again[0], DialPlaced)
    assert again[0].attempt == 2


def test_given_max_attempts_reached_then_record_closed() -> None:
    dialer = make_dialer("+81312345671", max_attempts=1)
    placed = dialer.place_dials(at(25, 10), free(1, at(25, 10)))[0]
    assert isinstance(placed, DialPlaced)
    events = dialer.dial_result(placed.dial_id, DialOutcome.BUSY, at(25, 10, 1))
    assert isinstance(events[-1], RecordClosed)
    assert events[-1].reason == "max_attempts"


def test_given_invalid_number_result_then_closed_without_retry() -> None:
    dialer = make_dialer("+81312345671")
    placed = dialer.place_dials(at(25, 10), free(1, at(25, 10)))[0]
    assert isinstance(placed, DialPlaced)
    events = dialer.dial_result(placed.dial_id, DialOutcome.INVALID_NUMBER, at(25, 10, 0))
    assert isinstance(events[-1], RecordClosed)


def test_given_callback_requested_then_dialled_at_its_time_for_the_named_agent() -> None:
    dialer = make_dialer("+81312345671", "+81312345672")
    placed = dialer.place_dials(at(25, 10), free(1, at(25, 10)))[0]
    assert isinstance(placed, DialPlaced)
    dialer.dial_result(placed.dial_id, DialOutcome.ANSWERED, at(25, 10, 1))
    events = dialer.disposition(
        placed.record_id,
        "a7",
        "callback",
        at(25, 10, 5),
        callback_at=at(25, 15),
        callback_agent="a7",
    )
    assert any(isinstance(e, CallbackScheduled) for e in events)
    second = dialer.place_dials(at(25, 11), free(1, at(25, 11)))[0]
    assert isinstance(second, DialPlaced)
    assert second.record_id == "r2"
    due = dialer.place_dials(at(25, 15), free(1, at(25, 15)))[0]
    assert isinstance(due, DialPlaced)
    assert (due.record_id, due.agent_id) == (placed.record_id, "a7")


def test_given_daily_cap_then_dials_stop_for_the_day() -> None:
    dialer = make_dialer("+81312345671", "+81312345672", "+81312345673", daily_cap=2)
    events = dialer.place_dials(at(25, 10), free(3, at(25, 10)))
    assert [type(e).__name__ for e in events].count("DialPlaced") == 2
    assert any(getattr(e, "reason", None) == "daily_cap" for e in events)


def test_given_paused_campaign_then_nothing_dialled() -> None:
    dialer = make_dialer("+81312345671")
    dialer.pause()
    assert dialer.place_dials(at(25, 10), free(1, at(25, 10))) == []


def test_unknown_dial_or_record_raises_typed_error() -> None:
    dialer = make_dialer("+81312345671")
    with pytest.raises(DialerError):
        dialer.dial_result("nope", DialOutcome.BUSY, at(25, 10))
    with pytest.raises(DialerError):
        dialer.disposition("nope", "a1", "sale", at(25, 10))


def test_given_csv_with_a_stray_carriage_return_then_rows_rejected_not_crashed() -> None:
    # a lone CR ends a line, as spreadsheet exports on old Macs write them
    with pytest.raises(ListImportError) as caught:
        parse_call_list("phone,name\n03-1234\r5678,x\n", "list.csv")
    assert [p.line for p in caught.value.problems] == [2, 3]


def test_given_a_daily_connect_cap_then_dialling_stops_after_that_many_connects() -> None:
    dialer = make_dialer("+81312345671", "+81312345672", daily_connect_cap=1)
    (placed,) = dialer.place_dials(at(25, 10), free(1, at(25, 10)))
    assert isinstance(placed, DialPlaced)
    dialer.dial_result(placed.dial_id, DialOutcome.ANSWERED, at(25, 10, 1))
    dialer.connected(placed.dial_id, placed.record_id, "a1", 0.5, at(25, 10, 1))
    assert dialer.cap_reached(at(25, 10, 5)) == "daily_connect_cap"
    assert dialer.place_dials(at(25, 10, 5), free(1, at(25, 10, 5))) == []
    assert dialer.remaining() == 2  # nothing was taken off the list
    blocked = dialer.dial_record("r2", at(25, 10, 6))
    assert isinstance(blocked, DialBlocked)
    assert blocked.reason == "daily_connect_cap"
    assert dialer.cap_reached(at(26, 10)) is None  # the next day in Tokyo
    assert isinstance(dialer.place_dials(at(26, 10), free(1, at(26, 10)))[0], DialPlaced)


def test_given_counts_seeded_from_storage_then_the_cap_applies_to_the_local_day() -> None:
    dialer = make_dialer("+81312345671", daily_cap=3)
    dialer.set_today(at(25, 23, 50), dials=3, connects=1)
    assert dialer.today(at(25, 23, 59)) == (3, 1)
    assert dialer.cap_reached(at(25, 23, 59)) == "daily_cap"
    assert dialer.today(at(26, 0, 1)) == (0, 0)  # midnight in Tokyo, not UTC


def test_given_a_connected_record_when_disposed_elsewhere_then_it_is_requeued_or_closed() -> None:
    dialer = make_dialer("+81312345671", "+81312345672")
    first, second = dialer.place_dials(at(25, 10), free(2, at(25, 10)))
    assert isinstance(first, DialPlaced)
    assert isinstance(second, DialPlaced)
    for placed in (first, second):
        dialer.dial_result(placed.dial_id, DialOutcome.ANSWERED, at(25, 10, 1))
    dialer.requeue(first.record_id, at(25, 12))
    dialer.close_record(second.record_id, "sale")
    assert dialer.place_dials(at(25, 11), free(2, at(25, 11))) == []
    (again,) = dialer.place_dials(at(25, 12), free(2, at(25, 12)))
    assert isinstance(again, DialPlaced)
    assert (again.record_id, again.attempt) == (first.record_id, 2)
    dialer.dial_result(again.dial_id, DialOutcome.ANSWERED, at(25, 12, 1))
    dialer.schedule_callback(first.record_id, at(25, 15), "a7")
    (callback,) = dialer.place_dials(at(25, 15), free(1, at(25, 15)))
    assert isinstance(callback, DialPlaced)
    assert callback.agent_id == "a7"


def test_given_the_campaign_zone_then_window_open_and_has_due_tell_when_to_hold_agents() -> None:
    dialer = make_dialer("+81312345671")
    assert dialer.window_open(at(25, 10))
    assert not dialer.window_open(at(25, 21))  # 21:00 in Tokyo
    assert not dialer.window_open(at(23, 10))  # 23 November: a national holiday
    assert dialer.has_due(at(25, 10))
    (placed,) = dialer.place_dials(at(25, 10), free(1, at(25, 10)))
    assert isinstance(placed, DialPlaced)
    assert not dialer.has_due(at(25, 10))
    dialer.dial_result(placed.dial_id, DialOutcome.BUSY, at(25, 10, 1))  # retried in 15 min
    assert not dialer.has_due(at(25, 10, 10))
    assert dialer.has_due(at(25, 10, 16))


def test_given_a_callback_set_on_a_fresh_record_then_it_waits_for_its_time_not_list_order() -> None:
    dialer = make_dialer("+81312345671", "+81312345672", "+81312345673")
    dialer.schedule_callback("r1", at(25, 14))  # r1 is first on the list, promised for 14:00
    morning = dialer.place_dials(at(25, 10), free(3, at(25, 10)))
    assert [e.record_id for e in morning if isinstance(e, DialPlaced)] == ["r2", "r3"]
    assert dialer.place_dials(at(25, 13, 59), free(3, at(25, 13, 59))) == []
    (due,) = dialer.place_dials(at(25, 14), free(3, at(25, 14)))
    assert isinstance(due, DialPlaced)
    assert (due.record_id, due.agent_id) == ("r1", None)
    assert dialer.place_dials(at(25, 15), free(3, at(25, 15))) == []  # dialled once


def test_given_a_named_agents_callback_then_it_waits_for_that_agent_then_anyone_after_grace() -> (
    None
):
    dialer = make_dialer("+81312345671", "+81312345672", callback_grace_s=600.0)
    dialer.schedule_callback("r2", at(25, 10), "a7")
    # a1 is free, a7 is not: r2 waits for a7, r1 goes to whoever is free
    first = dialer.place_dials(at(25, 10), free(1, at(25, 10)), free_agents=["a1"])
    assert [(e.record_id, e.agent_id) for e in first if isinstance(e, DialPlaced)] == [("r1", None)]
    assert dialer.waiting_callbacks(at(25, 10, 5)) == [("r2", "a7", at(25, 10))]
    assert dialer.place_dials(at(25, 10, 5), free(1, at(25, 10, 5)), free_agents=["a1"]) == []
    # a7 becomes free: the callback is theirs
    (kept,) = dialer.place_dials(at(25, 10, 6), free(2, at(25, 10, 6)), free_agents=["a1", "a7"])
    assert isinstance(kept, DialPlaced)
    assert (kept.record_id, kept.agent_id) == ("r2", "a7")


def test_given_a_named_agent_who_never_comes_then_anyone_takes_the_callback_after_grace() -> None:
    dialer = make_dialer("+81312345671", callback_grace_s=300.0)
    dialer.schedule_callback("r1", at(25, 10), "a7")
    assert dialer.place_dials(at(25, 10, 4), free(1, at(25, 10, 4)), free_agents=["a1"]) == []
    (fallback,) = dialer.place_dials(at(25, 10, 5), free(1, at(25, 10, 5)), free_agents=["a1"])
    assert isinstance(fallback, DialPlaced)
    assert (fallback.record_id, fallback.agent_id) == ("r1", None)
    assert dialer.waiting_callbacks(at(25, 10, 6)) == []


def test_given_a_callback_dialled_before_its_retry_then_the_old_retry_is_not_dialled() -> None:
    dialer = make_dialer("+81312345671")
    (placed,) = dialer.place_dials(at(25, 10), free(1, at(25, 10)))
    assert isinstance(placed, DialPlaced)
    dialer.dial_result(placed.dial_id, DialOutcome.BUSY, at(25, 10))  # retry at 10:15
    dialer.schedule_callback("r1", at(25, 10, 5))
    (callback,) = dialer.place_dials(at(25, 10, 5), free(1, at(25, 10, 5)))
    assert isinstance(callback, DialPlaced)
    # the 10:15 retry was replaced: nothing while the callback's call is live
    assert dialer.place_dials(at(25, 10, 20), free(1, at(25, 10, 20))) == []
    dialer.dial_result(callback.dial_id, DialOutcome.NO_ANSWER, at(25, 10, 21))
    assert dialer.place_dials(at(25, 11), free(1, at(25, 11))) == []  # retried at 12:21
    (retry,) = dialer.place_dials(at(25, 12, 21), free(1, at(25, 12, 21)))
    assert isinstance(retry, DialPlaced)
