"""RTP legs on loopback: pacing, DTMF out and in, latching, time-out, bridge and recording."""

from __future__ import annotations

import asyncio
import wave
from pathlib import Path

import numpy as np

from madoguchi.telephony.rtp.bridge import RtpBridge
from madoguchi.telephony.rtp.endpoint import RtpEndpoint
from madoguchi.telephony.rtp.recorder import AGENT, CALLER, StereoRecorder

HOST = "127.0.0.1"


async def pair(**kwargs: object) -> tuple[RtpEndpoint, RtpEndpoint]:
    a = RtpEndpoint(host=HOST, **kwargs)  # type: ignore[arg-type]
    b = RtpEndpoint(host=HOST, **kwargs)  # type: ignore[arg-type]
    await a.start()
    await b.start()
    a.set_remote((HOST, b.port))
    b.set_remote((HOST, a.port))
    return a, b


def tone(seconds: float, hz: float = 440.0) -> np.ndarray:
    t = np.arange(int(8000 * seconds)) / 8000
    return (6000 * np.sin(2 * np.pi * hz * t)).astype(np.int16)


async def test_given_queued_audio_then_packets_leave_every_20_ms_without_loss() -> None:
    a, b = await pair()
    arrivals: list[float] = []
    loop = asyncio.get_running_loop()
    b.on_audio = lambda pcm, packet: arrivals.append(loop.time())
    a.play(tone(0.5))
    await asyncio.sleep(0.7)
    a.close()
    b.close()
    assert len(arrivals) == 25
    gaps = np.diff(arrivals)
    assert abs(float(np.mean(gaps)) - 0.020) < 0.002
    report = b.report()
    assert report.lost == 0
    assert report.jitter_ms < 5.0


async def test_given_digits_sent_as_rfc4733_then_the_other_leg_decodes_each_once() -> None:
    a, b = await pair()
    digits: list[str] = []
    b.on_dtmf = digits.append
    a.send_dtmf("1#1")
    await asyncio.sleep(0.9)
    a.close()
    b.close()
    assert digits == ["1", "#", "1"]


async def test_given_packets_from_another_address_then_sender_latches_to_it() -> None:
    a, b = await pair()
    a.set_remote((HOST, 9))  # what the SDP said (wrong, as behind NAT)
    b.play(tone(0.1))
    await asyncio.sleep(0.1)
    assert a.remote == (HOST, b.port)
    a.close()
    b.close()


async def test_given_silence_longer_than_timeout_then_timeout_is_reported_once() -> None:
    a, b = await pair(timeout=0.2)
    fired: list[bool] = []
    a.on_timeout = lambda: fired.append(True)
    await asyncio.sleep(0.4)
    a.close()
    b.close()
    assert fired == [True]


async def test_given_bridge_then_audio_crosses_with_transcoding_and_is_recorded(
    tmp_path: Path,
) -> None:
    caller, caller_leg = await pair(payload_type=0)
    agent, agent_leg = await pair(payload_type=8)
    loop = asyncio.get_running_loop()
    recorder = StereoRecorder(tmp_path / "call.wav", loop.time())
    bridge = RtpBridge(caller_leg, agent_leg, recorder, clock=loop.time)
    heard_by_agent: list[np.ndarray] = []
    heard_by_caller: list[np.ndarray] = []
    agent.on_audio = lambda pcm, packet: heard_by_agent.append(pcm)
    caller.on_audio = lambda pcm, packet: heard_by_caller.append(pcm)
    caller.play(tone(0.4, 440))
    agent.play(tone(0.4, 1000))
    await asyncio.sleep(0.6)
    bridge.close()
    for leg in (caller, caller_leg, agent, agent_leg):
        leg.close()
    assert len(heard_by_agent) == 20
    assert len(heard_by_caller) == 20
    assert agent.remote_payload_type == 8  # the agent leg got A-law
    with wave.open(str(tmp_path / "call.wav")) as wav:
        assert (wav.getnchannels(), wav.getframerate(), wav.getsampwidth()) == (2, 8000, 2)
        frames = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").reshape(-1, 2)
    left, right = frames[:, CALLER].astype(float), frames[:, AGENT].astype(float)

    def dominant_hz(x: np.ndarray) -> float:
        spectrum = np.abs(np.fft.rfft(x))
        return float(np.fft.rfftfreq(len(x), 1 / 8000)[int(np.argmax(spectrum))])

    assert abs(dominant_hz(left) - 440) < 25
    assert abs(dominant_hz(right) - 1000) < 25


async def test_given_keypad_barge_in_when_playback_stopped_then_queued_audio_is_dropped() -> None:
    a, b = await pair()
    received: list[int] = []
    b.on_audio = lambda pcm, packet: received.append(packet.sequence)
    a.play(tone(2.0))
    await asyncio.sleep(0.1)
    dropped = a.stop_playback()
    await asyncio.sleep(0.2)
    a.close()
    b.close()
    assert dropped > 80
    assert a.queued_frames == 0
    assert len(received) < 15
