"""Contact records and their counts per day and interval: the input of the forecast.

The records come from the store (contact records) or a CSV file; both become a list of
:class:`ContactRecord` and then a :class:`ContactHistory`. Days and intervals are those of the
center's time zone, given as a fixed UTC offset (Japan keeps +09:00 all year).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

JST_OFFSET_S = 9 * 3600
"""Japan Standard Time, UTC+09:00 (no daylight saving)."""

MAX_HISTORY_DAYS = 3700
"""Longest history accepted (about ten years)."""

_EPOCH = date(1970, 1, 1)


@dataclass(frozen=True)
class ContactRecord:
    """One handled (or offered) contact."""

    started_at: float
    """When the contact arrived, epoch seconds."""
    handle_s: float
    """Handle time (talk + hold + after-call work), seconds."""
    handled: bool = True
    """Whether an agent handled it; offered contacts that were not (abandoned) add volume
    but no handle time, and AHT is averaged over the handled ones only."""


@dataclass(frozen=True)
class ContactHistory:
    """Contacts and handle time per day (rows) and interval (columns)."""

    first_day: date
    """The date of row 0."""
    interval_s: int
    """Interval length, seconds (divides a day)."""
    volume: FloatArray
    """Contacts per day and interval."""
    handle_s: FloatArray
    """Total handle seconds per day and interval."""
    handled: FloatArray | None = None
    """Handled contacts per day and interval (the AHT denominator); None: all of ``volume``."""

    @property
    def handled_count(self) -> FloatArray:
        """Handled contacts per day and interval."""
        return self.volume if self.handled is None else self.handled

    @property
    def days(self) -> list[date]:
        """The date of every row."""
        return [self.first_day + timedelta(days=i) for i in range(self.volume.shape[0])]

    def head(self, n_days: int) -> ContactHistory:
        """The first ``n_days`` days."""
        return ContactHistory(
            self.first_day,
            self.interval_s,
            self.volume[:n_days],
            self.handle_s[:n_days],
            None if self.handled is None else self.handled[:n_days],
        )


def history_from_records(
    records: Iterable[ContactRecord], interval_s: int = 900, utc_offset_s: int = JST_OFFSET_S
) -> ContactHistory:
    """Count the records per local day and interval (days without contacts count as zero)."""
    if interval_s <= 0 or 86400 % interval_s:
        raise ValueError("interval_s must divide a day")
    started = []
    handle = []
    handled = []
    for record in records:
        started.append(record.started_at)
        handle.append(record.handle_s if record.handled else 0.0)
        handled.append(1.0 if record.handled else 0.0)
    if not started:
        raise ValueError("no contact records")
    local = np.asarray(started, dtype=np.float64) + utc_offset_s
    day_number = np.floor(local / 86400.0).astype(np.int64)
    slot = ((local - day_number * 86400.0) // interval_s).astype(np.int64)
    first = int(day_number.min())
    n_days = int(day_number.max()) - first + 1
    if n_days > MAX_HISTORY_DAYS:
        raise ValueError(f"the records span {n_days} days; at most {MAX_HISTORY_DAYS} are used")
    per_day = 86400 // interval_s
    volume = np.zeros((n_days, per_day))
    handle_total = np.zeros((n_days, per_day))
    np.add.at(volume, (day_number - first, slot), 1.0)
    np.add.at(handle_total, (day_number - first, slot), np.asarray(handle, dtype=np.float64))
    handled_count = None
    if not all(handled):
        handled_count = np.zeros((n_days, per_day))
        np.add.at(handled_count, (day_number - first, slot), np.asarray(handled))
    return ContactHistory(
        _EPOCH + timedelta(days=first), interval_s, volume, handle_total, handled_count
    )
