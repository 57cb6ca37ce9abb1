"""``madoguchi bench softphone``: the WebRTC softphone gateway with N agents in calls.

Each agent's page is stood in for by an aiortc peer in this process (PCMU first, a ``keypad``
data channel, as the page's softphone does), connected to :class:`WebRtcSoftphones` over
loopback; each is bridged to a caller's RTP leg pair (G.711 A-law, as from a SIP phone).
Measured: connection set-up (offer → both ends ``connected``); CPU per agent idle (connected,
no call: silence flows) and in a call (audio both ways) — both ends run in this process, so
these are upper bounds for the server; one-way latency of a tone burst caller → page and
page → caller (includes the gateway's 20 ms re-pacing and aiortc's receive jitter buffer at
the stand-in page; Chromium's own playout buffer is not in it).
"""

from __future__ import annotations

import asyncio
import fractions
import statistics
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from aiortc import RTCPeerConnection, RTCRtpSender, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av import AudioFrame
from av.frame import Frame
from rich.console import Console
from rich.table import Table

from madoguchi.telephony.rtp.endpoint import RtpEndpoint
from madoguchi.telephony.webrtc import WebRtcSoftphones

LOUD = 1000
BURST = (6000 * np.sin(2 * np.pi * 1000 * np.arange(800) / 8000)).astype(np.int16)
"""100 ms of 1 kHz: the marker whose arrival is timed."""


class _Microphone(MediaStreamTrack):
    """The page's microphone: quiet noise, a burst on request (its send time noted)."""

    kind = "audio"

    def __init__(self, rng: np.random.Generator) -> None:
        super().__init__()
        self._rng = rng
        self._start: float | None = None
        self._timestamp = 0
        self._burst: list[npt.NDArray[np.int16]] = []
        self.burst_sent_at: float | None = None

    def trigger(self) -> None:
        self._burst = [BURST[i : i + 160] for i in range(0, len(BURST), 160)]
        self.burst_sent_at = None

    async def recv(self) -> Frame:
        if self.readyState != "live":
            raise MediaStreamError
        loop = asyncio.get_running_loop()
        if self._start is None:
            self._start = loop.time()
        else:
            self._timestamp += 160
            await asyncio.sleep(max(0.0, self._start + self._timestamp / 8000 - loop.time()))
        if self._burst:
            pcm = self._burst.pop(0)
            if self.burst_sent_at is None:
                self.burst_sent_at = loop.time()
        else:
            pcm = self._rng.normal(0, 60, 160).astype(np.int16)
        frame = AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = 8000
        frame.pts = self._timestamp
        frame.time_base = fractions.Fraction(1, 8000)
        return frame


@dataclass(eq=False)
class _Agent:
    """A stand-in page and the caller's legs bridged to it."""

    agent_id: str
    microphone: _Microphone
    pc: RTCPeerConnection = field(default_factory=RTCPeerConnection)
    heard_loud_at: float | None = None
    phone: RtpEndpoint | None = None
    phone_heard_loud_at: float | None = None
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    async def connect(self, gateway: WebRtcSoftphones) -> float:
        loop = asyncio.get_running_loop()
        started = loop.time()
        transceiver = self.pc.addTransceiver(self.microphone, direction="sendrecv")
        codecs = RTCRtpSender.getCapabilities("audio").codecs
        transceiver.setCodecPreferences(sorted(codecs, key=lambda c: c.mimeType != "audio/PCMU"))
        self.pc.createDataChannel("keypad")

        @self.pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            self.tasks.add(loop.create_task(self._listen(track)))

        await self.pc.setLocalDescription(await self.pc.createOffer())
        assert self.pc.localDescription is not None
        answer = await gateway.answer(self.agent_id, self.pc.localDescription.sdp)
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
        session = gateway.sessions[self.agent_id]
        while not (
            self.pc.connectionState == "connected" and session.pc.connectionState == "connected"
        ):
            await asyncio.sleep(0.005)
        return loop.time() - started

    async def _listen(self, track: MediaStreamTrack) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            assert isinstance(frame, AudioFrame)
            if self.heard_loud_at is None and np.abs(frame.to_ndarray()).max() > LOUD:
                self.heard_loud_at = loop.time()

    def phone_heard(self, pcm: npt.NDArray[np.int16], _packet: object) -> None:
        if self.phone_heard_loud_at is None and np.abs(pcm).max() > LOUD:
            self.phone_heard_loud_at = asyncio.get_running_loop().time()


def _ms(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    return {"p50": round(statistics.median(ordered) * 1000, 1), "p99": round(p99 * 1000, 1)}


async def _cpu_per_agent(agents: int, seconds: float) -> float:
    """CPU seconds per wall second per agent (in %) over ``seconds``."""
    wall, cpu = time.perf_counter(), time.process_time()
    await asyncio.sleep(seconds)
    return 100 * (time.process_time() - cpu) / (time.perf_counter() - wall) / agents


async def _measure(count: int, rounds: int, window: float) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    gateway = WebRtcSoftphones(loopback_candidates=True)
    rng = np.random.default_rng(1)
    agents = [_Agent(f"agent{i}", _Microphone(rng)) for i in range(count)]
    legs: list[RtpEndpoint] = []
    try:
        connect = [await agent.connect(gateway) for agent in agents]
        await asyncio.sleep(0.5)
        idle = await _cpu_per_agent(count, window)
        for agent in agents:
            phone, leg = RtpEndpoint(payload_type=8), RtpEndpoint(payload_type=8, timeout=0)
            await phone.start()
            await leg.start()
            phone.set_remote(("127.0.0.1", leg.port))
            leg.set_remote(("127.0.0.1", phone.port))
            phone.on_audio = agent.phone_heard
            agent.phone = phone
            legs += [phone, leg]
            gateway.attach(agent.agent_id, leg, None)
        noise = rng.normal(0, 60, 8000).astype(np.int16)
        for phone in legs[::2]:
            phone.play(np.tile(noise, int(window) + 2))
        in_call = await _cpu_per_agent(count, window)
        for phone in legs[::2]:
            phone.stop_playback()
        await asyncio.sleep(0.3)
        to_page: list[float] = []
        to_caller: list[float] = []
        for _ in range(rounds):
            for agent in agents:
                agent.heard_loud_at = agent.phone_heard_loud_at = None
                agent.microphone.trigger()
                assert agent.phone is not None
                agent.phone.play(BURST)  # idle leg: the first frame leaves now
            sent = loop.time()
            deadline = sent + 2.0
            while loop.time() < deadline and not all(
                a.heard_loud_at and a.phone_heard_loud_at for a in agents
            ):
                await asyncio.sleep(0.002)
            for agent in agents:
                if agent.heard_loud_at is not None:
                    to_page.append(agent.heard_loud_at - sent)
                burst_at = agent.microphone.burst_sent_at
                if agent.phone_heard_loud_at is not None and burst_at is not None:
                    to_caller.append(agent.phone_heard_loud_at - burst_at)
            await asyncio.sleep(0.3)
    finally:
        for endpoint in legs:
            endpoint.close()
        for agent in agents:
            await agent.pc.close()
            for task in agent.tasks:
                task.cancel()
        await gateway.close_all()
    return {
        "agents": count,
        "connect_ms": _ms(connect),
        "cpu_percent_per_agent_idle": round(idle, 2),
        "cpu_percent_per_agent_in_call": round(in_call, 2),
        "caller_to_page_ms": _ms(to_page) if to_page else None,
        "page_to_caller_ms": _ms(to_caller) if to_caller else None,
        "bursts_lost": 2 * rounds * count - len(to_page) - len(to_caller),
    }


def run(quick: bool, console: Console) -> dict[str, Any]:
    """Measure with 1 and N agents; print the table; return the JSON document."""
    sizes = (1, 4) if quick else (1, 5, 10)
    results = [asyncio.run(_measure(n, 5 if quick else 20, 2.0 if quick else 5.0)) for n in sizes]
    table = Table(title="WebRTC softphone gateway (both ends in one process)")
    for column in (
        "agents",
        "connect p50/p99 ms",
        "CPU %/agent idle",
        "CPU %/agent in call",
        "caller→page p50/p99 ms",
        "page→caller p50/p99 ms",
        "bursts lost",
    ):
        table.add_column(column, justify="right")

    def pair(value: dict[str, float] | None) -> str:
        return "—" if value is None else f"{value['p50']:.1f} / {value['p99']:.1f}"

    for r in results:
        table.add_row(
            str(r["agents"]),
            pair(r["connect_ms"]),
            f"{r['cpu_percent_per_agent_idle']:.2f}",
            f"{r['cpu_percent_per_agent_in_call']:.2f}",
            pair(r["caller_to_page_ms"]),
            pair(r["page_to_caller_ms"]),
            str(r["bursts_lost"]),
        )
    console.print(table)
    return {"benchmark": "softphone", "quick": quick, "results": results}
