"""Counts for one queue over one interval, and the KPIs derived from them.

A :class:`Tally` is the mutable accumulator the board folds events into; :class:`IntervalStats`
is the frozen view a caller gets, with the usual contact-center ratios:

* service level = answered within the queue's target ÷ (answered + abandoned + overflowed),
  short abandons (under the threshold, default 5 s) left out of both sides;
* ASA (average speed of answer) = total wait of answered contacts ÷ answered;
* AHT (average handle time) = (talk + hold + after-contact work) ÷ handled parts;
* occupancy = agents' busy time (reserved, on contact, after-contact work) ÷ their staffed time
  (busy + available).

Each count lands in the interval in which its event happened (an answer at 10:16 counts in the
10:15 interval even if the call arrived at 10:14).
"""

from __future__ import annotations

from dataclasses import dataclass, fields


class Tally:
    """Mutable counters (see :class:`IntervalStats` for their meaning)."""

    __slots__ = (
        "abandoned",
        "acw_s",
        "answered",
        "answered_in_target",
        "available_s",
        "busy_s",
        "callbacks",
        "handled",
        "hold_s",
        "offered",
        "overflowed",
        "short_abandoned",
        "talk_s",
        "wait_answered_s",
    )

    def __init__(self) -> None:
        self.offered = 0
        self.answered = 0
        self.answered_in_target = 0
        self.abandoned = 0
        self.short_abandoned = 0
        self.overflowed = 0
        self.callbacks = 0
        self.wait_answered_s = 0.0
        self.handled = 0
        self.talk_s = 0.0
        self.hold_s = 0.0
        self.acw_s = 0.0
        self.busy_s = 0.0
        self.available_s = 0.0

    def add(self, other: Tally) -> None:
        """Add another tally's counts into this one."""
        for name in Tally.__slots__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def subtract(self, other: Tally) -> None:
        """Take another tally's counts (added earlier) out of this one."""
        for name in Tally.__slots__:
            setattr(self, name, getattr(self, name) - getattr(other, name))

    def freeze(self, queue_id: str, start: float, minutes: int) -> IntervalStats:
        """The frozen view."""
        return IntervalStats(
            queue_id=queue_id,
            start=start,
            minutes=minutes,
            **{name: getattr(self, name) for name in Tally.__slots__},
        )


@dataclass(frozen=True, slots=True)
class IntervalStats:
    """One queue's figures over one interval (or over all time when ``minutes`` is 0)."""

    queue_id: str
    start: float
    """Interval start (epoch seconds; aligned in the center's time zone)."""
    minutes: int
    offered: int
    """Contacts that entered the queue (new, overflowed in, transferred in)."""
    answered: int
    answered_in_target: int
    """Answered within the queue's service-level seconds."""
    abandoned: int
    """Abandoned after the short-abandon threshold."""
    short_abandoned: int
    """Abandoned before the threshold (counted apart, left out of service level)."""
    overflowed: int
    """Left by a max-wait, queue-full or closed treatment other than a callback."""
    callbacks: int
    """Callback requests (by the caller or by overflow), which keep their place."""
    wait_answered_s: float
    handled: int
    """Agent parts wrapped up (a transferred contact has one part per agent)."""
    talk_s: float
    hold_s: float
    acw_s: float
    busy_s: float
    """Time the queue's agents spent reserved, on contacts or in after-contact work."""
    available_s: float

    @property
    def service_level(self) -> float | None:
        """Fraction answered within target of the contacts decided here (None: none decided)."""
        decided = self.answered + self.abandoned + self.overflowed
        return self.answered_in_target / decided if decided else None

    @property
    def asa_s(self) -> float | None:
        """Average speed of answer."""
        return self.wait_answered_s / self.answered if self.answered else None

    @property
    def aht_s(self) -> float | None:
        """Average handle time: talk + hold + after-contact work per handled part."""
        return (self.talk_s + self.hold_s + self.acw_s) / self.handled if self.handled else None

    @property
    def abandon_rate(self) -> float | None:
        """Abandoned (short abandons excluded) over offered minus short abandons."""
        base = self.offered - self.short_abandoned
        return self.abandoned / base if base > 0 else None

    @property
    def occupancy(self) -> float | None:
        """Busy time over staffed time of the queue's agents."""
        staffed = self.busy_s + self.available_s
        return self.busy_s / staffed if staffed else None

    def as_dict(self) -> dict[str, object]:
        """Counts and ratios as plain data (for the API and wallboards)."""
        data: dict[str, object] = {f.name: getattr(self, f.name) for f in fields(self)}
        for name in ("service_level", "asa_s", "aht_s", "abandon_rate", "occupancy"):
            data[name] = getattr(self, name)
        return data
