"""Kinds of day for forecasting: weekday, Japanese public holiday (祝日), or a named special day.

Holidays behave like neither a weekday nor quite a Sunday, and special days (年末年始 year-end,
a campaign launch, a billing day) have their own level; the forecaster learns a factor for each
kind it has seen and falls back sensibly for kinds it has not.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

import holidays

HOLIDAY = "holiday"
"""The kind of a public holiday that is not a named special day."""

WEEKDAY_KINDS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""Kinds of ordinary days, indexed by ``date.weekday()``."""


def japanese_holidays(years: Iterable[int]) -> frozenset[date]:
    """Japan's public holidays (国民の祝日 and substitute holidays) in the given years."""
    return frozenset(holidays.country_holidays("JP", years=sorted(set(years))).keys())


@dataclass(frozen=True)
class DayCalendar:
    """Tells the kind of each date."""

    holidays: frozenset[date] = frozenset()
    """Public holidays (kind ``"holiday"``)."""
    special_days: Mapping[date, str] = field(default_factory=dict)
    """Dates with a named kind of their own, e.g. ``{date(2026, 12, 30): "year_end"}``."""

    def kind(self, day: date) -> str:
        """``"mon"``…``"sun"``, ``"holiday"`` or a special day's name."""
        special = self.special_days.get(day)
        if special is not None:
            return special
        if day in self.holidays:
            return HOLIDAY
        return WEEKDAY_KINDS[day.weekday()]

    def is_regular(self, day: date) -> bool:
        """Whether the day is an ordinary weekday (neither holiday nor special)."""
        return self.kind(day) in WEEKDAY_KINDS


def japanese_calendar(
    years: Iterable[int], special_days: Mapping[date, str] | None = None, year_end: bool = True
) -> DayCalendar:
    """A calendar with Japan's holidays; ``year_end`` marks 12/29–1/3 ``"year_end"`` (年末年始)."""
    years = sorted(set(years))
    special: dict[date, str] = {}
    if year_end:
        for year in years:
            for d in (29, 30, 31):
                special[date(year, 12, d)] = "year_end"
            for d in (1, 2, 3):
                special[date(year, 1, d)] = "year_end"
    if special_days:
        special.update(special_days)
    return DayCalendar(holidays=japanese_holidays(years), special_days=special)
