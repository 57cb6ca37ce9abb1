"""SIP dialogs (RFC 3261 §12): the state shared by the requests of one call.

A :class:`Dialog` is made from the INVITE (as UAS) or from the INVITE and its 2xx (as UAC); it
builds in-dialog requests (BYE, re-INVITE, INFO, ACK) with the right Call-ID, tags, CSeq, remote
target and route set (loose routing, RFC 3261 §16.12; Record-Route in request order for a UAS,
reversed for a UAC), and checks the CSeq order of requests from the peer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from madoguchi.telephony.sip.fields import header_tag, parse_name_addr, parse_uri
from madoguchi.telephony.sip.message import Headers, SipRequest, SipResponse

DialogKey = tuple[str, str, str]


@dataclass(slots=True)
class Dialog:
    """One dialog, seen from our side."""

    call_id: str
    """Call-ID of the dialog."""
    local_tag: str
    """Our tag."""
    remote_tag: str
    """The peer's tag."""
    local_uri: str
    """Our From/To value without tag (the From of our requests)."""
    remote_uri: str
    """The peer's From/To value without tag (the To of our requests)."""
    remote_target: str
    """The peer's Contact URI: Request-URI of our in-dialog requests."""
    local_contact: str
    """Our Contact URI."""
    local_cseq: int
    """CSeq number of our latest request."""
    remote_cseq: int
    """CSeq number of the peer's latest request (-1: none yet)."""
    route_set: list[str] = field(default_factory=list)
    """Route header values for our requests."""

    @property
    def key(self) -> DialogKey:
        """(Call-ID, local tag, remote tag)."""
        return (self.call_id, self.local_tag, self.remote_tag)

    @classmethod
    def as_uas(cls, invite: SipRequest, local_tag: str, local_contact: str) -> Dialog:
        """The dialog a UAS creates when it answers ``invite`` (§12.1.1)."""
        h = invite.headers
        contact = h.get_all("contact")
        target = parse_name_addr(contact[0]).uri if contact else invite.uri
        return cls(
            call_id=h.first("call-id"),
            local_tag=local_tag,
            remote_tag=header_tag(h.first("from")),
            local_uri=_without_tag(h.first("to")),
            remote_uri=_without_tag(h.first("from")),
            remote_target=target,
            local_contact=local_contact,
            local_cseq=0,
            remote_cseq=int(h.first("cseq").split()[0]),
            route_set=h.get_all("record-route"),
        )

    @classmethod
    def as_uac(cls, invite: SipRequest, response: SipResponse, local_contact: str) -> Dialog:
        """The dialog a UAC creates from its ``invite`` and a 2xx (or 1xx with tag) (§12.1.2)."""
        h = response.headers
        contact = h.get_all("contact")
        target = parse_name_addr(contact[0]).uri if contact else invite.uri
        return cls(
            call_id=invite.headers.first("call-id"),
            local_tag=header_tag(invite.headers.first("from")),
            remote_tag=header_tag(h.first("to")),
            local_uri=_without_tag(invite.headers.first("from")),
            remote_uri=_without_tag(h.first("to")),
            remote_target=target,
            local_contact=local_contact,
            local_cseq=int(invite.headers.first("cseq").split()[0]),
            remote_cseq=-1,
            route_set=list(reversed(h.get_all("record-route"))),
        )

    def accept_remote_cseq(self, request: SipRequest) -> bool:
        """True when ``request``'s CSeq is in order (an ACK or CANCEL always is); records it."""
        if request.method in ("ACK", "CANCEL"):
            return True
        cseq = int(request.headers.first("cseq").split()[0])
        if self.remote_cseq >= 0 and cseq <= self.remote_cseq:
            return False
        self.remote_cseq = cseq
        return True

    def create_request(
        self,
        method: str,
        via: str,
        body: bytes = b"",
        content_type: str | None = None,
        cseq: int | None = None,
    ) -> SipRequest:
        """An in-dialog request; ``via`` is our Via value (with a fresh branch)."""
        if cseq is None:
            self.local_cseq += 1
            cseq = self.local_cseq
        headers = Headers()
        headers.add("Via", via)
        for route in self.route_set:
            headers.add("Route", route)
        headers.add("Max-Forwards", "70")
        headers.add("From", f"{self.local_uri};tag={self.local_tag}")
        headers.add("To", f"{self.remote_uri};tag={self.remote_tag}")
        headers.add("Call-ID", self.call_id)
        headers.add("CSeq", f"{cseq} {method}")
        headers.add("Contact", f"<{self.local_contact}>")
        if content_type is not None:
            headers.add("Content-Type", content_type)
        return SipRequest(method, self.remote_target, headers, body)

    def next_hop(self) -> tuple[str, int | None]:
        """Host and port of the first route, or of the remote target."""
        first = parse_name_addr(self.route_set[0]).uri if self.route_set else self.remote_target
        uri = parse_uri(first)
        return uri.host, uri.port


def _without_tag(value: str) -> str:
    i = value.lower().find(";tag=")
    if i < 0:
        return value
    rest = value[i + 5 :]
    end = rest.find(";")
    return value[:i] + ("" if end < 0 else rest[end:])
