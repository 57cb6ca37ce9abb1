"""Parser and serializer against messages as sipp and baresip really send them."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from madoguchi.telephony.errors import SipParseError
from madoguchi.telephony.sip.message import (
    MAX_MESSAGE_BYTES,
    SipRequest,
    SipResponse,
    bad_request_response,
    parse_message,
    response_to,
)

FIXTURES = Path(__file__).parent.parent / "fixtures"
REAL = sorted(FIXTURES.glob("*.sip"))


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.mark.parametrize("path", REAL, ids=[p.stem for p in REAL])
def test_given_real_peer_message_when_parsed_then_serialized_form_parses_the_same(
    path: Path,
) -> None:
    message = parse_message(path.read_bytes())
    again = parse_message(message.to_bytes())
    assert type(again) is type(message)
    assert list(again.headers) == list(message.headers)
    assert again.body == message.body


def test_given_sipp_invite_then_fields_and_sdp_body_are_read() -> None:
    message = parse_message(fixture("sipp_uac_invite_udp.sip"))
    assert isinstance(message, SipRequest)
    assert message.method == "INVITE"
    assert message.uri == "sip:service@127.0.0.1:5090"
    assert message.headers.first("call-id").endswith("@127.0.0.1")
    assert message.headers.first("CSEQ") == "1 INVITE"
    assert message.body.startswith(b"v=0")
    assert len(message.body) == int(message.headers.first("content-length"))


def test_given_baresip_invite_with_empty_supported_header_then_it_parses() -> None:
    message = parse_message(fixture("baresip_invite.sip"))
    assert message.headers.get("supported") == ""
    assert b"telephone-event" in message.body


def test_given_compact_headers_then_long_names_are_used() -> None:
    data = (
        b"OPTIONS sip:a@b SIP/2.0\r\nv: SIP/2.0/UDP h:1;branch=z9hG4bKx\r\nf: <sip:x@y>;tag=1\r\n"
        b"t: <sip:a@b>\r\ni: abc\r\nCSeq: 1 OPTIONS\r\nl: 0\r\n\r\n"
    )
    message = parse_message(data)
    assert message.headers.first("Call-ID") == "abc"
    assert "Via: SIP/2.0/UDP h:1" in message.to_bytes().decode()


def test_given_via_with_two_values_then_get_all_splits_them() -> None:
    data = fixture("sipp_uac_bye_udp.sip").replace(
        b"Via: ", b"Via: SIP/2.0/UDP proxy:5060;branch=z9hG4bKp, ", 1
    )
    vias = parse_message(data).headers.get_all("via")
    assert len(vias) == 2
    assert vias[0].endswith("z9hG4bKp")


def test_given_folded_header_then_continuation_is_joined() -> None:
    data = fixture("sipp_uac_bye_udp.sip").replace(b"Max-Forwards: 70", b"Max-Forwards:\r\n 70")
    assert parse_message(data).headers.first("max-forwards") == "70"


MALFORMED = {
    "truncated_body": lambda d: d[:-20],
    "truncated_headers": lambda d: d[: d.find(b"\r\n\r\n") - 5],
    "no_cseq": lambda d: d.replace(b"CSeq: 1 INVITE\r\n", b""),
    "cseq_method_mismatch": lambda d: d.replace(b"CSeq: 1 INVITE", b"CSeq: 1 BYE"),
    "bad_cseq_number": lambda d: d.replace(b"CSeq: 1 INVITE", b"CSeq: x INVITE"),
    "bad_content_length": lambda d: d.replace(b"Content-Length:   129", b"Content-Length: many"),
    "header_without_colon": lambda d: d.replace(b"Max-Forwards: 70", b"Max-Forwards 70"),
    "latin1_header": lambda d: d.replace(b"Subject: Performance Test", b"Subject: \xe9t\xe9"),
    "oversized": lambda d: d.replace(b"Subject: ", b"Subject: " + b"x" * MAX_MESSAGE_BYTES),
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_given_malformed_sipp_invite_then_parse_error_hints_400_and_a_400_can_be_built(
    name: str,
) -> None:
    data = MALFORMED[name](fixture("sipp_uac_invite_udp.sip"))
    with pytest.raises(SipParseError) as caught:
        parse_message(data)
    assert caught.value.status_hint == 400
    if name != "truncated_headers":
        response = bad_request_response(data)
        assert response is not None
        assert response.status == 400
        assert response.headers.first("call-id") == "1-19821@127.0.0.1"


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x00\x01\x02garbage",
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        b"hello world\r\n\r\n",
        b"SIP/2.0 abc OK\r\n\r\n",
    ],
)
def test_given_non_sip_bytes_then_parse_error_says_drop(data: bytes) -> None:
    with pytest.raises(SipParseError) as caught:
        parse_message(data)
    assert caught.value.status_hint is None


def test_given_request_then_response_copies_dialog_headers_and_adds_to_tag() -> None:
    request = parse_message(fixture("sipp_uac_invite_udp.sip"))
    assert isinstance(request, SipRequest)
    response = response_to(request, 180, to_tag="abc")
    again = parse_message(response.to_bytes())
    assert isinstance(again, SipResponse)
    assert again.status == 180
    assert again.headers.first("to").endswith(";tag=abc")
    assert again.headers.first("cseq") == "1 INVITE"


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600))
def test_given_random_bytes_then_parser_raises_only_its_own_error(data: bytes) -> None:
    with contextlib.suppress(SipParseError):
        parse_message(data)


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=400), st.binary(max_size=8), st.integers(0, 7))
def test_given_mutated_real_message_then_parser_raises_only_its_own_error(
    position: int, insert: bytes, which: int
) -> None:
    data = REAL[which % len(REAL)].read_bytes()
    mutated = data[:position] + insert + data[position + len(insert) :]
    try:
        message = parse_message(mutated)
    except SipParseError:
        return
    bad_request_response(mutated)
    message.to_bytes()
