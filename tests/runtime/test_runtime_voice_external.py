"""Transfers to an external number through the live server: a caller (our own SIP user agent,
real RTP) reaches a flow whose transfer node names an outside number; the number is dialled over
the tenant's trunk, where sipp answers — with its RTP echoed, the caller hears its own tone back
through the external party, and the call is recorded both sides — or is busy: the caller hears
the apology and is hung up. An invalid number is never dialled."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import wave
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from telephony_support import free_port, run_sipp
from test_runtime_voice_callback import QuickPrompts, sipp_listening, with_trunk
from test_runtime_voice_calls import MAIN_NUMBER, start_center
from test_runtime_voice_transfers import bind_sipp_phone, run_agent_sipp
from voice_support import TalkingCaller, mostly

from madoguchi.core.config import CenterConfig, TrunkConfig
from madoguchi.core.events import Event
from madoguchi.core.flows.events import FlowExited
from madoguchi.core.model import EndReason
from madoguchi.core.routing import commands as rc
from madoguchi.core.routing import events as rev
from madoguchi.demo import open_around_the_clock
from madoguchi.runtime.voice_external import InvalidExternalNumber, external_number
from madoguchi.samples import load_sample_center
from madoguchi.server import CenterServer

FLOW = Path(__file__).parent / "flows" / "external_transfer.yaml"
SCENARIOS = Path(__file__).parent / "scenarios"
CALLER_HZ = 1000
"""The caller's tone (the prompts are 440 Hz; the music on hold has no 1000 Hz note)."""


def external_center(port: int) -> CenterConfig:
    """The sample center whose tenants put callers through to a number on a sipp trunk."""
    config = open_around_the_clock(load_sample_center())
    trunk = TrunkConfig(uri=f"sip:{{number}}@127.0.0.1:{port}", caller_id="0120000100")
    tenants = tuple(
        dataclasses.replace(t, trunk=trunk, main_flow="external-transfer") for t in config.tenants
    )
    return dataclasses.replace(config, tenants=tenants, _index={})


async def start_external(tmp_path: Path, port: int, number: str) -> CenterServer:
    center = await start_center(tmp_path, external_center(port))
    text = FLOW.read_text(encoding="utf-8").replace("03-1234-5678", number)
    center.flows.publish(text, FLOW.name)
    center.gateway.prompts = QuickPrompts()  # type: ignore[assignment]
    return center


async def until(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.05)


def test_numbers_are_validated_with_japan_as_default() -> None:
    assert external_number("03-1234-5678") == "+81312345678"
    assert external_number(" +81 90-1111-2222 ") == "+819011112222"
    assert external_number("+1 212 555 0100") == "+12125550100"
    for bad in ("", "12", "not a number", "0" * 41, "+999 1234"):
        with pytest.raises(InvalidExternalNumber):
            external_number(bad)


@pytest.mark.peer
async def test_flow_transfers_caller_to_external_number_and_they_talk(tmp_path: Path) -> None:
    port = free_port()
    partner = asyncio.create_task(
        run_sipp("-sn", "uas", "-rtp_echo", "-p", str(port), "-m", "1", cwd=tmp_path, timeout=60)
    )
    await sipp_listening(port)
    center = await start_external(tmp_path, port, "03-1234-5678")
    events: list[Event] = []
    center.runtime.listen(lambda _i, e: events.append(e))
    caller = TalkingCaller(CALLER_HZ)
    try:
        call = await caller.dial(center.endpoint.port, MAIN_NUMBER)
        (voice,) = center.gateway.calls.values()
        contact_id = voice.contact.id
        await until(lambda: voice.bridge is not None)
        assert voice.agent_call is not None
        assert voice.agent_call.invite.uri == f"sip:81312345678@127.0.0.1:{port}"  # E.164
        caller.ears.fresh()
        caller.talk()
        # the caller's tone went to the external party and came back from its echo
        await until(lambda: mostly(caller.ears.heard, CALLER_HZ, at_least=25))
        assert not partner.done()  # the call stays up while both sides are on it
        await caller.close()  # the caller hangs up: the external party gets BYE
        result = await asyncio.wait_for(partner, 30)
        assert result.returncode == 0, result.output
        await until(lambda: center.gateway.calls == {})
        assert call.ended.done()
    finally:
        await caller.close()
        await center.stop()
        if not partner.done():
            partner.cancel()
    (exited,) = [e for e in events if isinstance(e, FlowExited)]
    assert exited.contact_id == contact_id
    assert exited.outcome == "transferred"
    assert not any(isinstance(e, rev.ContactEnded) for e in events)  # never in a queue
    recording = center.options.data_dir / "recordings" / f"{contact_id}.wav"
    with wave.open(str(recording)) as stored:
        frames = np.frombuffer(stored.readframes(stored.getnframes()), "<i2").reshape(-1, 2)
    assert np.abs(frames[:, 0]).max() > 1000  # the caller (left)
    assert np.abs(frames[:, 1]).max() > 1000  # the external party (right): the echo


@pytest.mark.peer
async def test_busy_external_number_apologizes_and_hangs_up(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    port = free_port()
    partner = asyncio.create_task(
        run_sipp(
            "-sf",
            str(SCENARIOS / "callee_busy.xml"),
            "-p",
            str(port),
            "-m",
            "1",
            cwd=tmp_path,
            timeout=60,
        )
    )
    await sipp_listening(port)
    center = await start_external(tmp_path, port, "0312345678")
    caller = TalkingCaller(CALLER_HZ)
    caplog.set_level(logging.INFO, "madoguchi.voice.external")
    try:
        call = await caller.dial(center.endpoint.port, MAIN_NUMBER)
        result = await asyncio.wait_for(partner, 30)
        assert result.returncode == 0, result.output  # it was dialled and answered 486
        await asyncio.wait_for(asyncio.shield(call.ended), 20)  # then we hung up the caller
        await until(lambda: center.gateway.calls == {})
    finally:
        await caller.close()
        await center.stop()
        if not partner.done():
            partner.cancel()
    # the transfer prompt, then the apology: half a second of 440 Hz each (QuickPrompts)
    assert caller.ears.heard.get(450, 0) >= 40
    assert "failed: busy" in caplog.text


async def test_invalid_external_number_is_never_dialled(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    center = await start_external(tmp_path, free_port(), "12")
    dialled: list[str] = []
    invite = center.endpoint.invite

    async def spy(uri: str, *args: object, **kwargs: object) -> object:
        dialled.append(uri)
        return await invite(uri, *args, **kwargs)  # type: ignore[arg-type]

    center.endpoint.invite = spy  # type: ignore[method-assign,assignment]
    caller = TalkingCaller(CALLER_HZ)
    caplog.set_level(logging.INFO, "madoguchi.voice.external")
    try:
        call = await caller.dial(center.endpoint.port, MAIN_NUMBER)
        await asyncio.wait_for(asyncio.shield(call.ended), 20)
        await until(lambda: center.gateway.calls == {})
    finally:
        await caller.close()
        await center.stop()
    assert dialled == []
    assert "refused, not dialled" in caplog.text
    assert "failed: invalid_number" in caplog.text


@pytest.mark.peer
async def test_agent_phone_refers_caller_to_external_number(tmp_path: Path) -> None:
    """A blind REFER to a number that is no agent or queue: the agent's phone is released (NOTIFY
    200, BYE), the contact ends as transferred_external, the number is dialled and bridged."""
    port = free_port()
    partner = asyncio.create_task(
        run_sipp("-sn", "uas", "-rtp_echo", "-p", str(port), "-m", "1", cwd=tmp_path, timeout=60)
    )
    await sipp_listening(port)
    center = await start_center(
        tmp_path, with_trunk(open_around_the_clock(load_sample_center()), port)
    )
    center.gateway.prompts = QuickPrompts()  # type: ignore[assignment]
    events: list[Event] = []
    center.runtime.listen(lambda _i, e: events.append(e))
    agent_port = free_port()
    bind_sipp_phone(center, "2001", agent_port)
    await center.runtime.submit(rc.AgentLogin("op01", available=True))
    agent = asyncio.create_task(run_agent_sipp(center, agent_port, "03-1234-5678", tmp_path))
    caller = TalkingCaller(CALLER_HZ)
    try:
        await caller.dial(center.endpoint.port, MAIN_NUMBER)
        await until(lambda: any(v.gather is not None for v in center.gateway.calls.values()))
        caller.leg.send_dtmf("3")  # products and services: the general queue, op01
        caller.talk()  # all along (a silent caller's call ends on the media time-out)
        (voice,) = center.gateway.calls.values()
        contact_id = voice.contact.id
        await asyncio.wait_for(agent, 40)  # held, resumed, REFER accepted (NOTIFY 200), BYE
        await until(lambda: voice.bridge is not None and voice.agent_call is not None)
        assert voice.agent_call is not None
        assert voice.agent_call.invite.uri == f"sip:81312345678@127.0.0.1:{port}"
        caller.ears.fresh()  # from here on: the external party's echo
        await until(lambda: mostly(caller.ears.heard, CALLER_HZ, at_least=25))
        await caller.close()
        result = await asyncio.wait_for(partner, 30)
        assert result.returncode == 0, result.output
        await until(lambda: center.gateway.calls == {})
    finally:
        await caller.close()
        await center.stop()
        for task in (partner, agent):
            if not task.done():
                task.cancel()
    (ended,) = [e for e in events if isinstance(e, rev.ContactEnded)]
    assert ended.contact_id == contact_id
    assert ended.reason == EndReason.TRANSFERRED_EXTERNAL
    assert ended.agent_id == "op01"
    assert contact_id in center.runtime.engine.agents["op01"].wrapups  # after-contact work
