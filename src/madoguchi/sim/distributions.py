"""Random durations: handle time, after-contact work, patience, ring delay, redial delay.

Every distribution is a frozen record with a ``mean`` and a vectorised ``sample(generator, n)``
drawing from an injected :class:`numpy.random.Generator`. :class:`DurationStream` hands out
one draw at a time from blocks, so a simulation pays the numpy call once per few thousand draws
and stays reproducible: each stream owns its own generator, spawned from the scenario's seed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Fixed:
    """Always ``value`` seconds."""

    value: float

    @property
    def mean(self) -> float:
        return self.value

    def sample(self, generator: np.random.Generator, size: int) -> FloatArray:
        """``size`` draws."""
        return np.full(size, self.value, dtype=np.float64)


@dataclass(frozen=True, slots=True)
class Exponential:
    """Exponential with this mean (memoryless patience: Erlang A's assumption)."""

    mean: float

    def sample(self, generator: np.random.Generator, size: int) -> FloatArray:
        """``size`` draws."""
        return generator.exponential(self.mean, size)


@dataclass(frozen=True, slots=True)
class Lognormal:
    """Lognormal given by its mean and coefficient of variation (σ/mean), as handle times are."""

    mean: float
    cv: float

    def sample(self, generator: np.random.Generator, size: int) -> FloatArray:
        """``size`` draws."""
        sigma2 = math.log1p(self.cv * self.cv)
        mu = math.log(self.mean) - sigma2 / 2.0
        return generator.lognormal(mu, math.sqrt(sigma2), size)


@dataclass(frozen=True, slots=True)
class Uniform:
    """Uniform between ``low`` and ``high`` seconds."""

    low: float
    high: float

    @property
    def mean(self) -> float:
        return (self.low + self.high) / 2.0

    def sample(self, generator: np.random.Generator, size: int) -> FloatArray:
        """``size`` draws."""
        return generator.uniform(self.low, self.high, size)


@dataclass(frozen=True, slots=True)
class Empirical:
    """Resampled from observed values (e.g. measured patience or talk times)."""

    values: tuple[float, ...]

    @property
    def mean(self) -> float:
        return sum(self.values) / len(self.values)

    def sample(self, generator: np.random.Generator, size: int) -> FloatArray:
        """``size`` draws, with replacement."""
        return generator.choice(np.asarray(self.values, dtype=np.float64), size)


Distribution = Fixed | Exponential | Lognormal | Uniform | Empirical

#: Default patience: exponential with a mean such that only ~13% of callers would still be
#: waiting after 6 minutes (Japanese callers wait about 6 minutes at most, seed 004).
DEFAULT_PATIENCE = Exponential(mean=180.0)


def fraction_waiting_beyond(distribution: Distribution, seconds: float) -> float:
    """Share of callers whose patience exceeds ``seconds`` (used to document defaults)."""
    if isinstance(distribution, Exponential):
        return math.exp(-seconds / distribution.mean)
    if isinstance(distribution, Fixed):
        return 1.0 if distribution.value > seconds else 0.0
    draws = distribution.sample(np.random.default_rng(0), 100_000)
    return float(np.mean(draws > seconds))


class DurationStream:
    """One draw at a time from ``distribution``, in blocks of ``block`` (reproducible)."""

    __slots__ = ("_block", "_buffer", "_distribution", "_generator", "_index")

    def __init__(
        self, distribution: Distribution, generator: np.random.Generator, block: int = 4096
    ) -> None:
        self._distribution = distribution
        self._generator = generator
        self._block = block
        self._buffer: list[float] = []
        self._index = 0

    @property
    def distribution(self) -> Distribution:
        return self._distribution

    def next(self) -> float:
        """The next draw."""
        if self._index >= len(self._buffer):
            self._buffer = self._distribution.sample(self._generator, self._block).tolist()
            self._index = 0
        value = self._buffer[self._index]
        self._index += 1
        return value
