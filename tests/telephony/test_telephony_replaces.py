"""Attended transfer with Replaces (RFC 3891, RFC 3515) against sipp.

A bridged call runs through the center (our UAC caller → center → our UAS agent); sipp then
sends an INVITE whose Replaces header names the caller's dialog at the center (as a phone does
when it moves the call or completes its own attended transfer), or a REFER whose Refer-To
carries ``?Replaces=``. The dialog is matched by Call-ID and both tags; nothing matching is 481.
"""

from __future__ import annotations

import asyncio
import wave
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from telephony_support import free_port, run_sipp

from madoguchi.telephony.call_bridge import BridgedCall
from madoguchi.telephony.rtp.endpoint import RtpEndpoint
from madoguchi.telephony.sip.call import Call, CallState
from madoguchi.telephony.sip.endpoint import SipEndpoint
from madoguchi.telephony.sip.fields import parse_replaces, uri_replaces
from madoguchi.telephony.sip.sdp import PCMU, answer_offer, build_sdp

pytestmark = [pytest.mark.peer, pytest.mark.timeout(60)]
HOST = "127.0.0.1"

INVITE_WITH_REPLACES = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="uac_invite_replaces">
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
      Supported: replaces
      Replaces: [replaces]
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
  <recv response="100" optional="true"/>
  __OUTCOME__
</scenario>
"""

ANSWERED = """
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
  <nop><action><exec play_pcap_audio="/usr/share/sip-tester/g711a.pcap"/></action></nop>
  <pause milliseconds="2000"/>
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
"""

REFUSED = """
  <recv response="__STATUS__"/>
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
"""

REFER_WITH_REPLACES = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="uac_refer_replaces">
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
  <pause milliseconds="100"/>
  <send retrans="500">
    <![CDATA[
      REFER sip:0120@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:0120@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 2 REFER
      Contact: <sip:sipp@[local_ip]:[local_port]>
      Max-Forwards: 70
      Refer-To: <sip:2002@[remote_ip]?Replaces=[refer_replaces]>
      Referred-By: <sip:sipp@[local_ip]:[local_port]>
      Content-Length: 0
    ]]>
  </send>
  <recv response="202"/>
  <recv request="NOTIFY"/>
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
  <recv request="NOTIFY">
    <action>
      <ereg regexp="SIP/2.0 __STATUS__ " search_in="body" check_it="true" assign_to="outcome"/>
    </action>
  </recv>
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
  <Reference variables="outcome"/>
  <send retrans="500">
    <![CDATA[
      BYE sip:0120@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:0120@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 3 BYE
      Max-Forwards: 70
      Content-Length: 0
    ]]>
  </send>
  <recv response="200"/>
</scenario>
"""


def test_given_replaces_values_then_they_parse_and_percent_decode() -> None:
    value = parse_replaces("98732@sip.example.com;from-tag=r33th4x0r;to-tag=ff87ff;early-only")
    assert (value.call_id, value.to_tag, value.from_tag, value.early_only) == (
        "98732@sip.example.com",
        "ff87ff",
        "r33th4x0r",
        True,
    )
    uri = "sip:2002@center?Replaces=abc%40host%3Bto-tag%3D1%3Bfrom-tag%3D2&Require=replaces"
    found = uri_replaces(uri)
    assert found is not None
    assert (found.call_id, found.to_tag, found.from_tag, found.early_only) == (
        "abc@host",
        "1",
        "2",
        False,
    )
    assert uri_replaces("sip:2002@center") is None
    with pytest.raises(Exception, match="to-tag"):
        parse_replaces("abc@host;from-tag=2")


@dataclass
class Center:
    """Caller (our UAC) → center (BridgedCall) → agent (our UAS), all in this process."""

    tmp_path: Path
    center: SipEndpoint = field(init=False)
    agent: SipEndpoint = field(init=False)
    caller: SipEndpoint = field(init=False)
    bridges: list[BridgedCall] = field(default_factory=list)
    agent_calls: list[Call] = field(default_factory=list)
    agent_frames: list[float] = field(default_factory=list)
    """Loop times at which the agent's leg received audio."""
    legs: list[RtpEndpoint] = field(default_factory=list)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    async def start(self) -> None:
        self.center = SipEndpoint(host=HOST, port=free_port(), on_incoming_call=self._bridge)
        self.agent = SipEndpoint(host=HOST, port=free_port(), on_incoming_call=self._agent_call)
        self.caller = SipEndpoint(host=HOST, port=free_port())
        for endpoint in (self.center, self.agent, self.caller):
            await endpoint.start()

    def _bridge(self, call: Call) -> None:
        async def bridge() -> None:
            bridged = BridgedCall(
                self.center, call, host=HOST, recording=self.tmp_path / "call.wav"
            )
            self.bridges.append(bridged)
            await bridged.answer()
            await bridged.connect(f"sip:1001@{HOST}:{self.agent.port}")

        self.tasks.append(asyncio.create_task(bridge()))

    def _agent_call(self, call: Call) -> None:
        async def answer() -> None:
            assert call.remote_sdp is not None
            leg = RtpEndpoint(host=HOST, timeout=0)
            await leg.start()
            self.legs.append(leg)
            chosen, body = answer_offer(call.remote_sdp, HOST, leg.port)
            leg.payload_type = chosen.codec
            leg.set_remote((call.remote_sdp.address, call.remote_sdp.port))
            loop = asyncio.get_running_loop()
            leg.on_audio = lambda pcm, packet: self.agent_frames.append(loop.time())
            call.answer(body)

        self.agent_calls.append(call)
        self.tasks.append(asyncio.create_task(answer()))

    async def call_in(self) -> tuple[Call, RtpEndpoint]:
        """Our caller dials the center and talks (a tone) until it is bridged to the agent."""
        leg = RtpEndpoint(host=HOST, timeout=0)
        await leg.start()
        self.legs.append(leg)
        call = await self.caller.invite(
            f"sip:0120@{HOST}:{self.center.port}", build_sdp(HOST, leg.port, [PCMU])
        )
        await asyncio.wait_for(call.answered, 5)
        assert call.remote_sdp is not None
        leg.set_remote((call.remote_sdp.address, call.remote_sdp.port))
        leg.play((3000 * np.sin(np.arange(8000) * 2 * np.pi * 440 / 8000)).astype(np.int16))
        for _ in range(100):
            if self.bridges and self.bridges[0].bridge is not None:
                break
            await asyncio.sleep(0.02)
        return call, leg

    def replaces_of(self, call: Call) -> str:
        """The Replaces value naming the center's side of ``call`` (our caller's dialog)."""
        inbound = self.bridges[0].inbound
        assert inbound.call_id == call.call_id
        return f"{inbound.call_id};to-tag={inbound.local_tag};from-tag={inbound.remote_tag}"

    async def sipp(self, scenario: str, *keys: tuple[str, str]) -> tuple[int, str]:
        path = self.tmp_path / "scenario.xml"
        path.write_text(scenario)
        args: list[str] = []
        for name, value in keys:
            args += ["-key", name, value]
        result = await run_sipp(
            "-sf",
            str(path),
            *args,
            "-p",
            str(free_port()),
            "-mp",
            str(free_port()),
            "-m",
            "1",
            f"{HOST}:{self.center.port}",
            cwd=self.tmp_path,
            timeout=20,
        )
        return result.returncode, result.output

    async def close(self) -> None:
        for endpoint in (self.caller, self.agent, self.center):
            await endpoint.close()
        for leg in self.legs:
            leg.close()


@pytest.fixture
async def center(tmp_path: Path) -> Center:
    # pytest-asyncio fixtures with cleanup are awkward across versions: tests close it
    center = Center(tmp_path)
    await center.start()
    return center


async def test_given_invite_with_replaces_naming_the_callers_dialog_then_new_leg_is_bridged_and_old_gets_bye(  # noqa: E501
    center: Center,
) -> None:
    try:
        call, _leg = await center.call_in()
        bridged = center.bridges[0]
        old_inbound = bridged.inbound
        replaces = center.replaces_of(call)
        code, output = await center.sipp(
            INVITE_WITH_REPLACES.replace("__OUTCOME__", ANSWERED), ("replaces", replaces)
        )
        assert code == 0, output[-3000:]
        # the original caller was hung up by the center (BYE), reason "replaced" at the center
        assert await asyncio.wait_for(call.ended, 5) == "remote_bye"
        assert old_inbound.end_reason == "replaced"
        assert bridged.replaced == ["caller"]
        assert bridged.inbound is not old_inbound
        # sipp's BYE ends the session: the agent is hung up, the recording finished
        assert await asyncio.wait_for(bridged.ended, 5) == "remote_bye"
        assert await asyncio.wait_for(center.agent_calls[0].ended, 5) == "remote_bye"
        recording = await asyncio.wait_for(bridged.recorded, 5)
    finally:
        await center.close()
    # the agent heard sipp's speech after the replacement: ~2 s of 20–30 ms packets
    assert len(center.agent_frames) > 60
    assert recording is not None
    with wave.open(str(recording)) as wav:
        frames = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").reshape(-1, 2)
    assert len(frames) > 2 * 8000  # one file: caller's tone, then sipp's speech
    assert center.center.calls == []


async def test_given_invite_with_replaces_naming_no_dialog_then_481(center: Center) -> None:
    try:
        call, _leg = await center.call_in()
        inbound = center.bridges[0].inbound
        wrong_tags = f"{inbound.call_id};to-tag={inbound.remote_tag};from-tag={inbound.local_tag}"
        for replaces in (f"unknown@{HOST};to-tag=a;from-tag=b", wrong_tags):
            code, output = await center.sipp(
                INVITE_WITH_REPLACES.replace("__OUTCOME__", REFUSED.replace("__STATUS__", "481")),
                ("replaces", replaces),
            )
            assert code == 0, output[-3000:]
        assert call.state is CallState.ANSWERED  # nothing was replaced
        assert center.bridges[0].replaced == []
    finally:
        await center.close()


async def test_given_early_only_replaces_naming_a_confirmed_dialog_then_486(
    center: Center,
) -> None:
    try:
        call, _leg = await center.call_in()
        replaces = center.replaces_of(call) + ";early-only"
        code, output = await center.sipp(
            INVITE_WITH_REPLACES.replace("__OUTCOME__", REFUSED.replace("__STATUS__", "486")),
            ("replaces", replaces),
        )
        assert code == 0, output[-3000:]
        assert call.state is CallState.ANSWERED
    finally:
        await center.close()


async def test_given_refer_with_replaces_then_the_named_dialog_is_matched_or_481_notified(
    center: Center,
) -> None:
    matched: list[Call | None] = []
    targets: list[str] = []
    referrers: list[Call] = []

    def on_incoming(call: Call) -> None:
        if call.invite.uri.startswith("sip:0120") and "sipp" in call.invite.headers.first("from"):
            referrers.append(call)

            def on_refer(target: str) -> None:
                targets.append(target)
                matched.append(call.refer_replaces)
                call.notify_transfer(200)

            call.on_refer = on_refer
            assert call.remote_sdp is not None
            call.answer(answer_offer(call.remote_sdp, HOST, free_port())[1])
            return
        center._bridge(call)

    center.center.on_incoming_call = on_incoming
    try:
        call, _leg = await center.call_in()
        replaces = center.replaces_of(call)
        escaped = replaces.replace("@", "%40").replace(";", "%3B").replace("=", "%3D")
        code, output = await center.sipp(
            REFER_WITH_REPLACES.replace("__STATUS__", "200"), ("refer_replaces", escaped)
        )
        assert code == 0, output[-3000:]
        assert matched == [center.bridges[0].inbound]
        assert len(targets) == 1
        assert targets[0].startswith("sip:2002@")
        code, output = await center.sipp(
            REFER_WITH_REPLACES.replace("__STATUS__", "481"),
            ("refer_replaces", "nothing%40here%3Bto-tag%3Dx%3Bfrom-tag%3Dy"),
        )
        assert code == 0, output[-3000:]
        assert len(matched) == 1  # the application never saw the unmatched REFER
    finally:
        await center.close()
    assert len(referrers) == 2


async def test_given_refer_sent_with_replaces_then_peer_matches_the_dialog_and_notifies() -> None:
    """Our UAC side as the transferor: REFER with ?Replaces= built from our own consult call."""
    referred: list[tuple[str, Call | None]] = []
    incoming: list[Call] = []

    def on_call(call: Call) -> None:
        incoming.append(call)
        assert call.remote_sdp is not None

        def on_refer(target: str) -> None:
            referred.append((target, call.refer_replaces))
            call.notify_transfer(200)

        call.on_refer = on_refer
        call.answer(answer_offer(call.remote_sdp, HOST, free_port())[1])

    center = SipEndpoint(host=HOST, port=free_port(), on_incoming_call=on_call)
    phone = SipEndpoint(host=HOST, port=free_port())
    await center.start()
    await phone.start()
    try:
        customer = await phone.invite(
            f"sip:0120@{HOST}:{center.port}", build_sdp(HOST, free_port(), [PCMU])
        )
        consult = await phone.invite(
            f"sip:2002@{HOST}:{center.port}", build_sdp(HOST, free_port(), [PCMU])
        )
        await asyncio.wait_for(asyncio.gather(customer.answered, consult.answered), 5)
        statuses: list[int] = []
        customer.on_transfer_status = statuses.append
        customer.refer(f"sip:2002@{HOST}", replaces=consult)
        for _ in range(100):
            if len(statuses) == 2:
                break
            await asyncio.sleep(0.02)
    finally:
        await phone.close()
        await center.close()
    assert statuses == [100, 200]
    ((target, replaced),) = referred
    assert target.startswith(f"sip:2002@{HOST}?Replaces=")
    assert replaced is incoming[1]  # the center's side of the consult call


async def test_given_malformed_or_repeated_replaces_then_400_and_nothing_is_replaced() -> None:
    calls: list[Call] = []
    endpoint = SipEndpoint(host=HOST, port=free_port(), on_incoming_call=calls.append)
    await endpoint.start()
    loop = asyncio.get_running_loop()
    received: asyncio.Queue[bytes] = asyncio.Queue()

    class Peer(asyncio.DatagramProtocol):
        def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
            received.put_nowait(data)

    transport, _ = await loop.create_datagram_endpoint(Peer, local_addr=(HOST, 0))
    port = transport.get_extra_info("sockname")[1]
    sdp = build_sdp(HOST, free_port(), [PCMU]).decode()

    async def status_of(replaces_lines: str, branch: str) -> int:
        body = sdp.encode()
        text = (
            f"INVITE sip:0120@{HOST}:{endpoint.port} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP {HOST}:{port};branch=z9hG4bK{branch}\r\n"
            f"From: <sip:a@{HOST}:{port}>;tag=a{branch}\r\nTo: <sip:0120@{HOST}>\r\n"
            f"Call-ID: {branch}@{HOST}\r\nCSeq: 1 INVITE\r\nContact: <sip:a@{HOST}:{port}>\r\n"
            f"{replaces_lines}Content-Type: application/sdp\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        transport.sendto(text.encode() + body, (HOST, endpoint.port))
        while True:
            first_line = (await asyncio.wait_for(received.get(), 5)).split(b"\r\n")[0]
            status = int(first_line.split()[1])
            if status >= 200:
                return status

    try:
        assert await status_of("Replaces: abc@host;to-tag=1\r\n", "r1") == 400  # no from-tag
        assert await status_of("Replaces: ;to-tag=1;from-tag=2\r\n", "r2") == 400  # no Call-ID
        two = "Replaces: a@h;to-tag=1;from-tag=2\r\nReplaces: b@h;to-tag=1;from-tag=2\r\n"
        assert await status_of(two, "r3") == 400
        assert await status_of("Replaces: a@h;to-tag=1;from-tag=2\r\n", "r4") == 481
    finally:
        transport.close()
        await endpoint.close()
    assert calls == []  # none reached the application
