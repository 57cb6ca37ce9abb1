"""Callbacks called back through the live server: a sipp caller asks for a callback in the IVR and
hangs up; when an agent's phone (our own user agent, registered) becomes available, routing
offers the callback, the phone rings and answers, the customer (sipp on the tenant's trunk) is
dialled — answered: bridged, recorded, ended by the agent into after-contact work; busy: the
contact ends as ``customer_busy`` and the agent goes to after-contact work."""

from __future__ import annotations

import asyncio
import dataclasses
import socket
import wave
from pathlib import Path

import numpy as np
import pytest
from telephony_support import free_port, run_sipp
from test_runtime_voice_calls import MAIN_NUMBER, SCENARIOS, sign_in_agent, start_center
from voice_support import AgentPhone, BrowserPage, TalkingCaller, mostly, tone

from madoguchi.core.config import CenterConfig, TrunkConfig
from madoguchi.core.events import Event
from madoguchi.core.model import Channel, Contact, Direction, EndReason, SkillRequirement
from madoguchi.core.routing import commands as rc
from madoguchi.core.routing import events as rev
from madoguchi.demo import open_around_the_clock
from madoguchi.samples import load_sample_center
from madoguchi.server import CenterServer
from madoguchi.telephony.sip.call import CallState


def with_trunk(config: CenterConfig, port: int) -> CenterConfig:
    """The sample center whose tenants call out to a sipp customer on ``port``."""
    trunk = TrunkConfig(uri=f"sip:{{number}}@127.0.0.1:{port}", caller_id="0120000100")
    tenants = tuple(dataclasses.replace(t, trunk=trunk) for t in config.tenants)
    return dataclasses.replace(config, tenants=tenants, _index={})


class QuickPrompts:
    """Text to speech is not what these tests are about: each prompt is half a second of tone."""

    async def get_async(self, text: str, language: str) -> np.ndarray:
        del text, language
        return tone(440, 4000)


async def caller_asks_for_callback(center: CenterServer, tmp_path: Path) -> str:
    """A sipp caller walks the IVR into お問い合わせ with no agent, asks to be called back on
    their own number (from the flow's offer before the queue, or the queue's own offer — which
    one depends on the estimated wait) and is hung up on; the callback contact routing holds."""
    center.gateway.prompts = QuickPrompts()  # type: ignore[assignment]
    result = await run_sipp(
        f"127.0.0.1:{center.endpoint.port}",
        "-sf",
        str(SCENARIOS / "caller_requests_callback.xml"),
        "-s",
        MAIN_NUMBER,
        "-m",
        "1",
        "-mp",
        str(free_port()),
        cwd=tmp_path,
        timeout=90,
    )
    assert result.returncode == 0, result.output
    await asyncio.sleep(0.3)
    assert center.gateway.calls == {}  # nobody on the line any more
    (callback,) = [
        c
        for c in center.runtime.engine.contacts.values()
        if c.callback_number is not None or c.origin.direction == Direction.CALLBACK
    ]
    assert "09011112222" in (callback.callback_number, callback.origin.from_address)
    return callback.id


async def sipp_listening(port: int, seconds: float = 10.0) -> None:
    """Until sipp has bound its SIP port (our own bind of it fails)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                return
        assert loop.time() < deadline, "sipp did not start"
        await asyncio.sleep(0.05)


async def wait_for(condition: object, seconds: float) -> None:
    assert callable(condition)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not condition():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.05)


@pytest.mark.peer
async def test_callback_rings_agent_dials_customer_bridges_and_records(tmp_path: Path) -> None:
    port = free_port()
    customer = asyncio.create_task(
        run_sipp("-sn", "uas", "-rtp_echo", "-p", str(port), "-m", "1", cwd=tmp_path, timeout=90)
    )
    center = await start_center(
        tmp_path, with_trunk(open_around_the_clock(load_sample_center()), port)
    )
    events: list[Event] = []
    center.runtime.listen(lambda _i, e: events.append(e))
    phone = AgentPhone(talk_s=3.0, ring_s=0.3, greeting_s=1.5)
    try:
        contact_id = await caller_asks_for_callback(center, tmp_path)
        await sign_in_agent(center, phone, "op01")  # general skill: お問い合わせ
        await wait_for(lambda: any(isinstance(e, rev.ContactEnded) for e in events), 30)
        result = await asyncio.wait_for(customer, 30)
        assert result.returncode == 0, result.output  # answered, then got our BYE
        await asyncio.sleep(0.3)
    finally:
        await phone.close()
        await center.stop()
        if not customer.done():
            customer.cancel()
    kinds = [type(e).__name__ for e in events if getattr(e, "contact_id", None) == contact_id]
    assert kinds.index("ContactOffered") < kinds.index("ContactConnected")
    (ended,) = [e for e in events if isinstance(e, rev.ContactEnded)]
    assert ended.contact_id == contact_id
    assert ended.reason == EndReason.COMPLETED
    assert ended.agent_id == "op01"
    assert ended.talk_s > 1.0  # the agent talked to the customer before hanging up
    assert len(phone.answered) == 1
    assert phone.answered[0].state is CallState.ENDED
    assert phone.heard_frames > 25  # the agent's greeting came back from the customer's echo
    recording = center.options.data_dir / "recordings" / f"{contact_id}.wav"
    with wave.open(str(recording)) as stored:
        frames = np.frombuffer(stored.readframes(stored.getnframes()), "<i2").reshape(-1, 2)
    assert np.abs(frames[:, 0]).max() > 1000  # the customer (left): the echo
    assert np.abs(frames[:, 1]).max() > 1000  # the agent (right): the greeting
    assert center.runtime.engine.agents["op01"].wrapups  # after-contact work
    assert center.gateway.callbacks.pending == {}
    assert center.gateway.callbacks.stats["answered"] == 1


@pytest.mark.peer
async def test_busy_customer_ends_callback_as_customer_busy_and_agent_wraps_up(
    tmp_path: Path,
) -> None:
    port = free_port()
    customer = asyncio.create_task(
        run_sipp("-sf", str(SCENARIOS / "callee_busy.xml"), "-p", str(port), "-m", "1",
                 cwd=tmp_path, timeout=90)
    )  # fmt: skip
    center = await start_center(
        tmp_path, with_trunk(open_around_the_clock(load_sample_center()), port)
    )
    events: list[Event] = []
    center.runtime.listen(lambda _i, e: events.append(e))
    phone = AgentPhone(talk_s=30.0, ring_s=0.3)
    try:
        contact_id = await caller_asks_for_callback(center, tmp_path)
        await sign_in_agent(center, phone, "op01")
        await wait_for(lambda: any(isinstance(e, rev.ContactEnded) for e in events), 30)
        result = await asyncio.wait_for(customer, 30)
        assert result.returncode == 0, result.output  # the 486 was sent and ACKed
        await wait_for(lambda: phone.answered and phone.answered[0].state is CallState.ENDED, 5)
        (ended,) = [e for e in events if isinstance(e, rev.ContactEnded)]
        assert ended.contact_id == contact_id
        assert ended.reason == EndReason.CUSTOMER_BUSY
        assert ended.agent_id == "op01"
        # the agent is in after-contact work to note it, and can finish it as usual
        (handled,) = center.runtime.engine.agents["op01"].wrapups
        assert handled == contact_id
        await center.runtime.submit(
            rc.CompleteWrapUp("op01", handled, disposition="callback-needed")
        )
        assert center.gateway.calls == {}
        assert center.gateway.callbacks.pending == {}
        assert center.gateway.callbacks.stats["unreached"] == 1
    finally:
        await phone.close()
        await center.stop()
        if not customer.done():
            customer.cancel()


async def book_callback(center: CenterServer, number: str) -> str:
    """A callback booked without a queued call (as after hours, from the flow or the API): a
    callback contact of its own, released at once since the queue is open."""
    now = center.runtime.clock.now()
    contact = Contact("booked-1", Channel.VOICE, Direction.INBOUND, "midori", now,
                      from_address="0312345678", skills=(SkillRequirement("general"),))  # fmt: skip
    center.runtime.request_callback(contact, "general", number)
    await center.runtime.flush()
    (callback,) = [
        c
        for c in center.runtime.engine.contacts.values()
        if c.origin.direction == Direction.CALLBACK
    ]
    return callback.id


@pytest.mark.peer
async def test_browser_agent_accepts_callback_and_talks_to_the_customer(tmp_path: Path) -> None:
    port = free_port()
    customer = asyncio.create_task(
        run_sipp("-sn", "uas", "-rtp_echo", "-p", str(port), "-m", "1", cwd=tmp_path, timeout=60)
    )
    center = await start_center(
        tmp_path, with_trunk(open_around_the_clock(load_sample_center()), port)
    )
    center.softphones.loopback_candidates = True  # the page runs on this machine
    events: list[Event] = []
    loop = asyncio.get_running_loop()

    def listener(_id: int, event: Event) -> None:
        events.append(event)
        if isinstance(event, rev.ContactOffered):  # the page shows the offer; the agent answers
            loop.call_soon(center.runtime.submit_now, rc.AcceptOffer(event.contact_id, "op01"))

    center.runtime.listen(listener)
    page = BrowserPage(1000)
    try:
        await sipp_listening(port)
        await page.connect(center.softphones, "op01")
        contact_id = await book_callback(center, "+81312340000")
        await center.runtime.submit(rc.AgentLogin("op01", available=True))
        await wait_for(lambda: contact_id in center.gateway.calls, 20)
        await wait_for(lambda: page.ears.heard.get(1000, 0) >= 25, 20)  # its voice, echoed back
        assert mostly(page.ears.heard, 1000)
        await center.runtime.submit(rc.EndContact(contact_id))  # the agent ends it at the desk
        result = await asyncio.wait_for(customer, 20)
        assert result.returncode == 0, result.output  # answered, then got our BYE
    finally:
        await page.close()
        await center.stop()
        if not customer.done():
            customer.cancel()
    (ended,) = [e for e in events if isinstance(e, rev.ContactEnded)]
    assert (ended.contact_id, ended.reason, ended.agent_id) == (
        contact_id,
        EndReason.COMPLETED,
        "op01",
    )
    assert center.gateway.calls == {}


@pytest.mark.peer
async def test_customer_not_answering_ends_callback_as_customer_no_answer(tmp_path: Path) -> None:
    port = free_port()
    customer = asyncio.create_task(
        run_sipp("-sf", str(SCENARIOS / "callee_never_answers.xml"), "-p", str(port), "-m", "1",
                 cwd=tmp_path, timeout=60)
    )  # fmt: skip
    center = await start_center(
        tmp_path, with_trunk(open_around_the_clock(load_sample_center()), port)
    )
    center.gateway.callbacks.ring_timeout_s = 2.0
    events: list[Event] = []
    center.runtime.listen(lambda _i, e: events.append(e))
    phone = AgentPhone(talk_s=30.0, ring_s=0.2)
    try:
        await sipp_listening(port)
        contact_id = await book_callback(center, "+81312340000")
        await sign_in_agent(center, phone, "op01")
        await wait_for(lambda: any(isinstance(e, rev.ContactEnded) for e in events), 20)
        result = await asyncio.wait_for(customer, 20)
        assert result.returncode == 0, result.output  # rang, then got our CANCEL
        await wait_for(lambda: phone.answered and phone.answered[0].state is CallState.ENDED, 5)
        (ended,) = [e for e in events if isinstance(e, rev.ContactEnded)]
        assert (ended.contact_id, ended.reason) == (contact_id, EndReason.CUSTOMER_NO_ANSWER)
        assert center.runtime.engine.agents["op01"].wrapups  # after-contact work
        assert center.gateway.callbacks.pending == {}
    finally:
        await phone.close()
        await center.stop()
        if not customer.done():
            customer.cancel()


@pytest.mark.peer
async def test_queued_caller_keeps_place_as_callback_hangs_up_and_is_called_back(
    tmp_path: Path,
) -> None:
    port = free_port()
    customer = asyncio.create_task(
        run_sipp("-sn", "uas", "-rtp_echo", "-p", str(port), "-m", "1", cwd=tmp_path, timeout=60)
    )
    center = await start_center(
        tmp_path, with_trunk(open_around_the_clock(load_sample_center()), port)
    )
    center.gateway.prompts = QuickPrompts()  # type: ignore[assignment]
    events: list[Event] = []
    center.runtime.listen(lambda _i, e: events.append(e))
    caller = TalkingCaller(450)
    phone = AgentPhone(talk_s=2.0, ring_s=0.2, greeting_s=1.0)
    try:
        await caller.dial(center.endpoint.port, MAIN_NUMBER)
        await wait_for(lambda: any(v.gather is not None for v in center.gateway.calls.values()), 10)
        (voice,) = center.gateway.calls.values()
        menu = voice.gather
        caller.leg.send_dtmf("3")  # お問い合わせ
        await wait_for(lambda: voice.gather is not menu or voice.queued, 10)
        if not voice.queued:  # a long estimated wait: the flow offers a callback first
            caller.leg.send_dtmf("2")  # no: hold in the queue
        await wait_for(lambda: voice.queued, 10)
        # later, from the queue (the flow's treatment or the desktop): keep my place, call me
        center.runtime.request_callback(voice.contact, "general", "+81312340000")
        await wait_for(lambda: not voice.queued, 5)  # CallbackRequested reached the gateway
        await caller.close()  # the caller hangs up: not an abandoned call
        await wait_for(lambda: center.gateway.calls == {}, 5)
        live = center.runtime.engine.contacts[voice.contact.id]
        assert live.callback_number == "+81312340000"
        await sipp_listening(port)
        await sign_in_agent(center, phone, "op01")
        await wait_for(lambda: any(isinstance(e, rev.ContactEnded) for e in events), 20)
        result = await asyncio.wait_for(customer, 20)
        assert result.returncode == 0, result.output
    finally:
        await phone.close()
        await center.stop()
        if not customer.done():
            customer.cancel()
    assert not any(isinstance(e, rev.ContactAbandoned) for e in events)
    (ended,) = [e for e in events if isinstance(e, rev.ContactEnded)]
    assert (ended.contact_id, ended.reason, ended.agent_id) == (
        voice.contact.id,
        EndReason.COMPLETED,
        "op01",
    )
    assert phone.heard_frames > 25  # the greeting, echoed by the customer's phone
