"""SDP offer/answer with the offers sipp and baresip really make."""

from __future__ import annotations

from pathlib import Path

import pytest

from madoguchi.telephony.errors import SdpError
from madoguchi.telephony.sip.message import parse_message
from madoguchi.telephony.sip.sdp import PCMA, PCMU, answer_offer, build_sdp, parse_sdp

FIXTURES = Path(__file__).parent.parent / "fixtures"


def offer_of(name: str) -> bytes:
    return parse_message((FIXTURES / name).read_bytes()).body


def test_given_baresip_offer_then_answer_keeps_pcmu_and_telephone_event_101() -> None:
    offer = parse_sdp(offer_of("baresip_invite.sip"))
    assert offer.payload_types == [0, 8, 101]
    assert offer.telephone_event_pt == 101
    assert (offer.address, offer.port) == ("192.0.2.2", 11670)
    chosen, body = answer_offer(offer, "127.0.0.1", 40000)
    assert chosen.codec == PCMU
    assert chosen.telephone_event_pt == 101
    answer = parse_sdp(body)
    assert answer.payload_types == [0, 101]
    assert answer.port == 40000


def test_given_sipp_offer_without_telephone_event_then_answer_has_none() -> None:
    chosen, body = answer_offer(parse_sdp(offer_of("sipp_uac_invite_udp.sip")), "127.0.0.1", 1)
    assert chosen.telephone_event_pt is None
    assert b"telephone-event" not in body


def test_given_offer_preferring_pcma_then_pcma_is_chosen() -> None:
    offer = parse_sdp(build_sdp("10.0.0.1", 5000, [PCMA, PCMU]))
    assert answer_offer(offer, "127.0.0.1", 1)[0].codec == PCMA


def test_given_offer_without_common_codec_then_488() -> None:
    body = (
        b"v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\n"
        b"m=audio 4000 RTP/AVP 9 18\r\n"
    )
    with pytest.raises(SdpError) as caught:
        answer_offer(parse_sdp(body), "127.0.0.1", 1)
    assert caught.value.status_hint == 488


@pytest.mark.parametrize(
    ("direction", "answered", "hold"),
    [
        ("sendonly", "recvonly", True),
        ("inactive", "inactive", True),
        ("sendrecv", "sendrecv", False),
    ],
)
def test_given_hold_offer_then_answer_mirrors_direction(
    direction: str, answered: str, hold: bool
) -> None:
    offer = parse_sdp(build_sdp("10.0.0.1", 5000, [PCMU], direction=direction))
    assert offer.on_hold is hold
    assert answer_offer(offer, "127.0.0.1", 1)[0].direction == answered


def test_given_old_style_hold_with_zero_address_then_inactive() -> None:
    offer = parse_sdp(build_sdp("0.0.0.0", 5000, [PCMU]))
    assert offer.on_hold
    assert answer_offer(offer, "127.0.0.1", 1)[0].direction == "inactive"


def test_given_sdp_without_audio_then_error() -> None:
    with pytest.raises(SdpError):
        parse_sdp(b"v=0\r\nc=IN IP4 1.2.3.4\r\nm=video 5000 RTP/AVP 96\r\n")
