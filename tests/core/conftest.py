"""Shared builders for core tests: small centers and contacts."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest

from madoguchi.core.config import (
    AgentConfig,
    CenterConfig,
    LocalizedText,
    MetricsConfig,
    QueueConfig,
    SkillConfig,
    TeamConfig,
    TenantConfig,
    Treatment,
    TreatmentKind,
)
from madoguchi.core.events import Event
from madoguchi.core.model import (
    AgentState,
    Channel,
    Contact,
    ContactState,
    Direction,
    SelectionPolicy,
    SkillRequirement,
    WorkMode,
)
from madoguchi.core.routing import RoutingEngine, RoutingError
from madoguchi.core.routing import commands as rc
from madoguchi.core.routing import events as ev

T0 = 1_767_225_600.0
"""2026-01-01 00:00 UTC (09:00 in Tokyo): the start instant of scripted days."""


def center(
    queues: Sequence[QueueConfig],
    agents: Sequence[AgentConfig],
    teams: Sequence[TeamConfig] = (),
    **kwargs: Any,
) -> CenterConfig:
    """A center with tenant "acme" and every skill the queues and agents mention."""
    skills = {r.skill for q in queues for r in q.skills} | {s for a in agents for s, _ in a.skills}
    return CenterConfig(
        name=LocalizedText("テスト窓口", "test center"),
        tenants=(TenantConfig("acme", LocalizedText("アクメ")),),
        skills=tuple(SkillConfig(s, LocalizedText(s)) for s in sorted(skills)),
        queues=tuple(queues),
        agents=tuple(agents),
        teams=tuple(teams),
        **kwargs,
    )


def queue(queue_id: str, *skills: str, **kwargs: Any) -> QueueConfig:
    """A voice queue needing ``skills`` at proficiency 1."""
    return QueueConfig(
        id=queue_id,
        tenant="acme",
        name=LocalizedText(queue_id),
        skills=tuple(SkillRequirement(s) for s in skills),
        **kwargs,
    )


def agent(agent_id: str, *skills: str | tuple[str, int], **kwargs: Any) -> AgentConfig:
    """An agent with skills (name, or (name, proficiency); default proficiency 5)."""
    pairs = tuple((s, 5) if isinstance(s, str) else s for s in skills)
    return AgentConfig(id=agent_id, tenant="acme", name=agent_id, skills=pairs, **kwargs)


def contact(
    contact_id: str,
    channel: Channel = Channel.VOICE,
    at: float = T0,
    skills: tuple[SkillRequirement, ...] = (),
    direction: Direction = Direction.INBOUND,
    **kwargs: Any,
) -> Contact:
    """An inbound contact of tenant "acme"."""
    return Contact(
        id=contact_id,
        channel=channel,
        direction=direction,
        tenant="acme",
        created_at=at,
        skills=skills,
        from_address=kwargs.pop("from_address", "0312345678"),
        **kwargs,
    )


@pytest.fixture(scope="session")
def build() -> Callable[..., Any]:
    """The builders as one namespace: ``build.center(...)``, ``build.queue(...)``…"""

    class Builders:
        pass

    ns: Any = Builders()
    ns.center = center
    ns.queue = queue
    ns.agent = agent
    ns.contact = contact
    ns.T0 = T0
    return ns  # type: ignore[no-any-return]


# ----------------------------------------------------------------------------------------------
# A random operator: plays agents, customers and the dialer against a routing engine.


def busy_center() -> CenterConfig:
    """Three queues (voice, chat, overflow), seven agents, a supervisor: for random days."""
    voice_chat = frozenset({Channel.VOICE, Channel.CHAT})
    queues = [
        queue(
            "inquiry",
            "general",
            channels=voice_chat,
            max_wait_s=90,
            overflow=Treatment(TreatmentKind.QUEUE, "backup"),
            after_contact_work_s=20,
            offer_timeout_s=15,
        ),
        queue(
            "vip",
            "general",
            "vip",
            channels=voice_chat,
            priority=5,
            policy=SelectionPolicy.MOST_SKILLED,
            max_wait_s=60,
            overflow=Treatment(TreatmentKind.CALLBACK),
            after_contact_work_s=0,
        ),
        queue(
            "backup",
            "general",
            channels=voice_chat,
            max_size=4,
            when_full=Treatment(TreatmentKind.VOICEMAIL),
            policy=SelectionPolicy.ROUND_ROBIN,
            after_contact_work_s=10,
        ),
        queue(
            "chat",
            "general",
            channels=frozenset({Channel.CHAT}),
            policy=SelectionPolicy.LEAST_OCCUPIED,
            after_contact_work_s=5,
        ),
    ]
    cap = ((Channel.VOICE, 1), (Channel.CHAT, 2))
    agents = [
        agent("a1", ("general", 3), capacity=cap, team="t1"),
        agent("a2", ("general", 7), ("vip", 4), capacity=cap, team="t1"),
        agent("a3", ("general", 9), ("vip", 8), team="t1"),
        agent("a4", ("general", 5), capacity=((Channel.CHAT, 3),), team="t1"),
        agent("a5", ("general", 6), work_mode=WorkMode.BLENDED, team="t1"),
        agent("a6", ("general", 4), work_mode=WorkMode.OUTBOUND, team="t1"),
        agent("sv", ("general", 10), ("vip", 10), capacity=cap, team="t1"),
    ]
    teams = [TeamConfig("t1", "acme", LocalizedText("一課"), supervisor="sv")]
    return center(queues, agents, teams, metrics=MetricsConfig(short_abandon_s=5.0))


class RandomOperator:
    """Chooses a plausible next command from the engine's state with an injected Random."""

    def __init__(self, engine: Any, rng: Any, start: float = T0) -> None:
        self.engine = engine
        self.rng = rng
        self.now = start
        self.count = 0

    def next_command(self) -> Any:
        """A command to try now (it may be refused), or None to let time pass."""
        e = self.engine
        rng = self.rng
        roll = rng.random()
        agents = list(e.agents.values())
        contacts = list(e.contacts.values())
        agent_ = rng.choice(agents)
        if roll < 0.18:
            self.count += 1
            queue_id = rng.choice(["inquiry", "inquiry", "vip", "backup", "chat"])
            channel = Channel.CHAT if queue_id == "chat" or rng.random() < 0.3 else Channel.VOICE
            needs: tuple[SkillRequirement, ...] | None = None
            if rng.random() < 0.2:
                needs = (SkillRequirement("general", rng.randint(1, 9)),)
            item = contact(f"c{self.count}", channel=channel, at=self.now)
            return rc.EnqueueContact(item, queue_id, skills=needs)
        if roll < 0.30:
            return rc.AgentLogin(agent_.id, available=rng.random() < 0.8)
        if roll < 0.36:
            state = AgentState.AVAILABLE if rng.random() < 0.85 else AgentState.NOT_READY
            return rc.SetAgentState(agent_.id, state, None if state == "available" else "break")
        if roll < 0.38:
            return rc.AgentLogout(agent_.id)
        offered = [c for c in contacts if c.state is ContactState.OFFERED]
        waiting = [c for c in contacts if c.state is ContactState.QUEUED]
        connected = [c for c in contacts if c.state is ContactState.CONNECTED]
        if roll < 0.55 and offered:
            c = rng.choice(offered)
            if rng.random() < 0.85:
                return rc.AcceptOffer(c.id, c.offered_to)
            return rc.RejectOffer(c.id, c.offered_to)
        if roll < 0.58 and (waiting or offered):
            return rc.AbandonContact(rng.choice(waiting + offered).id)
        if roll < 0.70 and connected:
            return rc.EndContact(rng.choice(connected).id)
        if roll < 0.76 and connected:
            c = rng.choice(connected)
            pick = rng.random()
            if pick < 0.4:
                return rc.TransferContact(c.id, to_queue=rng.choice(["inquiry", "backup", "vip"]))
            if pick < 0.7:
                return rc.TransferContact(c.id, to_agent=rng.choice(agents).id)
            return rc.TransferContact(c.id, to_supervisor=True)
        if roll < 0.80 and connected:
            c = rng.choice(connected)
            return rc.ResumeContact(c.id) if c.held_since is not None else rc.HoldContact(c.id)
        if roll < 0.82 and waiting:
            return rc.RequestCallback(rng.choice(waiting).id, "0120000000")
        if roll < 0.86:
            wrapping = [a for a in agents if a.wrapups]
            if wrapping:
                a = rng.choice(wrapping)
                return rc.CompleteWrapUp(a.id, rng.choice(list(a.wrapups)), "resolved")
        if roll < 0.89:
            return rc.ReserveAgent(agent_.id, "camp")
        if roll < 0.91:
            return rc.ReleaseAgent(agent_.id)
        if roll < 0.92:
            return rc.SetWorkMode(agent_.id, rng.choice(list(WorkMode)))
        if roll < 0.93 and agent_.campaign is not None:
            self.count += 1
            item = contact(f"o{self.count}", at=self.now, direction=Direction.OUTBOUND)
            return rc.ConnectContact(item, agent_.id, queue_id="inquiry")
        return None

    def step(self, log: list[Event]) -> None:
        """Try one command (refusals must change nothing) or let up to 40 s pass."""
        command = self.next_command()
        if command is None:
            until = self.now + self.rng.uniform(0, 40)
            while (due := self.engine.next_timer()) is not None and due <= until:
                self.now = max(self.now, due)
                log.extend(self.engine.handle_timer(self.now))
            self.now = until
            return
        before = self.engine.snapshot()
        try:
            log.extend(self.engine.receive(command, self.now))
        except RoutingError:
            assert self.engine.snapshot() == before, f"{command} was refused but changed state"


@pytest.fixture(scope="session")
def random_day() -> Any:
    """``(busy_center, RandomOperator)`` for tests that play random days."""
    return busy_center, RandomOperator


# ----------------------------------------------------------------------------------------------
# A desk: a routing engine, a clock and the log of every event.


class Desk:
    """Drives a RoutingEngine at a test clock and keeps every event it emits."""

    def __init__(self, config: CenterConfig, build: Any, start: float) -> None:
        self.config = config
        self.build = build
        self.engine = RoutingEngine(config)
        self.now = start
        self.log: list[Event] = []

    def do(self, command: Any, at: float | None = None) -> list[Event]:
        """Advance to ``at`` (firing due timers), then run ``command``."""
        if at is not None:
            self.advance_to(at)
        out = self.engine.receive(command, self.now)
        self.log.extend(out)
        return out

    def advance(self, seconds: float) -> list[Event]:
        """Let ``seconds`` pass, firing timers at their due times."""
        return self.advance_to(self.now + seconds)

    def advance_to(self, until: float) -> list[Event]:
        fired: list[Event] = []
        while (due := self.engine.next_timer()) is not None and due <= until:
            self.now = max(self.now, due)
            out = self.engine.handle_timer(self.now)
            fired.extend(out)
            if not out and self.engine.next_timer() == due:
                break
        self.now = max(self.now, until)
        self.log.extend(fired)
        return fired

    def login(self, *agent_ids: str) -> None:
        for agent_id in agent_ids:
            self.do(rc.AgentLogin(agent_id, available=True))

    def call(
        self,
        contact_id: str,
        queue_id: str,
        channel: Channel = Channel.VOICE,
        skills: tuple[SkillRequirement, ...] | None = None,
        priority: int | None = None,
        **kwargs: Any,
    ) -> list[Event]:
        contact = self.build.contact(contact_id, channel=channel, at=self.now, **kwargs)
        return self.do(rc.EnqueueContact(contact, queue_id, priority=priority, skills=skills))

    def offered_to(self, contact_id: str) -> str | None:
        """The agent the contact was last offered to."""
        found = None
        for item in self.log:
            if isinstance(item, ev.ContactOffered) and item.contact_id == contact_id:
                found = item.agent_id
        return found

    def answer(self, contact_id: str) -> list[Event]:
        agent = self.offered_to(contact_id)
        assert agent is not None, f"{contact_id} was never offered"
        return self.do(rc.AcceptOffer(contact_id, agent))

    def state(self, agent_id: str) -> AgentState:
        return self.engine.agent_state(agent_id)

    def events_of(self, kind: type[Event]) -> list[Any]:
        return [e for e in self.log if isinstance(e, kind)]


@pytest.fixture
def desk(build: Any) -> Callable[..., Desk]:
    """``desk(queues, agents, teams=(), **center_kwargs)`` → a Desk at T0."""

    def make(
        queues: Sequence[QueueConfig],
        agents: Sequence[AgentConfig],
        teams: Sequence[TeamConfig] = (),
        **kwargs: Any,
    ) -> Desk:
        return Desk(build.center(queues, agents, teams, **kwargs), build, build.T0)

    return make
