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
from dataclasses import dataclass, field, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from madoguchi.core.dialer import (
    Campaign,
    CampaignStatus,
    Dialer,
    DialOutcome,
    DoNotCallRegistry,
    ListRecord,
    Pacer,
    PacingState,
)
from madoguchi.core.dialer.events import DialPlaced
from madoguchi.core.events import Event


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


def draw_dial(rng: random.Random, model: OutboundModel) -> tuple[float, DialOutcome]:
    """How one dial ends under ``model``: (seconds until the outcome, the outcome)."""
    draw = rng.random()
    if draw < model.answer_rate:
        ring = min(_lognormal(rng, model.ring_mean_s, model.ring_sd_s), model.ring_timeout_s - 0.1)
        return ring, DialOutcome.ANSWERED
    if draw < model.answer_rate + model.machine_rate:
        ring = min(_lognormal(rng, model.ring_mean_s, model.ring_sd_s), model.ring_timeout_s - 3.1)
        return ring + 3.0, DialOutcome.MACHINE
    if draw < model.answer_rate + model.machine_rate + model.busy_rate:
        return rng.uniform(1.5, 4.0), DialOutcome.BUSY
    if draw < model.answer_rate + model.machine_rate + model.busy_rate + model.invalid_rate:
        return rng.uniform(0.5, 1.5), DialOutcome.INVALID_NUMBER
    return model.ring_timeout_s, DialOutcome.NO_ANSWER


#: Share of each disposition an agent gives a connected call when a day is recorded.
DEFAULT_DISPOSITIONS: tuple[tuple[str, float], ...] = (
    ("sale", 0.08),
    ("appointment", 0.12),
    ("refused", 0.25),
    ("callback", 0.10),
    ("wrong_number", 0.05),
    ("info_sent", 0.40),
)


@dataclass(slots=True)
class OutboundDayRecording:
    """Optional for :func:`simulate_outbound_day`: a campaign, list and do-not-call registry of
    one's own, agents who disposition each connected call (drawn from ``dispositions`` with a
    generator of their own, so the day's other draws are unchanged), and every dialer event
    kept in ``events`` (for reports)."""

    campaign: Campaign | None = None
    records: list[ListRecord] | None = None
    dnc: DoNotCallRegistry | None = None
    dispositions: tuple[tuple[str, float], ...] = DEFAULT_DISPOSITIONS
    callback_after_s: float = 2 * 3600.0
    events: list[Event] = field(default_factory=list)


def simulate_outbound_day(
    model: OutboundModel,
    pacer: Pacer,
    seed: int,
    recording: OutboundDayRecording | None = None,
) -> OutboundDayResult:
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
    if recording is not None and recording.campaign is not None:
        campaign = replace(recording.campaign, status=CampaignStatus.RUNNING)
    expected_dials = int(model.agents * model.hours * 3600 / model.talk_mean_s / model.answer_rate)
    if recording is not None and recording.records is not None:
        records = recording.records
    else:
        records = [
            ListRecord(id=f"r{i}", number=f"+8190{10_000_000 + i:08d}")
            for i in range(expected_dials * 2)
        ]
    dialer = Dialer(campaign, pacer, recording.dnc if recording else None, records=records)
    agents_rng = random.Random(seed * 7919 + 1)
    talking: dict[int, tuple[str, str, float]] = {}

    def log(events: Event | list[Event]) -> None:
        if recording is not None:
            recording.events.extend(events if isinstance(events, list) else [events])

    def wrap_up(agent: int, now: float) -> None:
        if recording is None or agent not in talking:
            return
        dial_id, record_id, talk = talking.pop(agent)
        log(dialer.call_ended(dial_id, record_id, str(agent), talk, now - model.wrap_s))
        codes = [code for code, _ in recording.dispositions]
        weights = [share for _, share in recording.dispositions]
        code = agents_rng.choices(codes, weights)[0]
        callback = now + recording.callback_after_s if code == "callback" else None
        log(dialer.disposition(record_id, str(agent), code, now, callback_at=callback))

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
        log(dialer.connected(dial_id, record_id, str(agent), now - answered_at, now))
        result.connected += 1
        busy_since[agent] = now
        handle = _lognormal(rng, model.talk_mean_s, model.talk_mean_s * model.talk_cv)
        if recording is not None:
            talking[agent] = (dial_id, record_id, handle)
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
        placed = dialer.place_dials(now, state)
        log(placed)
        for item in placed:
            if not isinstance(item, DialPlaced):
                continue
            result.dials += 1
            ringing[item.dial_id] = now
            ring, outcome = draw_dial(rng, model)
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
            log(dialer.dial_result(dial_id, outcome, now))
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
                    log(dialer.abandoned(dial_id, record_id, now))
                    result.abandoned += 1
                    break
        elif kind == "agent_free":
            (agent,) = payload
            assert isinstance(agent, int)
            started = busy_since.pop(agent)
            busy = min(now, end) - min(started, end)
            result.busy_seconds += max(0.0, busy)
            dialer.handled(now - started)
            wrap_up(agent, now)
            if waiting:
                dial_id, record_id, answered_at = waiting.popleft()
                connect(agent, dial_id, record_id, answered_at, now)
            elif now < end:
                free_agents.append(agent)
        place(now)
    return result
