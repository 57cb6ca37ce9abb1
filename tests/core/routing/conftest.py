"""A desk: a routing engine, a clock and the log of every event, for routing tests."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest

from madoguchi.core.config import AgentConfig, CenterConfig, QueueConfig, TeamConfig
from madoguchi.core.events import Event
from madoguchi.core.model import AgentState, Channel, SkillRequirement
from madoguchi.core.routing import RoutingEngine
from madoguchi.core.routing import commands as rc
from madoguchi.core.routing import events as ev


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
