"""When in the day contacts arrive: the intraday profile and weekday effects.

A profile is a list of contiguous segments ``[start, end)`` in minutes after local midnight,
each with a relative weight; arrivals follow a non-homogeneous Poisson process whose rate is
piecewise constant over the segments, scaled so that the expected number of arrivals over the
simulated window is the day's volume.

The default shape follows the source documents (seed 004): calls peak from opening until noon,
ease in the afternoon and fall toward evening. The weekday factors (Monday busiest after the
weekend, weekends quiet) are a common industry convention, not a figure from the seeds; a
scenario can give its own.
"""

from __future__ import annotations

from dataclasses import dataclass

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True, slots=True)
class ProfileSegment:
    """Arrivals at relative ``weight`` from ``start`` to ``end`` (minutes after midnight)."""

    start: int
    end: int
    weight: float


@dataclass(frozen=True, slots=True)
class IntradayProfile:
    """Contiguous weighted segments; see the module docstring."""

    segments: tuple[ProfileSegment, ...]

    def covers(self, start: int, end: int) -> bool:
        """Whether the segments cover ``[start, end)`` without gaps."""
        position = start
        for segment in sorted(self.segments, key=lambda s: s.start):
            if segment.start > position:
                break
            position = max(position, segment.end)
            if position >= end:
                return True
        return position >= end

    def rates(self, start: int, end: int, volume: float) -> list[tuple[float, float, float]]:
        """``(start_s, end_s, arrivals per second)`` pieces over ``[start, end)`` minutes.

        Times are seconds from ``start``; the rates integrate to ``volume``.
        """
        pieces: list[tuple[float, float, float]] = []
        for segment in sorted(self.segments, key=lambda s: s.start):
            lo, hi = max(segment.start, start), min(segment.end, end)
            if hi > lo:
                pieces.append(((lo - start) * 60.0, (hi - start) * 60.0, segment.weight))
        mass = sum((b - a) * w for a, b, w in pieces)
        if mass <= 0:
            return [(a, b, 0.0) for a, b, _ in pieces]
        return [(a, b, w * volume / mass) for a, b, w in pieces]


def _hourly(weights: dict[int, float]) -> IntradayProfile:
    return IntradayProfile(
        tuple(ProfileSegment(h * 60, h * 60 + 60, weights.get(h, 0.1)) for h in range(24))
    )


#: Relative call volume by local hour: high from opening to noon, easier afternoon, falling evening.
DEFAULT_PROFILE = _hourly(
    {
        7: 0.3,
        8: 0.8,
        9: 1.4,
        10: 1.5,
        11: 1.35,
        12: 0.95,
        13: 1.05,
        14: 1.0,
        15: 0.95,
        16: 0.85,
        17: 0.7,
        18: 0.5,
        19: 0.4,
        20: 0.3,
        21: 0.2,
    }
)

#: A flat profile (constant rate), for validation and benchmarks.
FLAT_PROFILE = IntradayProfile((ProfileSegment(0, 1440, 1.0),))

#: Volume multipliers by weekday, Monday first.
DEFAULT_WEEKDAY_FACTORS: tuple[float, ...] = (1.25, 1.05, 1.0, 0.95, 1.0, 0.8, 0.7)
