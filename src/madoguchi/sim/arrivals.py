"""The day's first-attempt arrivals: a non-homogeneous Poisson process over the contact mix.

The rate is piecewise constant over the profile's segments (scaled to the day's expected volume
after the weekday effect). Within each piece the count is Poisson and the instants are uniform,
which is exactly a Poisson process of that rate; the pieces together are the non-homogeneous
process. Each arrival is given a kind from the mix by its share, and its handle time and
patience are drawn up front, so two scenarios that differ only in staffing see the very same
callers (common random numbers: a fair "40 vs 45 agents" comparison).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from madoguchi.sim.scenario import Scenario

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class Arrivals:
    """Arrivals sorted by time; all arrays have one entry per arrival."""

    times: FloatArray
    """Seconds after opening."""
    kinds: IntArray
    """Index into ``scenario.mix``."""
    handle_times: FloatArray
    patience: FloatArray
    """Seconds; ``inf`` for kinds that never abandon."""

    def __len__(self) -> int:
        return int(self.times.shape[0])


def generate_arrivals(scenario: Scenario, generator: np.random.Generator) -> Arrivals:
    """Draw the day's first attempts (redials come later, from abandonments)."""
    pieces = scenario.profile.rates(scenario.open_min, scenario.close_min, scenario.expected_volume)
    chunks: list[FloatArray] = []
    for start, end, rate in pieces:
        count = int(generator.poisson(rate * (end - start))) if rate > 0 else 0
        chunks.append(generator.uniform(start, end, count))
    times = np.sort(np.concatenate(chunks)) if chunks else np.empty(0)
    shares = np.asarray([k.share for k in scenario.mix], dtype=np.float64)
    kinds: IntArray = np.asarray(
        generator.choice(len(shares), size=times.shape[0], p=shares / shares.sum()), dtype=np.int64
    )
    handle = np.empty(times.shape[0])
    patience = np.full(times.shape[0], np.inf)
    for index, kind in enumerate(scenario.mix):
        mask = kinds == index
        n = int(mask.sum())
        handle[mask] = kind.handle_time.sample(generator, n)
        if kind.patience is not None:
            patience[mask] = kind.patience.sample(generator, n)
    return Arrivals(times, kinds, handle, patience)


class LiveArrivals:
    """Arrivals one at a time at ``calls_per_hour``, for a live demo that places real calls.

    The gaps of a Poisson process are exponential; the caller (a wall-clock driver) sleeps
    :meth:`next_gap` seconds between calls and picks each call's kind with :meth:`next_kind`.
    """

    def __init__(
        self, calls_per_hour: float, shares: list[float], generator: np.random.Generator
    ) -> None:
        if calls_per_hour <= 0:
            raise ValueError("calls_per_hour must be positive")
        total = sum(shares)
        if total <= 0 or any(s < 0 for s in shares):
            raise ValueError("shares must be non-negative and not all zero")
        self.mean_gap_s = 3600.0 / calls_per_hour
        self._cumulative = np.cumsum(np.asarray(shares, dtype=np.float64) / total)
        self._generator = generator

    def next_gap(self) -> float:
        """Seconds until the next call."""
        return float(self._generator.exponential(self.mean_gap_s))

    def next_kind(self) -> int:
        """Index of the next call's kind (by share)."""
        draw = float(self._generator.random())
        return min(
            int(np.searchsorted(self._cumulative, draw, side="right")), len(self._cumulative) - 1
        )
