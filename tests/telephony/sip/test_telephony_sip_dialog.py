"""Dialogs, stream framing and header fields."""

from __future__ import annotations

from pathlib import Path

import pytest

from madoguchi.telephony.sip.dialog import Dialog
from madoguchi.telephony.sip.fields import parse_name_addr, parse_uri, parse_via
from madoguchi.telephony.sip.message import SipRequest, parse_message, response_to
from madoguchi.telephony.sip.transport import StreamFramer

FIXTURES = Path(__file__).parent.parent / "fixtures"


def invite() -> SipRequest:
    message = parse_message((FIXTURES / "baresip_invite.sip").read_bytes())
    assert isinstance(message, SipRequest)
    return message


def test_given_uas_dialog_then_bye_targets_the_contact_with_swapped_tags() -> None:
    request = invite()
    request.headers.add("Record-Route", "<sip:proxy1;lr>, <sip:proxy2;lr>")
    dialog = Dialog.as_uas(request, "ourtag", "sip:madoguchi@127.0.0.1:5090")
    bye = dialog.create_request("BYE", "SIP/2.0/UDP 127.0.0.1:5090;branch=z9hG4bKa")
    assert bye.uri == "sip:1001-0x56398e33c410@127.0.0.1:5095"
    assert bye.headers.first("from").endswith(";tag=ourtag")
    assert bye.headers.first("to").endswith(";tag=ca63684b81609b24")
    assert bye.headers.get_all("route") == ["<sip:proxy1;lr>", "<sip:proxy2;lr>"]
    assert dialog.next_hop() == ("proxy1", None)
    assert bye.headers.first("cseq") == "1 BYE"


def test_given_uac_dialog_then_record_route_is_reversed() -> None:
    request = invite()
    response = response_to(request, 200, to_tag="far")
    response.headers.add("Record-Route", "<sip:p1;lr>")
    response.headers.add("Record-Route", "<sip:p2;lr>")
    response.headers.add("Contact", "<sip:far@10.0.0.2:5070>")
    dialog = Dialog.as_uac(request, response, "sip:me@127.0.0.1")
    assert dialog.route_set == ["<sip:p2;lr>", "<sip:p1;lr>"]
    assert dialog.remote_target == "sip:far@10.0.0.2:5070"
    assert dialog.create_request("BYE", "v").headers.first("cseq") == "25565 BYE"


def test_given_request_with_old_cseq_then_it_is_refused() -> None:
    dialog = Dialog.as_uas(invite(), "t", "sip:m@h")
    stale = invite()
    stale.method = "BYE"
    stale.headers.set("CSeq", "25564 BYE")
    assert not dialog.accept_remote_cseq(stale)
    stale.headers.set("CSeq", "25565 BYE")
    assert dialog.accept_remote_cseq(stale)


def test_stream_framer_cuts_messages_by_content_length_across_chunks() -> None:
    data = (FIXTURES / "sipp_uac_invite_tcp.sip").read_bytes()
    stream = b"\r\n\r\n" + data + data
    framer = StreamFramer()
    out = []
    for i in range(0, len(stream), 37):
        out.extend(framer.feed(stream[i : i + 37]))
    assert out == [data, data]


def test_stream_framer_refuses_endless_headers() -> None:
    with pytest.raises(ValueError, match="too long"):
        StreamFramer().feed(b"INVITE sip:a SIP/2.0\r\n" + b"X: y\r\n" * 20000)


def test_fields_parse_via_uri_and_name_addr() -> None:
    via = parse_via("SIP/2.0/UDP 127.0.0.1:5095;branch=z9hG4bK1;rport")
    assert (via.transport, via.host, via.port, via.branch) == ("UDP", "127.0.0.1", 5095, "z9hG4bK1")
    assert via.params["rport"] == ""
    uri = parse_uri("sip:1001@[::1]:5060;transport=tcp")
    assert (uri.user, uri.host, uri.port, uri.params) == ("1001", "::1", 5060, {"transport": "tcp"})
    addr = parse_name_addr('"Agent, One" <sip:1001@h>;tag=x')
    assert (addr.display_name, addr.uri, addr.tag) == ("Agent, One", "sip:1001@h", "x")
