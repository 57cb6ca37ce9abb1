"""Forecast: counting records, Japanese holidays, Holt–Winters and the held-out-week backtest."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import numpy as np
import pytest

from madoguchi.core.wfm.day_calendar import DayCalendar, japanese_calendar, japanese_holidays
from madoguchi.core.wfm.forecast import backtest, days_after, fit_forecaster
from madoguchi.core.wfm.forecast_history import (
    JST_OFFSET_S,
    ContactRecord,
    history_from_records,
)

JST = timezone(timedelta(hours=9))
WEEKLY = np.array([1.25, 1.1, 1.0, 1.0, 1.05, 0.5, 0.3])  # Mon..Sun


def _intraday_shape(per_day: int) -> np.ndarray[tuple[int], np.dtype[np.float64]]:
    hours = (np.arange(per_day) + 0.5) * 24 / per_day
    shape = np.where((hours >= 9) & (hours < 18), 1.0 + 0.5 * np.sin((hours - 9) / 9 * np.pi), 0.02)
    return np.asarray(shape / shape.sum())


def synthetic_records(first: date, n_days: int, seed: int = 1) -> list[ContactRecord]:
    """Poisson contacts: weekly pattern, slow growth, holidays at 35% of a Sunday-like day."""
    rng = np.random.default_rng(seed)
    holidays = japanese_holidays({first.year, first.year + 1})
    shape = _intraday_shape(96)
    records = []
    for i in range(n_days):
        day = first + timedelta(days=i)
        mean_total = 600.0 * (1 + 0.002 * i) * WEEKLY[day.weekday()]
        if day in holidays:
            mean_total = 600.0 * 0.35
        counts = rng.poisson(mean_total * shape)
        midnight = datetime(day.year, day.month, day.day, tzinfo=JST).timestamp()
        for slot, count in enumerate(counts):
            starts = midnight + slot * 900 + rng.uniform(0, 900, count)
            aht = 240.0 + 60.0 * (slot >= 48)  # longer calls in the afternoon
            for s, h in zip(starts, rng.exponential(aht, count), strict=True):
                records.append(ContactRecord(float(s), float(h)))
    return records


def test_records_are_counted_in_japan_local_days_and_intervals() -> None:
    nine_am = datetime(2026, 4, 1, 9, 5, tzinfo=JST).timestamp()
    late = datetime(2026, 4, 1, 23, 59, tzinfo=JST).timestamp()
    history = history_from_records(
        [ContactRecord(nine_am, 100), ContactRecord(nine_am + 60, 200), ContactRecord(late, 50)],
        interval_s=900,
        utc_offset_s=JST_OFFSET_S,
    )
    assert history.first_day == date(2026, 4, 1)
    assert history.volume[0, 36] == 2
    assert history.handle_s[0, 36] == 300
    assert history.volume[0, 95] == 1
    assert history.volume.sum() == 3


def test_japanese_calendar_knows_golden_week_and_year_end() -> None:
    calendar = japanese_calendar([2026])
    assert calendar.kind(date(2026, 5, 5)) == "holiday"  # こどもの日
    assert calendar.kind(date(2026, 12, 30)) == "year_end"
    assert calendar.kind(date(2026, 5, 7)) == "thu"


def test_backtest_on_held_out_weeks_beats_the_seasonal_naive_forecast() -> None:
    first = date(2026, 1, 5)
    history = history_from_records(synthetic_records(first, 16 * 7))
    calendar = DayCalendar(holidays=japanese_holidays([2026]))
    report = backtest(history, calendar, holdout_weeks=3)
    assert report.holdout_days == 21
    assert report.daily_mape < 0.08
    assert report.interval_wape < report.naive_interval_wape
    assert report.daily_mape < report.naive_daily_mape
    assert report.aht_wape < 0.25


def test_a_holiday_is_forecast_below_an_ordinary_day_of_the_same_weekday() -> None:
    first = date(2026, 1, 5)
    history = history_from_records(synthetic_records(first, 18 * 7, seed=3))
    model = fit_forecaster(history, DayCalendar(holidays=japanese_holidays([2026])))
    forecast = {f.day: f for f in model.forecast(days_after(history.days[-1], 28))}
    # history ends on 2026-05-10; 2026-05-06 is past, so compare a later Monday holiday set
    assert history.days[-1] == date(2026, 5, 10)
    assert all(f.calls.shape == (96,) for f in forecast.values())
    monday = forecast[date(2026, 5, 11)]
    assert monday.calls.sum() == pytest.approx(600 * 1.002**126 * 1.25, rel=0.12)
    july_holiday = model.forecast([date(2026, 7, 20)])[0]  # 海の日, a Monday
    assert july_holiday.kind == "holiday"
    assert july_holiday.calls.sum() < 0.5 * monday.calls.sum()
    afternoon, morning = monday.aht_s[60], monday.aht_s[40]
    assert afternoon > morning


def test_forecast_needs_two_weeks_of_history() -> None:
    history = history_from_records(synthetic_records(date(2026, 1, 5), 10))
    with pytest.raises(ValueError, match="14 days"):
        fit_forecaster(history, DayCalendar())


def test_contacts_nobody_handled_count_as_volume_but_not_in_the_aht() -> None:
    nine_am = datetime(2026, 4, 1, 9, 5, tzinfo=JST).timestamp()
    history = history_from_records(
        [
            ContactRecord(nine_am, 300),
            ContactRecord(nine_am + 60, 0, handled=False),
            ContactRecord(nine_am + 120, 100),
        ],
        interval_s=900,
    )
    assert history.volume[0, 36] == 3
    assert history.handled_count[0, 36] == 2
    assert history.handle_s[0, 36] == 400
    assert history.head(1).handled is not None


def test_without_unhandled_contacts_the_handled_count_is_the_volume() -> None:
    nine_am = datetime(2026, 4, 1, 9, 5, tzinfo=JST).timestamp()
    history = history_from_records([ContactRecord(nine_am, 300)], interval_s=900)
    assert history.handled is None
    assert history.handled_count is history.volume
