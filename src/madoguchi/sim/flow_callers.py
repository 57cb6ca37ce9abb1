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

Queue-time treatment: once queued, the session keeps running on the flow's timers, as in the
runtime. Its announcements (place in line, estimated wait read from the routing engine) are
counted; when it offers a callback or a message (after ``callback_after``, when the estimated
wait is above ``callback_if_wait_above``, as the enqueue node's ``treatment`` says) the caller
takes the callback with the kind's ``accept_callback`` probability, else the message with
``accept_message``, else stays silent and keeps waiting. A caller who takes an offer no longer
abandons. Taking the callback walks the flow's callback node (the caller confirms the number
with ``1``) and ends in routing's ``RequestCallback``: the contact keeps its place in line and
the call back is made when an agent takes it. Taking the message leaves the line (routing
``EndContact`` with reason ``voicemail``) and records a 20 s message.
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
from madoguchi.core.flows.model import EnqueueNode, Flow, FlowOutcome, TransferKind
from madoguchi.core.flows.session import FlowPhase
from madoguchi.core.model import Contact, SkillRequirement
from madoguchi.core.routing import RoutingEngine
from madoguchi.sim import results as r
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
QueuedCallback = Callable[[str, str, float], None]
"""``(contact_id, number, now)``: a waiting caller took the callback offer (keep the place)."""
LeaveForMessage = Callable[[str, float], None]
"""``(contact_id, now)``: a waiting caller leaves the line to record a message."""
Treated = Callable[[str, int, float], None]
"""``(contact_id, what, now)``: a queue-time fact (``results.ANNOUNCEMENT``,
``CALLBACK_OFFERED``, ``MESSAGE_OFFERED``, ``MESSAGE_LEFT``) or ``OFFER_TAKEN``."""

OFFER_TAKEN = -1
"""``Treated`` code: the waiting caller took an offer and no longer abandons."""
MESSAGE_S = 20.0
"""Length of a simulated caller's message."""


class _Caller:
    """One caller's session and script."""

    __slots__ = ("keys", "kind", "leaving", "queued", "registered", "session")

    def __init__(self, session: FlowSession, kind: int, keys: list[str]) -> None:
        self.session = session
        self.kind = kind
        self.keys = keys
        """Keys still to press, last first."""
        self.queued = False
        """Handed to routing (waiting, connected or a callback request)."""
        self.leaving = False
        """Left the line to record a message: routing is done with the contact."""
        self.registered = False
        """Routing holds a callback request for the contact."""


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
        queued_callback: QueuedCallback | None = None,
        leave_for_message: LeaveForMessage | None = None,
        treated: Treated | None = None,
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
        # the offer decisions draw from a stream of their own: a day without offers taken sees
        # the same answer delays as before
        self._decisions = generator.spawn(1)[0]
        self._coins: list[float] = []
        self._mix = scenario.mix
        self._environment = RoutingFlowEnvironment(engine, center)
        self._enqueue = enqueue
        self._callback = callback
        self._ended = ended
        self._schedule = schedule
        self._queued_callback = queued_callback
        self._leave_for_message = leave_for_message
        self._treated = treated
        self._callers: dict[str, _Caller] = {}
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
        self._callers[contact.id] = _Caller(session, kind, keys)
        self._follow(contact.id, session.start(contact, now), now)

    def act(self, payload: Any, now: float) -> None:
        """A scheduled caller answer or flow time-out (or queue-time tick) is due."""
        contact_id, item = payload
        caller = self._callers.get(contact_id)
        if caller is None:
            return
        session = caller.session
        if item is None:
            due = session.next_timer()
            if due is not None and due <= now:
                self._follow(contact_id, session.handle_timer(now), now)
        else:
            self._follow(contact_id, session.receive(item, now), now)

    def connected(self, contact_id: str, agent_id: str, now: float) -> None:
        """Routing connected the contact: the session's part is over."""
        caller = self._callers.pop(contact_id, None)
        if caller is not None:
            caller.session.receive(fi.AgentConnected(agent_id), now)
            self.events.extend(caller.session.take_events())

    def left(self, contact_id: str, now: float) -> None:
        """The caller hung up or the contact ended otherwise."""
        caller = self._callers.get(contact_id)
        if caller is None or caller.leaving:
            return  # recording a message: the flow finishes it
        del self._callers[contact_id]
        caller.session.receive(fi.CustomerLeft(), now)
        self.events.extend(caller.session.take_events())

    def _follow(self, contact_id: str, commands: list[fc.FlowCommand], now: float) -> None:
        caller = self._callers.get(contact_id)
        if caller is None:
            return
        session, kind, keys = caller.session, caller.kind, caller.keys
        # queue-time treatment speaking (not a fallback that re-enters an enqueue node)
        in_queue = (
            caller.queued
            and session.phase is FlowPhase.QUEUED
            and not any(isinstance(c, fc.Enqueue) for c in commands)
        )
        handed_over = False
        announced = False
        for command in commands:
            if isinstance(command, fc.Say | fc.Play):
                if in_queue and not command.barge_in and not announced:
                    announced = True  # the place in line and the estimated wait: one announcement
                    self._treat(contact_id, r.ANNOUNCEMENT, now)
            elif isinstance(command, fc.Gather):
                if in_queue:
                    self._offered(caller, contact_id, now)
                elif keys:  # callers answer within the prompt's time-out
                    delay = min(self._delays[kind].next(), 0.8 * command.timeout_s)
                    self._schedule(now + delay, (contact_id, fi.Digits(keys.pop())))
            elif isinstance(command, fc.LookupCustomer):
                self._schedule(now, (contact_id, fi.CustomerLookupResult(command.request_id, None)))
            elif isinstance(command, fc.HttpRequest):
                failed = fi.HttpFailed(command.request_id, "no outside systems in a simulation")
                self._schedule(now, (contact_id, failed))
            elif isinstance(command, fc.RecordMessage):
                if caller.queued and not caller.leaving:
                    caller.leaving = True  # out of the line while the message is recorded
                    self._treat(contact_id, r.MESSAGE_LEFT, now)
                    if self._leave_for_message is not None:
                        self._leave_for_message(contact_id, now)
                self._schedule(now + MESSAGE_S, (contact_id, fi.MessageLeft(MESSAGE_S)))
            elif caller.queued:
                handed_over = self._queued_command(caller, contact_id, command, now) or handed_over
            elif isinstance(command, fc.Enqueue) and not handed_over:
                handed_over = True
                self._count(FlowOutcome.QUEUED)
                caller.queued = True
                skills = tuple(SkillRequirement(s, p) for s, p in command.skills) or None
                self._enqueue(contact_id, command.queue, command.priority, skills, now)
            elif isinstance(command, fc.Transfer) and not handed_over:
                handed_over = True
                if command.kind is TransferKind.QUEUE:
                    self._count(FlowOutcome.QUEUED)
                    caller.queued = True
                    self._enqueue(contact_id, command.target, None, None, now)
                else:
                    self._finish(contact_id, FlowOutcome.TRANSFERRED, now)
            elif isinstance(command, fc.RequestCallback) and not handed_over:
                handed_over = True
                self._count(FlowOutcome.CALLBACK)
                caller.queued = True
                caller.registered = True
                self._callback(contact_id, command.queue, command.number, now)
            elif isinstance(command, fc.Hangup) and not handed_over:
                handed_over = True
                outcome = session.outcome or FlowOutcome.SELF_SERVICE
                self._finish(contact_id, outcome, now)
        if contact_id in self._callers and session.phase is not FlowPhase.ENDED:
            due = session.next_timer()  # flow time-outs, and queue-time ticks once queued
            if due is not None:
                self._schedule(due, (contact_id, None))
        self.events.extend(session.take_events())

    def _queued_command(
        self, caller: _Caller, contact_id: str, command: fc.FlowCommand, now: float
    ) -> bool:
        """A command of a session whose contact routing already has (after an offer taken).

        Returns whether the session is over.
        """
        if isinstance(command, fc.RequestCallback):
            if not caller.registered and not caller.leaving:
                caller.registered = True
                if self._queued_callback is not None:
                    self._queued_callback(contact_id, command.number, now)
            return False
        if isinstance(command, fc.Hangup):
            self._callers.pop(contact_id, None)
            return True
        # Enqueue / Transfer to a queue (a callback node's fallback): still in line, nothing to
        # do; other transfers are not simulated for a waiting contact
        return False

    def _offered(self, caller: _Caller, contact_id: str, now: float) -> None:
        """The waiting caller hears a callback and/or message offer and decides."""
        node = caller.session.node
        if not isinstance(node, EnqueueNode):
            return
        treatment = node.treatment
        callback = bool(treatment.callback)
        message = bool(treatment.message) and treatment.offer_message
        if callback:
            self._treat(contact_id, r.CALLBACK_OFFERED, now)
        if message:
            self._treat(contact_id, r.MESSAGE_OFFERED, now)
        kind = self._mix[caller.kind]
        p_callback = kind.accept_callback if callback else 0.0
        p_message = kind.accept_message if message else 0.0
        if p_callback <= 0.0 and p_message <= 0.0:
            return  # nobody takes it: no draw
        if not self._coins:
            self._coins = self._decisions.random(1024).tolist()
        coin = self._coins.pop()
        if coin < p_callback:
            key, script = "1", ["1"]  # take the callback; confirm the number the flow reads out
        elif coin < p_callback + p_message:
            key, script = "2", []
        else:
            return
        caller.keys = script
        self._treat(contact_id, OFFER_TAKEN, now)
        delay = self._delays[caller.kind].next()
        self._schedule(now + delay, (contact_id, fi.Digits(key)))

    def _treat(self, contact_id: str, what: int, now: float) -> None:
        if self._treated is not None:
            self._treated(contact_id, what, now)

    def _count(self, outcome: FlowOutcome) -> None:
        self.outcomes[outcome.value] = self.outcomes.get(outcome.value, 0) + 1

    def _finish(self, contact_id: str, outcome: FlowOutcome, now: float) -> None:
        self._callers.pop(contact_id, None)
        self._count(outcome)
        self._ended(contact_id, outcome.value, now)
