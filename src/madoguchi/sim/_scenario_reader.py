"""Reading located YAML values for the scenario loader, collecting ``FILE:LINE:`` problems.

Problems are collected, not raised one by one, so a user sees them all at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from madoguchi.sim import distributions as d
from madoguchi.sim._located_yaml import LocatedDict, LocatedList, line_of


@dataclass(frozen=True, slots=True)
class ScenarioProblem:
    """One problem in a scenario file."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class ScenarioError(ValueError):
    """A scenario that cannot run; ``problems`` lists every ``FILE:LINE: message``."""

    def __init__(self, problems: list[ScenarioProblem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


class Reader:
    """Typed reads of located values; problems go to ``problems``."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.problems: list[ScenarioProblem] = []

    def fail(self, line: int, message: str) -> None:
        self.problems.append(ScenarioProblem(self.filename, line, message))

    def mapping(self, value: Any, line: int, what: str) -> LocatedDict | None:
        if isinstance(value, LocatedDict):
            return value
        self.fail(line, f"{what} must be a mapping")
        return None

    def number(
        self,
        m: LocatedDict,
        key: str,
        default: float | None = None,
        *,
        minimum: float = 0.0,
        strict: bool = False,
    ) -> float | None:
        if key not in m:
            if default is None:
                self.fail(m.line, f"missing '{key}'")
            return default
        value = m[key]
        line = line_of(m, key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(line, f"'{key}' must be a number, not {value!r}")
            return default
        if value < minimum or (strict and value == minimum):
            relation = "greater than" if strict else "at least"
            self.fail(line, f"'{key}' must be {relation} {minimum:g}, not {value!r}")
            return default
        return float(value)

    def time_of_day(self, value: Any, line: int, what: str) -> int | None:
        """``"HH:MM"`` (or YAML's sexagesimal int, which is already minutes) → minutes."""
        if isinstance(value, int) and not isinstance(value, bool):
            minutes = value
        elif isinstance(value, str) and ":" in value:
            hours, _, mins = value.partition(":")
            if not (hours.isdigit() and mins.isdigit() and len(mins) == 2):
                self.fail(line, f"{what} must be HH:MM, not {value!r}")
                return None
            minutes = int(hours) * 60 + int(mins)
        else:
            self.fail(line, f"{what} must be HH:MM, not {value!r}")
            return None
        if not 0 <= minutes <= 1440:
            self.fail(line, f"{what} {value!r} is outside the day")
            return None
        return minutes

    def distribution(self, value: Any, line: int, what: str) -> d.Distribution | None:
        if isinstance(value, int | float) and not isinstance(value, bool):
            if value < 0:
                self.fail(line, f"{what} must not be negative")
                return None
            return d.Fixed(float(value))
        m = self.mapping(value, line, what)
        if m is None:
            return None
        kind = m.get("distribution")
        makers: dict[str, Callable[[LocatedDict], d.Distribution | None]] = {
            "fixed": lambda m: _opt(d.Fixed, self.number(m, "value")),
            "exponential": lambda m: _opt(d.Exponential, self.number(m, "mean", strict=True)),
            "lognormal": lambda m: _opt2(
                d.Lognormal, self.number(m, "mean", strict=True), self.number(m, "cv", 1.0)
            ),
            "uniform": lambda m: self._uniform(m),
            "empirical": lambda m: self._empirical(m),
        }
        if kind not in makers:
            self.fail(
                line_of(m, "distribution"),
                f"{what}: distribution must be one of {', '.join(makers)}, not {kind!r}",
            )
            return None
        return makers[str(kind)](m)

    def _uniform(self, m: LocatedDict) -> d.Distribution | None:
        low, high = self.number(m, "low"), self.number(m, "high")
        if low is None or high is None:
            return None
        if high < low:
            self.fail(line_of(m, "high"), "'high' must not be below 'low'")
            return None
        return d.Uniform(low, high)

    def _empirical(self, m: LocatedDict) -> d.Distribution | None:
        values = m.get("values")
        if not isinstance(values, LocatedList) or not values:
            self.fail(line_of(m, "values"), "'values' must be a non-empty list of seconds")
            return None
        good: list[float] = []
        for i, v in enumerate(values):
            if isinstance(v, bool) or not isinstance(v, int | float) or v < 0:
                self.fail(line_of(values, i), f"empirical value {v!r} must be seconds >= 0")
            else:
                good.append(float(v))
        return d.Empirical(tuple(good)) if len(good) == len(values) else None


def _opt(maker: Callable[[float], d.Distribution], value: float | None) -> d.Distribution | None:
    return None if value is None else maker(value)


def _opt2(
    maker: Callable[[float, float], d.Distribution], a: float | None, b: float | None
) -> d.Distribution | None:
    return None if a is None or b is None else maker(a, b)
