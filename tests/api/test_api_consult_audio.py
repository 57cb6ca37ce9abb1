"""Consult between two browser agents, at the server: the real softphone gateway, two aiortc
peers standing in for the pages (each sending its own tone), a real RTP leg pair for the caller.
During the consult the agents hear each other and the caller hears music; back to the caller,
or the transfer completed, the caller talks to the right agent again."""

from __future__ import annotations

import asyncio
import fractions
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pytest
from aiortc import RTCPeerConnection, RTCRtpSender, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from api_support import START, SignIn
from av import AudioFrame
from av.frame import Frame
from fastapi import FastAPI

from madoguchi.core.model import AgentState, Channel, Contact, Direction
from madoguchi.core.routing import commands as rc
from madoguchi.runtime import CenterRuntime
from madoguchi.telephony.rtp.endpoint import RtpEndpoint
from madoguchi.telephony.webrtc import WebRtcSoftphones

RATE = 8000


def tone(frequency: float, samples: int, offset: int = 0) -> npt.NDArray[np.int16]:
    t = (np.arange(samples) + offset) / RATE
    return (8000 * np.sin(2 * np.pi * frequency * t)).astype(np.int16)


def pitch(pcm: npt.NDArray[np.int16]) -> int | None:
    """The strongest frequency of a loud frame, to the nearest 50 Hz (None: quiet)."""
    if np.abs(pcm).max() < 1000:
        return None
    spectrum = np.abs(np.fft.rfft(pcm.astype(np.float64) * np.hanning(len(pcm)), n=4096))
    peak = float(np.fft.rfftfreq(4096, 1 / RATE)[int(np.argmax(spectrum))])
    return int(round(peak / 50) * 50)


class ToneTrack(MediaStreamTrack):
    """An agent's microphone: a steady tone, 20 ms frames at 8 kHz."""

    kind = "audio"

    def __init__(self, frequency: float) -> None:
        super().__init__()
        self.frequency = frequency
        self._timestamp = 0
        self._start: float | None = None

    async def recv(self) -> Frame:
        if self.readyState != "live":
            raise MediaStreamError
        loop = asyncio.get_running_loop()
        if self._start is None:
            self._start = loop.time()
        else:
            self._timestamp += 160
            await asyncio.sleep(max(0.0, self._start + self._timestamp / RATE - loop.time()))
        pcm = tone(self.frequency, 160, self._timestamp)
        frame = AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = RATE
        frame.pts = self._timestamp
        frame.time_base = fractions.Fraction(1, RATE)
        return frame


@dataclass(eq=False)
class Page:
    """A browser page's softphone: sends its tone, counts what it hears by pitch."""

    frequency: float
    pc: RTCPeerConnection = field(default_factory=RTCPeerConnection)
    heard: dict[int, int] = field(default_factory=dict)
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    async def connect(self, softphones: WebRtcSoftphones, agent_id: str) -> None:
        transceiver = self.pc.addTransceiver(ToneTrack(self.frequency), direction="sendrecv")
        codecs = RTCRtpSender.getCapabilities("audio").codecs
        transceiver.setCodecPreferences([c for c in codecs if c.mimeType == "audio/PCMU"])

        @self.pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            self.tasks.add(asyncio.get_running_loop().create_task(self._listen(track)))

        await self.pc.setLocalDescription(await self.pc.createOffer())
        assert self.pc.localDescription is not None
        answer = await softphones.answer(agent_id, self.pc.localDescription.sdp)
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
        await until(lambda: self.pc.connectionState == "connected")

    async def _listen(self, track: MediaStreamTrack) -> None:
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            assert isinstance(frame, AudioFrame)
            found = pitch(frame.to_ndarray().reshape(-1).astype(np.int16))
            if found is not None:
                self.heard[found] = self.heard.get(found, 0) + 1

    async def close(self) -> None:
        await self.pc.close()
        for task in self.tasks:
            task.cancel()


@dataclass(eq=False)
class CallerPhone:
    """The caller's phone (sends 440 Hz) and the center's leg towards it."""

    phone: RtpEndpoint
    leg: RtpEndpoint
    heard: dict[int, int] = field(default_factory=dict)


async def until(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.05)


def fresh(counts: dict[int, int]) -> dict[int, int]:
    """Forget what was heard so far (the next check counts only what comes after)."""
    counts.clear()
    return counts


@pytest.fixture
async def softphones(app: FastAPI) -> AsyncIterator[WebRtcSoftphones]:
    gateway = WebRtcSoftphones(loopback_candidates=True)
    app.state.ctx.extras["softphone"] = gateway
    yield gateway
    await gateway.close_all()


@pytest.fixture
async def caller_phone() -> AsyncIterator[CallerPhone]:
    phone = RtpEndpoint(host="127.0.0.1", payload_type=0)
    leg = RtpEndpoint(host="127.0.0.1", payload_type=0)
    await phone.start()
    await leg.start()
    phone.set_remote(("127.0.0.1", leg.port))
    leg.set_remote(("127.0.0.1", phone.port))
    found = CallerPhone(phone, leg)

    def heard(pcm: npt.NDArray[np.int16], _packet: object) -> None:
        key = pitch(pcm)
        if key is not None:
            found.heard[key] = found.heard.get(key, 0) + 1

    phone.on_audio = heard
    yield found
    phone.close()
    leg.close()


async def talking(phone: CallerPhone, stop: asyncio.Event) -> None:
    """The caller speaks (440 Hz) the whole time."""
    while not stop.is_set():
        if phone.phone.queued_frames < 10:
            phone.phone.play(tone(440, 1600))
        await asyncio.sleep(0.1)


def mostly(counts: dict[int, int], frequency: int, at_least: int = 15) -> bool:
    """Enough frames at ``frequency``, and it is what was heard most."""
    return counts.get(frequency, 0) >= at_least and max(counts, key=counts.__getitem__) == frequency


async def test_two_browser_agents_talk_while_the_caller_hears_music_then_transfer(
    sign_in: SignIn,
    runtime: CenterRuntime,
    softphones: WebRtcSoftphones,
    caller_phone: CallerPhone,
) -> None:
    first, second = Page(1000.0), Page(600.0)
    await first.connect(softphones, "op01")
    await second.connect(softphones, "op02")
    for agent_id in ("op01", "op02"):
        await runtime.submit(rc.AgentLogin(agent_id))
    await runtime.submit(rc.SetAgentState("op01", AgentState.AVAILABLE))
    contact = Contact(
        id="c-consult",
        channel=Channel.VOICE,
        direction=Direction.INBOUND,
        tenant="midori",
        created_at=START,
        from_address="+819012345678",
    )
    await runtime.submit(rc.EnqueueContact(contact, "general"))
    op01, op02 = await sign_in("op01"), await sign_in("op02")
    assert (await op01.post("/api/v1/contacts/c-consult/accept")).status_code == 200
    # what the voice gateway does on ContactConnected for a browser agent
    detach = softphones.attach("op01", caller_phone.leg, None)
    stop = asyncio.Event()
    speaking = asyncio.create_task(talking(caller_phone, stop))
    try:
        await until(lambda: mostly(first.heard, 450) and mostly(caller_phone.heard, 1000))

        started = await op01.post("/api/v1/contacts/c-consult/consult", json={"agent_id": "op02"})
        assert started.status_code == 200, started.text
        assert runtime.engine.contacts["c-consult"].held_since is not None
        await asyncio.sleep(0.5)  # what was in flight when the hold began has arrived
        fresh(first.heard), fresh(second.heard), fresh(caller_phone.heard)
        await until(lambda: mostly(first.heard, 600) and mostly(second.heard, 1000))
        await asyncio.sleep(0.5)
        assert caller_phone.heard.get(1000, 0) == 0  # the agents' talk never reaches the caller
        assert caller_phone.heard.get(600, 0) == 0
        assert sum(caller_phone.heard.values()) > 10  # music on hold instead
        assert first.heard.get(450, 0) == 0  # nor do the agents hear the caller

        refused = await op02.post("/api/v1/contacts/c-consult/consult", json={"agent_id": "op01"})
        assert refused.status_code == 409  # not op02's call

        await runtime.submit(rc.SetAgentState("op02", AgentState.AVAILABLE))
        moved = await op01.post("/api/v1/contacts/c-consult/transfer", json={"to_agent": "op02"})
        assert moved.status_code == 200, moved.text
        assert softphones.consulting("op01") is None
        assert (await op02.post("/api/v1/contacts/c-consult/accept")).status_code == 200
        fresh(second.heard), fresh(caller_phone.heard)
        await until(lambda: mostly(second.heard, 450) and mostly(caller_phone.heard, 600))
    finally:
        stop.set()
        await speaking
        detach()
        await first.close()
        await second.close()


async def test_back_to_the_caller_ends_the_consult_and_reconnects_them(
    sign_in: SignIn,
    runtime: CenterRuntime,
    softphones: WebRtcSoftphones,
    caller_phone: CallerPhone,
) -> None:
    first, second = Page(1000.0), Page(600.0)
    await first.connect(softphones, "op01")
    await runtime.submit(rc.AgentLogin("op01"))
    await runtime.submit(rc.SetAgentState("op01", AgentState.AVAILABLE))
    contact = Contact(
        id="c-back",
        channel=Channel.VOICE,
        direction=Direction.INBOUND,
        tenant="midori",
        created_at=START,
        from_address="+819012345678",
    )
    await runtime.submit(rc.EnqueueContact(contact, "general"))
    op01 = await sign_in("op01")
    assert (await op01.post("/api/v1/contacts/c-back/accept")).status_code == 200
    detach = softphones.attach("op01", caller_phone.leg, None)
    stop = asyncio.Event()
    speaking = asyncio.create_task(talking(caller_phone, stop))
    try:
        no_phone = await op01.post("/api/v1/contacts/c-back/consult", json={"agent_id": "op02"})
        assert no_phone.status_code == 409
        assert no_phone.json()["error_id"] == "consult-no-session"
        foreign = await op01.post("/api/v1/contacts/c-back/consult", json={"agent_id": "op25"})
        assert foreign.status_code == 422

        await second.connect(softphones, "op02")
        started = await op01.post("/api/v1/contacts/c-back/consult", json={"agent_id": "op02"})
        assert started.status_code == 200, started.text
        await until(lambda: mostly(second.heard, 1000))

        back = await op01.post("/api/v1/contacts/c-back/resume")
        assert back.status_code == 200, back.text
        assert softphones.consulting("op01") is None
        await asyncio.sleep(0.5)
        fresh(first.heard), fresh(caller_phone.heard), fresh(second.heard)
        await until(lambda: mostly(first.heard, 450) and mostly(caller_phone.heard, 1000))
        assert second.heard.get(1000, 0) == 0  # op02 no longer hears op01
    finally:
        stop.set()
        await speaking
        detach()
        await first.close()
        await second.close()
