"""A caller transferred to a queue gets the next agent's audio, at the server: the caller (our
own SIP user agent, real RTP) walks the IVR into a queue → agent A answers → A transfers the
caller to another queue → agent B answers → the caller hears B and B hears the caller (told by
tone frequency). In between the caller hears music and nobody's voice, A's side is released, and
the whole call is one recording (A then B on the agent's channel). Agents work on the browser
softphone (aiortc peers against the server's WebRTC gateway) or on SIP desk phones, every mix."""

from __future__ import annotations

import asyncio
import wave
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from test_runtime_voice_calls import MAIN_NUMBER, PASSWORD, start_center
from voice_support import BrowserPage, Ears, TalkingCaller, TonePhone, mostly, pitch

from madoguchi.core.events import Event
from madoguchi.core.model import AgentState
from madoguchi.core.routing import commands as rc
from madoguchi.core.routing import events as rev
from madoguchi.demo import open_around_the_clock
from madoguchi.samples import load_sample_center
from madoguchi.server import CenterServer

CALLER_HZ, FIRST_HZ, SECOND_HZ = 450, 1000, 2000
"""The tones each side speaks (multiples of 50 Hz: :func:`pitch` rounds to those;
none of them a note of the music on hold)."""


@pytest.fixture
async def center(tmp_path: Path) -> AsyncIterator[CenterServer]:
    server = await start_center(tmp_path, open_around_the_clock(load_sample_center()))
    server.softphones.loopback_candidates = True  # the pages run on this machine
    try:
        yield server
    finally:
        await server.stop()


async def until(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.05)


@dataclass(eq=False)
class Agent:
    """An agent at the desk, on the browser softphone or on a SIP desk phone."""

    id: str
    page: BrowserPage | None = None
    phone: TonePhone | None = None

    @property
    def ears(self) -> Ears:
        device = self.page or self.phone
        assert device is not None
        return device.ears

    async def close(self) -> None:
        if self.page is not None:
            await self.page.close()
        if self.phone is not None:
            await self.phone.close()


async def bring_agent(center: CenterServer, agent_id: str, kind: str, frequency: float) -> Agent:
    """Connect the agent's device and log them in (not yet available)."""
    agent = Agent(agent_id)
    if kind == "browser":
        agent.page = BrowserPage(frequency)
        await agent.page.connect(center.softphones, agent_id)
    else:
        agent.phone = TonePhone(frequency)
        extension = center.config.agent(agent_id).extension
        await agent.phone.endpoint.start()
        status = await agent.phone.endpoint.register(
            f"sip:{extension}@127.0.0.1",
            ("127.0.0.1", center.endpoint.port),
            (str(extension), PASSWORD),
            expires=600,
        )
        assert status == 200
    await center.runtime.submit(rc.AgentLogin(agent_id))
    return agent


def right_channel_pitches(path: Path) -> set[int]:
    """The tones on the agent's side (right channel) of a recording, 100 ms at a time."""
    with wave.open(str(path)) as stored:
        assert stored.getnchannels() == 2
        frames = np.frombuffer(stored.readframes(stored.getnframes()), "<i2").reshape(-1, 2)
    found = set()
    for start in range(0, len(frames) - 800, 800):
        key = pitch(frames[start : start + 800, 1].copy())
        if key is not None:
            found.add(key)
    return found


@pytest.mark.parametrize(
    ("first_kind", "second_kind"),
    [("browser", "browser"), ("sip", "browser"), ("browser", "sip"), ("sip", "sip")],
)
async def test_caller_transferred_to_a_queue_talks_to_the_agent_who_answers_next(
    center: CenterServer, first_kind: str, second_kind: str
) -> None:
    events: list[Event] = []
    browser_agents = {
        agent_id
        for agent_id, kind in (("op01", first_kind), ("op02", second_kind))
        if kind == "browser"
    }
    loop = asyncio.get_running_loop()

    def listener(_id: int, event: Event) -> None:
        events.append(event)
        if isinstance(event, rev.ContactOffered) and event.agent_id in browser_agents:
            # the page shows the offer and the agent answers it
            accept = rc.AcceptOffer(event.contact_id, event.agent_id)
            loop.call_soon(center.runtime.submit_now, accept)

    center.runtime.listen(listener)
    first = await bring_agent(center, "op01", first_kind, FIRST_HZ)
    second = await bring_agent(center, "op02", second_kind, SECOND_HZ)
    caller = TalkingCaller(CALLER_HZ)
    try:
        await center.runtime.submit(rc.SetAgentState("op01", AgentState.AVAILABLE))
        await caller.dial(center.endpoint.port, MAIN_NUMBER)
        await until(lambda: any(v.gather is not None for v in center.gateway.calls.values()))
        caller.leg.send_dtmf("3")  # products and services: the general queue
        await until(lambda: any(isinstance(e, rev.ContactConnected) for e in events))
        (voice,) = center.gateway.calls.values()
        contact_id = voice.contact.id
        caller.talk()
        await until(lambda: mostly(first.ears.heard, CALLER_HZ))
        caller.ears.fresh()
        await until(lambda: mostly(caller.ears.heard, FIRST_HZ))

        # A transfers the caller to the orders queue: from the phone (REFER) or the desk
        if first.phone is not None:
            first.phone.answered[0].refer("sip:orders@127.0.0.1")
        else:
            await center.runtime.submit(rc.TransferContact(contact_id, to_queue="orders"))
        await until(lambda: any(isinstance(e, rev.ContactTransferred) for e in events))
        await until(lambda: voice.queued and not voice.connected)
        if first.phone is not None:
            await asyncio.wait_for(asyncio.shield(first.phone.answered[0].ended), 5)
        await asyncio.sleep(0.5)  # what was in flight has arrived
        first.ears.fresh()
        caller.ears.fresh()
        await asyncio.sleep(1.5)  # nobody is free for the orders queue yet: the caller waits
        assert caller.ears.frames > 50  # music on hold
        assert caller.ears.heard.get(FIRST_HZ, 0) == 0
        assert caller.ears.heard.get(SECOND_HZ, 0) == 0
        assert first.ears.heard.get(CALLER_HZ, 0) == 0  # A no longer hears the caller

        await center.runtime.submit(rc.SetAgentState("op02", AgentState.AVAILABLE))
        await until(lambda: voice.connected)
        caller.ears.fresh()
        await until(lambda: mostly(second.ears.heard, CALLER_HZ))
        await until(lambda: mostly(caller.ears.heard, SECOND_HZ))
        assert caller.ears.heard.get(FIRST_HZ, 0) == 0
        assert first.ears.heard.get(CALLER_HZ, 0) == 0
        connected = [e.agent_id for e in events if isinstance(e, rev.ContactConnected)]
        assert connected == ["op01", "op02"]
        if second.phone is not None:
            assert len(second.phone.answered) == 1
    finally:
        await caller.close()
        await until(lambda: center.gateway.calls == {})
        await until(lambda: any(isinstance(e, rev.ContactEnded) for e in events))
        await first.close()
        await second.close()
    # one recording for the whole call: the caller on the left, A then B on the right
    recordings = center.options.data_dir / "recordings"
    assert sorted(p.name for p in recordings.glob(f"{contact_id}*.wav")) == [f"{contact_id}.wav"]
    assert {FIRST_HZ, SECOND_HZ} <= right_channel_pitches(recordings / f"{contact_id}.wav")
    ended = [e for e in events if isinstance(e, rev.ContactEnded)]
    assert [e.agent_id for e in ended] == ["op02"]
