"""An independent reference model of a simple day in SimPy, to check the simulator against.

It shares no code with the routing engine or the driver: callers arrive as a Poisson process
of constant rate, need one skill, wait first come first served (within and across skills),
hang up after an exponential patience, and are served by the longest-idle eligible agent for a
lognormal time. With one skill it is SimPy's textbook ``Resource`` model. ``madoguchi bench
sim`` runs it beside the real engine on the same scenario and compares the counts.
SimPy is a development dependency, imported when the model runs.
"""

from __future__ import annotations

import math
import random
from collections import deque
from dataclasses import dataclass
from typing import Any, cast


@dataclass(frozen=True, slots=True)
class ReferenceDay:
    """The model's inputs."""

    duration_s: float
    calls: float
    """Expected arrivals over ``duration_s``."""
    agents: tuple[frozenset[str], ...]
    """Each agent's skills."""
    skill_shares: tuple[tuple[str, float], ...]
    handle_mean_s: float = 210.0
    handle_cv: float = 1.0
    patience_mean_s: float | None = 180.0
    seed: int = 1
    callers: tuple[tuple[float, str, float, float], ...] | None = None
    """Given callers ``(arrival s, skill, handle s, patience s)`` instead of drawn ones: the
    very callers another model saw, so the two can be compared caller for caller."""


@dataclass(frozen=True, slots=True)
class ReferenceResult:
    """What the reference model counted."""

    offered: int
    answered: int
    abandoned: int


def run_reference(day: ReferenceDay) -> ReferenceResult:
    """Simulate ``day`` in SimPy (one skill: ``simpy.Resource``; several: explicit matching)."""
    if len({s for s, _ in day.skill_shares}) == 1 and all(a == day.agents[0] for a in day.agents):
        return _single_skill(day)
    return _skills(day)


def _lognormal_params(mean: float, cv: float) -> tuple[float, float]:
    sigma2 = math.log1p(cv * cv)
    return math.log(mean) - sigma2 / 2.0, math.sqrt(sigma2)


def _single_skill(day: ReferenceDay) -> ReferenceResult:
    import simpy

    rng = random.Random(day.seed)
    env = simpy.Environment()
    agents = simpy.Resource(env, capacity=len(day.agents))
    mu, sigma = _lognormal_params(day.handle_mean_s, day.handle_cv)
    rate = day.calls / day.duration_s
    patience = day.patience_mean_s
    counts = [0, 0, 0]

    def caller(handle: float, wait_limit: float) -> Any:
        with agents.request() as request:
            if wait_limit == math.inf:
                yield request
            else:
                outcome = yield request | env.timeout(wait_limit)
                if request not in outcome:
                    counts[2] += 1
                    return
            counts[1] += 1
            yield env.timeout(handle)

    def source() -> Any:
        if day.callers is not None:
            for at, _skill, handle, limit in day.callers:
                yield env.timeout(at - env.now)
                counts[0] += 1
                env.process(caller(handle, limit))
            return
        while True:
            yield env.timeout(rng.expovariate(rate))
            if env.now >= day.duration_s:
                return
            counts[0] += 1
            handle = rng.lognormvariate(mu, sigma)
            limit = rng.expovariate(1.0 / patience) if patience else math.inf
            env.process(caller(handle, limit))

    env.process(source())
    env.run()
    return ReferenceResult(*counts)


def _skills(day: ReferenceDay) -> ReferenceResult:
    import simpy

    rng = random.Random(day.seed)
    env = simpy.Environment()
    mu, sigma = _lognormal_params(day.handle_mean_s, day.handle_cv)
    rate = day.calls / day.duration_s
    skills = [s for s, _ in day.skill_shares]
    weights = [w for _, w in day.skill_shares]
    idle: list[int] = list(range(len(day.agents)))
    """Idle agents, longest idle first."""
    waiting: dict[str, deque[tuple[float, Any]]] = {s: deque() for s in skills}
    counts = [0, 0, 0]

    def release(agent: int) -> None:
        best: tuple[float, str] | None = None
        for skill in day.agents[agent]:
            line = waiting.get(skill)
            while line and line[0][1].triggered:
                line.popleft()  # abandoned while waiting
            if line and (best is None or line[0][0] < best[0]):
                best = (line[0][0], skill)
        if best is None:
            idle.append(agent)
            return
        _, ticket = waiting[best[1]].popleft()
        ticket.succeed(agent)

    def caller(skill: str, handle: float, wait_limit: float) -> Any:
        agent = next((a for a in idle if skill in day.agents[a]), None)
        if agent is None:
            ticket = env.event()
            waiting[skill].append((env.now, ticket))
            outcome = yield ticket | env.timeout(wait_limit)
            if ticket not in outcome:
                ticket.succeed(None)  # marks the place in line as gone
                counts[2] += 1
                return
            agent = cast(int, ticket.value)
        else:
            idle.remove(agent)
        counts[1] += 1
        yield env.timeout(handle)
        release(agent)

    def source() -> Any:
        if day.callers is not None:
            for at, skill, handle, limit in day.callers:
                yield env.timeout(at - env.now)
                counts[0] += 1
                env.process(caller(skill, handle, limit))
            return
        while True:
            yield env.timeout(rng.expovariate(rate))
            if env.now >= day.duration_s:
                return
            counts[0] += 1
            skill = rng.choices(skills, weights)[0]
            handle = rng.lognormvariate(mu, sigma)
            patience = day.patience_mean_s
            limit = rng.expovariate(1.0 / patience) if patience else math.inf
            env.process(caller(skill, handle, limit))

    env.process(source())
    env.run()
    return ReferenceResult(*counts)
