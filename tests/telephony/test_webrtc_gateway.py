"""The browser softphone's media, in-process: an aiortc peer stands in for the page (PCMU first,
a ``keypad`` data channel), a real RTP leg pair stands in for the caller; audio flows both
ways through the gateway, keypad presses reach the caller as RFC 4733, both sides are recorded."""

from __future__ import annotations

import asyncio
import fractions
import json
import wave
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from aiortc import (
    RTCDataChannel,
    RTCPeerConnection,
    RTCRtpSender,
    RTCSessionDescription,
)
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av import AudioFrame
from av.frame import Frame

from madoguchi.telephony.rtp.endpoint import RtpEndpoint
from madoguchi.telephony.rtp.recorder import StereoRecorder
from madoguchi.telephony.webrtc import SoftphoneOfferError, WebRtcSoftphones

AGENT = "op01"


def tone(frequency: float, seconds: float, amplitude: int = 8000) -> npt.NDArray[np.int16]:
    t = np.arange(int(8000 * seconds)) / 8000
    return (amplitude * np.sin(2 * np.pi * frequency * t)).astype(np.int16)


class ToneTrack(MediaStreamTrack):
    """The agent's microphone: a 1 kHz tone, 20 ms frames at 8 kHz."""

    kind = "audio"

    def __init__(self) -> None:
        super().__init__()
        self._timestamp = 0
        self._start: float | None = None
        self._tone = tone(1000, 0.02)

    async def recv(self) -> Frame:
        if self.readyState != "live":
            raise MediaStreamError
        loop = asyncio.get_running_loop()
        if self._start is None:
            self._start = loop.time()
        else:
            self._timestamp += 160
            await asyncio.sleep(max(0.0, self._start + self._timestamp / 8000 - loop.time()))
        frame = AudioFrame.from_ndarray(self._tone.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = 8000
        frame.pts = self._timestamp
        frame.time_base = fractions.Fraction(1, 8000)
        return frame


@dataclass(eq=False)
class FakePage:
    """What the browser page does: PCMU first, a keypad channel, the server's audio counted."""

    pc: RTCPeerConnection = field(default_factory=RTCPeerConnection)
    loud_frames: int = 0
    sample_rates: set[int] = field(default_factory=set)
    keypad: RTCDataChannel | None = None
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    async def offer(self) -> str:
        transceiver = self.pc.addTransceiver(ToneTrack(), direction="sendrecv")
        codecs = RTCRtpSender.getCapabilities("audio").codecs
        transceiver.setCodecPreferences(
            [c for c in codecs if c.mimeType == "audio/PCMU"]
            + [c for c in codecs if c.mimeType != "audio/PCMU"]
        )
        self.keypad = self.pc.createDataChannel("keypad")

        @self.pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            self.tasks.add(asyncio.get_running_loop().create_task(self._listen(track)))

        await self.pc.setLocalDescription(await self.pc.createOffer())
        assert self.pc.localDescription is not None
        return str(self.pc.localDescription.sdp)

    async def _listen(self, track: MediaStreamTrack) -> None:
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            assert isinstance(frame, AudioFrame)
            self.sample_rates.add(frame.sample_rate)
            if np.abs(frame.to_ndarray()).max() > 1000:
                self.loud_frames += 1

    async def accept(self, answer_sdp: str) -> None:
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=answer_sdp, type="answer"))

    async def close(self) -> None:
        await self.pc.close()
        for task in self.tasks:
            task.cancel()


@dataclass(eq=False)
class CallerLegs:
    """The caller's phone and the center's leg towards it (as the voice gateway makes it)."""

    phone: RtpEndpoint
    leg: RtpEndpoint
    loud_frames: int = 0
    digits: list[str] = field(default_factory=list)


async def until(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.05)


@pytest.fixture
async def softphones() -> AsyncIterator[WebRtcSoftphones]:
    gateway = WebRtcSoftphones(loopback_candidates=True)
    yield gateway
    await gateway.close_all()


@pytest.fixture
async def caller() -> AsyncIterator[CallerLegs]:
    phone = RtpEndpoint(host="127.0.0.1", payload_type=8)
    leg = RtpEndpoint(host="127.0.0.1", payload_type=8)
    await phone.start()
    await leg.start()
    phone.set_remote(("127.0.0.1", leg.port))
    leg.set_remote(("127.0.0.1", phone.port))
    legs = CallerLegs(phone, leg)

    def heard(pcm: npt.NDArray[np.int16], _packet: object) -> None:
        if np.abs(pcm).max() > 1000:
            legs.loud_frames += 1

    phone.on_audio = heard
    phone.on_dtmf = legs.digits.append
    yield legs
    phone.close()
    leg.close()


async def connect_page(softphones: WebRtcSoftphones) -> FakePage:
    page = FakePage()
    answer = await softphones.answer(AGENT, await page.offer())
    audio_line = next(line for line in answer.splitlines() if line.startswith("m=audio"))
    assert audio_line.split()[3] == "0"  # PCMU first: 8 kHz frames, no resampling
    await page.accept(answer)
    await until(lambda: page.keypad is not None and page.keypad.readyState == "open")
    assert softphones.has_session(AGENT)
    return page


async def test_audio_flows_both_ways_and_keypad_reaches_the_caller_as_rfc4733(
    softphones: WebRtcSoftphones, caller: CallerLegs, tmp_path: Path
) -> None:
    page = await connect_page(softphones)
    loop = asyncio.get_running_loop()
    recorder = StereoRecorder(tmp_path / "call.wav", loop.time())
    detach = softphones.attach(AGENT, caller.leg, recorder)

    caller.phone.play(tone(440, 3.0))
    await until(lambda: page.loud_frames > 50 and caller.loud_frames > 50)
    assert page.sample_rates == {8000}

    assert page.keypad is not None
    page.keypad.send(json.dumps({"digit": "5"}))
    page.keypad.send("not json")
    page.keypad.send(json.dumps({"digit": "55"}))
    await until(lambda: caller.digits == ["5"])
    assert softphones.sessions[AGENT].digits == ["5"]

    detach()
    detach()  # idempotent
    assert caller.leg.on_audio is None
    with wave.open(str(tmp_path / "call.wav")) as stored:
        assert stored.getnchannels() == 2
        assert stored.getframerate() == 8000
        frames = np.frombuffer(stored.readframes(stored.getnframes()), "<i2").reshape(-1, 2)
    assert np.abs(frames[:, 0]).max() > 1000  # caller (left): the 440 Hz tone
    assert np.abs(frames[:, 1]).max() > 1000  # agent (right): the page's 1 kHz tone
    assert softphones.stats["frames_to_agent"] > 50
    assert softphones.stats["frames_from_agent"] > 50

    await softphones.close(AGENT)
    assert not softphones.has_session(AGENT)
    await page.close()


async def test_a_new_offer_from_a_reloaded_page_carries_the_call_on(
    softphones: WebRtcSoftphones, caller: CallerLegs
) -> None:
    first = await connect_page(softphones)
    softphones.attach(AGENT, caller.leg, None)
    await first.close()

    second = await connect_page(softphones)
    caller.phone.play(tone(440, 3.0))
    await until(lambda: second.loud_frames > 25 and caller.loud_frames > 25)
    await second.close()


async def test_an_offer_that_is_not_sdp_is_refused_and_leaves_no_session(
    softphones: WebRtcSoftphones,
) -> None:
    with pytest.raises(SoftphoneOfferError):
        await softphones.answer(AGENT, "hello")
    assert not softphones.has_session(AGENT)
    await softphones.close(AGENT)  # no session: no error


async def test_two_offers_at_once_from_one_agent_leave_one_session(
    softphones: WebRtcSoftphones,
) -> None:
    pages = [FakePage(), FakePage()]
    offers = [await page.offer() for page in pages]
    await asyncio.gather(*(softphones.answer(AGENT, offer) for offer in offers))
    assert list(softphones.sessions) == [AGENT]
    assert softphones.stats["sessions"] == 2
    for page in pages:
        await page.close()
