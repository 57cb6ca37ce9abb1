"""A simulated blended day: inbound callers and an outbound campaign sharing one set of agents.

The real :class:`~madoguchi.core.routing.RoutingEngine` routes the inbound calls (arrivals from
the simulator's default morning-peak profile, :func:`madoguchi.sim.arrivals.generate_arrivals`)
and holds agents for the dialer (``ReserveAgent``/``ReleaseAgent``, reclaim on inbound demand);
the real :class:`~madoguchi.core.dialer.Dialer` and its pacer place the outbound dials; the real
:class:`~madoguchi.core.dialer.blending.BlendingPolicy` decides, after every step, which agents
the dialer may hold. Callees answer as in :mod:`madoguchi.sim.outbound_day`.

Two arrangements of the same people are compared by ``madoguchi bench blending``:

- **blended**: one team, every agent blended;
- **split**: a fixed inbound team sized by Erlang C (:mod:`madoguchi.core.wfm`) so that the
  day's expected inbound service level meets the target, and an outbound team of the rest.
"""

from __future__ import annotations

import heapq
import itertools
import math
import random
from collections import deque
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import numpy as np

from madoguchi.core.config import (
    AgentConfig,
    CenterConfig,
    LocalizedText,
    QueueConfig,
    ServiceLevelTarget,
    TeamConfig,
)
from madoguchi.core.dialer import (
    Campaign,
    CampaignStatus,
    Dialer,
    DialOutcome,
    ListRecord,
    Pacer,
    PacingState,
    PredictivePacer,
    ProgressivePacer,
)
from madoguchi.core.dialer.blending import BlendingPolicy, BlendingRules, TeamBlending
from madoguchi.core.dialer.events import DialPlaced
from madoguchi.core.dialer.floor import BlendingFloor
from madoguchi.core.model import AgentState, Channel, Contact, Direction, EndReason, WorkMode
from madoguchi.core.routing import RoutingEngine, RoutingError
from madoguchi.core.routing import commands as rc
from madoguchi.core.routing import events as re
from madoguchi.core.wfm.erlang import service_level_c
from madoguchi.sim.arrivals import generate_arrivals
from madoguchi.sim.outbound_day import OutboundModel, draw_dial
from madoguchi.sim.profile import DEFAULT_PROFILE
from madoguchi.sim.scenario import DEFAULT_HANDLE_TIME, ContactKind, Scenario

INBOUND_QUEUE = "support"
CAMPAIGN_QUEUE = "campaign"
CAMPAIGN = "renewal"

_ARRIVE, _PATIENCE, _ANSWER, _HANG_UP, _RESULT, _GIVE_UP = range(6)


@dataclass(frozen=True, slots=True)
class BlendingDay:
    """The day both arrangements are run on."""

    agents: int = 30
    inbound_volume: float = 1800.0
    """Expected inbound calls over the opening hours (a Wednesday: weekday factor 1)."""
    day: date = date(2026, 11, 25)
    open_min: int = 9 * 60
    close_min: int = 18 * 60
    drain_min: int = 30
    target: ServiceLevelTarget = field(default_factory=lambda: ServiceLevelTarget(0.8, 20.0))
    inbound_acw_s: float = 20.0
    ring_delay_s: float = 2.0
    """Seconds a blended agent takes to pick up an inbound offer."""
    outbound: OutboundModel = field(default_factory=OutboundModel)
    pacing: str = "progressive"
    """``progressive`` or ``predictive``."""
    rules: BlendingRules = field(default_factory=BlendingRules)

    def scenario(self, seed: int) -> Scenario:
        """The inbound side as a simulator scenario (default morning-peak profile)."""
        return Scenario(
            name="blending",
            day=self.day,
            open_min=self.open_min,
            close_min=self.close_min,
            volume=self.inbound_volume,
            mix=(ContactKind(INBOUND_QUEUE, 1.0),),
            pools=(),
            seed=seed,
            profile=DEFAULT_PROFILE,
            weekday_factors=(1.0,) * 7,
        )

    @property
    def inbound_handle_s(self) -> float:
        """Mean inbound handle time (talk + after-contact work)."""
        return DEFAULT_HANDLE_TIME.mean + self.inbound_acw_s


@dataclass(slots=True)
class BlendingResult:
    """What one arrangement achieved in one day."""

    arrangement: str
    inbound_offered: int = 0
    inbound_answered: int = 0
    inbound_within_target: int = 0
    inbound_abandoned: int = 0
    dials: int = 0
    answered: int = 0
    connects: int = 0
    abandoned: int = 0
    reclaims: int = 0
    busy_seconds: float = 0.0
    logged_seconds: float = 0.0

    @property
    def service_level(self) -> float:
        """Inbound calls answered within the target time over calls offered."""
        return self.inbound_within_target / self.inbound_offered if self.inbound_offered else 1.0

    @property
    def outbound_abandon_rate(self) -> float:
        """Answered callees who found no agent within the connect rule."""
        return self.abandoned / self.answered if self.answered else 0.0

    @property
    def utilization(self) -> float:
        """Time on contacts and after-contact work over logged-in time."""
        return self.busy_seconds / self.logged_seconds if self.logged_seconds else 0.0


def expected_day_service_level(day: BlendingDay, inbound_agents: int) -> float:
    """Erlang C service level of the day (hours weighted by their calls) with a fixed team."""
    total = 0.0
    weighted = 0.0
    for start, end, rate in DEFAULT_PROFILE.rates(day.open_min, day.close_min, day.inbound_volume):
        calls = rate * (end - start)
        load = rate * day.inbound_handle_s
        level = float(
            service_level_c(inbound_agents, load, day.inbound_handle_s, day.target.seconds)
        )
        total += calls
        weighted += calls * level
    return weighted / total if total else 1.0


def split_inbound_team(day: BlendingDay) -> int:
    """Smallest fixed inbound team whose expected day service level meets the target."""
    n = 1
    while expected_day_service_level(day, n) < day.target.fraction and n < day.agents:
        n += 1
    return n


def blending_center(day: BlendingDay, inbound_agents: int | None) -> CenterConfig:
    """The center: one inbound queue, a campaign queue, and the team(s).

    ``inbound_agents`` None: one blended team; a number: that many in an inbound-only team,
    the rest in an outbound-only team.
    """
    queues = (
        QueueConfig(
            INBOUND_QUEUE,
            "sim",
            LocalizedText("サポート", "support"),
            service_level=day.target,
            after_contact_work_s=day.inbound_acw_s,
        ),
        QueueConfig(
            CAMPAIGN_QUEUE,
            "sim",
            LocalizedText("更新案内", "renewal"),
            after_contact_work_s=day.outbound.wrap_s,
        ),
    )
    teams: tuple[TeamConfig, ...]
    if inbound_agents is None:
        teams = (TeamConfig("blend", "sim", LocalizedText("blend"), work_mode=WorkMode.BLENDED),)
        agents = tuple(
            AgentConfig(f"b{i:03d}", "sim", f"b{i}", team="blend", work_mode=WorkMode.BLENDED)
            for i in range(day.agents)
        )
    else:
        teams = (
            TeamConfig("in", "sim", LocalizedText("in"), work_mode=WorkMode.INBOUND),
            TeamConfig("out", "sim", LocalizedText("out"), work_mode=WorkMode.OUTBOUND),
        )
        agents = tuple(
            AgentConfig(
                f"s{i:03d}",
                "sim",
                f"s{i}",
                team="in" if i < inbound_agents else "out",
                work_mode=WorkMode.INBOUND if i < inbound_agents else WorkMode.OUTBOUND,
            )
            for i in range(day.agents)
        )
    return CenterConfig(name=LocalizedText("blending"), queues=queues, teams=teams, agents=agents)


class BlendedDaySimulation:
    """One day of one arrangement (see the module docstring)."""

    def __init__(self, day: BlendingDay, inbound_agents: int | None, seed: int) -> None:
        self.day = day
        self.center = blending_center(day, inbound_agents)
        self.engine = RoutingEngine(self.center)
        self.floor = BlendingFloor(self.center.agents, default_handle_s=day.inbound_handle_s)
        self.policy = BlendingPolicy(
            [
                TeamBlending(t.id, t.work_mode, CAMPAIGN, (INBOUND_QUEUE,))
                for t in self.center.teams
            ],
            day.rules,
        )
        scenario = day.scenario(seed)
        timezone = self.center.timezone
        self.start = scenario.start_epoch(timezone)
        self.close = scenario.epoch_at(day.close_min, timezone)
        self.end = self.close + day.drain_min * 60.0
        self.arrivals = generate_arrivals(scenario, np.random.default_rng(seed))
        self.rng = random.Random(seed)
        model = day.outbound
        pacer: Pacer = (
            PredictivePacer(target_abandon=0.03, connect_rule_s=model.connect_rule_s)
            if day.pacing == "predictive"
            else ProgressivePacer()
        )
        capacity = day.agents * (day.close_min - day.open_min) * 60 / model.talk_mean_s
        records = [
            ListRecord(id=f"r{i}", number=f"+8190{10_000_000 + i:08d}")
            for i in range(int(2 * capacity / model.answer_rate))
        ]
        campaign = Campaign(
            id=CAMPAIGN,
            tenant="sim",
            name="renewal",
            queue=CAMPAIGN_QUEUE,
            status=CampaignStatus.RUNNING,
            connect_rule_s=model.connect_rule_s,
            max_attempts=10,
        )
        self.dialer = Dialer(campaign, pacer, records=records)
        arrangement = "blended" if inbound_agents is None else "split"
        self.result = BlendingResult(arrangement)
        self._heap: list[tuple[float, int, int, Any]] = []
        self._seq = itertools.count()
        self._timer: float | None = None
        self._ringing: dict[str, float] = {}
        self._answered_waiting: deque[tuple[str, str, float]] = deque()
        self._outbound_busy: dict[str, float] = {}
        """agent -> start of their outbound contact"""
        self._calls: dict[str, tuple[float, float, float]] = {}
        """inbound contact id -> (arrived, handle, patience)"""
        self._waiting: set[str] = set()
        self._busy_since: dict[str, float] = {}
        self._talk: dict[str, float] = {}
        self.refused: list[tuple[Any, str]] = []
        """Commands the engine refused, with why (a correct policy causes none)."""

    # -- loop ----------------------------------------------------------------------------

    def run(self) -> BlendingResult:
        """Run the day and return its figures."""
        arrivals = self.arrivals
        for index in range(len(arrivals)):
            at = self.start + float(arrivals.times[index])
            self._push(at, _ARRIVE, index)
        for agent in self.center.agents:
            self._send(rc.AgentLogin(agent.id, available=True), self.start)
        self.result.logged_seconds = len(self.center.agents) * (self.end - self.start)
        self._step(self.start)
        while True:
            own = self._heap[0][0] if self._heap else math.inf
            timer = self._timer if self._timer is not None else math.inf
            now = min(own, timer)
            if now > self.end or now == math.inf:
                break
            if timer <= own:
                self._handle(self.engine.handle_timer(now))
                self._timer = self.engine.next_timer()
                if self._timer is not None and self._timer <= now:
                    self._timer = None
            else:
                _, _, kind, payload = heapq.heappop(self._heap)
                self._act(now, kind, payload)
            self._step(now)
        for started in self._busy_since.values():
            self.result.busy_seconds += max(0.0, self.end - started)
        return self.result

    def _push(self, at: float, kind: int, payload: Any) -> None:
        heapq.heappush(self._heap, (at, next(self._seq), kind, payload))

    def _send(self, command: Any, now: float) -> bool:
        try:
            events = self.engine.receive(command, now)
        except RoutingError as err:
            self.refused.append((command, str(err)))
            return False
        self._handle(events)
        self._timer = self.engine.next_timer()
        return True

    # -- people --------------------------------------------------------------------------

    def _act(self, now: float, kind: int, payload: Any) -> None:
        if kind == _ARRIVE:
            self._arrive(payload, now)
        elif kind == _PATIENCE:
            if payload in self._waiting:
                self._send(rc.AbandonContact(payload), now)
        elif kind == _ANSWER:
            contact_id, agent_id = payload
            if contact_id in self._waiting:
                self._send(rc.AcceptOffer(contact_id, agent_id), now)
        elif kind == _HANG_UP:
            self._send(rc.EndContact(payload, EndReason.COMPLETED), now)
        elif kind == _RESULT:
            self._dial_result(now, *payload)
        elif kind == _GIVE_UP:
            self._give_up(now, payload)

    def _arrive(self, index: int, now: float) -> None:
        contact_id = f"in-{index}"
        handle = float(self.arrivals.handle_times[index])
        patience = float(self.arrivals.patience[index])
        self._calls[contact_id] = (now, handle, patience)
        self._waiting.add(contact_id)
        self.result.inbound_offered += 1
        contact = Contact(contact_id, Channel.VOICE, Direction.INBOUND, "sim", now)
        self._send(rc.EnqueueContact(contact, INBOUND_QUEUE), now)
        if contact_id in self._waiting and math.isfinite(patience):
            self._push(now + patience, _PATIENCE, contact_id)

    def _dial_result(self, now: float, dial_id: str, record_id: str, outcome: Any) -> None:
        del self._ringing[dial_id]
        self.dialer.dial_result(dial_id, outcome, now)
        if outcome is not DialOutcome.ANSWERED:
            return
        self.result.answered += 1
        agent = self._reserved_agent()
        if agent is not None:
            self._connect_outbound(agent, dial_id, record_id, now, now)
        else:
            self._answered_waiting.append((dial_id, record_id, now))
            self._push(now + self.day.outbound.connect_rule_s, _GIVE_UP, dial_id)

    def _give_up(self, now: float, dial_id: str) -> None:
        for index, (waiting, record_id, _) in enumerate(self._answered_waiting):
            if waiting == dial_id:
                del self._answered_waiting[index]
                self.dialer.abandoned(dial_id, record_id, now)
                self.result.abandoned += 1
                return

    def _reserved_agent(self) -> str | None:
        """An agent held for the campaign; else, when no inbound caller waits, an idle agent
        who may take outbound work (a reservation reclaimed while its dial rang)."""
        spare = None
        for agent in self.floor.agents.values():
            if agent.campaign is not None and agent.state is AgentState.RESERVED:
                return agent.id
            if (
                spare is None
                and agent.state is AgentState.AVAILABLE
                and agent.work_mode is not WorkMode.INBOUND
            ):
                spare = agent.id
        if spare is not None and self.floor.waiting((INBOUND_QUEUE,)) == 0:
            return spare
        return None

    def _connect_outbound(
        self, agent: str, dial_id: str, record_id: str, answered_at: float, now: float
    ) -> None:
        contact = Contact(dial_id, Channel.VOICE, Direction.OUTBOUND, "sim", answered_at)
        talk = _lognormal(self.rng, self.day.outbound.talk_mean_s, self.day.outbound.talk_cv)
        self._talk[dial_id] = talk
        if not self._send(rc.ConnectContact(contact, agent, CAMPAIGN_QUEUE), now):
            return
        self.dialer.connected(dial_id, record_id, agent, now - answered_at, now)
        self.result.connects += 1
        self._outbound_busy[agent] = now
        self._push(now + talk, _HANG_UP, dial_id)

    # -- after every step ------------------------------------------------------------------

    def _step(self, now: float) -> None:
        decision = self.policy.decide(self.floor, now)
        for command in decision.commands:
            self._send(command, now)
        while self._answered_waiting:
            agent = self._reserved_agent()
            if agent is None:
                break
            dial_id, record_id, answered_at = self._answered_waiting.popleft()
            self._connect_outbound(agent, dial_id, record_id, answered_at, now)
        if now >= self.close:
            return
        reserved = sum(
            1
            for a in self.floor.agents.values()
            if a.campaign is not None and a.state is AgentState.RESERVED
        )
        state = PacingState(
            now=now,
            free_agents=max(0, reserved - len(self._answered_waiting)),
            busy_elapsed=[now - s for s in self._outbound_busy.values()],
            ringing_elapsed=[now - s for s in self._ringing.values()],
        )
        for item in self.dialer.place_dials(now, state):
            if not isinstance(item, DialPlaced):
                continue
            self.result.dials += 1
            self._ringing[item.dial_id] = now
            ring, outcome = draw_dial(self.rng, self.day.outbound)
            self._push(now + ring, _RESULT, (item.dial_id, item.record_id, outcome))

    # -- engine events ---------------------------------------------------------------------

    def _handle(self, events: list[Any]) -> None:
        for item in events:
            self.floor.apply(item)
            if isinstance(item, re.ContactOffered) and item.contact_id in self._waiting:
                answer_at = item.at + self.day.ring_delay_s
                self._push(answer_at, _ANSWER, (item.contact_id, item.agent_id))
            elif isinstance(item, re.ContactConnected):
                self._connected(item)
            elif isinstance(item, re.ContactAbandoned):
                self._waiting.discard(item.contact_id)
                self.result.inbound_abandoned += 1
            elif isinstance(item, re.ContactEnded) and item.agent_id is not None:
                self._ended(item)
            elif isinstance(item, re.AgentStateChanged):
                self._agent_state(item)
            elif isinstance(item, re.AgentReleased) and item.reclaimed:
                self.result.reclaims += 1

    def _connected(self, event: re.ContactConnected) -> None:
        call = self._calls.get(event.contact_id)
        if call is None:
            return
        self._waiting.discard(event.contact_id)
        self.result.inbound_answered += 1
        if event.wait_s <= self.day.target.seconds:
            self.result.inbound_within_target += 1
        self._push(event.at + call[1], _HANG_UP, event.contact_id)

    def _ended(self, event: re.ContactEnded) -> None:
        self._calls.pop(event.contact_id, None)
        talk = self._talk.pop(event.contact_id, None)
        if talk is not None and event.agent_id is not None:
            self._outbound_busy.pop(event.agent_id, None)
            self.dialer.handled(talk + self.day.outbound.wrap_s)

    def _agent_state(self, event: re.AgentStateChanged) -> None:
        busy = event.state in (AgentState.ON_CONTACT, AgentState.AFTER_CONTACT_WORK)
        started = self._busy_since.get(event.agent_id)
        if busy and started is None:
            self._busy_since[event.agent_id] = event.at
        elif not busy and started is not None:
            del self._busy_since[event.agent_id]
            self.result.busy_seconds += event.at - started


def _lognormal(rng: random.Random, mean: float, cv: float) -> float:
    sigma2 = math.log(1.0 + cv * cv)
    return rng.lognormvariate(math.log(mean) - sigma2 / 2.0, math.sqrt(sigma2))


def simulate_blending_day(day: BlendingDay, arrangement: str, seed: int) -> BlendingResult:
    """Run ``arrangement`` (``blended`` or ``split``) for one seed."""
    if arrangement not in ("blended", "split"):
        raise ValueError(f"unknown arrangement {arrangement!r}")
    inbound = None if arrangement == "blended" else split_inbound_team(day)
    return BlendedDaySimulation(day, inbound, seed).run()


def with_pacing(day: BlendingDay, pacing: str) -> BlendingDay:
    """The same day with another pacing method."""
    return replace(day, pacing=pacing)
