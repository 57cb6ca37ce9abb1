"""Builders for flow tests: parse a flow from a snippet, walk a contact through it."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from madoguchi.core.config import epoch
from madoguchi.core.events import Event
from madoguchi.core.flows import Flow, FlowEnvironment, FlowSession, parse_flow
from madoguchi.core.flows import commands as c
from madoguchi.core.flows import inputs as i
from madoguchi.core.flows.events import FlowExited
from madoguchi.core.model import Channel, Contact, Direction

TOKYO = ZoneInfo("Asia/Tokyo")
TUESDAY_10AM = epoch(datetime(2026, 11, 24, 10, 0, tzinfo=TOKYO))
"""An ordinary open hour of the sample center."""


def _flow_text(nodes: str, header: str = "") -> str:
    head = header or "flow: t\nversion: 1\nlanguages: [ja, en]\nstart: a\n"
    return head + "nodes:\n" + textwrap.indent(textwrap.dedent(nodes), "  ")


@pytest.fixture
def flow_text() -> Callable[..., str]:
    """``flow_text(nodes, header="")``: a flow file around a ``nodes:`` block (start ``a``)."""
    return _flow_text


class Walk:
    """One contact driven through a flow, keeping every command and event."""

    def __init__(
        self,
        flow: Flow,
        environment: FlowEnvironment | None = None,
        channel: Channel = Channel.VOICE,
        caller: str = "0312345678",
        now: float = TUESDAY_10AM,
        language: str = "ja",
        attributes: dict[str, str] | None = None,
    ) -> None:
        self.session = FlowSession(flow, environment)
        self.now = now
        self.commands: list[c.FlowCommand] = []
        self.events: list[Event] = []
        self.contact = Contact(
            id="k1",
            channel=channel,
            direction=Direction.INBOUND,
            tenant="midori",
            created_at=now,
            from_address=caller or None,
            language=language,
            attributes=dict(attributes or {}),
        )

    def _keep(self, commands: list[c.FlowCommand]) -> list[c.FlowCommand]:
        self.commands.extend(commands)
        self.events.extend(self.session.take_events())
        return commands

    def start(self) -> list[c.FlowCommand]:
        """Begin the flow."""
        return self._keep(self.session.start(self.contact, self.now))

    def send(self, item: i.FlowInput, after: float = 1.0) -> list[c.FlowCommand]:
        """Feed an input ``after`` seconds later."""
        self.now += after
        return self._keep(self.session.receive(item, self.now))

    def digits(self, digits: str) -> list[c.FlowCommand]:
        """Press keys."""
        return self.send(i.Digits(digits))

    def text(self, text: str) -> list[c.FlowCommand]:
        """Type a chat message."""
        return self.send(i.Text(text))

    def silence(self) -> list[c.FlowCommand]:
        """Let the pending time-out fire."""
        due = self.session.next_timer()
        assert due is not None, "nothing is waiting for a time-out"
        self.now = due
        return self._keep(self.session.handle_timer(due))

    def last(self, kind: type[Any]) -> Any:
        """The latest command of a type."""
        return [cmd for cmd in self.commands if isinstance(cmd, kind)][-1]

    def said(self) -> list[str]:
        """Every text said or shown, in order."""
        return [cmd.text for cmd in self.commands if isinstance(cmd, c.Say | c.Play)]

    def exits(self) -> list[FlowExited]:
        """FlowExited events so far."""
        return [e for e in self.events if isinstance(e, FlowExited)]


@pytest.fixture
def walk() -> Callable[..., Walk]:
    """``walk(flow_or_text, **options)`` → a started-later :class:`Walk`."""

    def make(flow: Flow | str, **options: Any) -> Walk:
        if isinstance(flow, str):
            flow = parse_flow(flow, "t.yaml")
        return Walk(flow, **options)

    return make
