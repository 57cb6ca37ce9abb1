"""Dial pacing: how many calls to have outstanding for the agents who will be free.

Three pacers share one interface, :meth:`Pacer.dials_wanted`, which the dialer asks after every
change (an agent freed, a dial answered or failed):

- :class:`ProgressivePacer`: one outstanding dial per free agent (no abandonment by design).
- :class:`FixedRatioPacer`: ``ratio`` outstanding dials per free agent (the classic "dial level").
- :class:`PredictivePacer`: model-based. For several horizons ``h`` it predicts the answers by
  a person that will arrive within ``h`` (calls already ringing, weighted by their chance of being
  answered given how long they have rung, plus the new dials) and the agents that will be free by
  ``h`` plus the connect rule (free now, plus busy agents weighted by their chance of finishing
  given how long they have been busy). It places the most new dials for which the expected excess
  of answers over agents, ``E[(X − F)+]`` under a normal approximation, stays within ``α·E[X]``
  at every horizon. ``α`` is steered by feedback from the abandonment actually observed, so
  the realised rate stays at the target (default 3 %).

Written here rather than taken from a library: no maintained Python package implements dial
pacing; the method is the model-based pacer described in the project's field notes.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True, slots=True)
class PacingState:
    """What the pacer sees when asked."""

    now: float
    free_agents: int
    """Agents idle and ready for an outbound connect now."""
    busy_elapsed: Sequence[float]
    """For each agent on a call or in wrap-up: seconds since that contact started."""
    ringing_elapsed: Sequence[float]
    """For each outstanding dial: seconds since it was placed."""


class Pacer:
    """Base of the pacers; also collects the outcome statistics the predictive pacer needs."""

    name = "pacer"

    def dials_wanted(self, state: PacingState) -> int:
        """How many NEW dials to place now (0 or more)."""
        raise NotImplementedError

    def observe_dial(self, seconds_to_outcome: float, answered_by_person: bool) -> None:
        """A dial resolved after ``seconds_to_outcome``: answered by a person or not."""

    def observe_handle(self, seconds: float) -> None:
        """An agent finished a contact (talk + wrap-up) that took ``seconds``."""

    def observe_connect(self, abandoned: bool) -> None:
        """A person answered; ``abandoned`` when no agent took the call within the connect rule."""


class ProgressivePacer(Pacer):
    """One outstanding dial per free agent."""

    name = "progressive"

    def dials_wanted(self, state: PacingState) -> int:
        return max(0, state.free_agents - len(state.ringing_elapsed))


class FixedRatioPacer(Pacer):
    """``ratio`` outstanding dials for each free agent."""

    name = "fixed_ratio"

    def __init__(self, ratio: float) -> None:
        if ratio <= 0:
            raise ValueError("ratio must be positive")
        self.ratio = ratio

    def dials_wanted(self, state: PacingState) -> int:
        return max(0, math.floor(self.ratio * state.free_agents) - len(state.ringing_elapsed))


class PredictivePacer(Pacer):
    """Model-based predictive pacing with abandonment feedback (see the module docstring)."""

    name = "predictive"

    def __init__(
        self,
        target_abandon: float = 0.03,
        connect_rule_s: float = 2.0,
        horizons_s: Sequence[float] = (1.0, 3.0, 6.0, 10.0, 15.0, 20.0, 30.0),
        answer_rate_prior: float = 0.25,
        ring_prior_s: float = 10.0,
        handle_prior_s: float = 180.0,
        window: int = 400,
        max_new_dials: int = 200,
        setpoint_share: float = 0.85,
        gain: float = 0.006,
    ) -> None:
        if not 0 < target_abandon < 1:
            raise ValueError("target_abandon must be between 0 and 1")
        self.target_abandon = target_abandon
        self.connect_rule_s = connect_rule_s
        self.horizons_s = tuple(sorted(horizons_s))
        self.max_new_dials = max_new_dials
        # dial outcomes: times to answer (person) and times to any other outcome
        # priors: spread over 0.5–1.5 × the prior mean until real outcomes replace them
        spread = [0.5 + k / 19 for k in range(20)]
        self._answered: deque[float] = deque([ring_prior_s * f for f in spread], maxlen=4000)
        other_prior = round(20 * (1 - answer_rate_prior) / answer_rate_prior)
        self._other: deque[float] = deque(
            [ring_prior_s * 2.0 * spread[k % 20] for k in range(other_prior)], maxlen=4000
        )
        self._handles: deque[float] = deque([handle_prior_s * f for f in spread], maxlen=2000)
        self._connects: deque[bool] = deque(maxlen=window)
        self._answers_total = 0
        self._abandons_total = 0
        self._observations = 0
        self._observations_at_refresh = 0
        self._ring_table: NDArray[np.float64] = np.zeros((0, 0))
        self._ring_var_table: NDArray[np.float64] = np.zeros((0, 0))
        self._busy_table: NDArray[np.float64] = np.zeros((0, 0))
        self._busy_var_table: NDArray[np.float64] = np.zeros((0, 0))
        self.setpoint = target_abandon * setpoint_share
        """The abandonment rate the feedback steers to: a margin below the target, so that the
        worst of several days stays within it."""
        self.gain = gain
        self.alpha = target_abandon * 3e-4
        """The tolerance the model is run at; steered by :meth:`observe_connect`. The normal
        approximation of small counts and the cumulative (order-blind) comparison make the model's
        excess differ from realised abandonment; feedback finds the value that meets the target
        within a few hundred answers."""

    # -- observations --------------------------------------------------------------------

    def observe_dial(self, seconds_to_outcome: float, answered_by_person: bool) -> None:
        (self._answered if answered_by_person else self._other).append(seconds_to_outcome)
        self._observations += 1

    def observe_handle(self, seconds: float) -> None:
        self._handles.append(seconds)
        self._observations += 1

    def observe_connect(self, abandoned: bool) -> None:
        self._connects.append(abandoned)
        self._answers_total += 1
        self._abandons_total += abandoned
        recent = sum(self._connects) / len(self._connects)
        overall = self._abandons_total / self._answers_total
        # steer on the worse of the recent window and the day so far
        realized = max(recent, overall) if self._answers_total > 100 else recent
        error = (self.setpoint - realized) / self.target_abandon
        self.alpha *= math.exp(self.gain * max(-2.0, min(1.0, error)))
        self.alpha = min(max(self.alpha, self.target_abandon * 1e-4), 1.0)

    # -- the model -----------------------------------------------------------------------

    def _refresh_tables(self) -> None:
        """Tabulate the conditional probabilities on a 1-second grid of elapsed times.

        ``ring[e, k]``: P(a dial that rang ``e`` s without outcome is answered by a person
        within ``horizons[k]``); ``busy[e, k]``: P(an agent busy for ``e`` s is free within
        ``horizons[k]`` plus the connect rule).
        """
        horizons = np.asarray(self.horizons_s)
        answered = np.sort(np.fromiter(self._answered, dtype=np.float64))
        other = np.sort(np.fromiter(self._other, dtype=np.float64))
        grid = np.arange(_RING_GRID, dtype=np.float64)[:, None]
        alive = (answered.size - np.searchsorted(answered, grid, "right")) + (
            other.size - np.searchsorted(other, grid, "right")
        )
        hits = np.searchsorted(answered, grid + horizons, "right") - np.searchsorted(
            answered, grid, "right"
        )
        ring = np.where(alive > 0, hits / np.maximum(alive, 1), 0.0)
        handles = np.sort(np.fromiter(self._handles, dtype=np.float64))
        grid = np.arange(_BUSY_GRID, dtype=np.float64)[:, None]
        alive = handles.size - np.searchsorted(handles, grid, "right")
        done = np.searchsorted(
            handles, grid + horizons + self.connect_rule_s, "right"
        ) - np.searchsorted(handles, grid, "right")
        busy = np.where(alive > 0, done / np.maximum(alive, 1), 1.0)
        self._ring_table = ring
        self._ring_var_table = ring * (1.0 - ring)
        self._busy_table = busy
        self._busy_var_table = busy * (1.0 - busy)
        self._observations_at_refresh = self._observations

    def dials_wanted(self, state: PacingState) -> int:
        if self._observations - self._observations_at_refresh >= _REFRESH_EVERY or (
            self._ring_table.size == 0
        ):
            self._refresh_tables()
        k = len(self.horizons_s)
        if state.ringing_elapsed:
            idx = np.minimum(np.asarray(state.ringing_elapsed, dtype=np.int64), _RING_GRID - 1)
            ring_mean = self._ring_table[idx].sum(axis=0)
            ring_var = self._ring_var_table[idx].sum(axis=0)
        else:
            ring_mean = ring_var = np.zeros(k)
        free_mean = np.full(k, float(state.free_agents))
        if state.busy_elapsed:
            idx = np.minimum(np.asarray(state.busy_elapsed, dtype=np.int64), _BUSY_GRID - 1)
            free_mean = free_mean + self._busy_table[idx].sum(axis=0)
            free_var = self._busy_var_table[idx].sum(axis=0)
        else:
            free_var = np.zeros(k)
        new_p = self._ring_table[0]
        best = self.max_new_dials
        for j in reversed(range(k)):
            best = _most_dials(
                float(ring_mean[j]),
                float(ring_var[j]),
                float(free_mean[j]),
                float(free_var[j]),
                float(new_p[j]),
                self.alpha,
                best,
            )
            if best == 0:
                break
        if state.free_agents > 0 and not state.ringing_elapsed and best == 0:
            return 1  # never stall with idle agents and nothing in flight
        return best


_RING_GRID = 120
_BUSY_GRID = 1800
_REFRESH_EVERY = 200


def _expected_excess(mean: float, var: float) -> float:
    """E[(D)+] for D normal with ``mean`` and ``var``."""
    if var <= 1e-12:
        return max(mean, 0.0)
    sd = math.sqrt(var)
    z = mean / sd
    return mean * 0.5 * (1.0 + math.erf(z / math.sqrt(2.0))) + sd * math.exp(-0.5 * z * z) / (
        math.sqrt(2.0 * math.pi)
    )


def _most_dials(
    ring_mean: float,
    ring_var: float,
    free_mean: float,
    free_var: float,
    p: float,
    alpha: float,
    limit: int,
) -> int:
    """The largest n ≤ limit with E[(X−F)+] ≤ α·E[X], X = ringing + Bin(n, p) answers.

    The excess grows faster than α·E[X] in n, so the feasible n form a prefix: binary search.
    """

    def fits(n: int) -> bool:
        answers = ring_mean + n * p
        var = ring_var + n * p * (1.0 - p) + free_var
        return _expected_excess(answers - free_mean, var) <= alpha * answers

    if fits(limit):
        return limit
    low, high = 0, limit  # fits(low) assumed (n = 0 places nothing new), not fits(high)
    while high - low > 1:
        middle = (low + high) // 2
        if fits(middle):
            low = middle
        else:
            high = middle
    return low
