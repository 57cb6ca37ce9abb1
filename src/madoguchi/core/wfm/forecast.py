"""Forecast of contact volume and AHT per interval, from contact records.

The method, in three parts:

1. **Daily volume** by Holt–Winters exponential smoothing (level, damped trend, multiplicative
   weekly seasonality) over the ordinary days. Holidays and special days do not update the
   weekly pattern; each kind gets a factor learned as the ratio of its days' volume to the
   smoothed level (a kind never seen falls back to the Sunday factor). The smoothing constants
   are chosen by the least one-step-ahead squared error over a small grid.
2. **Intraday shape**: the share of the day's volume in each interval, per kind of day,
   exponentially weighted toward recent days of that kind.
3. **AHT** per kind of day and interval: handle time over handled contacts, weighted by a 28-day
   half-life, falling back to the kind's daily AHT and then the overall AHT.

:func:`backtest` holds out the last weeks, fits on the rest and reports MAPE and WAPE per
interval and per day, beside a seasonal-naive forecast (the same day last week) for scale.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import numpy.typing as npt

from madoguchi.core.wfm.day_calendar import HOLIDAY, WEEKDAY_KINDS, DayCalendar
from madoguchi.core.wfm.forecast_history import ContactHistory

FloatArray = npt.NDArray[np.float64]

_DAMPING = 0.98
_PROFILE_WEIGHT = 0.2
_AHT_HALF_LIFE_DAYS = 28.0
_ALPHAS = (0.05, 0.1, 0.2, 0.35, 0.5)
_BETAS = (0.0, 0.02, 0.1)
_GAMMAS = (0.05, 0.15, 0.3)


@dataclass(frozen=True)
class DayForecast:
    """The forecast of one day."""

    day: date
    """The date (center's time zone)."""
    kind: str
    """Kind of day (``"mon"``…``"sun"``, ``"holiday"`` or a special day's name)."""
    calls: FloatArray
    """Expected contacts per interval."""
    aht_s: FloatArray
    """Expected average handle time per interval, seconds."""


@dataclass(frozen=True)
class _Smoothing:
    alpha: float
    beta: float
    gamma: float


def _run_holt_winters(
    totals: FloatArray, weekdays: Sequence[int], regular: Sequence[bool], s: _Smoothing
) -> tuple[float, float, FloatArray, float, list[float]]:
    """Smooth daily totals; returns level, trend, seasonal factors, SSE and level-ratios."""
    first = [t for t in range(min(14, totals.size)) if regular[t]]
    level = float(np.mean(totals[first])) if first else float(np.mean(totals))
    level = max(level, 1e-9)
    season = np.ones(7)
    for w in range(7):
        same = [totals[t] for t in first if weekdays[t] == w]
        if same:
            season[w] = max(float(np.mean(same)) / level, 1e-6)
    trend = 0.0
    sse = 0.0
    ratios: list[float] = []
    for t in range(totals.size):
        base = level + _DAMPING * trend
        y = float(totals[t])
        if not regular[t]:
            ratios.append(y / base if base > 0 else 1.0)
            level, trend = max(base, 1e-9), _DAMPING * trend
            continue
        ratios.append(math.nan)
        w = weekdays[t]
        sse += (y - base * season[w]) ** 2
        new_level = max(s.alpha * y / season[w] + (1.0 - s.alpha) * base, 1e-9)
        trend = s.beta * (new_level - level) + (1.0 - s.beta) * _DAMPING * trend
        season[w] = s.gamma * y / new_level + (1.0 - s.gamma) * season[w]
        level = new_level
    return level, trend, season, sse, ratios


@dataclass(frozen=True)
class VolumeForecaster:
    """A forecaster fitted to a :class:`ContactHistory`; call :meth:`forecast`."""

    last_day: date
    level: float
    trend: float
    season: FloatArray
    kind_factors: dict[str, float]
    profiles: dict[str, FloatArray]
    aht_by_kind: dict[str, FloatArray]
    calendar: DayCalendar
    smoothing: tuple[float, float, float]
    """The chosen (α, β, γ)."""

    def forecast(self, days: Iterable[date]) -> list[DayForecast]:
        """Forecast the given days (each after the last day of the history)."""
        out = []
        for day in days:
            h = (day - self.last_day).days
            if h < 1:
                raise ValueError(f"{day} is not after the history's last day {self.last_day}")
            damped = sum(_DAMPING**i for i in range(1, h + 1))
            base = max(self.level + damped * self.trend, 0.0)
            kind = self.calendar.kind(day)
            if kind in WEEKDAY_KINDS:
                total = base * float(self.season[day.weekday()])
            else:
                factor = self.kind_factors.get(kind, self.kind_factors.get(HOLIDAY))
                total = base * (factor if factor is not None else float(self.season[6]))
            profile = self.profiles.get(kind, self.profiles.get("sun", self.profiles["all"]))
            aht = self.aht_by_kind.get(kind, self.aht_by_kind.get("sun", self.aht_by_kind["all"]))
            out.append(DayForecast(day=day, kind=kind, calls=total * profile, aht_s=aht.copy()))
        return out


def fit_forecaster(history: ContactHistory, calendar: DayCalendar) -> VolumeForecaster:
    """Fit the daily smoothing, intraday shapes and AHT to the history."""
    days = history.days
    if len(days) < 14:
        raise ValueError("a forecast needs at least 14 days of history")
    totals = history.volume.sum(axis=1)
    weekdays = [d.weekday() for d in days]
    kinds = [calendar.kind(d) for d in days]
    regular = [k in WEEKDAY_KINDS for k in kinds]
    best: tuple[float, _Smoothing] | None = None
    for a, b, g in itertools.product(_ALPHAS, _BETAS, _GAMMAS):
        s = _Smoothing(a, b, g)
        sse = _run_holt_winters(totals, weekdays, regular, s)[3]
        if best is None or sse < best[0]:
            best = (sse, s)
    assert best is not None
    chosen = best[1]
    level, trend, season, _, ratios = _run_holt_winters(totals, weekdays, regular, chosen)
    factors: dict[str, list[float]] = {}
    for kind, ratio in zip(kinds, ratios, strict=True):
        if not math.isnan(ratio):
            factors.setdefault(kind, []).append(ratio)
    return VolumeForecaster(
        last_day=days[-1],
        level=level,
        trend=trend,
        season=season,
        kind_factors={k: float(np.mean(v)) for k, v in factors.items()},
        profiles=_profiles(history, kinds),
        aht_by_kind=_aht_by_kind(history, kinds),
        calendar=calendar,
        smoothing=(chosen.alpha, chosen.beta, chosen.gamma),
    )


def _profiles(history: ContactHistory, kinds: Sequence[str]) -> dict[str, FloatArray]:
    totals = history.volume.sum(axis=1)
    k = history.volume.shape[1]
    profiles: dict[str, FloatArray] = {}
    groups: dict[str, list[int]] = {}
    for t, kind in enumerate(kinds):
        groups.setdefault(kind, []).append(t)
    for kind, rows in groups.items():
        profile = np.full(k, 1.0 / k)
        seen = False
        for t in rows:
            if totals[t] <= 0:
                continue
            share = history.volume[t] / totals[t]
            weight = 1.0 if not seen else _PROFILE_WEIGHT
            profile = weight * share + (1.0 - weight) * profile
            seen = True
        if seen:
            profiles[kind] = profile
    busy = totals > 0
    profiles["all"] = (
        (history.volume[busy] / totals[busy, None]).mean(axis=0)
        if busy.any()
        else np.full(k, 1 / k)
    )
    return profiles


def _aht_by_kind(history: ContactHistory, kinds: Sequence[str]) -> dict[str, FloatArray]:
    n_days = len(kinds)
    age = np.arange(n_days - 1, -1, -1, dtype=np.float64)
    weights = 0.5 ** (age / _AHT_HALF_LIFE_DAYS)
    vol = history.handled_count * weights[:, None]
    hnd = history.handle_s * weights[:, None]
    overall = float(hnd.sum() / vol.sum()) if vol.sum() > 0 else 0.0
    out: dict[str, FloatArray] = {}
    for kind in {*kinds, "all"}:
        rows = np.array([kind == "all" or k == kind for k in kinds])
        v = vol[rows].sum(axis=0)
        h = hnd[rows].sum(axis=0)
        daily = float(h.sum() / v.sum()) if v.sum() > 0 else overall
        with np.errstate(invalid="ignore", divide="ignore"):
            per_interval = np.where(v > 0, h / np.where(v > 0, v, 1.0), daily)
        out[kind] = per_interval
    return out


@dataclass(frozen=True)
class BacktestReport:
    """Accuracy of the forecast on held-out weeks (fractions: 0.1 is 10%)."""

    holdout_days: int
    """Days held out and forecast."""
    interval_mape: float
    """Mean absolute percentage error over intervals with contacts."""
    interval_wape: float
    """Σ|actual − forecast| / Σ actual over intervals."""
    daily_mape: float
    """MAPE of the daily totals."""
    daily_wape: float
    """WAPE of the daily totals."""
    aht_wape: float
    """Volume-weighted absolute AHT error over the actual AHT."""
    naive_interval_wape: float
    """Interval WAPE of the seasonal-naive forecast (same weekday of the last week)."""
    naive_daily_mape: float
    """Daily MAPE of the seasonal-naive forecast."""


def _mape(actual: FloatArray, predicted: FloatArray) -> float:
    mask = actual > 0
    return (
        float(np.mean(np.abs(actual[mask] - predicted[mask]) / actual[mask])) if mask.any() else 0.0
    )


def _wape(actual: FloatArray, predicted: FloatArray) -> float:
    total = float(actual.sum())
    return float(np.abs(actual - predicted).sum() / total) if total > 0 else 0.0


def backtest(history: ContactHistory, calendar: DayCalendar, holdout_weeks: int) -> BacktestReport:
    """Fit on all but the last ``holdout_weeks`` weeks and score the forecast of those weeks."""
    holdout = 7 * holdout_weeks
    if holdout_weeks < 1 or len(history.days) - holdout < 14:
        raise ValueError("the backtest needs ≥ 1 held-out week and ≥ 14 days before it")
    train = history.head(len(history.days) - holdout)
    test_days = history.days[-holdout:]
    model = fit_forecaster(train, calendar)
    predicted = np.vstack([f.calls for f in model.forecast(test_days)])
    predicted_aht = np.vstack([f.aht_s for f in model.forecast(test_days)])
    actual = history.volume[-holdout:]
    actual_handle = history.handle_s[-holdout:]
    actual_handled = history.handled_count[-holdout:]
    last_week = train.volume[-7:]
    naive = np.vstack([last_week[(i % 7)] for i in range(holdout)])
    handled = actual_handled > 0
    aht_err = np.abs(
        actual_handle[handled] - predicted_aht[handled] * actual_handled[handled]
    ).sum()
    return BacktestReport(
        holdout_days=holdout,
        interval_mape=_mape(actual, predicted),
        interval_wape=_wape(actual, predicted),
        daily_mape=_mape(actual.sum(axis=1), predicted.sum(axis=1)),
        daily_wape=_wape(actual.sum(axis=1), predicted.sum(axis=1)),
        aht_wape=float(aht_err / actual_handle[handled].sum()) if handled.any() else 0.0,
        naive_interval_wape=_wape(actual, naive),
        naive_daily_mape=_mape(actual.sum(axis=1), naive.sum(axis=1)),
    )


def days_after(last_day: date, count: int) -> list[date]:
    """The ``count`` dates following ``last_day``."""
    return [last_day + timedelta(days=i) for i in range(1, count + 1)]
