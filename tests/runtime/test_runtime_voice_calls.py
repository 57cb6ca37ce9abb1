"""Real calls through the center: sipp callers walk the IVR into a queue; an agent's SIP phone
(our own user agent, registered with digest authentication) answers; audio is bridged and
recorded; hang-ups end the contact; abandonment shows in the metrics."""

from __future__ import annotations

import asyncio
import dataclasses
import wave
from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np
import pytest
from telephony_support import free_port, run_sipp
from voice_support import AgentPhone

from madoguchi.core.config import CenterConfig
from madoguchi.core.events import Event
from madoguchi.core.routing import commands as rc
from madoguchi.demo import open_around_the_clock
from madoguchi.samples import load_sample_center
from madoguchi.server import CenterServer, ServerOptions
from madoguchi.telephony.sip.call import CallState

SCENARIOS = Path(__file__).parent / "scenarios"
MAIN_NUMBER = "+81120000100"
PASSWORD = "phone-secret-1"


async def start_center(tmp_path: Path, config: CenterConfig) -> CenterServer:
    server = CenterServer(
        ServerOptions(
            config=config,
            data_dir=tmp_path / "data",
            sip_port=free_port(),
            web=False,
            phone_password_default=PASSWORD,
            drain_timeout_s=1.0,
        )
    )
    await server.start()
    return server


@pytest.fixture
async def center(tmp_path: Path) -> AsyncIterator[CenterServer]:
    server = await start_center(tmp_path, open_around_the_clock(load_sample_center()))
    try:
        yield server
    finally:
        await server.stop()


async def sign_in_agent(center: CenterServer, phone: AgentPhone, agent_id: str) -> None:
    extension = center.config.agent(agent_id).extension
    assert extension is not None
    await phone.endpoint.start()
    status = await phone.endpoint.register(
        f"sip:{extension}@127.0.0.1",
        ("127.0.0.1", center.endpoint.port),
        (extension, PASSWORD),
        expires=600,
    )
    assert status == 200
    await center.runtime.submit(rc.AgentLogin(agent_id, available=True))


@pytest.mark.peer
async def test_caller_walks_ivr_into_queue_is_bridged_to_agent_phone_and_recorded(
    center: CenterServer, tmp_path: Path
) -> None:
    phone = AgentPhone(talk_s=4.0)
    # op01 has the `general` skill that the お問い合わせ queue needs
    await sign_in_agent(center, phone, "op01")
    try:
        await _call_and_check_bridge(center, phone, tmp_path)
    finally:
        await phone.close()


async def _call_and_check_bridge(center: CenterServer, phone: AgentPhone, tmp_path: Path) -> None:
    result = await run_sipp(
        f"127.0.0.1:{center.endpoint.port}",
        "-sf",
        str(SCENARIOS / "caller_ivr_to_agent.xml"),
        "-s",
        MAIN_NUMBER,
        "-m",
        "1",
        "-mp",
        str(free_port()),
        cwd=tmp_path,
        timeout=60,
    )
    assert result.returncode == 0, result.output
    await asyncio.sleep(0.5)
    assert len(phone.answered) == 1
    assert phone.heard_frames > 50  # the caller's pcap audio reached the agent
    # the agent wraps up (after-call work) with a disposition, as in the desktop
    (handled,) = center.runtime.engine.agents["op01"].wrapups
    await center.runtime.submit(rc.CompleteWrapUp("op01", handled, disposition="resolved"))
    (record,) = center.store.find_contact_records(agent="op01")
    assert record.document["answered"] is True
    contact_id = record.contact_id
    recording = center.options.data_dir / "recordings" / f"{contact_id}.wav"
    with wave.open(str(recording)) as stored:
        assert stored.getnchannels() == 2
        frames = np.frombuffer(stored.readframes(stored.getnframes()), "<i2").reshape(-1, 2)
    assert np.abs(frames[:, 0]).max() > 1000  # caller (left)
    assert np.abs(frames[:, 1]).max() > 1000  # agent (right): the echo
    totals = center.runtime.metrics.totals("general")
    assert totals.answered == 1
    assert center.gateway.calls == {}
    for call in phone.answered:
        assert call.state is CallState.ENDED


@pytest.mark.peer
async def test_caller_hanging_up_in_queue_is_an_abandoned_call(
    center: CenterServer, tmp_path: Path
) -> None:
    result = await run_sipp(
        f"127.0.0.1:{center.endpoint.port}",
        "-sf",
        str(SCENARIOS / "caller_abandons_in_queue.xml"),
        "-s",
        MAIN_NUMBER,
        "-m",
        "1",
        "-mp",
        str(free_port()),
        cwd=tmp_path,
        timeout=60,
    )
    assert result.returncode == 0, result.output
    await asyncio.sleep(0.5)
    totals = center.runtime.metrics.totals("general")
    assert totals.offered == 1
    # the flow offered a callback (no agent: long estimated wait), the caller said nothing,
    # waited in the queue and hung up: an abandoned call (a short one if the machine was slow
    # enough to leave less than the 5-second threshold in the queue)
    assert totals.abandoned + totals.short_abandoned == 1
    assert totals.answered == 0
    assert center.gateway.calls == {}


@pytest.mark.peer
async def test_unknown_number_gets_404_when_unmapped_numbers_are_not_sent_to_main_flow(
    tmp_path: Path,
) -> None:
    config = dataclasses.replace(
        open_around_the_clock(load_sample_center()), unmapped_numbers_to_main_flow=False, _index={}
    )
    center = await start_center(tmp_path, config)
    try:
        result = await run_sipp(
            f"127.0.0.1:{center.endpoint.port}",
            "-sn",
            "uac",
            "-s",
            "0399999999",
            "-m",
            "1",
            cwd=tmp_path,
            timeout=15,
        )
    finally:
        await center.stop()
    assert result.returncode != 0
    assert center.gateway.stats["rejected"] == 1


@pytest.mark.peer
async def test_closure_message_is_played_as_early_media_and_the_call_is_never_answered(
    tmp_path: Path,
) -> None:
    from datetime import date, timedelta

    from madoguchi.core.config import Closure
    from madoguchi.core.flows import events as fev

    config = open_around_the_clock(load_sample_center())
    today = date.today()
    closure = Closure(today - timedelta(days=2), today + timedelta(days=2), "臨時休業")
    calendars = tuple(dataclasses.replace(c, closures=(closure,)) for c in config.calendars)
    center = await start_center(
        tmp_path, dataclasses.replace(config, calendars=calendars, _index={})
    )

    class QuickPrompts:
        """Text to speech is not what this test is about: each prompt is 4 s of a tone."""

        async def get_async(self, text: str, language: str) -> np.ndarray:
            del text, language
            t = np.arange(4 * 8000) / 8000
            return (np.sin(2 * np.pi * 440 * t) * 8000).astype(np.int16)

    center.gateway.prompts = QuickPrompts()  # type: ignore[assignment]
    sent_before_end: list[int] = []
    exits: list[fev.FlowExited] = []

    def on_event(_id: int, event: Event) -> None:
        if isinstance(event, fev.FlowExited):
            exits.append(event)

    center.runtime.listen(on_event)

    async def watch_media() -> None:
        while not center.gateway.calls:
            await asyncio.sleep(0.02)
        voice = next(iter(center.gateway.calls.values()))
        while voice.call.state is CallState.RINGING:  # never answered: early media only
            sent_before_end.append(voice.leg.packets_sent)
            await asyncio.sleep(0.05)

    try:
        watcher = asyncio.create_task(watch_media())
        result = await run_sipp(
            f"127.0.0.1:{center.endpoint.port}",
            "-sf",
            str(SCENARIOS / "caller_hears_closure_message.xml"),
            "-s",
            MAIN_NUMBER,
            "-m",
            "1",
            "-mp",
            str(free_port()),
            cwd=tmp_path,
            timeout=30,
        )
        await asyncio.wait_for(watcher, 5)
    finally:
        await center.stop()
    assert result.returncode == 0, result.output
    assert center.gateway.stats["early_media"] == 1
    # the message went out as RTP while the call was unanswered (50 packets a second)
    assert max(sent_before_end) >= 50
    assert len(exits) == 1
    assert center.gateway.calls == {}
