"""Business-hours calendars: weekly hours, 祝日, 年末年始, special days, time zones, next change."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from madoguchi.core.config import (
    AnnualClosure,
    Closure,
    HoursCalendar,
    TimeRange,
    epoch,
    is_holiday,
    local_datetime,
)
from madoguchi.samples import load_sample_center

TOKYO = ZoneInfo("Asia/Tokyo")
NEW_YORK = ZoneInfo("America/New_York")
CENTER = load_sample_center()
OFFICE = CENTER.calendar("office")  # mon-fri 9-18, sat 10-17, 祝日 closed, 12/29-1/3, 12/28 9-15
VIP = CENTER.calendar("vip")  # daily 9-20, 祝日 10-17, 12/31-1/2 closed


def tokyo(year: int, month: int, day: int, hour: int, minute: int, second: int = 0) -> float:
    return epoch(datetime(year, month, day, hour, minute, second, tzinfo=TOKYO))


def when(instant: float | None) -> datetime | None:
    return None if instant is None else local_datetime(instant, "Asia/Tokyo")


def test_weekday_hours_include_the_start_and_exclude_the_end() -> None:
    assert not OFFICE.is_open(tokyo(2026, 11, 24, 8, 59))  # Tuesday
    assert OFFICE.is_open(tokyo(2026, 11, 24, 9, 0))
    assert OFFICE.is_open(tokyo(2026, 11, 24, 17, 59, 59))
    assert not OFFICE.is_open(tokyo(2026, 11, 24, 18, 0))


def test_saturday_has_its_own_hours_and_sunday_is_closed() -> None:
    assert OFFICE.is_open(tokyo(2026, 11, 21, 10, 0))
    assert not OFFICE.is_open(tokyo(2026, 11, 21, 17, 0))
    assert not OFFICE.is_open(tokyo(2026, 11, 22, 12, 0))


def test_national_holiday_closes_the_office_and_next_change_skips_it() -> None:
    # 2026-11-23 (Mon) is 勤労感謝の日.
    assert is_holiday("JP", date(2026, 11, 23))
    assert not OFFICE.is_open(tokyo(2026, 11, 23, 10, 0))
    assert when(OFFICE.next_change(tokyo(2026, 11, 21, 16, 0))) == datetime(
        2026, 11, 21, 17, 0, tzinfo=TOKYO
    )
    assert when(OFFICE.next_change(tokyo(2026, 11, 21, 17, 0))) == datetime(
        2026, 11, 24, 9, 0, tzinfo=TOKYO
    )


def test_substitute_holiday_is_a_holiday() -> None:
    # 2026-05-03 憲法記念日 is a Sunday: 05-06 (Wed) is 振替休日.
    assert is_holiday("JP", date(2026, 5, 6))
    assert not OFFICE.is_open(tokyo(2026, 5, 6, 10, 0))
    assert OFFICE.is_open(tokyo(2026, 5, 7, 10, 0))


def test_holiday_hours_open_a_calendar_on_holidays() -> None:
    assert VIP.is_open(tokyo(2026, 11, 23, 10, 0))
    assert not VIP.is_open(tokyo(2026, 11, 23, 18, 0))
    assert VIP.is_open(tokyo(2026, 11, 24, 18, 0))
    assert when(VIP.next_change(tokyo(2026, 11, 23, 12, 0))) == datetime(
        2026, 11, 23, 17, 0, tzinfo=TOKYO
    )


def test_new_year_closure_spans_the_year_end_and_reopens_on_january_4() -> None:
    for day in (date(2026, 12, 29), date(2026, 12, 31), date(2027, 1, 1), date(2027, 1, 3)):
        assert OFFICE.hours_on(day) == (), day
        assert OFFICE.closure_on(day) == Closure(date(2026, 12, 29), date(2027, 1, 3), "年末年始")
    assert OFFICE.is_open(tokyo(2027, 1, 4, 9, 0))
    assert OFFICE.closure_on(date(2027, 1, 4)) is None
    assert when(OFFICE.next_change(tokyo(2026, 12, 28, 15, 0))) == datetime(
        2027, 1, 4, 9, 0, tzinfo=TOKYO
    )


def test_new_year_closure_comes_back_every_year() -> None:
    assert OFFICE.closure_on(date(2030, 12, 30)) == Closure(
        date(2030, 12, 29), date(2031, 1, 3), "年末年始"
    )
    assert not OFFICE.is_open(tokyo(2031, 1, 2, 10, 0))


def test_special_day_has_its_own_hours() -> None:
    # 2026-12-28 (Mon) 仕事納め: 09:00-15:00.
    assert OFFICE.is_open(tokyo(2026, 12, 28, 14, 59))
    assert not OFFICE.is_open(tokyo(2026, 12, 28, 15, 0))
    assert when(OFFICE.next_change(tokyo(2026, 12, 28, 10, 0))) == datetime(
        2026, 12, 28, 15, 0, tzinfo=TOKYO
    )


def test_special_day_wins_over_a_holiday_and_a_closure() -> None:
    calendar = HoursCalendar(
        "c",
        weekly=((TimeRange(540, 1080),),) * 7,
        annual_closures=(AnnualClosure((12, 29), (1, 3), "年末年始"),),
        special_days=(
            (date(2026, 11, 23), (TimeRange(600, 720),)),
            (date(2026, 12, 30), (TimeRange(600, 660),)),
        ),
    )
    assert calendar.is_open(tokyo(2026, 11, 23, 11, 0))
    assert not calendar.is_open(tokyo(2026, 11, 23, 13, 0))
    assert calendar.is_open(tokyo(2026, 12, 30, 10, 30))
    assert not calendar.is_open(tokyo(2026, 12, 31, 10, 30))


def test_calendar_in_another_time_zone_uses_its_own_local_time() -> None:
    calendar = HoursCalendar(
        "ny", timezone="America/New_York", weekly=((TimeRange(540, 1020),),) * 7,
        national_holidays=False,
    )  # fmt: skip
    # 23:00 in Tokyo on 11-23 is 09:00 in New York (EST, UTC-5).
    assert calendar.is_open(tokyo(2026, 11, 23, 23, 0))
    assert not calendar.is_open(tokyo(2026, 11, 23, 22, 59))


def test_next_change_across_a_daylight_saving_switch() -> None:
    calendar = HoursCalendar(
        "ny", timezone="America/New_York", weekly=((TimeRange(540, 1020),),) * 7,
        national_holidays=False,
    )  # fmt: skip
    # Clocks go forward on 2026-03-08 in New York: 09:00 EDT is 13:00 UTC.
    friday_close = epoch(datetime(2026, 3, 7, 17, 0, tzinfo=NEW_YORK))
    opening = calendar.next_change(friday_close)
    assert opening == epoch(datetime(2026, 3, 8, 9, 0, tzinfo=NEW_YORK))
    assert opening is not None
    assert datetime.fromtimestamp(opening, ZoneInfo("UTC")).hour == 13


def test_always_open_calendar_never_changes() -> None:
    always = CENTER.calendar("always")
    assert always.is_open(tokyo(2027, 1, 1, 3, 0))
    assert always.next_change(tokyo(2027, 1, 1, 3, 0)) is None


def test_split_hours_close_for_lunch() -> None:
    aozora = CENTER.calendar("aozora-office")
    assert aozora.is_open(tokyo(2026, 11, 24, 11, 59))
    assert not aozora.is_open(tokyo(2026, 11, 24, 12, 30))
    assert when(aozora.next_change(tokyo(2026, 11, 24, 12, 0))) == datetime(
        2026, 11, 24, 13, 0, tzinfo=TOKYO
    )


def test_queue_is_open_follows_its_calendar() -> None:
    holiday_morning = tokyo(2026, 11, 23, 10, 0)
    assert not CENTER.queue_is_open("general", holiday_morning)
    assert CENTER.queue_is_open("vip", holiday_morning)
    assert CENTER.queue_is_open("chat", holiday_morning)


@pytest.mark.parametrize("calendar_id", ["office", "vip", "aozora-office"])
@settings(max_examples=60, deadline=None)
@given(offset=st.integers(min_value=0, max_value=400 * 24 * 3600))
def test_next_change_is_the_first_instant_the_state_flips(calendar_id: str, offset: int) -> None:
    calendar = CENTER.calendar(calendar_id)
    now = tokyo(2026, 6, 1, 0, 0) + offset
    state = calendar.is_open(now)
    change = calendar.next_change(now)
    assert change is not None
    assert change > now
    assert calendar.is_open(change) != state
    probe = now
    while probe < change:  # no earlier flip, checked every 10 minutes
        assert calendar.is_open(probe) == state
        probe += 600
    assert calendar.is_open(change - 1) == state


def test_local_day_boundary_uses_the_calendar_zone() -> None:
    # 2026-11-22 15:00 UTC is Monday 2026-11-23 00:00 in Tokyo: a holiday, not a Sunday.
    instant = epoch(datetime(2026, 11, 22, 15, 0, tzinfo=ZoneInfo("UTC")))
    assert local_datetime(instant).date() == date(2026, 11, 23)
    assert OFFICE.hours_on(local_datetime(instant).date()) == ()
    assert when(OFFICE.next_change(instant)) == datetime(2026, 11, 24, 9, 0, tzinfo=TOKYO)
