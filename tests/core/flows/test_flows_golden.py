"""Golden transcripts of the sample flows, voice and chat: what the customer hears and does.

A transcript lists every command (``<``), every input (``>``) and the flow's exit (``=``).
After an intended change, regenerate with ``UPDATE_GOLDEN=1 pytest tests/core/flows`` and
review the diff of ``tests/core/flows/golden/``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from madoguchi.core.config import epoch
from madoguchi.core.flows import FlowSession, StaticFlowEnvironment
from madoguchi.core.flows import commands as c
from madoguchi.core.flows import inputs as i
from madoguchi.core.flows.events import FlowExited
from madoguchi.core.model import Channel, Contact, Direction
from madoguchi.samples import load_sample_center
from madoguchi.samples.flows import load_sample_flow

GOLDEN = Path(__file__).parent / "golden"
ORDER = json.dumps({"status_text": "発送済み", "delivery_date": "2026-11-26"}, ensure_ascii=False)
STORE = json.dumps(
    {"store": {"name": "渋谷店", "address": "東京都渋谷区神宮前1-1-1", "hours": "10時から20時"}},
    ensure_ascii=False,
)
VIP = {"name": "山田 花子", "tier": "vip", "birth_date": "1985-04-12"}
REGULAR = {"name": "佐藤 一郎", "tier": "regular", "birth_date": "1972-11-03"}


@dataclass
class Scenario:
    """A scripted customer: inputs in order; ``""`` is silence (the time-out fires)."""

    name: str
    flow: str
    channel: Channel
    at: str
    inputs: list[str | i.FlowInput]
    caller: str = "0312345678"
    waits: dict[str, float] = field(default_factory=dict)
    language: str = "ja"


SCENARIOS = [
    Scenario(
        "main-voice-order-status",
        "main-number",
        Channel.VOICE,
        "2026-11-24T10:00",
        ["lookup:regular", "1", "19721103", "12345678", f"http:200:{ORDER}", "9", "5"],
    ),
    Scenario(
        "main-voice-vip",
        "main-number",
        Channel.VOICE,
        "2026-11-24T19:00",
        ["lookup:vip", "", i.AgentConnected("op09")],
        caller="09011112222",
    ),
    Scenario(
        "main-voice-busy-callback",
        "main-number",
        Channel.VOICE,
        "2026-11-24T10:00",
        ["lookup:none", "3", "1", "1"],
        waits={"general": 400.0},
    ),
    Scenario(
        "main-voice-silent-caller",
        "main-number",
        Channel.VOICE,
        "2026-11-24T10:00",
        ["lookup:none", "", "", ""],
    ),
    Scenario(
        "main-voice-english-store-lookup-fails",
        "main-number",
        Channel.VOICE,
        "2026-11-24T10:00",
        ["lookup:none", "9", "6", "2", "1500001", "http:fail", "http:fail", "2", i.CustomerLeft()],
    ),
    Scenario(
        "main-voice-new-year-closure",
        "main-number",
        Channel.VOICE,
        "2026-12-30T10:00",
        [],
    ),
    Scenario(
        "main-voice-after-hours",
        "main-number",
        Channel.VOICE,
        "2026-11-24T21:00",
        [],
    ),
    Scenario(
        "main-chat-store",
        "main-number",
        Channel.CHAT,
        "2026-11-24T10:00",
        [
            "lookup:none",
            "営業時間・店舗のご案内",
            "最寄りの店舗",
            "150-0001",
            f"http:200:{STORE}",
            "終了",
            "4",
        ],
    ),
    Scenario(
        "after-hours-voice-message",
        "after-hours",
        Channel.VOICE,
        "2026-11-24T21:00",
        ["1", "message"],
    ),
    Scenario(
        "after-hours-voice-callback-other-number",
        "after-hours",
        Channel.VOICE,
        "2026-11-24T21:00",
        ["2", "2", "0451234567"],
    ),
    Scenario(
        "after-hours-chat-web-form",
        "after-hours",
        Channel.CHAT,
        "2026-11-24T21:00",
        ["お問い合わせフォーム"],
    ),
    Scenario(
        "chat-bot-order-then-agent",
        "chat-bot",
        Channel.CHAT,
        "2026-11-24T10:00",
        [
            "配送状況を知りたいです",
            "1234",
            "12345678",
            f"http:200:{ORDER}",
            "2",
            i.AgentConnected("op19"),
        ],
    ),
    Scenario(
        "chat-bot-survey",
        "chat-bot",
        Channel.CHAT,
        "2026-11-24T10:00",
        ["2", "3", "5", "わかりやすかったです"],
    ),
    Scenario(
        "chat-bot-voice-garbage-api",
        "chat-bot",
        Channel.VOICE,
        "2026-11-24T20:00",
        ["1", "12345678", "http:200:<html>oops", "http:502:"],
    ),
]


def describe(command: c.FlowCommand) -> str:
    if isinstance(command, c.Say):
        return f"Say[{command.language}{', barge-in' if command.barge_in else ''}]: {command.text}"
    if isinstance(command, c.Play):
        return f"Play[{command.language}]: {command.audio} ({command.text})"
    if isinstance(command, c.Gather):
        buttons = f" buttons={list(command.buttons)}" if command.buttons else ""
        limits = f"max={command.max_length} timeout={command.timeout_s:g}s"
        return f"Gather {command.mode.value} {limits}{buttons}"
    if isinstance(command, c.Enqueue):
        return (
            f"Enqueue {command.queue} priority={command.priority} skills={dict(command.skills)} "
            f"attributes={dict(command.attributes)} music={command.music} "
            f"transcript={list(command.transcript)}"
        )
    return repr(command)


def transcript(scenario: Scenario) -> str:
    center = load_sample_center()
    env = StaticFlowEnvironment.for_center(center)
    env.waits.update(scenario.waits)
    now = epoch(datetime.fromisoformat(scenario.at).replace(tzinfo=ZoneInfo("Asia/Tokyo")))
    session = FlowSession(load_sample_flow(scenario.flow), env)
    contact = Contact(
        "golden-1",
        scenario.channel,
        Direction.INBOUND,
        "midori",
        now,
        from_address=scenario.caller,
        language=scenario.language,
    )
    lines = [f"# {scenario.name}: {scenario.flow} on {scenario.channel.value}, {scenario.at}"]
    request = ""

    def show(commands: list[c.FlowCommand]) -> None:
        nonlocal request
        for command in commands:
            lines.append("< " + describe(command))
            if isinstance(command, c.HttpRequest | c.LookupCustomer):
                request = command.request_id
        for item in session.take_events():
            if isinstance(item, FlowExited):
                lines.append(
                    f"= exit {item.outcome.value} at {item.node} after {item.duration_s:g}s"
                )

    show(session.start(contact, now))
    for step in scenario.inputs:
        now += 2.0
        item: i.FlowInput | None
        if isinstance(step, str) and step.startswith("lookup:"):
            found = {"vip": ("C000123", VIP), "regular": ("C000456", REGULAR)}.get(step[7:])
            item = (
                i.CustomerLookupResult(request, *found)
                if found
                else i.CustomerLookupResult(request, None)
            )
        elif isinstance(step, str) and step.startswith("http:"):
            _, status, body = ([*step.split(":", 2), ""])[:3]
            item = (
                i.HttpFailed(request, "ConnectTimeout")
                if status == "fail"
                else i.HttpResponse(request, int(status), body)
            )
        elif step == "message":
            item = i.MessageLeft(duration_s=15.0)
        elif step == "":
            item = None
        elif isinstance(step, str):
            item = i.Digits(step) if scenario.channel is Channel.VOICE else i.Text(step)
        else:
            item = step
        if item is None:
            due = session.next_timer()
            assert due is not None, f"{scenario.name}: nothing to time out"
            now = max(now, due)
            lines.append(f"> (silence until +{due - contact.created_at:g}s)")
            show(session.handle_timer(now))
        else:
            lines.append(f"> {item!r}")
            show(session.receive(item, now))
    lines.append(
        f"= phase {session.phase.value}, "
        f"outcome {session.outcome.value if session.outcome else None}"
    )
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_sample_flow_transcript_matches_golden(scenario: Scenario) -> None:
    path = GOLDEN / f"{scenario.name}.txt"
    actual = transcript(scenario)
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.write_text(actual, encoding="utf-8")
    assert path.exists(), f"missing {path}: run with UPDATE_GOLDEN=1"
    assert actual == path.read_text(encoding="utf-8")
