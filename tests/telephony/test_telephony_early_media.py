"""Early media (183 Session Progress with SDP) against sipp, both directions.

Inbound: the center sends 183 with its SDP and plays a prompt before answering; sipp checks the
183 carries SDP and echoes the audio back (``-rtp_echo``), so the prompt demonstrably went out
and came back before the 200. Outbound: a sipp callee answers 183 with SDP and plays speech
before its 200; the center relays it to the caller (who was sent 183 too) and records it.
"""

from __future__ import annotations

import asyncio
import wave
from pathlib import Path

import numpy as np
import pytest
from telephony_support import free_port, run_sipp

from madoguchi.telephony.call_bridge import BridgedCall
from madoguchi.telephony.rtp.endpoint import RtpEndpoint
from madoguchi.telephony.rtp.recorder import AGENT
from madoguchi.telephony.sip.call import Call, CallState
from madoguchi.telephony.sip.endpoint import SipEndpoint
from madoguchi.telephony.sip.sdp import PCMU, answer_offer, build_sdp

pytestmark = [pytest.mark.peer, pytest.mark.timeout(60)]
HOST = "127.0.0.1"

CALLER_EXPECTING_183 = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="uac_early_media">
  <send retrans="500">
    <![CDATA[
      INVITE sip:0120@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:0120@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: <sip:sipp@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=sipp 1 1 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0
      a=rtpmap:0 PCMU/8000
    ]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="183">
    <action>
      <ereg regexp="m=audio [0-9]+ RTP/AVP 0" search_in="body" check_it="true" assign_to="sdp"/>
    </action>
  </recv>
  <Reference variables="sdp"/>
  <recv response="200"/>
  <send>
    <![CDATA[
      ACK sip:0120@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:0120@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Max-Forwards: 70
      Content-Length: 0
    ]]>
  </send>
  <pause milliseconds="200"/>
  <send retrans="500">
    <![CDATA[
      BYE sip:0120@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:0120@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 2 BYE
      Max-Forwards: 70
      Content-Length: 0
    ]]>
  </send>
  <recv response="200"/>
</scenario>
"""

CALLEE_WITH_EARLY_MEDIA = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="uas_early_media">
  <recv request="INVITE"/>
  <send>
    <![CDATA[
      SIP/2.0 183 Session Progress
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:sipp@[local_ip]:[local_port]>
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=sipp 1 1 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 8
      a=rtpmap:8 PCMA/8000
    ]]>
  </send>
  <nop><action><exec play_pcap_audio="/usr/share/sip-tester/g711a.pcap"/></action></nop>
  <pause milliseconds="1500"/>
  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:sipp@[local_ip]:[local_port]>
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=sipp 1 1 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 8
      a=rtpmap:8 PCMA/8000
    ]]>
  </send>
  <recv request="ACK"/>
  <recv request="BYE"/>
  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0
    ]]>
  </send>
</scenario>
"""


def tone(seconds: float, hz: float = 440.0) -> np.ndarray:
    t = np.arange(int(seconds * 8000)) / 8000
    return (8000 * np.sin(2 * np.pi * hz * t)).astype(np.int16)


async def test_given_inbound_call_when_prompt_played_in_early_media_then_caller_gets_183_sdp_and_audio_before_200(  # noqa: E501
    tmp_path: Path,
) -> None:
    before_answer: list[int] = []
    calls: list[Call] = []
    tasks: list[asyncio.Task[None]] = []
    legs: list[RtpEndpoint] = []

    async def announce(call: Call) -> None:
        assert call.remote_sdp is not None
        leg = RtpEndpoint(host=HOST, timeout=0)
        await leg.start()
        legs.append(leg)
        chosen, body = answer_offer(call.remote_sdp, HOST, leg.port)
        leg.payload_type = chosen.codec
        leg.set_remote((call.remote_sdp.address, call.remote_sdp.port))
        # the echo of our prompt, counted while the call is still unanswered
        leg.on_audio = lambda pcm, packet: before_answer.append(
            int(call.state is CallState.RINGING)
        )
        call.progress(body)
        leg.play(tone(1.0))
        await asyncio.sleep(1.2)
        call.answer(body)

    def on_call(call: Call) -> None:
        calls.append(call)
        tasks.append(asyncio.create_task(announce(call)))

    endpoint = SipEndpoint(host=HOST, port=free_port(), on_incoming_call=on_call)
    await endpoint.start()
    try:
        scenario = tmp_path / "caller.xml"
        scenario.write_text(CALLER_EXPECTING_183)
        result = await run_sipp(
            "-sf",
            str(scenario),
            "-rtp_echo",
            "-p",
            str(free_port()),
            "-mp",
            str(free_port()),
            "-m",
            "1",
            f"{HOST}:{endpoint.port}",
            cwd=tmp_path,
            timeout=20,
        )
        await asyncio.wait_for(calls[0].ended, 5)
    finally:
        await endpoint.close()
        for leg in legs:
            leg.close()
    assert result.returncode == 0, result.output[-3000:]
    assert calls[0].end_reason == "remote_bye"
    # ~50 frames of prompt went out in early media and came back before the 200
    assert sum(before_answer) >= 40


async def test_given_callee_sends_183_with_audio_then_caller_hears_it_before_answer_and_it_is_recorded(  # noqa: E501
    tmp_path: Path,
) -> None:
    bridges: list[BridgedCall] = []
    tasks: list[asyncio.Task[None]] = []
    callee_port = free_port()
    center: SipEndpoint

    async def bridge(call: Call) -> None:
        bridged = BridgedCall(center, call, host=HOST, recording=tmp_path / "call.wav")
        bridges.append(bridged)
        await bridged.answer(early=True)  # 183 to the caller: the callee's media reaches it
        await bridged.connect(f"sip:callee@{HOST}:{callee_port}")

    center = SipEndpoint(
        host=HOST,
        port=free_port(),
        on_incoming_call=lambda call: tasks.append(asyncio.create_task(bridge(call))),
    )
    caller = SipEndpoint(host=HOST, port=free_port())
    await center.start()
    await caller.start()
    scenario = tmp_path / "callee.xml"
    scenario.write_text(CALLEE_WITH_EARLY_MEDIA)
    callee = asyncio.create_task(
        run_sipp(
            "-sf",
            str(scenario),
            "-p",
            str(callee_port),
            "-mp",
            str(free_port()),
            "-m",
            "1",
            cwd=tmp_path,
            timeout=20,
        )
    )
    await asyncio.sleep(0.3)
    leg = RtpEndpoint(host=HOST, timeout=0)
    await leg.start()
    heard_early: list[int] = []
    try:
        call = await caller.invite(
            f"sip:0120@{HOST}:{center.port}", build_sdp(HOST, leg.port, [PCMU])
        )

        def early(sdp: object) -> None:
            assert call.remote_sdp is not None
            leg.set_remote((call.remote_sdp.address, call.remote_sdp.port))

        call.on_early_media = early
        leg.on_audio = lambda pcm, packet: heard_early.append(
            int(call.state is not CallState.ANSWERED)
        )
        await asyncio.wait_for(call.answered, 10)
        await asyncio.sleep(0.3)
        call.hangup()
        bridged = bridges[0]
        assert await asyncio.wait_for(bridged.ended, 5) == "remote_bye"
        recording = await asyncio.wait_for(bridged.recorded, 5)
        result = await asyncio.wait_for(callee, 20)
    finally:
        await caller.close()
        await center.close()
        leg.close()
    assert result.returncode == 0, result.output[-3000:]
    assert bridged.early_media
    # the callee's speech before its 200 (1.5 s of 20–30 ms packets) reached the caller early
    assert sum(heard_early) >= 30
    assert recording is not None
    with wave.open(str(recording)) as wav:
        frames = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").reshape(-1, 2)
    # the early speech is in the agent's channel from the start of the file
    first_second = frames[:8000, AGENT].astype(float)
    assert np.sqrt(np.mean(first_second**2)) > 100
