"""The SIP endpoint against raw datagrams and against itself (UAC ↔ UAS), in one process."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from madoguchi.telephony.sip.call import Call
from madoguchi.telephony.sip.digest import DigestAuthenticator, authorization_value
from madoguchi.telephony.sip.endpoint import SipEndpoint
from madoguchi.telephony.sip.message import SipRequest, SipResponse, parse_message
from madoguchi.telephony.sip.registrar import Registrar
from madoguchi.telephony.sip.sdp import PCMU, answer_offer, build_sdp

FIXTURES = Path(__file__).parent.parent / "fixtures"


def free_port() -> int:
    """A port free for UDP and TCP on 127.0.0.1."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind(("127.0.0.1", 0))
            port = int(udp.getsockname()[1])
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                tcp.bind(("127.0.0.1", port))
        except OSError:
            continue
        return port


HOST = "127.0.0.1"
pytestmark = pytest.mark.timeout(30)


class RawPeer(asyncio.DatagramProtocol):
    """A UDP socket that sends bytes and collects what comes back."""

    def __init__(self) -> None:
        self.received: asyncio.Queue[bytes] = asyncio.Queue()
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.received.put_nowait(data)

    async def responses(self, wait: float = 0.3) -> list[SipResponse]:
        out: list[SipResponse] = []
        try:
            while True:
                message = parse_message(await asyncio.wait_for(self.received.get(), wait))
                assert isinstance(message, SipResponse)
                out.append(message)
        except TimeoutError:
            return out


async def raw_peer(port: int) -> tuple[RawPeer, int]:
    peer_port = free_port()
    _, peer = await asyncio.get_running_loop().create_datagram_endpoint(
        RawPeer, local_addr=(HOST, peer_port), remote_addr=(HOST, port)
    )
    return peer, peer_port


def from_peer(name: str, peer_port: int) -> bytes:
    """A captured message, re-addressed as if sent from ``peer_port``."""
    return (FIXTURES / name).read_bytes().replace(b":5091", f":{peer_port}".encode())


@pytest.fixture
async def raw(endpoint: SipEndpoint) -> AsyncIterator[tuple[RawPeer, int]]:
    peer, peer_port = await raw_peer(endpoint.port)
    yield peer, peer_port
    assert peer.transport is not None
    peer.transport.close()


@pytest.fixture
async def endpoint() -> AsyncIterator[SipEndpoint]:
    calls: list[Call] = []

    def on_incoming_call(call: Call) -> None:
        calls.append(call)
        call.ring()

    authenticator = DigestAuthenticator("madoguchi", {"1001": "secret"}.get, max_failures=3)
    ep = SipEndpoint(
        host=HOST,
        port=free_port(),
        on_incoming_call=on_incoming_call,
        registrar=Registrar(),
        authenticator=authenticator,
    )
    await ep.start()
    ep.test_calls = calls  # type: ignore[attr-defined]
    yield ep
    await ep.close()


async def test_given_malformed_sip_request_then_400_and_no_call(
    endpoint: SipEndpoint, raw: tuple[RawPeer, int]
) -> None:
    peer, peer_port = raw
    data = from_peer("sipp_uac_invite_udp.sip", peer_port).replace(b"CSeq: 1 INVITE", b"CSeq: x")
    assert peer.transport is not None
    peer.transport.sendto(data)
    (response,) = await peer.responses()
    assert response.status == 400
    assert endpoint.calls == []
    assert endpoint.stats["bad_requests"] == 1


async def test_given_truncated_body_then_400(
    endpoint: SipEndpoint, raw: tuple[RawPeer, int]
) -> None:
    peer, peer_port = raw
    assert peer.transport is not None
    peer.transport.sendto(from_peer("sipp_uac_invite_udp.sip", peer_port)[:-30])
    assert [r.status for r in await peer.responses()] == [400]


async def test_given_non_sip_garbage_then_silently_dropped(
    endpoint: SipEndpoint, raw: tuple[RawPeer, int]
) -> None:
    peer, _ = raw
    assert peer.transport is not None
    peer.transport.sendto(b"\x16\x03\x01 not sip at all\r\n\r\n")
    assert await peer.responses() == []
    assert endpoint.stats["dropped"] == 1


async def test_given_invite_then_100_180_and_retransmission_repeats_180(
    endpoint: SipEndpoint, raw: tuple[RawPeer, int]
) -> None:
    peer, peer_port = raw
    assert peer.transport is not None
    invite = from_peer("sipp_uac_invite_udp.sip", peer_port)
    peer.transport.sendto(invite)
    assert [r.status for r in await peer.responses()] == [100, 180]
    peer.transport.sendto(invite)
    assert [r.status for r in await peer.responses()] == [180]
    assert len(endpoint.test_calls) == 1  # type: ignore[attr-defined]


async def test_given_invite_without_common_codec_then_488(
    endpoint: SipEndpoint, raw: tuple[RawPeer, int]
) -> None:
    peer, peer_port = raw
    assert peer.transport is not None
    data = from_peer("sipp_uac_invite_udp.sip", peer_port).replace(
        b"RTP/AVP 0\r\na=rtpmap:0 PCMU/8000", b"RTP/AVP 9\r\na=rtpmap:9 G722/8000"
    )
    peer.transport.sendto(data)
    assert [r.status for r in await peer.responses()] == [100, 488]


async def test_given_too_short_session_expires_then_422_with_min_se(
    endpoint: SipEndpoint, raw: tuple[RawPeer, int]
) -> None:
    peer, peer_port = raw
    assert peer.transport is not None
    data = from_peer("sipp_uac_invite_udp.sip", peer_port).replace(
        b"Max-Forwards: 70", b"Max-Forwards: 70\r\nSession-Expires: 30"
    )
    peer.transport.sendto(data)
    responses = await peer.responses()
    assert [r.status for r in responses] == [100, 422]
    assert responses[1].headers.first("min-se") == "90"


async def test_given_bye_for_unknown_dialog_then_481(
    endpoint: SipEndpoint, raw: tuple[RawPeer, int]
) -> None:
    peer, peer_port = raw
    assert peer.transport is not None
    peer.transport.sendto(from_peer("sipp_uac_bye_udp.sip", peer_port))
    assert [r.status for r in await peer.responses()] == [481]


async def test_given_options_and_unknown_method_then_200_and_405(
    endpoint: SipEndpoint, raw: tuple[RawPeer, int]
) -> None:
    peer, peer_port = raw
    assert peer.transport is not None
    bye = from_peer("sipp_uac_bye_udp.sip", peer_port)
    peer.transport.sendto(bye.replace(b"BYE", b"OPTIONS"))
    peer.transport.sendto(bye.replace(b"BYE", b"PUBLISH").replace(b"-1-7", b"-1-8"))
    responses = await peer.responses()
    assert [r.status for r in responses] == [200, 405]
    assert "INVITE" in responses[1].headers.first("allow")


async def test_given_register_then_challenge_then_binding_and_rate_limit(
    endpoint: SipEndpoint, raw: tuple[RawPeer, int]
) -> None:
    peer, peer_port = raw
    assert peer.transport is not None
    base = (
        (FIXTURES / "baresip_register.sip").read_bytes().replace(b":5095", f":{peer_port}".encode())
    )
    peer.transport.sendto(base)
    (challenge,) = await peer.responses()
    assert challenge.status == 401
    assert challenge.headers.first("via").endswith(f"rport={peer_port}")

    def with_password(password: str, n: int) -> bytes:
        message = parse_message(base)
        assert isinstance(message, SipRequest)
        value = authorization_value(
            challenge.headers.values("www-authenticate")[0],
            "REGISTER",
            message.uri,
            "1001",
            password,
        )
        message.headers.set("Authorization", value)
        message.headers.set("CSeq", f"{39758 + n} REGISTER")
        message.headers.set("Via", f"SIP/2.0/UDP 127.0.0.1:{peer_port};branch=z9hG4bK{n};rport")
        return message.to_bytes()

    peer.transport.sendto(with_password("secret", 1))
    (ok,) = await peer.responses()
    assert ok.status == 200
    assert ok.headers.first("contact").endswith("expires=120")
    assert endpoint.registrar is not None
    (binding,) = endpoint.registrar.lookup("1001@127.0.0.1", time.time())
    assert binding.source == (HOST, peer_port)
    statuses: list[int] = []
    for n in range(2, 6):
        peer.transport.sendto(with_password("wrong", n))
        statuses.extend(r.status for r in await peer.responses())
    assert statuses == [401, 401, 403, 403]


async def uas_and_uac(on_call: object) -> tuple[SipEndpoint, SipEndpoint]:
    uas = SipEndpoint(host=HOST, port=free_port(), on_incoming_call=on_call)  # type: ignore[arg-type]
    uac = SipEndpoint(host=HOST, port=free_port())
    await uas.start()
    await uac.start()
    return uas, uac


async def test_given_our_uac_calls_our_uas_then_answer_info_dtmf_and_bye_work() -> None:
    inbound: list[Call] = []
    digits: list[str] = []

    def on_call(call: Call) -> None:
        inbound.append(call)
        call.on_dtmf = digits.append
        assert call.remote_sdp is not None
        call.answer(answer_offer(call.remote_sdp, HOST, 4002)[1])

    uas, uac = await uas_and_uac(on_call)
    try:
        call = await uac.invite(f"sip:service@{HOST}:{uas.port}", build_sdp(HOST, 4000, [PCMU]))
        await asyncio.wait_for(call.answered, 5)
        assert call.remote_sdp is not None
        assert call.remote_sdp.port == 4002
        call.send_info_dtmf("9")
        await asyncio.sleep(0.1)
        call.hangup()
        assert await asyncio.wait_for(inbound[0].ended, 5) == "remote_bye"
    finally:
        await uac.close()
        await uas.close()
    assert digits == ["9"]
    assert call.end_reason == "local_bye"
    assert uas.calls == []


async def test_given_our_uac_cancels_while_our_uas_rings_then_both_see_cancelled() -> None:
    inbound: list[Call] = []

    def on_call(call: Call) -> None:
        inbound.append(call)
        call.ring()

    uas, uac = await uas_and_uac(on_call)
    try:
        call = await uac.invite(f"sip:service@{HOST}:{uas.port}", build_sdp(HOST, 4000, [PCMU]))
        ringing = asyncio.get_running_loop().create_future()
        call.on_ringing = lambda: ringing.set_result(None)
        await asyncio.wait_for(ringing, 5)
        call.cancel()
        assert await asyncio.wait_for(call.ended, 5) == "cancelled"
        assert await asyncio.wait_for(inbound[0].ended, 5) == "cancelled"
    finally:
        await uac.close()
        await uas.close()
    assert call.final_status == 487


@pytest.mark.parametrize("algorithm", ["SHA-256", "MD5"])
async def test_given_our_uac_registers_with_credentials_then_binding_and_unregister_work(
    algorithm: str,
) -> None:
    registrar = Registrar()
    server = SipEndpoint(
        host=HOST,
        port=free_port(),
        registrar=registrar,
        authenticator=DigestAuthenticator(
            "madoguchi", {"1001": "secret"}.get, algorithms=(algorithm,)
        ),
    )
    phone = SipEndpoint(host=HOST, port=free_port())
    await server.start()
    await phone.start()
    try:
        aor = f"sip:1001@{HOST}"
        assert await phone.register(aor, (HOST, server.port), ("1001", "bad")) == 401
        assert await phone.register(aor, (HOST, server.port), ("1001", "secret")) == 200
        (binding,) = registrar.lookup(f"1001@{HOST}", time.time())
        assert binding.source == (HOST, phone.port)
        assert await phone.register(aor, (HOST, server.port), ("1001", "secret"), expires=0) == 200
        assert registrar.lookup(f"1001@{HOST}", time.time()) == []
    finally:
        await phone.close()
        await server.close()
