"""A simulated outbound day: callees who answer (or not) and agents who talk, driving the real
:class:`~madoguchi.core.dialer.Dialer` and its pacer.

Used by ``madoguchi bench dialer`` to compare pacing methods on the same model, and by tests of
the dialer. The model (all durations in seconds):

- each dial is answered by a person with ``answer_rate`` (default 25 %) after a lognormal ring
  time; answering machines (detected 3 s after they answer), busy signals, invalid numbers and
  no-answers (ringing until ``ring_timeout_s``) make up the rest;
- a person who answers is connected to a free agent at once, or to the first agent freed within
  the connect rule (2 s); otherwise the call is abandoned (the recorded message plays);
- agents talk for a lognormal time and then wrap up; utilization is (talk + wrap-up) time over
  logged-in time.
"""

from __future__ import annotations

import heapq
import itertools
import math
import random
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from madoguchi.core.dialer import (
    Campaign,
    CampaignStatus,
    Dialer,
    DialOutcome,
    ListRecord,
    Pacer,
    PacingState,
)
from madoguchi.core.dialer.events import DialPlaced


@dataclass(frozen=True, slots=True)
class OutboundModel:
    """Callee and agent behaviour for an outbound day."""

    agents: int = 50
    hours: float = 8.0
    answer_rate: float = 0.25
    machine_rate: float = 0.10
    busy_rate: float = 0.10
    invalid_rate: float = 0.03
    ring_mean_s: float = 9.0
    ring_sd_s: float = 5.0
    ring_timeout_s: float = 25.0
    talk_mean_s: float = 150.0
    talk_cv: float = 0.7
    wrap_s: float = 15.0
    connect_rule_s: float = 2.0
    start: datetime = field(
        default_factory=lambda: datetime(2026, 11, 25, 9, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
    )


@dataclass(slots=True)
class OutboundDayResult:
    """What happened in one simulated day."""

    dials: int = 0
    answered: int = 0
    connected: int = 0
    abandoned: int = 0
    busy_seconds: float = 0.0
    logged_seconds: float = 0.0

    @property
    def utilization(self) -> float:
        """(talk + wrap-up) time over logged-in time."""
        return self.busy_seconds / self.logged_seconds if self.logged_seconds else 0.0

    @property
    def abandon_rate(self) -> float:
        """Abandoned over answered-by-a-person."""
        return self.abandoned / self.answered if self.answered else 0.0


def _lognormal(rng: random.Random, mean: float, sd: float) -> float:
    sigma2 = math.log(1.0 + (sd / mean) ** 2)
    return rng.lognormvariate(math.log(mean) - sigma2 / 2.0, math.sqrt(sigma2))


def simulate_outbound_day(model: OutboundModel, pacer: Pacer, seed: int) -> OutboundDayResult:
    """Run one day with ``pacer`` and return its figures (reproducible for a seed)."""
    rng = random.Random(seed)
    t0 = model.start.timestamp()
    end = t0 + model.hours * 3600.0
    campaign = Campaign(
        id="bench",
        tenant="bench",
        name="pacing benchmark",
        status=CampaignStatus.RUNNING,
        connect_rule_s=model.connect_rule_s,
        max_attempts=10,
    )
    expected_dials = int(model.agents * model.hours * 3600 / model.talk_mean_s / model.answer_rate)
    records = [
        ListRecord(id=f"r{i}", number=f"+8190{10_000_000 + i:08d}")
        for i in range(expected_dials * 2)
    ]
    dialer = Dialer(campaign, pacer, records=records)
    result = OutboundDayResult(logged_seconds=model.agents * model.hours * 3600.0)

    free_agents: deque[int] = deque(range(model.agents))
    busy_since: dict[int, float] = {}
    ringing: dict[str, float] = {}
    waiting: deque[tuple[str, str, float]] = deque()  # (dial id, record id, answered at)
    queue: list[tuple[float, int, str, tuple[object, ...]]] = []
    seq = itertools.count()

    def schedule(at: float, kind: str, *payload: object) -> None:
        heapq.heappush(queue, (at, next(seq), kind, payload))

    def connect(agent: int, dial_id: str, record_id: str, answered_at: float, now: float) -> None:
        dialer.connected(dial_id, record_id, str(agent), now - answered_at, now)
        result.connected += 1
        busy_since[agent] = now
        handle = _lognormal(rng, model.talk_mean_s, model.talk_mean_s * model.talk_cv)
        schedule(now + handle + model.wrap_s, "agent_free", agent)

    def place(now: float) -> None:
        if now >= end:
            return
        state = PacingState(
            now=now,
            free_agents=len(free_agents),
            busy_elapsed=[now - s for s in busy_since.values()],
            ringing_elapsed=[now - s for s in ringing.values()],
        )
        for item in dialer.place_dials(now, state):
            if not isinstance(item, DialPlaced):
                continue
            result.dials += 1
            ringing[item.dial_id] = now
            draw = rng.random()
            if draw < model.answer_rate:
                ring = min(
                    _lognormal(rng, model.ring_mean_s, model.ring_sd_s), model.ring_timeout_s - 0.1
                )
                outcome = DialOutcome.ANSWERED
            elif draw < model.answer_rate + model.machine_rate:
                ring = min(
                    _lognormal(rng, model.ring_mean_s, model.ring_sd_s), model.ring_timeout_s - 3.1
                )
                ring += 3.0
                outcome = DialOutcome.MACHINE
            elif draw < model.answer_rate + model.machine_rate + model.busy_rate:
                ring, outcome = rng.uniform(1.5, 4.0), DialOutcome.BUSY
            elif draw < model.answer_rate + model.machine_rate + model.busy_rate + (
                model.invalid_rate
            ):
                ring, outcome = rng.uniform(0.5, 1.5), DialOutcome.INVALID_NUMBER
            else:
                ring, outcome = model.ring_timeout_s, DialOutcome.NO_ANSWER
            schedule(now + ring, "result", item.dial_id, item.record_id, outcome)

    place(t0)
    while queue:
        now, _, kind, payload = heapq.heappop(queue)
        if kind == "result":
            dial_id, record_id, outcome = payload
            assert isinstance(dial_id, str)
            assert isinstance(record_id, str)
            assert isinstance(outcome, DialOutcome)
            del ringing[dial_id]
            dialer.dial_result(dial_id, outcome, now)
            if outcome is DialOutcome.ANSWERED:
                result.answered += 1
                if free_agents:
                    connect(free_agents.popleft(), dial_id, record_id, now, now)
                else:
                    waiting.append((dial_id, record_id, now))
                    schedule(now + model.connect_rule_s, "give_up", dial_id)
        elif kind == "give_up":
            (dial_id,) = payload
            for index, (waiting_dial, record_id, _answered) in enumerate(waiting):
                if waiting_dial == dial_id:
                    del waiting[index]
                    dialer.abandoned(dial_id, record_id, now)
                    result.abandoned += 1
                    break
        elif kind == "agent_free":
            (agent,) = payload
            assert isinstance(agent, int)
            started = busy_since.pop(agent)
            busy = min(now, end) - min(started, end)
            result.busy_seconds += max(0.0, busy)
            dialer.handled(now - started)
            if waiting:
                dial_id, record_id, answered_at = waiting.popleft()
                connect(agent, dial_id, record_id, answered_at, now)
            elif now < end:
                free_agents.append(agent)
        place(now)
    return result
