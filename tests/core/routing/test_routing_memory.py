"""A long-running engine keeps bounded state: ended contacts are remembered for a horizon only."""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable
from typing import Any

import pytest

from madoguchi.core.events import Event
from madoguchi.core.model import AgentState, ContactState
from madoguchi.core.routing import (
    DuplicateContact,
    InvalidCommand,
    RoutingEngine,
    RoutingError,
    UnknownContact,
)
from madoguchi.core.routing import commands as rc
from madoguchi.core.routing import events as ev
from madoguchi.core.routing.ended import EndedContacts

HOUR = 3600.0
AGENTS = 48
TALK_S = 60.0


def memory_center(build: Any) -> Any:
    queues = [
        build.queue("q", "s", max_wait_s=6 * HOUR, after_contact_work_s=15, offer_timeout_s=10),
        build.queue("cb", "s", after_contact_work_s=0),
    ]
    agents = [build.agent(f"a{i}", "s") for i in range(AGENTS)]
    return build.center(queues, agents)


def structure_sizes(engine: RoutingEngine) -> dict[str, int]:
    """Entries of every structure of the engine that could hold per-contact data."""
    lines = engine.lines
    return {
        "contacts": len(engine.contacts),
        "ended": len(engine.ended),
        "scheduled": len(engine.scheduled),
        "timer_heap": len(engine.timers),
        "timers_current": len(engine.timers.pending()),
        "wrapups": sum(len(a.wrapups) for a in engine.agents.values()),
        "active": sum(len(a.active) for a in engine.agents.values()),
        "groups_known": len(lines.known),
        "groups_waiting": len(lines.groups),
        "masks": len(engine._masks),
        "requirements": len(engine._req_info),
        "handle_average": len(engine.handle_average),
        "round_robin": len(engine.round_robin_last),
        "dialer_reserved": len(engine.dialer_reserved),
    }


class LongDay:
    """Customers and agents around one engine: arrivals, answers, talks, abandons, callbacks."""

    def __init__(self, engine: RoutingEngine, build: Any, seed: int) -> None:
        self.engine = engine
        self.build = build
        self.rng = random.Random(seed)
        self.now = build.T0
        self.actions: list[tuple[float, int, str, str, str]] = []
        self.seq = 0
        self.count = 0
        self.ended_at: list[float] = []
        """When each contact routing finished with ended (ContactEnded, CallbackCancelled)."""
        self.log: list[Event] = []
        for agent_id in engine.agents:
            self.run(rc.AgentLogin(agent_id, available=True))

    def later(self, delay: float, kind: str, contact_id: str, agent_id: str = "") -> None:
        self.seq += 1
        heapq.heappush(self.actions, (self.now + delay, self.seq, kind, contact_id, agent_id))

    def run(self, command: Any) -> None:
        try:
            out = self.engine.receive(command, self.now)
        except RoutingError:
            return  # a customer or agent acting on a contact that moved on: refused, no change
        self.see(out)

    def see(self, out: list[Event]) -> None:
        rng = self.rng
        self.log.extend(out)
        for item in out:
            if isinstance(item, ev.ContactOffered):
                if rng.random() < 0.93:
                    self.later(rng.uniform(1, 6), "accept", item.contact_id, item.agent_id)
            elif isinstance(item, ev.ContactConnected):
                self.later(rng.expovariate(1 / TALK_S), "end", item.contact_id)
            elif isinstance(item, ev.ContactEnded | ev.CallbackCancelled):
                self.ended_at.append(item.at)
            elif isinstance(item, ev.AgentStateChanged) and item.state == "not_ready":
                self.later(rng.uniform(5, 30), "ready", "", item.agent_id)  # back after a miss
            elif (
                isinstance(item, ev.AgentStateChanged)
                and item.state == "after_contact_work"
                and rng.random() < 0.5
            ):
                self.later(rng.uniform(2, 10), "wrap", "", item.agent_id)

    def act(self, kind: str, contact_id: str, agent_id: str) -> None:
        engine = self.engine
        if kind == "accept":
            self.run(rc.AcceptOffer(contact_id, agent_id))
        elif kind == "end":
            self.run(rc.EndContact(contact_id))
        elif kind == "abandon":
            self.run(rc.AbandonContact(contact_id))
        elif kind == "cancel":
            self.run(rc.CancelCallback(contact_id))
        elif kind == "ready":
            self.run(rc.SetAgentState(agent_id, AgentState.AVAILABLE))
        elif kind == "wrap":
            wrapups = engine.agents[agent_id].wrapups
            if wrapups:
                self.run(rc.CompleteWrapUp(agent_id, next(iter(wrapups)), None))

    def advance_to(self, until: float) -> None:
        engine = self.engine
        while True:
            due = engine.next_timer()
            action_at = self.actions[0][0] if self.actions else None
            if action_at is not None and action_at <= until and (due is None or action_at <= due):
                at, _seq, kind, contact_id, agent_id = heapq.heappop(self.actions)
                self.now = max(self.now, at)
                self.act(kind, contact_id, agent_id)
            elif due is not None and due <= until:
                self.now = max(self.now, due)
                self.see(engine.handle_timer(self.now))
            else:
                break
        self.now = max(self.now, until)

    def arrive(self) -> None:
        rng = self.rng
        self.count += 1
        contact = self.build.contact(f"c{self.count}", at=self.now)
        if self.count % 40 == 0:  # a callback for later: a quarter of them cancelled
            self.run(rc.ScheduleCallback(contact, "cb", self.now + 600, "0312345678"))
            if self.count % 160 == 0:
                self.later(60, "cancel", contact.id)
            return
        self.run(rc.EnqueueContact(contact, "q"))
        self.later(rng.expovariate(1 / 240), "abandon", contact.id)

    def play(self, contacts: int, mean_gap_s: float, every: int = 0) -> list[dict[str, int]]:
        """Let ``contacts`` arrive; the engine's sizes every ``every`` arrivals."""
        samples = []
        for _ in range(contacts):
            self.advance_to(self.now + self.rng.expovariate(1 / mean_gap_s))
            self.arrive()
            if every and self.count % every == 0:
                samples.append(structure_sizes(self.engine))
        return samples


def test_given_a_long_day_of_50k_contacts_then_every_routing_structure_stays_bounded(
    build: Any,
) -> None:
    horizon = 2 * HOUR
    engine = RoutingEngine(memory_center(build), ended_horizon_s=horizon, ended_limit=40_000)
    day = LongDay(engine, build, seed=20261202)
    samples = day.play(50_000, mean_gap_s=1.5, every=2_500)  # about 21 hours of arrivals
    assert day.count == 50_000
    assert len(day.ended_at) > 45_000
    # ended contacts: exactly those that ended within the horizon of the latest end
    latest = day.ended_at[-1]
    assert len(engine.ended) == sum(1 for at in day.ended_at if at >= latest - horizon)
    oldest = engine.ended.oldest()
    assert oldest is not None
    assert oldest >= latest - horizon
    # the second half of the day holds no more than the first: nothing grows with time
    first, second = samples[: len(samples) // 2], samples[len(samples) // 2 :]
    for name in samples[0]:
        peak_first = max(s[name] for s in first)
        peak_second = max(s[name] for s in second)
        assert peak_second <= max(peak_first * 1.5, peak_first + 50), (name, samples)
    for sample in samples:
        assert sample["ended"] < 2 * horizon / 1.5  # about 2 hours of contacts, not 50 000
        assert sample["timer_heap"] <= 2 * sample["timers_current"] + 4097  # swept heap
        assert sample["contacts"] < 1_000
        assert sample["wrapups"] <= AGENTS
        assert sample["groups_known"] <= 2


def test_given_a_small_limit_then_only_the_latest_ended_contacts_are_remembered(
    build: Any,
) -> None:
    engine = RoutingEngine(memory_center(build), ended_horizon_s=10 * HOUR, ended_limit=100)
    day = LongDay(engine, build, seed=7)
    day.play(2_000, mean_gap_s=2.0)
    assert len(engine.ended) == 100
    last_ended = [
        e.contact_id for e in day.log if isinstance(e, ev.ContactEnded | ev.CallbackCancelled)
    ][-100:]
    assert list(engine.ended) == last_ended


def test_given_a_day_with_forgetting_when_rebuilt_from_its_log_then_the_state_is_identical(
    build: Any,
) -> None:
    config = memory_center(build)
    engine = RoutingEngine(config, ended_horizon_s=900, ended_limit=5_000)
    day = LongDay(engine, build, seed=11)
    day.play(4_000, mean_gap_s=1.5)
    assert len(engine.ended) < len(day.ended_at)  # some were forgotten
    rebuilt = RoutingEngine.rebuild(config, day.log, ended_horizon_s=900, ended_limit=5_000)
    assert rebuilt.snapshot() == engine.snapshot()
    assert rebuilt.next_timer() == engine.next_timer()
    # and both go on alike: the same arrival later is refused or taken by both alike
    for other in (engine, rebuilt):
        other.receive(rc.EnqueueContact(build.contact("late", at=day.now), "q"), day.now)
    assert rebuilt.snapshot() == engine.snapshot()


@pytest.fixture
def ended_desk(desk: Callable[..., Any], build: Any) -> Any:
    d = desk([build.queue("q", "s", after_contact_work_s=30)], [build.agent("a1", "s")])
    d.engine = RoutingEngine(d.engine.config, ended_horizon_s=HOUR, ended_limit=1_000)
    d.login("a1")
    d.call("done", "q")
    d.answer("done")
    d.do(rc.EndContact("done"))
    d.do(rc.CompleteWrapUp("a1", "done", None))
    d.do(rc.ScheduleCallback(build.contact("dropped", at=d.now), "q", d.now + 600, "0311112222"))
    d.do(rc.CancelCallback("dropped"))
    return d


def late_commands(build: Any, now: float) -> list[tuple[Any, type[RoutingError]]]:
    return [
        (rc.EnqueueContact(build.contact("done", at=now), "q"), DuplicateContact),
        (rc.ConnectContact(build.contact("done", at=now), "a1"), DuplicateContact),
        (
            rc.ScheduleCallback(build.contact("done", at=now), "q", now + 60, "0311112222"),
            DuplicateContact,
        ),
        (rc.EnqueueContact(build.contact("dropped", at=now), "q"), DuplicateContact),
        (rc.CompleteWrapUp("a1", "done", None), InvalidCommand),
        (rc.CancelCallback("dropped"), InvalidCommand),
        (rc.CancelCallback("done"), InvalidCommand),
        (rc.EndContact("done"), UnknownContact),
        (rc.HoldContact("done"), UnknownContact),
    ]


def test_given_a_just_ended_contact_then_late_commands_get_the_same_typed_errors(
    ended_desk: Any, build: Any
) -> None:
    d = ended_desk
    d.advance(HOUR - 1)  # still within the horizon
    assert d.engine.contact_state("done") is ContactState.ENDED
    assert d.engine.contact_state("dropped") is ContactState.ENDED
    for command, error in late_commands(build, d.now):
        with pytest.raises(error):
            d.do(command)


def test_given_the_horizon_passed_and_another_contact_ended_then_the_old_id_is_forgotten(
    ended_desk: Any, build: Any
) -> None:
    d = ended_desk
    d.advance(HOUR + 1)
    assert d.engine.contact_state("done") is ContactState.ENDED  # nothing ended since: kept
    d.call("next", "q")
    d.answer("next")
    d.do(rc.EndContact("next"))
    assert list(d.engine.ended) == ["next"]
    for contact_id in ("done", "dropped"):
        with pytest.raises(UnknownContact):
            d.engine.contact_state(contact_id)
    with pytest.raises(UnknownContact):
        d.do(rc.CompleteWrapUp("a1", "done", None))
    d.do(rc.CompleteWrapUp("a1", "next", None))
    queued = d.call("done", "q")  # the id may be used again
    assert isinstance(queued[0], ev.ContactQueued)


@pytest.mark.parametrize(
    ("horizon", "limit", "message"),
    [
        (-1.0, 10, "ended_horizon_s"),
        (float("nan"), 10, "ended_horizon_s"),
        (60.0, 0, "ended_limit"),
        (60.0, 2.5, "ended_limit"),
    ],
)
def test_given_a_bad_horizon_or_limit_then_the_engine_says_which(
    horizon: Any, limit: Any, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        EndedContacts(horizon, limit)
