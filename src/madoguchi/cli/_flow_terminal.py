"""The adapter behind ``madoguchi flow run``: a flow session driven from a terminal.

It performs the session's commands for real where that makes sense in a terminal: prompts are
printed as they would be spoken or shown, enqueue and callbacks go to a
:class:`~madoguchi.core.routing.engine.RoutingEngine` over the center (position and estimated
wait come from it), HTTP lookups are made with httpx, customers are looked up in a directory
file. Time is virtual, so time-outs fire at once on an empty answer.

On a voice run in a terminal, prompts are *spoken*: shown a character at a time at a speaking
pace, and read from the keyboard key by key as a phone's keypad would send them. A key pressed
while a prompt that allows barge-in is being spoken cuts it short — with every prompt queued
behind it, as the voice gateway clears the playback — and starts the answer to the question that
follows; keys pressed during a prompt without barge-in wait until it ends (type-ahead). A gather
ends on ``#``, on Enter, or as soon as its maximum number of digits is typed. Without a terminal
(pipes, scripts, tests) or with ``--no-pace``, prompts are printed whole and answers read a line
at a time.
"""

from __future__ import annotations

import json
import math
import os
import select
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

import httpx
from rich.console import Console
from rich.markup import escape

from madoguchi.core.config import CenterConfig, local_datetime
from madoguchi.core.events import Event, to_record
from madoguchi.core.flows import Flow, FlowPhase, FlowSession
from madoguchi.core.flows import commands as c
from madoguchi.core.flows import inputs as i
from madoguchi.core.flows._formats import parse_format
from madoguchi.core.flows.environment import RoutingFlowEnvironment
from madoguchi.core.flows.model import InputFormat
from madoguchi.core.model import Channel, Contact, Direction
from madoguchi.core.routing import commands as rc
from madoguchi.core.routing import events as rev
from madoguchi.core.routing.engine import RoutingEngine
from madoguchi.core.routing.errors import RoutingError

ANSWER_STEP_S = 3.0
"""Virtual seconds that pass per answer."""
CONTACT_ID = "try-1"
DEFAULT_PACE = {"ja": 8.0, "en": 15.0}
"""Characters per second of a spoken prompt: about the pace of speech synthesis (ja ~8 kana/s)."""
BARGE_IN_MARK = " ⏹ (barge-in)"
_ENTER = ("\r", "\n")
_ERASE = ("\x7f", "\b")
_END_OF_INPUT = "\x04"


class Keyboard(Protocol):
    """Where a paced voice run reads the caller's keys."""

    def wait_key(self, seconds: float) -> str | None:
        """A key typed within ``seconds`` (returned as soon as it is typed), else None."""

    def read_key(self) -> str:
        """The next key, however long it takes; EOFError when the input is closed."""


class TerminalKeyboard:
    """Single keys from a terminal in cbreak mode (Ctrl-C still interrupts)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    @classmethod
    def available(cls) -> bool:
        """Whether stdin and stdout are both terminals (else: line mode)."""
        return sys.stdin.isatty() and sys.stdout.isatty()

    @contextmanager
    def cbreak(self) -> Iterator[TerminalKeyboard]:
        """Keys without waiting for Enter, not echoed; the terminal restored afterwards."""
        import termios
        import tty

        saved = termios.tcgetattr(self.fd)
        try:
            tty.setcbreak(self.fd)
            yield self
        finally:
            termios.tcsetattr(self.fd, termios.TCSADRAIN, saved)

    def wait_key(self, seconds: float) -> str | None:
        """A key typed within ``seconds``, else None."""
        ready, _, _ = select.select([self.fd], [], [], max(0.0, seconds))
        return self._read() if ready else None

    def read_key(self) -> str:
        """The next key."""
        select.select([self.fd], [], [])
        return self._read()

    def _read(self) -> str:
        data = os.read(self.fd, 1)
        if not data:
            raise EOFError
        while True:  # the rest of a multi-byte character (a full-width digit…)
            try:
                return data.decode("utf-8")
            except UnicodeDecodeError:
                if len(data) >= 4:
                    return data.decode("utf-8", errors="replace")
                data += os.read(self.fd, 1)


class TerminalRun:
    """One walk through a flow, typed by a person (or fed by a test)."""

    def __init__(
        self,
        flow: Flow,
        config: CenterConfig,
        console: Console,
        *,
        channel: str,
        caller: str,
        language: str,
        attributes: dict[str, str],
        customers: list[dict[str, Any]],
        now: float,
        ahead: int,
        http: httpx.Client | None = None,
        keyboard: Keyboard | None = None,
        pace: float | None = None,
    ) -> None:
        """``keyboard`` (voice only) makes prompts spoken at ``pace`` characters per second
        (default: :data:`DEFAULT_PACE` for the language), with barge-in and key-by-key input."""
        self.flow = flow
        self.config = config
        self.console = console
        self.now = now
        self.customers = customers
        self._own_http = http is None
        self.http = http or httpx.Client(follow_redirects=False)
        self.engine = RoutingEngine(config)
        self.environment = RoutingFlowEnvironment(self.engine, config)
        self.session = FlowSession(flow, self.environment)
        self.voice = channel == "voice"
        self.contact = Contact(
            id=CONTACT_ID,
            channel=Channel.VOICE if self.voice else Channel.CHAT,
            direction=Direction.INBOUND,
            tenant=config.tenants[0].id if config.tenants else "",
            created_at=now,
            from_address=caller or None,
            language=language,
            attributes=dict(attributes),
        )
        self.events: list[Event] = []
        self.buttons: tuple[str, ...] = ()
        self.queued = False
        self.keyboard = keyboard if self.voice else None
        self.pace = pace
        self.gather: c.Gather | None = None
        """The question the next answer goes to (paced voice: when a gather is complete)."""
        self.typed = ""
        """Keys typed while prompts were spoken: the start of the next answer."""
        self.cleared = False
        """A barge-in cut the prompts queued so far; the ones until the next question go unheard."""
        self.leaving = False
        """The caller hung up (Ctrl-C, Ctrl-D) while a prompt was spoken."""
        self._staff(ahead)

    def _staff(self, ahead: int) -> None:
        """Every agent logged in and available; ``ahead`` contacts per queue arrive first.

        Those contacts are answered while agents fit them, the rest wait: the walk then meets
        a busy center with real positions and estimated waits.
        """
        for agent in self.config.agents:
            self._route(rc.AgentLogin(agent.id, available=True))
        for queue in self.config.queues:
            for k in range(ahead):
                earlier = Contact(
                    id=f"ahead-{queue.id}-{k + 1}",
                    channel=sorted(queue.channels)[0],
                    direction=Direction.INBOUND,
                    tenant=queue.tenant,
                    created_at=self.now,
                )
                for item in self._route(rc.EnqueueContact(earlier, queue.id)):
                    if isinstance(item, rev.ContactOffered):
                        self._route(rc.AcceptOffer(item.contact_id, item.agent_id))

    def _route(self, command: rc.RoutingCommand) -> list[Event]:
        try:
            return self.engine.receive(command, self.now)
        except RoutingError as err:
            self.console.print(f"[red]routing refused {type(command).__name__}: {err}[/]")
            return []

    # -- the loop -----------------------------------------------------------------------------

    def run(self, input_line: Callable[[], str]) -> None:
        """Walk until the flow ends (or the caller connects to an agent)."""
        when = local_datetime(self.now, self.config.timezone).strftime("%Y-%m-%d %a %H:%M")
        mode = "voice: type keypad digits" if self.voice else "chat: type text or a button number"
        self.console.print(
            f"[dim]flow {self.flow.id} v{self.flow.version} — {mode}; empty line = silence, "
            f"/wait = let time pass, /hangup = leave — {when}[/]"
        )
        try:
            self._perform(self.session.start(self.contact, self.now))
            while self.session.phase is not FlowPhase.ENDED:
                try:
                    line = self._read_keys() if self.keyboard is not None else input_line()
                except (EOFError, KeyboardInterrupt):
                    line = "/hangup"
                self._answer(line.strip())
        finally:
            if self._own_http:
                self.http.close()
        outcome = self.session.outcome.value if self.session.outcome else "—"
        self.console.print(f"[dim]flow ended: {outcome}[/]")

    def _answer(self, line: str) -> None:
        if line == "/hangup":
            self._perform(self.session.receive(i.CustomerLeft(), self.now))
            if self.queued:
                self._route(rc.AbandonContact(CONTACT_ID))
            return
        if not line or line == "/wait":
            due = self.session.next_timer()
            if due is None:
                self.console.print("[dim](still waiting for an agent; /hangup to leave)[/]")
                return
            self.now = max(self.now, due)
            self._perform(self.session.handle_timer(self.now))
            return
        self.now += ANSWER_STEP_S
        if self.voice:
            digits = line.replace("#", "")
            if not digits or any(ch not in "0123456789*" for ch in digits):
                self.console.print("[yellow](a phone keypad has 0-9, * and #)[/]")
                return
            self._perform(self.session.receive(i.Digits(digits), self.now))
            return
        if line.isdigit() and 1 <= int(line) <= len(self.buttons):
            line = self.buttons[int(line) - 1]
        self._perform(self.session.receive(i.Text(line), self.now))

    # -- performing commands ----------------------------------------------------------------------

    def _perform(self, commands: list[c.FlowCommand]) -> None:
        pending = list(commands)
        while pending:
            command = pending.pop(0)
            follow = self._do(command)
            self._collect_events()
            if follow is not None:
                pending.extend(self.session.receive(follow, self.now))
        self._collect_events()

    def _collect_events(self) -> None:
        self.events.extend(self.session.take_events())

    def _do(self, command: c.FlowCommand) -> i.FlowInput | None:
        if isinstance(command, c.Say):
            if self.keyboard is not None:
                self._speak("🔊 ", command.text, command.language, command.barge_in)
            else:
                who = "🔊" if self.voice else "🤖"
                self.console.print(f"{who} {escape(command.text)}")
        elif isinstance(command, c.Play):
            if self.keyboard is not None:
                head = f"🔊 ♪ {command.audio} "
                self._speak(head, command.text, command.language, command.barge_in)
            else:
                self.console.print(f"🔊 [dim]♪ {escape(command.audio)}[/] {escape(command.text)}")
        elif isinstance(command, c.Gather):
            self._show_gather(command)
        elif isinstance(command, c.LookupCustomer):
            return self._lookup(command)
        elif isinstance(command, c.HttpRequest):
            return self._fetch(command)
        elif isinstance(command, c.Enqueue):
            return self._enqueue(command)
        elif isinstance(command, c.RequestCallback):
            self._callback(command)
        elif isinstance(command, c.RecordMessage):
            return i.MessageLeft(duration_s=min(command.max_seconds, 20.0), reference="terminal")
        elif isinstance(command, c.Transfer):
            self.console.print(f"[magenta]→ transfer to {command.kind.value} {command.target}[/]")
        elif isinstance(command, c.Hangup):
            self.console.print(f"[dim]✆ hang up ({command.reason})[/]")
        return None

    def _show_gather(self, gather: c.Gather) -> None:
        self.buttons = gather.buttons
        self.gather = gather
        self.cleared = False  # prompts after the question are heard again
        if self.voice:
            self.console.print(
                f"[dim]⌨ up to {gather.max_length} digit(s), {gather.timeout_s:g} s[/]"
            )
        elif gather.buttons:
            shown = "  ".join(f"[{n}] {escape(b)}" for n, b in enumerate(gather.buttons, 1))
            self.console.print(f"[cyan]{shown}[/]")

    def _lookup(self, command: c.LookupCustomer) -> i.FlowInput:
        wanted = parse_format(command.value, InputFormat.PHONE_JP) or command.value
        for customer in self.customers:
            number = str(customer.get("number", ""))
            if (
                command.by == "caller"
                and number
                and parse_format(number, InputFormat.PHONE_JP) == wanted
            ):
                fields = {str(k): str(v) for k, v in dict(customer.get("fields") or {}).items()}
                self.console.print(f"[dim]customer found: {customer.get('id')}[/]")
                return i.CustomerLookupResult(command.request_id, str(customer.get("id")), fields)
            if command.by != "caller" and str(customer.get("id")) == command.value:
                fields = {str(k): str(v) for k, v in dict(customer.get("fields") or {}).items()}
                return i.CustomerLookupResult(command.request_id, command.value, fields)
        self.console.print("[dim]customer not found[/]")
        return i.CustomerLookupResult(command.request_id, None)

    def _fetch(self, command: c.HttpRequest) -> i.FlowInput:
        self.console.print(f"[dim]HTTP {command.method} {escape(command.url)}[/]")
        try:
            response = self.http.request(
                command.method, command.url, content=command.body, timeout=command.timeout_s
            )
        except (httpx.HTTPError, httpx.InvalidURL) as err:  # a URL the flow built badly too
            self.console.print(f"[dim]… failed: {escape(type(err).__name__)}[/]")
            return i.HttpFailed(command.request_id, type(err).__name__)
        self.console.print(f"[dim]… {response.status_code}[/]")
        return i.HttpResponse(command.request_id, response.status_code, response.text)

    def _enqueue(self, command: c.Enqueue) -> i.FlowInput | None:
        self.contact.attributes.update(dict(command.attributes))
        self.contact.language = command.language
        events = self._route(
            rc.EnqueueContact(self.contact, command.queue, priority=command.priority)
        )
        if not self._accepted_by_routing(events, command.queue):
            return i.CustomerLeft()
        self.queued = True
        if command.transcript:
            self.console.print("[dim]transcript handed to the agent:[/]")
            for line in command.transcript:
                self.console.print(f"[dim]  {escape(line)}[/]")
        position = self.engine.queue_position(CONTACT_ID)
        wait = self.engine.estimated_wait_for(CONTACT_ID, self.now)
        shown = f"{wait:.0f} s" if math.isfinite(wait) else "unknown (nobody staffed)"
        self.console.print(
            f"[green]⏳ queued in {command.queue}: position {position}, estimated wait {shown}[/]"
        )
        return self._answer_offer(events)

    def _accepted_by_routing(self, events: list[Event], queue: str) -> bool:
        """Whether the contact is now waiting or offered; otherwise say what routing did."""
        for item in events:
            if isinstance(item, rev.ContactOverflowed) and item.contact_id == CONTACT_ID:
                self.console.print(
                    f"[yellow]routing: {queue} applied its {item.cause.value} treatment "
                    f"({item.treatment.value})[/]"
                )
            if isinstance(item, rev.ContactEnded) and item.contact_id == CONTACT_ID:
                self.console.print(f"[yellow]routing ended the contact: {item.reason.value}[/]")
                return False
        return bool(events)

    def _answer_offer(self, events: list[Event]) -> i.FlowInput | None:
        for item in events:
            if isinstance(item, rev.ContactOffered) and item.contact_id == CONTACT_ID:
                accepted = self._route(rc.AcceptOffer(CONTACT_ID, item.agent_id))
                if any(isinstance(e, rev.ContactConnected) for e in accepted):
                    name = self.config.agent(item.agent_id).name
                    self.console.print(f"[green]☎ connected to agent {item.agent_id} ({name})[/]")
                    return i.AgentConnected(item.agent_id)
        return None

    def _callback(self, command: c.RequestCallback) -> None:
        if not self.queued:
            events = self._route(rc.EnqueueContact(self.contact, command.queue))
            if not self._accepted_by_routing(events, command.queue):
                self.console.print(
                    f"[yellow]callback to {command.number} not kept in line: routing did not "
                    f"queue the contact in {command.queue}[/]"
                )
                return
            self.queued = True
        self._route(rc.RequestCallback(CONTACT_ID, command.number))
        position = self.engine.queue_position(CONTACT_ID)
        self.console.print(
            f"[green]↩ callback to {command.number} requested in {command.queue}, "
            f"place in line {position}[/]"
        )

    # -- a paced voice terminal: spoken prompts, barge-in, keys ------------------------------------

    def _speak(self, head: str, text: str, language: str, barge_in: bool) -> None:
        """Show ``text`` at the speaking pace; a key cuts it short when it allows barge-in."""
        keyboard = self.keyboard
        assert keyboard is not None
        out = self.console.file
        if self.cleared:  # cleared from the playback with the prompt barged into
            self.console.print(f"[dim]🔇 (unheard) {escape(text)}[/]", soft_wrap=True)
            return
        out.write(head)
        if barge_in and self.typed:  # keys already typed cut it at once
            out.write(BARGE_IN_MARK + "\n")
            out.flush()
            self.cleared = True
            return
        pace = self.pace or DEFAULT_PACE.get(language, DEFAULT_PACE["ja"])
        out.flush()
        for ch in text:
            out.write(ch)
            out.flush()
            try:
                key = keyboard.wait_key(1.0 / pace)
            except (EOFError, KeyboardInterrupt):
                key = _END_OF_INPUT
            if key is None:
                continue
            if key in _ENTER and not self.typed:
                continue  # Enter alone is not a keypad key
            if key == _END_OF_INPUT:  # the caller hangs up in the middle of the prompt
                out.write("\n")
                out.flush()
                self.leaving = self.cleared = True
                return
            self.typed += key
            if barge_in:
                out.write(BARGE_IN_MARK + "\n")
                out.flush()
                self.cleared = True
                return
        out.write("\n")
        out.flush()

    def _read_keys(self) -> str:
        """The next answer, key by key: it ends on ``#``, Enter or the gather's last digit.

        ``/…`` commands and an empty line (silence) are typed as in line mode.
        """
        keyboard = self.keyboard
        assert keyboard is not None
        if self.leaving:
            return "/hangup"
        gather, self.gather = self.gather, None
        typed, self.typed = self.typed, ""
        self.cleared = False
        limit = gather.max_length if gather is not None else 1
        out = self.console.file
        out.write("> " + typed)
        out.flush()
        while not _complete(typed, limit):
            try:
                key = keyboard.read_key()
            except (EOFError, KeyboardInterrupt):
                key = _END_OF_INPUT
            if key == _END_OF_INPUT:
                out.write("\n")
                out.flush()
                return "/hangup"
            if key in _ENTER:
                break
            if key in _ERASE:
                if typed:
                    typed = typed[:-1]
                    out.write("\b \b")
                    out.flush()
                continue
            typed += key
            out.write(key)
            out.flush()
        out.write("\n")
        out.flush()
        return typed

    def write_log(self, path: Path) -> None:
        """Append the flow's events to a JSON-lines event log."""
        with path.open("a", encoding="utf-8") as out:
            for item in self.events:
                out.write(json.dumps(to_record(item), ensure_ascii=False) + "\n")


def _complete(typed: str, limit: int) -> bool:
    """Whether keys typed so far finish an answer (a ``/command`` waits for Enter)."""
    if not typed or typed.startswith("/"):
        return False
    return typed.endswith("#") or len(typed) >= limit
