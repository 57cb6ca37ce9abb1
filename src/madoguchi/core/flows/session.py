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

import dataclasses
import math
from collections.abc import Callable
from enum import StrEnum
from typing import Any

from madoguchi.core.events import Event
from madoguchi.core.flows import _phrases
from madoguchi.core.flows import commands as c
from madoguchi.core.flows import inputs as i
from madoguchi.core.flows import model as m
from madoguchi.core.flows._answers import mapped_response, match_option, render
from madoguchi.core.flows._formats import check_input, normalize, parse_format
from madoguchi.core.flows.conditions import Test, compile_condition
from madoguchi.core.flows.environment import FlowEnvironment
from madoguchi.core.flows.events import (
    InputReceived,
    new_flow_entered,
    new_flow_exited,
    new_input_received,
    new_node_visited,
    new_queue_offer_accepted,
    new_survey_answered,
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


_W_NONE, _W_INPUT, _W_HTTP, _W_LOOKUP, _W_MESSAGE = range(5)
"""What a session waits for: nothing, an answer, an HTTP result, a lookup, a message."""
_RUNNING, _QUEUED, _ENDED = FlowPhase.RUNNING, FlowPhase.QUEUED, FlowPhase.ENDED
_CHANNEL_NAMES = {channel: channel.value for channel in Channel}
# Enumeration members as module constants: reading ``Enum.MEMBER`` goes through the enum
# type's ``__getattr__`` (about 0.2 µs), a module global does not.
_VOICE = Channel.VOICE
_DIGITS, _TEXT = m.InputMode.DIGITS, m.InputMode.TEXT
_OUT_ABANDONED = m.FlowOutcome.ABANDONED
_OUT_CALLBACK = m.FlowOutcome.CALLBACK
_OUT_ERROR = m.FlowOutcome.ERROR
_OUT_QUEUED = m.FlowOutcome.QUEUED
_OUT_TRANSFERRED = m.FlowOutcome.TRANSFERRED
_OUT_VOICEMAIL = m.FlowOutcome.VOICEMAIL

_Enter = Callable[["FlowSession", Any, float], str]
"""A node's entry handler: (session, node, now) → the next node id, or "" to stop and wait."""
_Answer = Callable[["FlowSession", Any, str, bool, float], str]
"""A waiting node's answer handler: (session, node, value, is_digits, now) → next node id."""
_Line = tuple[c.Say | c.Play | None, c.Say | c.Play | None, str]
"""A prompt in one language and channel: (command without barge-in, with barge-in, raw text);
the commands are None when the text has placeholders (filled per contact)."""
_NO_LINES: dict[int, _Line] = {}
"""Lines of a session not started yet (never written: unknown prompts go to the program)."""


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
        "_lines",
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
        self.phase = _RUNNING
        self.outcome: m.FlowOutcome | None = None
        self.variables: dict[str, str] = {}
        self.priority: int | None = None
        self.skills: dict[str, int] = {}
        self.language = "ja"
        self.node: m.Node | None = None
        self.transcript: list[str] | None = None
        self._program = _program(flow)
        self._lines = _NO_LINES  # resolved for the contact's language and channel at start
        self._flow_id = flow.id
        self._contact_id = ""
        self._voice = True
        self._events: list[Event] = []
        self._out: list[c.FlowCommand] = []
        self._wait = _W_NONE
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
        self._voice = contact.channel is _VOICE
        self.language = contact.language
        self._started_at = now
        self._lines = self._program.lines(contact.language, self._voice)
        variables = self.variables = self._program.defaults.copy()
        variables.update(contact.attributes)
        channel = _CHANNEL_NAMES[contact.channel]
        variables["caller"] = contact.from_address or ""
        variables["dialled"] = contact.to_address or ""
        variables["channel"] = channel
        variables["language"] = contact.language
        variables["contact_id"] = contact.id
        if not self._voice:
            self.transcript = []
        self._events.append(
            new_flow_entered(now, contact.id, self._flow_id, self.flow.version, channel)
        )
        self._go(self.flow.start, now)
        return self._out

    def receive(self, item: i.FlowInput, now: float) -> list[c.FlowCommand]:
        """Feed an answer or an outside result; stale or unexpected items are ignored."""
        self._out = []
        if self.phase is _ENDED:
            return self._out
        receiver = _RECEIVE.get(type(item)) or _receiver(type(item))
        if receiver is not None:
            receiver(self, item, now)
        return self._out

    def _receive_digits(self, item: i.Digits, now: float) -> None:
        if self.phase is not _RUNNING:
            self._receive_queued(item, now)
            return
        node = self.node
        if self._wait == _W_INPUT and node is not None:
            value = item.digits
            if self.transcript is not None:
                self.transcript.append(f"customer: {value}")
            self._go(_ANSWER[type(node)](self, node, value, True, now), now)

    def _receive_text(self, item: i.Text, now: float) -> None:
        if self.phase is not _RUNNING:
            self._receive_queued(item, now)
            return
        node = self.node
        if self._wait == _W_INPUT and node is not None:
            value = item.text
            if self.transcript is not None:
                self.transcript.append(f"customer: {value}")
            self._go(_ANSWER[type(node)](self, node, value, False, now), now)

    def _receive_left(self, item: i.CustomerLeft, now: float) -> None:
        self._end(_OUT_ABANDONED, now, hangup=False)

    def _receive_http(self, item: i.HttpResponse | i.HttpFailed, now: float) -> None:
        if self.phase is _QUEUED:
            self._receive_queued(item, now)
        elif self._wait == _W_HTTP and item.request_id == self._request_id:
            self._go(self._http_result(item, now), now)

    def _receive_lookup(self, item: i.CustomerLookupResult, now: float) -> None:
        if self.phase is _QUEUED:
            self._receive_queued(item, now)
        elif self._wait == _W_LOOKUP and item.request_id == self._request_id:
            self._go(self._lookup_result(item), now)

    def _receive_message(self, item: i.MessageLeft, now: float) -> None:
        if self.phase is _QUEUED:
            self._receive_queued(item, now)
        elif self._wait == _W_MESSAGE:
            self._message_done(now, left=True)

    def _receive_agent(self, item: i.AgentConnected, now: float) -> None:
        if self.phase is _QUEUED:
            self._receive_queued(item, now)

    def next_timer(self) -> float | None:
        """The instant :meth:`handle_timer` should next be called, or None."""
        return self._timer_at

    def handle_timer(self, now: float) -> list[c.FlowCommand]:
        """Fire the due time-out (no input, outside request, queue announcement)."""
        self._out = []
        at = self._timer_at
        if at is None or now < at or self.phase is _ENDED:
            return self._out
        self._timer_at = None
        if self.phase is _QUEUED:
            self._queue_tick(now)
        elif self._wait == _W_INPUT and self.node is not None:
            self._events.append(self._input_event("no_input", "", False, now))
            self._go(self._no_input(self.node, now), now)
        elif self._wait == _W_HTTP:
            self._go(self._http_result(i.HttpFailed(self._request_id, "timeout"), now), now)
        elif self._wait == _W_LOOKUP:
            self._go(self._lookup_result(i.CustomerLookupResult(self._request_id, None)), now)
        elif self._wait == _W_MESSAGE:
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
        contact_id, flow_id = self._contact_id, self._flow_id
        while target:
            entry = table.get(target)
            visits = self._visits = self._visits + 1
            if entry is None or visits > self.max_visits:
                self._say_text(_phrases.FLOW_ERROR.get(self.language), False)
                self._end(_OUT_ERROR, now)
                return
            node, kind, enter = entry
            self.node = node
            self._attempts = 0
            self._step = 0
            self._wait = _W_NONE
            self._timer_at = None
            append(new_node_visited(now, contact_id, flow_id, target, kind))
            target = enter(self, node, now)

    def _end(self, outcome: m.FlowOutcome, now: float, hangup: bool = True) -> None:
        if hangup:
            self._out.append(c.Hangup(outcome.value))
        self._exit(outcome, now)
        self.phase = _ENDED
        self._wait = _W_NONE
        self._timer_at = None

    def _exit(self, outcome: m.FlowOutcome, now: float) -> None:
        self.outcome = outcome
        if self._exited:
            return
        self._exited = True
        self._events.append(
            new_flow_exited(
                now,
                self._contact_id,
                self._flow_id,
                self.node.id if self.node is not None else "",
                outcome,
                now - self._started_at,
            )
        )

    def _say_text(self, text: str, barge_in: bool) -> None:
        self._out.append(c.Say(text, self.language, barge_in))
        if self.transcript is not None:
            self.transcript.append(f"bot: {text}")

    def _say(self, prompt: m.Prompt | None, barge_in: bool = False) -> None:
        if prompt is None:
            return
        line = self._lines.get(id(prompt))
        if line is None:
            line = self._program.line(prompt, self.language, self._voice)
        said = line[1] if barge_in else line[0]
        if said is None:  # placeholders: this contact's own words
            text = render(line[2], self.variables)
            if prompt.audio is not None and self._voice:
                said = c.Play(prompt.audio, text, self.language, barge_in)
            else:
                said = c.Say(text, self.language, barge_in)
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
                gather = gathers[max_length, timeout_s] = c.Gather(_DIGITS, max_length, timeout_s)
            self._out.append(gather)
        else:
            self._out.append(c.Gather(_TEXT, max_length, timeout_s, buttons))
        self._wait = _W_INPUT
        self._timer_at = now + timeout_s
        return ""

    def _input_event(self, kind: str, value: str, valid: bool, now: float) -> InputReceived:
        node = self.node
        return new_input_received(
            now,
            self._contact_id,
            self._flow_id,
            node.id if node is not None else "",
            kind,
            value,
            valid,
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
            self._end(_OUT_ABANDONED, now)
            return ""
        return self._failed(node, _RETRIES[type(node)](node), True, now)

    # -- nodes that go straight on ------------------------------------------------------------

    def _enter_say(self, node: m.SayNode, now: float) -> str:
        self._say(node.prompt, node.barge_in)
        return node.next

    def _enter_set(self, node: m.SetNode, now: float) -> str:
        for name, template in node.attributes:
            self.variables[name] = render(template, self.variables)
        if node.priority is not None:
            self.priority = node.priority
        for skill, level in node.skills:
            self.skills[skill] = level
        if node.language is not None:
            self.language = node.language
            self.variables["language"] = node.language
            self._lines = self._program.lines(node.language, self._voice)
        return node.next

    def _enter_condition(self, node: m.ConditionNode, now: float) -> str:
        variables, environment = self.variables, self.environment
        for test, target in self._program.branches[node.id]:
            if test(variables, environment, now):
                return target
        return node.otherwise

    def _enter_transfer(self, node: m.TransferNode, now: float) -> str:
        self._say(node.prompt)
        self._out.append(c.Transfer(node.kind, render(node.target, self.variables)))
        self._end(_OUT_TRANSFERRED, now, hangup=False)
        return ""

    def _enter_disconnect(self, node: m.DisconnectNode, now: float) -> str:
        self._say(node.prompt)
        self._end(node.outcome, now)
        return ""

    # -- nodes that ask the customer --------------------------------------------------------

    def _ask_menu(self, node: m.MenuNode, now: float) -> str:
        self._say(node.prompt, node.barge_in)
        if self._voice:
            return self._gather(1, node.retries.timeout_s, now, ())
        buttons = tuple(o.label.get(self.language) for o in node.options)
        return self._gather(1, node.retries.timeout_s, now, buttons)

    def _answer_menu(self, node: m.MenuNode, value: str, digits: bool, now: float) -> str:
        option = self._program.keys[node.id].get(value)  # a key as pressed or sent
        if option is None and not digits:
            option = match_option(node, value, digits)  # a label, a keyword, full-width…
        if option is None:
            self._events.append(
                new_input_received(
                    now, self._contact_id, self._flow_id, node.id, "invalid", value, False
                )
            )
            return self._failed(node, node.retries, False, now)
        self._events.append(
            new_input_received(
                now, self._contact_id, self._flow_id, node.id, "option", option.key, True
            )
        )
        self._timer_at = None
        return option.next

    def _ask_collect(self, node: m.CollectNode, now: float) -> str:
        self._say(node.prompt, True)
        return self._gather(node.max_length, node.retries.timeout_s, now, ())

    def _answer_collect(self, node: m.CollectNode, value: str, digits: bool, now: float) -> str:
        accepted = check_input(value, node.min_length, node.max_length, node.pattern, node.format)
        shown = "***" if node.sensitive else value
        kind = "digits" if digits else "text"
        self._events.append(self._input_event(kind, shown, accepted is not None, now))
        if accepted is None:
            return self._failed(node, node.retries, False, now)
        self.variables[node.into] = accepted
        self._timer_at = None
        return node.next

    def _ask_verify(self, node: m.VerifyNode, now: float) -> str:
        self._say(node.prompt, True)
        return self._gather(16, node.retries.timeout_s, now, ())

    def _enter_verify(self, node: m.VerifyNode, now: float) -> str:
        if not self.variables.get(node.secret):
            return node.failed
        return self._ask_verify(node, now)

    def _answer_verify(self, node: m.VerifyNode, value: str, digits: bool, now: float) -> str:
        given = parse_format(normalize(value), node.format)
        expected = parse_format(normalize(self.variables.get(node.secret, "")), node.format)
        ok = given is not None and given == expected
        self._events.append(self._input_event("secret", "***", ok, now))
        if not ok:
            return self._failed(node, node.retries, False, now)
        self._timer_at = None
        self.variables["customer.verified"] = "true"
        return node.verified

    def _ask_survey(self, node: m.SurveyNode, now: float) -> str:
        if self._step == 1 and node.comment_prompt is not None:
            self._say(node.comment_prompt, False)
            return self._gather(500, node.retries.timeout_s, now, ())
        self._say(node.prompt, True)
        buttons = tuple(r.get(self.language) for r in _phrases.RATINGS)
        return self._gather(1, node.retries.timeout_s, now, buttons)

    def _answer_survey(self, node: m.SurveyNode, value: str, digits: bool, now: float) -> str:
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
            new_survey_answered(
                now, self._contact_id, self._flow_id, node.id, self._rating, comment
            )
        )
        return node.next

    def _ask_callback(self, node: m.CallbackNode, now: float) -> str:
        if self._step == 0:
            self._say(node.prompt, True)
            buttons = (
                _phrases.BUTTON_YES.get(self.language),
                _phrases.BUTTON_OTHER.get(self.language),
            )
            return self._gather(1, node.retries.timeout_s, now, buttons)
        self._say(node.ask_number, True)
        return self._gather(13, node.retries.timeout_s, now, ())

    def _enter_callback(self, node: m.CallbackNode, now: float) -> str:
        number = check_input(self.variables.get("caller", ""), 1, 20, None, m.InputFormat.PHONE_JP)
        self._callback_number = number or ""
        self.variables["number"] = self._callback_number
        self._step = 0 if number else 1
        return self._ask_callback(node, now)

    def _answer_callback(self, node: m.CallbackNode, value: str, digits: bool, now: float) -> str:
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
        self._end(_OUT_CALLBACK, now)
        return ""

    def _ask_voicemail(self, node: m.VoicemailNode, now: float) -> str:
        self._say(node.prompt)
        if self._voice:
            self._out.append(c.RecordMessage(node.max_seconds))
            self._wait = _W_MESSAGE
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
        self._end(_OUT_VOICEMAIL if left else _OUT_ABANDONED, now)

    # -- outside requests ---------------------------------------------------------------------

    def _next_request_id(self) -> str:
        self._sequence += 1
        self._request_id = f"{self._contact_id}:{self._sequence}"
        return self._request_id

    def _enter_identify(self, node: m.IdentifyNode, now: float) -> str:
        value = self.variables.get("caller" if node.by == "caller" else node.by, "")
        if not value:
            return node.not_found
        by = "caller" if node.by == "caller" else "customer_number"
        self._out.append(c.LookupCustomer(self._next_request_id(), by, value))
        self._wait = _W_LOOKUP
        self._timer_at = now + node.timeout_s + _GRACE_S
        return ""

    def _lookup_result(self, result: i.CustomerLookupResult) -> str:
        node = self.node
        assert isinstance(node, m.IdentifyNode)
        self._timer_at = None
        self._wait = _W_NONE
        if result.customer_id is None:
            return node.not_found
        self.variables["customer.id"] = result.customer_id
        fields, variables = result.fields, self.variables
        for name, variable in self._program.customer_fields[node.id]:
            if name in fields:
                variables[variable] = fields[name]
        return node.found

    def _enter_http(self, node: m.HttpNode, now: float) -> str:
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
        self._wait = _W_HTTP
        self._timer_at = now + node.timeout_s + _GRACE_S

    def _http_result(self, result: i.HttpResponse | i.HttpFailed, now: float) -> str:
        node = self.node
        assert isinstance(node, m.HttpNode)
        self._timer_at = None
        self._wait = _W_NONE
        values = mapped_response(node, result) if isinstance(result, i.HttpResponse) else None
        if values is not None:
            self.variables.update(values)
            return node.next
        if self._request_tries <= node.retries:
            self._send_http(node, now)
            return ""
        return node.error

    # -- queue-time treatment -----------------------------------------------------------------

    def _enter_enqueue(self, node: m.EnqueueNode, now: float) -> str:
        self._say(node.prompt)
        if node.skills:
            skills = dict(self.skills)
            skills.update(node.skills)
        else:
            skills = self.skills
        hidden = self._program.hidden
        attributes = tuple([(k, v) for k, v in self.variables.items() if k not in hidden])
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
        self._exit(_OUT_QUEUED, now)
        self.phase = _QUEUED
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
            mode = _DIGITS if self._voice else _TEXT
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
            self.phase = _ENDED
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
            new_queue_offer_accepted(now, self._contact_id, self._flow_id, node.queue, offer)
        )
        self.phase = _RUNNING
        self._timer_at = None
        self._go(target, now)


class _Program:
    """A flow prepared once for every session.

    - ``table``: node id → (node, type name, entry handler), so a step is one dict lookup and
      one call, with no dispatch on the node's type;
    - ``branches``: each condition node's tests, compiled; ``keys``: each menu's options by key;
    - ``lines``: every prompt resolved per (language, channel) into its command — shared by all
      contacts when the text has no placeholders — and keypad gathers, shared likewise;
    - ``defaults`` and ``hidden``: the variables a session starts with and those kept from agents.
    """

    __slots__ = (
        "_lines",
        "branches",
        "customer_fields",
        "defaults",
        "flow",
        "gathers",
        "hidden",
        "keys",
        "table",
    )

    def __init__(self, flow: m.Flow) -> None:
        self.flow = flow
        self.table: dict[str, tuple[m.Node, str, _Enter]] = {
            node_id: (node, _KIND[type(node)], _ENTER[type(node)])
            for node_id, node in flow.nodes.items()
        }
        self.branches: dict[str, tuple[tuple[Test, str], ...]] = {
            node_id: tuple((compile_condition(cond), target) for cond, target in node.branches)
            for node_id, node in flow.nodes.items()
            if isinstance(node, m.ConditionNode)
        }
        self.keys: dict[str, dict[str, m.MenuOption]] = {}
        for node_id, node in flow.nodes.items():
            if isinstance(node, m.MenuNode):
                options = self.keys[node_id] = {}
                for option in node.options:
                    options.setdefault(option.key, option)  # the first of duplicates, as matched
        self.customer_fields: dict[str, tuple[tuple[str, str], ...]] = {
            node_id: tuple((name, f"customer.{name}") for name in node.fields)
            for node_id, node in flow.nodes.items()
            if isinstance(node, m.IdentifyNode)
        }
        self.hidden = frozenset(_hidden_from_agent(flow))
        self.defaults = dict(flow.defaults)
        self.gathers: dict[tuple[int, float], c.Gather] = {}
        self._lines: dict[tuple[str, bool], dict[int, _Line]] = {}
        for language in flow.languages:
            for voice in (True, False):
                self.lines(language, voice)

    def lines(self, language: str, voice: bool) -> dict[int, _Line]:
        """Every prompt of the flow in ``language`` on voice or chat, by the prompt's identity."""
        found = self._lines.get((language, voice))
        if found is None:
            found = self._lines[language, voice] = {}
            for prompt in _prompts(self.flow):
                self.line(prompt, language, voice)
        return found

    def line(self, prompt: m.Prompt, language: str, voice: bool) -> _Line:
        """One prompt resolved (and remembered) for ``language`` on voice or chat."""
        raw = prompt.text.get(language) if prompt.text is not None else ""
        if "{" in raw:
            line: _Line = (None, None, raw)
        elif prompt.audio is not None and voice:
            audio = prompt.audio
            line = (c.Play(audio, raw, language, False), c.Play(audio, raw, language, True), raw)
        else:
            line = (c.Say(raw, language, False), c.Say(raw, language, True), raw)
        self._lines.setdefault((language, voice), {})[id(prompt)] = line
        return line


def _prompts(flow: m.Flow) -> list[m.Prompt]:
    """Every prompt the flow's nodes hold (the session says nothing else but its own phrases)."""
    found: list[m.Prompt] = []
    for node in flow.nodes.values():
        for f in dataclasses.fields(node):
            value = getattr(node, f.name)
            if isinstance(value, m.Prompt):
                found.append(value)
            elif isinstance(value, m.Retries):
                found.extend(p for p in (value.no_input, value.invalid) if p is not None)
    return found


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

_Receive = Callable[[FlowSession, Any, float], None]
_RECEIVE: dict[type, _Receive] = {
    i.Digits: _S._receive_digits,
    i.Text: _S._receive_text,
    i.CustomerLeft: _S._receive_left,
    i.HttpResponse: _S._receive_http,
    i.HttpFailed: _S._receive_http,
    i.CustomerLookupResult: _S._receive_lookup,
    i.MessageLeft: _S._receive_message,
    i.AgentConnected: _S._receive_agent,
}


def _receiver(kind: type) -> _Receive | None:
    """The handler of a subclass of an input type (the table holds the exact types)."""
    return next((_RECEIVE[base] for base in kind.__mro__ if base in _RECEIVE), None)
