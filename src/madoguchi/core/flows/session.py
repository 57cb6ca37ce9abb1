"""The flow interpreter: one contact's walk through a flow, sans-I/O, for voice and chat alike.

Drive it like aioquic's connection::

    session = FlowSession(flow, environment)
    commands = session.start(contact, now)        # say/play/gather/enqueue/http/hang up…
    commands = session.receive(Digits("1"), now)  # the customer's answers, HTTP results…
    at = session.next_timer()                     # when a no-input time-out is due
    commands = session.handle_timer(now)
    events = session.take_events()                # FlowEntered, NodeVisited, … FlowExited

Every waiting node has a time-out and a bounded number of attempts, every outside request a
time-out, and the number of node visits is capped, so a silent or confused customer and a dead
outside system always lead to an exit. ``FlowExited`` is emitted once, when the contact leaves
the flow proper (hung up, self-served, handed to a queue…). A queued contact stays attached for
queue-time treatment (announcements, callback / message offers) until an agent answers.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from enum import StrEnum

from madoguchi.core.events import Event
from madoguchi.core.flows import _phrases
from madoguchi.core.flows import commands as c
from madoguchi.core.flows import inputs as i
from madoguchi.core.flows import model as m
from madoguchi.core.flows._answers import mapped_response, match_option, render
from madoguchi.core.flows._formats import check_input, normalize, parse_format
from madoguchi.core.flows.conditions import holds
from madoguchi.core.flows.environment import FlowEnvironment
from madoguchi.core.flows.events import (
    FlowEntered,
    FlowExited,
    InputReceived,
    NodeVisited,
    QueueOfferAccepted,
    SurveyAnswered,
)
from madoguchi.core.model import Channel, Contact

_GRACE_S = 0.5
"""Extra time the session gives an adapter to report an outside time-out itself."""


_HIDDEN_FROM_AGENT = frozenset({"caller", "dialled", "channel", "language", "contact_id"})


class FlowPhase(StrEnum):
    """Where a session is."""

    RUNNING = "running"
    QUEUED = "queued"
    """Left the flow for a queue; queue-time treatment still runs."""
    ENDED = "ended"


class _Wait:
    NONE, INPUT, HTTP, LOOKUP, MESSAGE = range(5)


_W_NONE = _Wait.NONE


_Enter = Callable[["FlowSession", m.Node, float], str]
_Answer = Callable[["FlowSession", m.Node, str, bool, float], str]


class FlowSession:
    """One contact in one flow."""

    __slots__ = (
        "_announce_at",
        "_attempts",
        "_callback_number",
        "_contact_id",
        "_events",
        "_exited",
        "_flow_id",
        "_offer_at",
        "_offer_open",
        "_out",
        "_program",
        "_queue_node",
        "_rating",
        "_request_id",
        "_request_tries",
        "_sequence",
        "_started_at",
        "_step",
        "_timer_at",
        "_visits",
        "_voice",
        "_wait",
        "environment",
        "flow",
        "language",
        "max_visits",
        "node",
        "outcome",
        "phase",
        "priority",
        "skills",
        "transcript",
        "variables",
    )

    def __init__(
        self,
        flow: m.Flow,
        environment: FlowEnvironment | None = None,
        *,
        max_visits: int = 500,
    ) -> None:
        self.flow = flow
        self.environment = environment
        self.max_visits = max_visits
        self.phase = FlowPhase.RUNNING
        self.outcome: m.FlowOutcome | None = None
        self.variables: dict[str, str] = {}
        self.priority: int | None = None
        self.skills: dict[str, int] = {}
        self.language = "ja"
        self.node: m.Node | None = None
        self.transcript: list[str] | None = None
        self._program = _program(flow)
        self._flow_id = flow.id
        self._contact_id = ""
        self._voice = True
        self._events: list[Event] = []
        self._out: list[c.FlowCommand] = []
        self._wait = _Wait.NONE
        self._timer_at: float | None = None
        self._attempts = 0
        self._step = 0
        self._request_id = ""
        self._request_tries = 0
        self._sequence = 0
        self._visits = 0
        self._started_at = 0.0
        self._exited = False
        self._queue_node: m.EnqueueNode | None = None
        self._announce_at: float | None = None
        self._offer_at: float | None = None
        self._offer_open = False
        self._callback_number = ""
        self._rating = 0

    # -- public interface -------------------------------------------------------------------

    def start(self, contact: Contact, now: float) -> list[c.FlowCommand]:
        """Begin the flow for ``contact`` at ``now``."""
        self._out = []
        self._contact_id = contact.id
        self._voice = contact.channel is Channel.VOICE
        self.language = contact.language
        self._started_at = now
        self.variables = dict(self.flow.defaults)
        self.variables.update(contact.attributes)
        channel = str(contact.channel)
        self.variables.update(
            caller=contact.from_address or "",
            dialled=contact.to_address or "",
            channel=channel,
            language=contact.language,
            contact_id=contact.id,
        )
        if not self._voice:
            self.transcript = []
        self._events.append(
            FlowEntered(
                at=now,
                contact_id=contact.id,
                flow_id=self._flow_id,
                flow_version=self.flow.version,
                channel=channel,
            )
        )
        self._go(self.flow.start, now)
        return self._out

    def receive(self, item: i.FlowInput, now: float) -> list[c.FlowCommand]:
        """Feed an answer or an outside result; stale or unexpected items are ignored."""
        self._out = []
        if self.phase is FlowPhase.ENDED:
            return self._out
        kind = type(item)
        if (kind is i.Digits or kind is i.Text) and self.phase is FlowPhase.RUNNING:
            if self._wait == _Wait.INPUT and self.node is not None:
                value = item.digits if isinstance(item, i.Digits) else item.text  # type: ignore[union-attr]
                if self.transcript is not None:
                    self.transcript.append(f"customer: {value}")
                answer = _ANSWER[type(self.node)]
                self._go(answer(self, self.node, value, kind is i.Digits, now), now)
        elif isinstance(item, i.CustomerLeft):
            self._end(m.FlowOutcome.ABANDONED, now, hangup=False)
        elif self.phase is FlowPhase.QUEUED:
            self._receive_queued(item, now)
        elif isinstance(item, i.HttpResponse | i.HttpFailed):
            if self._wait == _Wait.HTTP and item.request_id == self._request_id:
                self._go(self._http_result(item, now), now)
        elif isinstance(item, i.CustomerLookupResult):
            if self._wait == _Wait.LOOKUP and item.request_id == self._request_id:
                self._go(self._lookup_result(item), now)
        elif isinstance(item, i.MessageLeft) and self._wait == _Wait.MESSAGE:
            self._message_done(now, left=True)
        return self._out

    def next_timer(self) -> float | None:
        """The instant :meth:`handle_timer` should next be called, or None."""
        return self._timer_at

    def handle_timer(self, now: float) -> list[c.FlowCommand]:
        """Fire the due time-out (no input, outside request, queue announcement)."""
        self._out = []
        at = self._timer_at
        if at is None or now < at or self.phase is FlowPhase.ENDED:
            return self._out
        self._timer_at = None
        if self.phase is FlowPhase.QUEUED:
            self._queue_tick(now)
        elif self._wait == _Wait.INPUT and self.node is not None:
            self._events.append(self._input_event("no_input", "", False, now))
            self._go(self._no_input(self.node, now), now)
        elif self._wait == _Wait.HTTP:
            self._go(self._http_result(i.HttpFailed(self._request_id, "timeout"), now), now)
        elif self._wait == _Wait.LOOKUP:
            self._go(self._lookup_result(i.CustomerLookupResult(self._request_id, None)), now)
        elif self._wait == _Wait.MESSAGE:
            self._message_done(now, left=False)
        return self._out

    def take_events(self) -> list[Event]:
        """The events emitted since the last call."""
        events, self._events = self._events, []
        return events

    # -- the walk ---------------------------------------------------------------------------

    def _go(self, target: str, now: float) -> None:
        table = self._program.table
        append = self._events.append
        while target:
            entry = table.get(target)
            self._visits += 1
            if entry is None or self._visits > self.max_visits:
                self._say_text(_phrases.FLOW_ERROR.get(self.language), False)
                self._end(m.FlowOutcome.ERROR, now)
                return
            node, kind, enter = entry
            self.node = node
            self._attempts = 0
            self._step = 0
            self._wait = _W_NONE
            self._timer_at = None
            append(
                NodeVisited(
                    at=now,
                    contact_id=self._contact_id,
                    flow_id=self._flow_id,
                    node=target,
                    kind=kind,
                )
            )
            target = enter(self, node, now)

    def _end(self, outcome: m.FlowOutcome, now: float, hangup: bool = True) -> None:
        if hangup:
            self._out.append(c.Hangup(outcome.value))
        self._exit(outcome, now)
        self.phase = FlowPhase.ENDED
        self._wait = _Wait.NONE
        self._timer_at = None

    def _exit(self, outcome: m.FlowOutcome, now: float) -> None:
        self.outcome = outcome
        if self._exited:
            return
        self._exited = True
        self._events.append(
            FlowExited(
                at=now,
                contact_id=self._contact_id,
                flow_id=self._flow_id,
                node=self.node.id if self.node is not None else "",
                outcome=outcome,
                duration_s=now - self._started_at,
            )
        )

    def _say_text(self, text: str, barge_in: bool) -> None:
        self._out.append(c.Say(text, self.language, barge_in))
        if self.transcript is not None:
            self.transcript.append(f"bot: {text}")

    def _say(self, prompt: m.Prompt | None, barge_in: bool = False) -> None:
        if prompt is None:
            return
        key = (id(prompt), self.language, barge_in, self._voice)
        said = self._program.said.get(key)
        if said is None:
            raw = prompt.text.get(self.language) if prompt.text is not None else ""
            text = render(raw, self.variables)
            if prompt.audio is not None and self._voice:
                said = c.Play(prompt.audio, text, self.language, barge_in)
            else:
                said = c.Say(text, self.language, barge_in)
            if "{" not in raw:
                self._program.said[key] = said  # the same words for every contact: share
        self._out.append(said)
        if self.transcript is not None:
            self.transcript.append(f"bot: {said.text}")

    def _gather(
        self, max_length: int, timeout_s: float, now: float, buttons: tuple[str, ...]
    ) -> str:
        if self._voice:
            gathers = self._program.gathers
            gather = gathers.get((max_length, timeout_s))
            if gather is None:
                gather = gathers[max_length, timeout_s] = c.Gather(
                    m.InputMode.DIGITS, max_length, timeout_s
                )
            self._out.append(gather)
        else:
            self._out.append(c.Gather(m.InputMode.TEXT, max_length, timeout_s, buttons))
        self._wait = _Wait.INPUT
        self._timer_at = now + timeout_s
        return ""

    def _input_event(self, kind: str, value: str, valid: bool, now: float) -> InputReceived:
        return InputReceived(
            at=now,
            contact_id=self._contact_id,
            flow_id=self._flow_id,
            node=self.node.id if self.node is not None else "",
            kind=kind,
            value=value,
            valid=valid,
        )

    def _failed(self, node: m.Node, retries: m.Retries, silent: bool, now: float) -> str:
        """One more failed attempt: a message and the question again, or the fallback."""
        self._attempts += 1
        if self._attempts >= retries.max_attempts:
            self._timer_at = None
            return _fallback(node)
        self._say(retries.no_input if silent else retries.invalid)
        return _ASK[type(node)](self, node, now)

    def _no_input(self, node: m.Node, now: float) -> str:
        if isinstance(node, m.SurveyNode) and self._step == 1:
            return self._survey_done(node, "", now)
        if isinstance(node, m.VoicemailNode):
            self._end(m.FlowOutcome.ABANDONED, now)
            return ""
        return self._failed(node, _RETRIES[type(node)](node), True, now)

    # -- nodes that go straight on ------------------------------------------------------------

    def _enter_say(self, node: m.Node, now: float) -> str:
        assert isinstance(node, m.SayNode)
        self._say(node.prompt, node.barge_in)
        return node.next

    def _enter_set(self, node: m.Node, now: float) -> str:
        assert isinstance(node, m.SetNode)
        for name, template in node.attributes:
            self.variables[name] = render(template, self.variables)
        if node.priority is not None:
            self.priority = node.priority
        for skill, level in node.skills:
            self.skills[skill] = level
        if node.language is not None:
            self.language = node.language
            self.variables["language"] = node.language
        return node.next

    def _enter_condition(self, node: m.Node, now: float) -> str:
        assert isinstance(node, m.ConditionNode)
        for condition, target in node.branches:
            if holds(condition, self.variables, self.environment, now):
                return target
        return node.otherwise

    def _enter_transfer(self, node: m.Node, now: float) -> str:
        assert isinstance(node, m.TransferNode)
        self._say(node.prompt)
        self._out.append(c.Transfer(node.kind, render(node.target, self.variables)))
        self._end(m.FlowOutcome.TRANSFERRED, now, hangup=False)
        return ""

    def _enter_disconnect(self, node: m.Node, now: float) -> str:
        assert isinstance(node, m.DisconnectNode)
        self._say(node.prompt)
        self._end(node.outcome, now)
        return ""

    # -- nodes that ask the customer --------------------------------------------------------

    def _ask_menu(self, node: m.Node, now: float) -> str:
        assert isinstance(node, m.MenuNode)
        self._say(node.prompt, node.barge_in)
        if self._voice:
            return self._gather(1, node.retries.timeout_s, now, ())
        buttons = tuple(o.label.get(self.language) for o in node.options)
        return self._gather(1, node.retries.timeout_s, now, buttons)

    def _answer_menu(self, node: m.Node, value: str, digits: bool, now: float) -> str:
        assert isinstance(node, m.MenuNode)
        option = match_option(node, value, digits)
        if option is None:
            self._events.append(self._input_event("invalid", value, False, now))
            return self._failed(node, node.retries, False, now)
        self._events.append(self._input_event("option", option.key, True, now))
        self._timer_at = None
        return option.next

    def _ask_collect(self, node: m.Node, now: float) -> str:
        assert isinstance(node, m.CollectNode)
        self._say(node.prompt, True)
        return self._gather(node.max_length, node.retries.timeout_s, now, ())

    def _answer_collect(self, node: m.Node, value: str, digits: bool, now: float) -> str:
        assert isinstance(node, m.CollectNode)
        accepted = check_input(value, node.min_length, node.max_length, node.pattern, node.format)
        shown = "***" if node.sensitive else value
        kind = "digits" if digits else "text"
        self._events.append(self._input_event(kind, shown, accepted is not None, now))
        if accepted is None:
            return self._failed(node, node.retries, False, now)
        self.variables[node.into] = accepted
        self._timer_at = None
        return node.next

    def _ask_verify(self, node: m.Node, now: float) -> str:
        assert isinstance(node, m.VerifyNode)
        self._say(node.prompt, True)
        return self._gather(16, node.retries.timeout_s, now, ())

    def _enter_verify(self, node: m.Node, now: float) -> str:
        assert isinstance(node, m.VerifyNode)
        if not self.variables.get(node.secret):
            return node.failed
        return self._ask_verify(node, now)

    def _answer_verify(self, node: m.Node, value: str, digits: bool, now: float) -> str:
        assert isinstance(node, m.VerifyNode)
        given = parse_format(normalize(value), node.format)
        expected = parse_format(normalize(self.variables.get(node.secret, "")), node.format)
        ok = given is not None and given == expected
        self._events.append(self._input_event("secret", "***", ok, now))
        if not ok:
            return self._failed(node, node.retries, False, now)
        self._timer_at = None
        self.variables["customer.verified"] = "true"
        return node.verified

    def _ask_survey(self, node: m.Node, now: float) -> str:
        assert isinstance(node, m.SurveyNode)
        if self._step == 1 and node.comment_prompt is not None:
            self._say(node.comment_prompt, False)
            return self._gather(500, node.retries.timeout_s, now, ())
        self._say(node.prompt, True)
        buttons = tuple(r.get(self.language) for r in _phrases.RATINGS)
        return self._gather(1, node.retries.timeout_s, now, buttons)

    def _answer_survey(self, node: m.Node, value: str, digits: bool, now: float) -> str:
        assert isinstance(node, m.SurveyNode)
        if self._step == 1:
            self._events.append(self._input_event("text", value, True, now))
            return self._survey_done(node, normalize(value), now)
        text = normalize(value)
        if text not in ("1", "2", "3", "4", "5"):
            self._events.append(self._input_event("invalid", value, False, now))
            return self._failed(node, node.retries, False, now)
        self._events.append(self._input_event("rating", text, True, now))
        self._rating = int(text)
        self.variables["survey.rating"] = text
        if not self._voice and node.comment_prompt is not None:
            self._step = 1
            self._attempts = 0
            return self._ask_survey(node, now)
        return self._survey_done(node, "", now)

    def _survey_done(self, node: m.SurveyNode, comment: str, now: float) -> str:
        self._timer_at = None
        self._events.append(
            SurveyAnswered(
                at=now,
                contact_id=self._contact_id,
                flow_id=self._flow_id,
                node=node.id,
                rating=self._rating,
                comment=comment,
            )
        )
        return node.next

    def _ask_callback(self, node: m.Node, now: float) -> str:
        assert isinstance(node, m.CallbackNode)
        if self._step == 0:
            self._say(node.prompt, True)
            buttons = (
                _phrases.BUTTON_YES.get(self.language),
                _phrases.BUTTON_OTHER.get(self.language),
            )
            return self._gather(1, node.retries.timeout_s, now, buttons)
        self._say(node.ask_number, True)
        return self._gather(13, node.retries.timeout_s, now, ())

    def _enter_callback(self, node: m.Node, now: float) -> str:
        assert isinstance(node, m.CallbackNode)
        number = check_input(self.variables.get("caller", ""), 1, 20, None, m.InputFormat.PHONE_JP)
        self._callback_number = number or ""
        self.variables["number"] = self._callback_number
        self._step = 0 if number else 1
        return self._ask_callback(node, now)

    def _answer_callback(self, node: m.Node, value: str, digits: bool, now: float) -> str:
        assert isinstance(node, m.CallbackNode)
        text = normalize(value)
        if self._step == 0:
            if text == "1" or text == _phrases.BUTTON_YES.get(self.language):
                self._events.append(self._input_event("option", "1", True, now))
                return self._callback_done(node, now)
            if text == "2" or text == _phrases.BUTTON_OTHER.get(self.language):
                self._events.append(self._input_event("option", "2", True, now))
                self._step, self._attempts = 1, 0
                return self._ask_callback(node, now)
            self._events.append(self._input_event("invalid", value, False, now))
            return self._failed(node, node.retries, False, now)
        number = check_input(text, 10, 13, None, m.InputFormat.PHONE_JP)
        self._events.append(self._input_event("digits", value, number is not None, now))
        if number is None:
            return self._failed(node, node.retries, False, now)
        self._callback_number = number
        self.variables["number"] = number
        return self._callback_done(node, now)

    def _callback_done(self, node: m.CallbackNode, now: float) -> str:
        self._out.append(c.RequestCallback(node.queue, self._callback_number))
        self._say(node.confirmation)
        self._end(m.FlowOutcome.CALLBACK, now)
        return ""

    def _ask_voicemail(self, node: m.Node, now: float) -> str:
        assert isinstance(node, m.VoicemailNode)
        self._say(node.prompt)
        if self._voice:
            self._out.append(c.RecordMessage(node.max_seconds))
            self._wait = _Wait.MESSAGE
            self._timer_at = now + node.max_seconds + 5.0
            return ""
        return self._gather(2000, node.max_seconds, now, ())

    def _answer_voicemail(self, node: m.Node, value: str, digits: bool, now: float) -> str:
        self._events.append(self._input_event("text", value, True, now))
        self.variables["message"] = value
        self._message_done(now, left=True)
        return ""

    def _message_done(self, now: float, left: bool) -> None:
        node = self.node
        assert isinstance(node, m.VoicemailNode)
        if left:
            self._say(node.confirmation)
        self._end(m.FlowOutcome.VOICEMAIL if left else m.FlowOutcome.ABANDONED, now)

    # -- outside requests ---------------------------------------------------------------------

    def _next_request_id(self) -> str:
        self._sequence += 1
        self._request_id = f"{self._contact_id}:{self._sequence}"
        return self._request_id

    def _enter_identify(self, node: m.Node, now: float) -> str:
        assert isinstance(node, m.IdentifyNode)
        value = self.variables.get("caller" if node.by == "caller" else node.by, "")
        if not value:
            return node.not_found
        by = "caller" if node.by == "caller" else "customer_number"
        self._out.append(c.LookupCustomer(self._next_request_id(), by, value))
        self._wait = _Wait.LOOKUP
        self._timer_at = now + node.timeout_s + _GRACE_S
        return ""

    def _lookup_result(self, result: i.CustomerLookupResult) -> str:
        node = self.node
        assert isinstance(node, m.IdentifyNode)
        self._timer_at = None
        self._wait = _Wait.NONE
        if result.customer_id is None:
            return node.not_found
        self.variables["customer.id"] = result.customer_id
        for name in node.fields:
            if name in result.fields:
                self.variables[f"customer.{name}"] = result.fields[name]
        return node.found

    def _enter_http(self, node: m.Node, now: float) -> str:
        assert isinstance(node, m.HttpNode)
        self._request_tries = 0
        self._send_http(node, now)
        return ""

    def _send_http(self, node: m.HttpNode, now: float) -> None:
        self._request_tries += 1
        url = render(node.url, self.variables, url=True)
        body = render(node.body, self.variables) if node.body is not None else None
        self._out.append(
            c.HttpRequest(self._next_request_id(), node.method, url, body, node.timeout_s)
        )
        self._wait = _Wait.HTTP
        self._timer_at = now + node.timeout_s + _GRACE_S

    def _http_result(self, result: i.HttpResponse | i.HttpFailed, now: float) -> str:
        node = self.node
        assert isinstance(node, m.HttpNode)
        self._timer_at = None
        self._wait = _Wait.NONE
        values = mapped_response(node, result) if isinstance(result, i.HttpResponse) else None
        if values is not None:
            self.variables.update(values)
            return node.next
        if self._request_tries <= node.retries:
            self._send_http(node, now)
            return ""
        return node.error

    # -- queue-time treatment -----------------------------------------------------------------

    def _enter_enqueue(self, node: m.Node, now: float) -> str:
        assert isinstance(node, m.EnqueueNode)
        self._say(node.prompt)
        if node.skills:
            skills = dict(self.skills)
            skills.update(node.skills)
        else:
            skills = self.skills
        hidden = self._program.hidden
        attributes = tuple((k, v) for k, v in self.variables.items() if k not in hidden)
        priority = node.priority if node.priority is not None else (self.priority or 0)
        self._out.append(
            c.Enqueue(
                node.queue,
                priority,
                tuple(skills.items()),
                attributes,
                self.language,
                node.treatment.music,
                tuple(self.transcript) if self.transcript else (),
            )
        )
        self._exit(m.FlowOutcome.QUEUED, now)
        self.phase = FlowPhase.QUEUED
        self._queue_node = node
        t = node.treatment
        self._offer_open = False
        self._announce_at = now + t.announce_every_s if t.announce_every_s else None
        self._offer_at = None
        if t.callback_after_s is not None and (t.callback or t.message):
            self._offer_at = now + t.callback_after_s
        elif t.offer_message and t.message:
            self._offer_at = now + (t.announce_every_s or 30.0)
        self._arm_queue_timer()
        return ""

    def _ewt_above(self, t: m.QueueTreatment, queue: str, now: float) -> bool:
        if self.environment is None or t.callback_if_ewt_above_s is None:
            return False
        wait = self.environment.estimated_wait(queue, now)
        return wait is not None and wait > t.callback_if_ewt_above_s

    def _arm_queue_timer(self) -> None:
        due = [at for at in (self._announce_at, self._offer_at) if at is not None]
        self._timer_at = min(due) if due else None

    def _queue_tick(self, now: float) -> None:
        node = self._queue_node
        assert node is not None
        t = node.treatment
        if self._announce_at is not None and now >= self._announce_at:
            self._announce(node.queue, now)
            self._announce_at = now + (t.announce_every_s or 60.0)
            if (
                self._offer_at is None
                and not self._offer_open
                and self._ewt_above(t, node.queue, now)
            ):
                self._offer_at = now
        if self._offer_at is not None and now >= self._offer_at and not self._offer_open:
            self._offer_at = None
            self._offer_open = True
            buttons: list[str] = []
            if t.callback:
                self._say_text(_phrases.OFFER_CALLBACK.get(self.language), True)
                buttons.append(_phrases.BUTTON_CALLBACK.get(self.language))
            if t.message and t.offer_message:
                self._say_text(_phrases.OFFER_MESSAGE.get(self.language), True)
                buttons.append(_phrases.BUTTON_MESSAGE.get(self.language))
            mode = m.InputMode.DIGITS if self._voice else m.InputMode.TEXT
            timeout = t.announce_every_s or 60.0
            self._out.append(c.Gather(mode, 1, timeout, () if self._voice else tuple(buttons)))
        self._arm_queue_timer()

    def _announce(self, queue: str, now: float) -> None:
        if self.environment is None:
            return
        position = self.environment.queue_position(self._contact_id)
        if position is not None:
            text = _phrases.POSITION.get(self.language)
            self._say_text(text.replace("{position}", str(position)), False)
        wait = self.environment.estimated_wait(queue, now)
        if wait is not None and math.isfinite(wait):
            minutes = str(max(1, round(wait / 60.0)))
            self._say_text(_phrases.WAIT.get(self.language).replace("{minutes}", minutes), False)

    def _receive_queued(self, item: i.FlowInput, now: float) -> None:
        if isinstance(item, i.AgentConnected):
            self.phase = FlowPhase.ENDED
            self._timer_at = None
            return
        node = self._queue_node
        if not self._offer_open or node is None or not isinstance(item, i.Digits | i.Text):
            return
        text = normalize(item.digits if isinstance(item, i.Digits) else item.text)
        t = node.treatment
        offer = ""
        if t.callback and text in ("1", _phrases.BUTTON_CALLBACK.get(self.language)):
            offer, target = "callback", t.callback
        elif (
            t.message
            and t.offer_message
            and text in ("2", _phrases.BUTTON_MESSAGE.get(self.language))
        ):
            offer, target = "message", t.message
        if not offer:
            return
        self._events.append(
            QueueOfferAccepted(
                at=now,
                contact_id=self._contact_id,
                flow_id=self._flow_id,
                queue=node.queue,
                offer=offer,
            )
        )
        self.phase = FlowPhase.RUNNING
        self._timer_at = None
        self._go(target, now)


class _Program:
    """A flow prepared once for every session: node id → (node, kind, entry handler).

    It also shares the immutable commands that are the same for every contact: prompts without
    placeholders (by prompt, language, barge-in, channel) and keypad gathers.
    """

    __slots__ = ("flow", "gathers", "hidden", "said", "table")

    def __init__(self, flow: m.Flow) -> None:
        self.flow = flow
        self.table: dict[str, tuple[m.Node, str, _Enter]] = {
            node_id: (node, _KIND[type(node)], _ENTER[type(node)])
            for node_id, node in flow.nodes.items()
        }
        self.hidden = frozenset(_hidden_from_agent(flow))
        self.said: dict[tuple[int, str, bool, bool], c.Say | c.Play] = {}
        self.gathers: dict[tuple[int, float], c.Gather] = {}


_PROGRAMS: dict[int, _Program] = {}
"""Prepared flows by identity (each entry holds its flow, so an id is never reused under it)."""


def _program(flow: m.Flow) -> _Program:
    program = _PROGRAMS.get(id(flow))
    if program is None or program.flow is not flow:
        if len(_PROGRAMS) > 256:
            _PROGRAMS.clear()
        program = _PROGRAMS[id(flow)] = _Program(flow)
    return program


def _hidden_from_agent(flow: m.Flow) -> set[str]:
    """Variables not passed on with the contact: technical ones, secrets, sensitive input."""
    hidden = set(_HIDDEN_FROM_AGENT) | {name for name, _ in flow.defaults}
    for node in flow.nodes.values():
        if isinstance(node, m.VerifyNode):
            hidden.add(node.secret)
        elif isinstance(node, m.CollectNode) and node.sensitive:
            hidden.add(node.into)
    return hidden


def _fallback(node: m.Node) -> str:
    if isinstance(node, m.VerifyNode):
        return node.failed
    if isinstance(node, m.SurveyNode):
        return node.next
    return getattr(node, "fallback", "")


def _retries(node: m.Node) -> m.Retries:
    retries: m.Retries = getattr(node, "retries", m.Retries())
    return retries


_S = FlowSession
_ENTER: dict[type[m.Node], _Enter] = {
    m.SayNode: _S._enter_say,
    m.MenuNode: _S._ask_menu,
    m.CollectNode: _S._ask_collect,
    m.IdentifyNode: _S._enter_identify,
    m.VerifyNode: _S._enter_verify,
    m.SetNode: _S._enter_set,
    m.ConditionNode: _S._enter_condition,
    m.EnqueueNode: _S._enter_enqueue,
    m.CallbackNode: _S._enter_callback,
    m.VoicemailNode: _S._ask_voicemail,
    m.TransferNode: _S._enter_transfer,
    m.HttpNode: _S._enter_http,
    m.SurveyNode: _S._ask_survey,
    m.DisconnectNode: _S._enter_disconnect,
}
_ASK: dict[type[m.Node], _Enter] = {
    m.MenuNode: _S._ask_menu,
    m.CollectNode: _S._ask_collect,
    m.VerifyNode: _S._ask_verify,
    m.CallbackNode: _S._ask_callback,
    m.SurveyNode: _S._ask_survey,
    m.VoicemailNode: _S._ask_voicemail,
}
_ANSWER: dict[type[m.Node], _Answer] = {
    m.MenuNode: _S._answer_menu,
    m.CollectNode: _S._answer_collect,
    m.VerifyNode: _S._answer_verify,
    m.CallbackNode: _S._answer_callback,
    m.SurveyNode: _S._answer_survey,
    m.VoicemailNode: _S._answer_voicemail,
}
_RETRIES: dict[type[m.Node], Callable[[m.Node], m.Retries]] = dict.fromkeys(_ASK, _retries)
_KIND: dict[type[m.Node], str] = {cls: name for name, cls in m.NODE_TYPES.items()}
