"""The SIP endpoint and RTP legs against real peers: sipp (callers, an echoing callee) and
baresip (a registering phone)."""

from __future__ import annotations

import asyncio
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from telephony_support import SCENARIOS, free_port, run_sipp

from madoguchi.telephony.rtp.endpoint import RtpEndpoint
from madoguchi.telephony.sip.call import Call
from madoguchi.telephony.sip.digest import DigestAuthenticator
from madoguchi.telephony.sip.endpoint import SipEndpoint
from madoguchi.telephony.sip.registrar import Registrar
from madoguchi.telephony.sip.sdp import PCMU, answer_offer, build_sdp

pytestmark = [pytest.mark.peer, pytest.mark.timeout(60)]
HOST = "127.0.0.1"


@dataclass
class Answerer:
    """A test application behind the endpoint: rings, answers with an RTP leg, records events."""

    mode: str = "answer"  # answer | ring | answer_then_bye
    calls: list[Call] = field(default_factory=list)
    legs: list[RtpEndpoint] = field(default_factory=list)
    rtp_digits: list[str] = field(default_factory=list)
    info_digits: list[str] = field(default_factory=list)
    holds: list[bool] = field(default_factory=list)
    ended: list[str] = field(default_factory=list)
    audio_frames: int = 0
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def on_incoming_call(self, call: Call) -> None:
        self.calls.append(call)
        call.on_dtmf = self.info_digits.append
        call.on_hold = self.holds.append
        call.on_ended = self.ended.append
        call.ring()
        if self.mode != "ring":
            self.tasks.append(asyncio.create_task(self._answer(call)))

    async def _answer(self, call: Call) -> None:
        assert call.remote_sdp is not None
        leg = RtpEndpoint(host=HOST)
        await leg.start()
        self.legs.append(leg)
        chosen, body = answer_offer(call.remote_sdp, HOST, leg.port)
        leg.payload_type = chosen.codec
        leg.telephone_event_pt = chosen.telephone_event_pt
        leg.set_remote((call.remote_sdp.address, call.remote_sdp.port))
        leg.on_dtmf = self.rtp_digits.append
        leg.on_audio = self._count_audio
        call.answer(body)
        if self.mode == "answer_then_bye":
            await asyncio.sleep(0.3)
            call.hangup()

    def _count_audio(self, pcm: object, packet: object) -> None:
        self.audio_frames += 1

    def close(self) -> None:
        for leg in self.legs:
            leg.close()


async def start_uas(answerer: Answerer, **kwargs: object) -> SipEndpoint:
    endpoint = SipEndpoint(
        host=HOST,
        port=free_port(),
        on_incoming_call=answerer.on_incoming_call,
        **kwargs,  # type: ignore[arg-type]
    )
    await endpoint.start()
    return endpoint


async def sipp_call(
    endpoint: SipEndpoint, tmp_path: Path, *args: str, timeout: float = 20.0
) -> None:
    result = await run_sipp(
        *args,
        "-p",
        str(free_port()),
        "-m",
        "1",
        f"{HOST}:{endpoint.port}",
        cwd=tmp_path,
        timeout=timeout,
    )
    assert result.returncode == 0, result.output[-3000:]


async def test_given_sipp_caller_over_udp_when_it_hangs_up_then_call_ends_by_remote_bye(
    tmp_path: Path,
) -> None:
    answerer = Answerer()
    endpoint = await start_uas(answerer)
    try:
        await sipp_call(endpoint, tmp_path, "-sn", "uac")
    finally:
        await endpoint.close()
        answerer.close()
    assert answerer.ended == ["remote_bye"]
    assert endpoint.stats["bad_requests"] == 0


async def test_given_sipp_caller_over_tcp_then_the_call_completes(tmp_path: Path) -> None:
    answerer = Answerer()
    endpoint = await start_uas(answerer)
    try:
        await sipp_call(endpoint, tmp_path, "-sn", "uac", "-t", "t1")
    finally:
        await endpoint.close()
        answerer.close()
    assert answerer.ended == ["remote_bye"]


async def test_given_sipp_playing_g711a_and_rfc4733_pcaps_then_audio_and_digits_arrive(
    tmp_path: Path,
) -> None:
    answerer = Answerer()
    endpoint = await start_uas(answerer)
    try:
        await sipp_call(
            endpoint,
            tmp_path,
            "-sf",
            str(SCENARIOS / "uac_rtp_dtmf.xml"),
            "-mp",
            str(free_port()),
        )
    finally:
        await endpoint.close()
        answerer.close()
    assert answerer.rtp_digits == ["1", "2", "#", "#"]
    assert answerer.audio_frames >= 30  # 1.2 s of 30 ms packets, at least
    report = answerer.legs[0].report()
    assert report.lost == 0
    assert report.jitter_ms < 5.0


async def test_given_sip_info_dtmf_then_digits_reach_the_call(tmp_path: Path) -> None:
    answerer = Answerer()
    endpoint = await start_uas(answerer)
    try:
        await sipp_call(endpoint, tmp_path, "-sf", str(SCENARIOS / "uac_info_dtmf.xml"))
    finally:
        await endpoint.close()
        answerer.close()
    assert answerer.info_digits == ["4", "7", "*"]
    assert answerer.ended == ["remote_bye"]


async def test_given_caller_cancels_while_ringing_then_487_and_call_ends_cancelled(
    tmp_path: Path,
) -> None:
    answerer = Answerer(mode="ring")
    endpoint = await start_uas(answerer)
    try:
        await sipp_call(endpoint, tmp_path, "-sf", str(SCENARIOS / "uac_cancel_while_ringing.xml"))
    finally:
        await endpoint.close()
    assert answerer.ended == ["cancelled"]
    assert answerer.calls[0].final_status == 487


async def test_given_answered_call_when_we_hang_up_then_sipp_gets_our_bye(
    tmp_path: Path,
) -> None:
    answerer = Answerer(mode="answer_then_bye")
    endpoint = await start_uas(answerer)
    try:
        await sipp_call(endpoint, tmp_path, "-sf", str(SCENARIOS / "uac_server_hangs_up.xml"))
    finally:
        await endpoint.close()
        answerer.close()
    assert answerer.ended == ["local_bye"]


async def test_given_reinvite_sendonly_then_hold_and_resume_are_reported(tmp_path: Path) -> None:
    answerer = Answerer()
    endpoint = await start_uas(answerer)
    try:
        await sipp_call(endpoint, tmp_path, "-sf", str(SCENARIOS / "uac_hold_resume.xml"))
    finally:
        await endpoint.close()
        answerer.close()
    assert answerer.holds == [True, False]
    assert answerer.calls[0].session_expires == "1800;refresher=uac"
    assert answerer.ended == ["remote_bye"]


def _tone(seconds: float) -> np.ndarray:
    t = np.arange(int(8000 * seconds)) / 8000
    return (6000 * np.sin(2 * np.pi * 440 * t)).astype(np.int16)


async def test_given_sipp_uas_echoing_rtp_then_our_uac_hears_its_audio_back(
    tmp_path: Path,
) -> None:
    sip_port, media_port = free_port(), free_port()
    sipp = asyncio.create_task(
        run_sipp(
            "-sn",
            "uas",
            "-rtp_echo",
            "-mp",
            str(media_port),
            "-p",
            str(sip_port),
            "-m",
            "1",
            cwd=tmp_path,
            timeout=20,
        )
    )
    await asyncio.sleep(0.5)
    endpoint = SipEndpoint(host=HOST, port=free_port())
    await endpoint.start()
    leg = RtpEndpoint(host=HOST, payload_type=PCMU, telephone_event_pt=None)
    await leg.start()
    heard: list[np.ndarray] = []
    leg.on_audio = lambda pcm, packet: heard.append(pcm)
    try:
        call = await endpoint.invite(
            f"sip:service@{HOST}:{sip_port}",
            build_sdp(HOST, leg.port, [PCMU], telephone_event_pt=None),
        )
        await asyncio.wait_for(call.answered, 10)
        assert call.remote_sdp is not None
        leg.set_remote((call.remote_sdp.address, call.remote_sdp.port))
        leg.play(_tone(1.0))
        await asyncio.sleep(1.4)
        call.hangup()
        result = await sipp
    finally:
        leg.close()
        await endpoint.close()
    assert result.returncode == 0, result.output[-3000:]
    assert len(heard) >= 45
    echoed = np.concatenate(heard).astype(float)
    sent = _tone(1.0).astype(float)
    from madoguchi.telephony.rtp import g711

    sent_coded = g711.decode(g711.encode(sent.astype(np.int16), PCMU), PCMU).astype(float)
    assert np.array_equal(echoed[: len(sent_coded)], sent_coded[: len(echoed)])
    assert leg.report().lost == 0


async def test_given_sipp_uas_challenging_our_invite_then_we_retry_with_digest(
    tmp_path: Path,
) -> None:
    marker = tmp_path / "auth-ok"
    sip_port = free_port()
    sipp = asyncio.create_task(
        run_sipp(
            "-sf",
            str(SCENARIOS / "uas_digest_challenge.xml"),
            "-p",
            str(sip_port),
            "-mp",
            str(free_port()),
            "-set",
            "marker",
            str(marker),
            "-m",
            "1",
            cwd=tmp_path,
            timeout=20,
        )
    )
    await asyncio.sleep(0.5)
    endpoint = SipEndpoint(host=HOST, port=free_port())
    await endpoint.start()
    try:
        call = await endpoint.invite(
            f"sip:service@{HOST}:{sip_port}",
            build_sdp(HOST, 40000, [PCMU]),
            credentials=("agent", "s3cret"),
        )
        await asyncio.wait_for(call.answered, 10)
        call.hangup()
        result = await sipp
    finally:
        await endpoint.close()
    assert result.returncode == 0, result.output[-3000:]
    assert marker.exists()


BARESIP_CONFIG = """poll_method\t\tepoll
sip_listen\t\t127.0.0.1:{port}
module_path\t\t/usr/lib/baresip/modules
module\t\t\tg711.so
module_app\t\taccount.so
audio_player\t\taufile,/dev/null
audio_source\t\taufile,/dev/null
"""


async def test_given_baresip_with_digest_credentials_then_registrar_binds_it(
    tmp_path: Path,
) -> None:
    registrar = Registrar()
    # baresip 1.0 (libre) gives up on a SHA-256 challenge: phones get MD5 here
    authenticator = DigestAuthenticator("madoguchi", {"1001": "secret"}.get, algorithms=("MD5",))
    answerer = Answerer()
    endpoint = await start_uas(answerer, registrar=registrar, authenticator=authenticator)
    phone_port = free_port()
    (tmp_path / "config").write_text(BARESIP_CONFIG.format(port=phone_port))
    (tmp_path / "accounts").write_text(
        f"<sip:1001@{HOST}:{endpoint.port};transport=udp>;auth_pass=secret;regint=300\n"
    )
    proc = await asyncio.create_subprocess_exec(
        "baresip",
        "-f",
        str(tmp_path),
        "-t",
        "20",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        bindings = []
        for _ in range(100):
            bindings = registrar.lookup(f"1001@{HOST}", time.time())
            if bindings:
                break
            await asyncio.sleep(0.1)
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = await asyncio.wait_for(proc.communicate(), 10)
        await endpoint.close()
    assert bindings, out.decode(errors="replace")[-2000:]
    assert bindings[0].source == (HOST, phone_port)
    assert 290 <= bindings[0].expires_at - time.time() <= 300


def _pcap_payloads(path: str) -> list[bytes]:
    """RTP payloads of a pcap of Ethernet/IPv4/UDP packets (as sipp ships them)."""
    import struct

    data = Path(path).read_bytes()
    offset, payloads = 24, []
    while offset < len(data):
        (length,) = struct.unpack_from("<I", data, offset + 8)
        packet = data[offset + 16 : offset + 16 + length]
        payloads.append(packet[42 + 12 :])
        offset += 16 + length
    return payloads


async def test_given_sipp_caller_bridged_to_echoing_sipp_agent_then_audio_is_relayed_and_recorded(
    tmp_path: Path,
) -> None:
    from madoguchi.telephony.call_bridge import BridgedCall
    from madoguchi.telephony.rtp import g711
    from madoguchi.telephony.rtp.recorder import AGENT, CALLER

    agent_port = free_port()
    agent = asyncio.create_task(
        run_sipp(
            "-sn",
            "uas",
            "-rtp_echo",
            "-mp",
            str(free_port()),
            "-p",
            str(agent_port),
            "-m",
            "1",
            cwd=tmp_path,
            timeout=20,
        )
    )
    bridges: list[BridgedCall] = []
    digits: list[str] = []
    recording = tmp_path / "call.wav"
    endpoint: SipEndpoint

    async def bridge(call: Call) -> None:
        bridged = BridgedCall(endpoint, call, host=HOST, recording=recording)
        bridges.append(bridged)
        await bridged.answer()
        await bridged.connect(f"sip:agent@{HOST}:{agent_port}")
        assert bridged.bridge is not None
        bridged.bridge.on_dtmf = lambda side, digit: digits.append(digit)

    tasks: list[asyncio.Task[None]] = []
    endpoint = SipEndpoint(
        host=HOST,
        port=free_port(),
        on_incoming_call=lambda call: tasks.append(asyncio.create_task(bridge(call))),
    )
    await endpoint.start()
    await asyncio.sleep(0.3)
    try:
        await sipp_call(
            endpoint, tmp_path, "-sf", str(SCENARIOS / "uac_rtp_dtmf.xml"), "-mp", str(free_port())
        )
        assert await asyncio.wait_for(bridges[0].ended, 5) == "remote_bye"
        assert await asyncio.wait_for(bridges[0].recorded, 5) == recording
        result = await asyncio.wait_for(agent, 10)
    finally:
        await endpoint.close()
    assert result.returncode == 0, result.output[-2000:]
    assert digits == ["1", "2", "#", "#"]
    caller_report, agent_report = bridges[0].reports()
    assert (caller_report.lost, agent_report.lost) == (0, 0)
    assert caller_report.jitter_ms < 5
    assert agent_report.jitter_ms < 5
    assert agent_report.received >= 35  # 1.2 s of 30 ms packets came back from the echo

    import wave

    with wave.open(str(recording)) as wav:
        frames = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").reshape(-1, 2)
    sent = np.concatenate(
        [g711.decode(p, 8) for p in _pcap_payloads("/usr/share/sip-tester/g711a.pcap")[:30]]
    )
    left = frames[:, CALLER]
    # the first packets may come before the agent answers: align on the first speech sample
    speech_sent = int(np.flatnonzero(sent != sent[0])[0])
    speech_left = int(np.flatnonzero((left != sent[0]) & (left != 0))[0])
    length = len(sent) - speech_sent
    assert np.array_equal(left[speech_left : speech_left + length], sent[speech_sent:])
    right = frames[:, AGENT].astype(float)
    assert np.sqrt(np.mean(right**2)) > 0.3 * np.sqrt(np.mean(left.astype(float) ** 2))


async def test_given_refer_from_sipp_then_202_transfer_target_and_notifies(
    tmp_path: Path,
) -> None:
    answerer = Answerer()
    endpoint = await start_uas(answerer)
    targets: list[str] = []

    def on_call(call: Call) -> None:
        answerer.on_incoming_call(call)

        def on_refer(target: str) -> None:
            targets.append(target)
            call.notify_transfer(200)

        call.on_refer = on_refer

    endpoint.on_incoming_call = on_call
    try:
        await sipp_call(endpoint, tmp_path, "-sf", str(SCENARIOS / "uac_refer.xml"))
    finally:
        await endpoint.close()
        answerer.close()
    assert targets == ["sip:1002@127.0.0.1"]
    assert answerer.ended == ["remote_bye"]
