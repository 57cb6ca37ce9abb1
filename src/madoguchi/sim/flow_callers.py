"""Simulated callers in a contact flow (IVR), run by the real flow interpreter.

:class:`FlowCallers` starts a :class:`~madoguchi.core.flows.FlowSession` for each arriving
contact of a kind that names a flow, answers the session's commands as a caller and the
center's systems would, and hands the contact to routing when the flow says ``enqueue``:

- ``Gather`` → the caller keys the next of the kind's ``flow_keys`` after the answer delay (at
  most 80 % of the prompt's time-out); when the keys run out the caller stays silent and the
  flow's own time-outs apply;
- ``LookupCustomer`` → nobody matched; ``HttpRequest`` → failed (no outside systems in a
  simulation); ``RecordMessage`` → a 20 s message;
- ``Enqueue`` / ``Transfer`` to a queue → the driver's ``EnqueueContact``;
- ``RequestCallback`` → queued, then the engine's ``RequestCallback`` (keeps the place in line;
  the caller has hung up, so no patience);
- ``Hangup`` and transfers elsewhere → the contact ends in the flow.

The flow reads live figures (estimated wait, agents available) from the routing engine through
:class:`~madoguchi.core.flows.environment.RoutingFlowEnvironment`, as in the runtime. After the
contact is queued, the session is told when an agent answers or the caller leaves; queue-time
treatment (announcements, in-queue callback offers) is not simulated.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from madoguchi.core.config import CenterConfig
from madoguchi.core.flows import FlowSession
from madoguchi.core.flows import commands as fc
from madoguchi.core.flows import inputs as fi
from madoguchi.core.flows.environment import RoutingFlowEnvironment
from madoguchi.core.flows.model import Flow, FlowOutcome, TransferKind
from madoguchi.core.model import Contact, SkillRequirement
from madoguchi.core.routing import RoutingEngine
from madoguchi.sim.distributions import DurationStream
from madoguchi.sim.scenario import Scenario

Enqueue = Callable[[str, str, int | None, tuple[SkillRequirement, ...] | None, float], None]
"""``(contact_id, queue, priority, skills, now)``: hand the contact to routing."""
Callback = Callable[[str, str, str, float], None]
"""``(contact_id, queue, number, now)``: queue the contact as a callback request."""
Ended = Callable[[str, str, float], None]
"""``(contact_id, outcome, now)``: the contact ended inside the flow."""
Schedule = Callable[[float, Any], None]
"""``(at, payload)``: call :meth:`FlowCallers.act` with ``payload`` at ``at``."""


class FlowCallers:
    """Flow sessions of the simulated day (see the module docstring)."""

    def __init__(
        self,
        scenario: Scenario,
        center: CenterConfig,
        engine: RoutingEngine,
        generator: np.random.Generator,
        *,
        enqueue: Enqueue,
        callback: Callback,
        ended: Ended,
        schedule: Schedule,
    ) -> None:
        flows = dict(scenario.flows)
        self._flows: dict[int, Flow] = {}
        self._delays: dict[int, DurationStream] = {}
        for index, kind in enumerate(scenario.mix):
            if kind.flow is not None:
                if kind.flow not in flows:
                    raise ValueError(f"flow {kind.flow!r} was not loaded (load_scenario_file)")
                self._flows[index] = flows[kind.flow]
                self._delays[index] = DurationStream(kind.flow_answer_delay, generator)
        self._mix = scenario.mix
        self._environment = RoutingFlowEnvironment(engine, center)
        self._enqueue = enqueue
        self._callback = callback
        self._ended = ended
        self._schedule = schedule
        self._sessions: dict[str, tuple[FlowSession, int, list[str]]] = {}
        self._queued: set[str] = set()
        self.events: list[Any] = []
        self.outcomes: dict[str, int] = {}
        """How many contacts left the flow each way (queued, self_service, closed…)."""

    def uses_flow(self, kind: int) -> bool:
        """Whether contacts of this kind start in a flow."""
        return kind in self._flows

    def start(self, contact: Contact, kind: int, now: float) -> None:
        """The contact arrives and the flow begins."""
        session = FlowSession(self._flows[kind], self._environment)
        keys = list(reversed(self._mix[kind].flow_keys))
        self._sessions[contact.id] = (session, kind, keys)
        self._follow(contact.id, session.start(contact, now), now)

    def act(self, payload: Any, now: float) -> None:
        """A scheduled caller answer or flow time-out is due."""
        contact_id, item = payload
        entry = self._sessions.get(contact_id)
        if entry is None or contact_id in self._queued:
            return
        session = entry[0]
        if item is None:
            due = session.next_timer()
            if due is not None and due <= now:
                self._follow(contact_id, session.handle_timer(now), now)
        else:
            self._follow(contact_id, session.receive(item, now), now)

    def connected(self, contact_id: str, agent_id: str, now: float) -> None:
        """Routing connected the contact: the session's part is over."""
        self._queued.discard(contact_id)
        entry = self._sessions.pop(contact_id, None)
        if entry is not None:
            entry[0].receive(fi.AgentConnected(agent_id), now)
            self.events.extend(entry[0].take_events())

    def left(self, contact_id: str, now: float) -> None:
        """The caller hung up or the contact ended otherwise."""
        self._queued.discard(contact_id)
        entry = self._sessions.pop(contact_id, None)
        if entry is not None:
            entry[0].receive(fi.CustomerLeft(), now)
            self.events.extend(entry[0].take_events())

    def _follow(self, contact_id: str, commands: list[fc.FlowCommand], now: float) -> None:
        entry = self._sessions.get(contact_id)
        if entry is None:
            return
        session, kind, keys = entry
        handed_over = False
        for command in commands:
            if isinstance(command, fc.Gather):
                if keys:  # callers answer within the prompt's time-out
                    delay = min(self._delays[kind].next(), 0.8 * command.timeout_s)
                    self._schedule(now + delay, (contact_id, fi.Digits(keys.pop())))
            elif isinstance(command, fc.LookupCustomer):
                self._schedule(now, (contact_id, fi.CustomerLookupResult(command.request_id, None)))
            elif isinstance(command, fc.HttpRequest):
                failed = fi.HttpFailed(command.request_id, "no outside systems in a simulation")
                self._schedule(now, (contact_id, failed))
            elif isinstance(command, fc.RecordMessage):
                self._schedule(now + 20.0, (contact_id, fi.MessageLeft(20.0)))
            elif isinstance(command, fc.Enqueue) and not handed_over:
                handed_over = True
                self._count(FlowOutcome.QUEUED)
                self._queued.add(contact_id)
                skills = tuple(SkillRequirement(s, p) for s, p in command.skills) or None
                self._enqueue(contact_id, command.queue, command.priority, skills, now)
            elif isinstance(command, fc.Transfer) and not handed_over:
                handed_over = True
                if command.kind is TransferKind.QUEUE:
                    self._count(FlowOutcome.QUEUED)
                    self._queued.add(contact_id)
                    self._enqueue(contact_id, command.target, None, None, now)
                else:
                    self._finish(contact_id, FlowOutcome.TRANSFERRED, now)
            elif isinstance(command, fc.RequestCallback) and not handed_over:
                handed_over = True
                self._count(FlowOutcome.CALLBACK)
                self._queued.add(contact_id)
                self._callback(contact_id, command.queue, command.number, now)
            elif isinstance(command, fc.Hangup) and not handed_over:
                handed_over = True
                outcome = session.outcome or FlowOutcome.SELF_SERVICE
                self._finish(contact_id, outcome, now)
        if contact_id in self._sessions and not handed_over:
            due = session.next_timer()
            if due is not None:
                self._schedule(due, (contact_id, None))
        self.events.extend(session.take_events())

    def _count(self, outcome: FlowOutcome) -> None:
        self.outcomes[outcome.value] = self.outcomes.get(outcome.value, 0) + 1

    def _finish(self, contact_id: str, outcome: FlowOutcome, now: float) -> None:
        self._sessions.pop(contact_id, None)
        self._count(outcome)
        self._ended(contact_id, outcome.value, now)
