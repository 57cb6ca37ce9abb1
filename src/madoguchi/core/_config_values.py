"""Parsers for the small value languages of the center file: hours, days, durations, targets.

Each function takes the text as written and returns the value, or raises :class:`ValueError`
whose message is ready to show after ``FILE:LINE:`` (it says what is wrong and how to fix it).
"""

from __future__ import annotations

import re
from datetime import date
from itertools import pairwise

from madoguchi.core.config import ServiceLevelTarget, TimeRange

DAY_NAMES: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_JAPANESE_DAYS = {"月": 0, "火": 1, "水": 2, "木": 3, "金": 4, "土": 5, "日": 6}
_DAY_ALIASES = {
    **{name: i for i, name in enumerate(DAY_NAMES)},
    **{
        full: i
        for i, full in enumerate(
            ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        )
    },
    **_JAPANESE_DAYS,
}
_RANGE_DASH = re.compile(r"\s*[-–~〜～]\s*")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)\s*(s|sec|m|min|h)?$")
_CLOCK_DURATION = re.compile(r"^(\d+):([0-5]\d)$")
_SERVICE_LEVEL = re.compile(r"^(\d+(?:\.\d+)?)\s*%?\s*(?:/|in)\s*(\d+(?:\.\d+)?)\s*s?$")
_MONTH_DAY = re.compile(r"^(\d{1,2})-(\d{1,2})$")
_DAY_MINUTES = 24 * 60


def parse_time(text: str, *, is_end: bool) -> int:
    """``"09:00"`` → minutes after midnight; ``"24:00"`` only as the end of a range."""
    match = _TIME.match(text.strip())
    if match is None:
        raise ValueError(f"'{text}' is not a time: write HH:MM, e.g. 09:00")
    hours, minutes = int(match.group(1)), int(match.group(2))
    if minutes > 59:
        raise ValueError(f"'{text}' has {minutes} minutes: minutes go from 00 to 59")
    total = hours * 60 + minutes
    if total > _DAY_MINUTES or (total == _DAY_MINUTES and not is_end):
        raise ValueError(
            f"'{text}' is past 24:00: a day's hours end at 24:00 at the latest; "
            "split overnight hours over two days (e.g. 22:00-24:00 and 00:00-02:00)"
        )
    return total


def parse_time_range(text: str) -> TimeRange:
    """``"09:00-18:00"`` (also with –, 〜 or ~) → a :class:`TimeRange`."""
    parts = _RANGE_DASH.split(text.strip())
    if len(parts) != 2:
        raise ValueError(f"'{text}' is not an hours range: write HH:MM-HH:MM, e.g. 09:00-18:00")
    start = parse_time(parts[0], is_end=False)
    end = parse_time(parts[1], is_end=True)
    if end <= start:
        raise ValueError(
            f"'{text}' ends before it starts: a range lies within one day; "
            "put overnight hours on two days (e.g. 22:00-24:00 and 00:00-06:00)"
        )
    return TimeRange(start, end)


def parse_hours(items: list[str]) -> tuple[TimeRange, ...]:
    """A day's hours: ``closed``, ``24h``, or ranges (several may share one comma-separated
    string); sorted, and rejected when two ranges overlap."""
    ranges: list[TimeRange] = []
    for item in items:
        for piece in (p.strip() for p in item.split(",")):
            lowered = piece.lower()
            if lowered in {"closed", "休業", ""}:
                continue
            if lowered in {"24h", "24時間"}:
                ranges.append(TimeRange(0, _DAY_MINUTES))
                continue
            ranges.append(parse_time_range(piece))
    ranges.sort(key=lambda r: (r.start, r.end))
    for before, after in pairwise(ranges):
        if after.start < before.end:
            raise ValueError(
                f"hours {format_range(before)} and {format_range(after)} overlap: "
                "merge them or fix one end"
            )
    return tuple(ranges)


def format_range(r: TimeRange) -> str:
    """A :class:`TimeRange` as ``HH:MM-HH:MM``."""
    return f"{r.start // 60:02d}:{r.start % 60:02d}-{r.end // 60:02d}:{r.end % 60:02d}"


def parse_day_spec(text: str) -> list[int]:
    """``"mon-fri"``, ``"sat,sun"``, ``"月-金"``, ``"daily"`` → weekday indexes (0 = Monday)."""
    spec = text.strip().lower()
    if spec in {"daily", "everyday", "every day", "毎日"}:
        return list(range(7))
    days: list[int] = []
    for token in (t.strip() for t in spec.split(",")):
        bounds = _RANGE_DASH.split(token)
        if len(bounds) > 2 or any(b not in _DAY_ALIASES for b in bounds):
            raise ValueError(
                f"'{text}' is not a day or day range: use mon tue wed thu fri sat sun, "
                "a range such as mon-fri, a list such as sat,sun, or daily"
            )
        first, last = _DAY_ALIASES[bounds[0]], _DAY_ALIASES[bounds[-1]]
        day = first
        while True:
            days.append(day)
            if day == last:
                break
            day = (day + 1) % 7
    return days


def parse_duration(text: str) -> float:
    """Seconds from ``90``, ``"90s"``, ``"5m"``, ``"1h"`` or ``"1:30"`` (minutes:seconds)."""
    value = text.strip().lower()
    if value.startswith("-"):
        raise ValueError(f"'{text}' is negative: a time must be 0 or more")
    clock = _CLOCK_DURATION.match(value)
    if clock is not None:
        return int(clock.group(1)) * 60.0 + int(clock.group(2))
    match = _DURATION.match(value)
    if match is None:
        raise ValueError(f"'{text}' is not a duration: write seconds (30), or 30s, 5m, 1h, 1:30")
    unit = match.group(2) or "s"
    factor = {"s": 1.0, "sec": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0}[unit]
    return float(match.group(1)) * factor


def parse_service_level(text: str) -> ServiceLevelTarget:
    """``"80/20"``, ``"80%/20s"`` or ``"80% in 20s"`` → 80 % answered within 20 s."""
    match = _SERVICE_LEVEL.match(text.strip())
    if match is None:
        raise ValueError(
            f"'{text}' is not a service level: write PERCENT/SECONDS such as 80/20 "
            "(80% answered within 20 s) or a mapping {fraction: 0.8, seconds: 20}"
        )
    percent, seconds = float(match.group(1)), float(match.group(2))
    if not 0 < percent <= 100:
        raise ValueError(f"service level {percent:g}% is outside 1–100%")
    if seconds <= 0:
        raise ValueError("service level seconds must be more than 0")
    return ServiceLevelTarget(percent / 100.0, seconds)


def parse_date(text: str) -> date:
    """An ISO date ``YYYY-MM-DD``."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"'{text}' is not a date: write YYYY-MM-DD, e.g. 2026-12-29") from None


def parse_month_day(text: str) -> tuple[int, int]:
    """``"12-29"`` → (12, 29), for closures that come back every year."""
    match = _MONTH_DAY.match(text.strip())
    if match is None:
        raise ValueError(f"'{text}' is not a month-day: write MM-DD, e.g. 12-29")
    month, day = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12:
        raise ValueError(f"'{text}': month {month} is outside 1–12")
    # 2024 is a leap year, so 02-29 is accepted.
    try:
        date(2024, month, day)
    except ValueError:
        raise ValueError(f"'{text}': month {month} has no day {day}") from None
    return month, day
