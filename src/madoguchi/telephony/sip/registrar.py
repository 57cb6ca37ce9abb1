"""A registrar (RFC 3261 §10.3): bindings of addresses-of-record to contacts, with expiry.

:meth:`Registrar.register` handles an already authenticated REGISTER and returns the response;
:meth:`Registrar.lookup` gives the live contacts of an address-of-record. Time is passed in as
``now``. Each binding remembers the address the REGISTER came from, so a phone behind NAT is
reached where it really is (RFC 3581 spirit), not at its private Contact address.
"""

from __future__ import annotations

from dataclasses import dataclass

from madoguchi.telephony.errors import SipParseError
from madoguchi.telephony.sip.fields import parse_name_addr, parse_uri
from madoguchi.telephony.sip.message import SipRequest, SipResponse, response_to


@dataclass(slots=True)
class Binding:
    """One registered contact of an address-of-record."""

    aor: str
    """``user@host`` of the To header, lower-cased."""
    contact: str
    """The Contact URI as registered."""
    expires_at: float
    """When the binding lapses (same clock as ``now``)."""
    source: tuple[str, int]
    """Address the REGISTER came from (where to send requests)."""
    transport: str
    """``udp`` or ``tcp``."""
    call_id: str
    """Call-ID of the registering client (to order refreshes)."""
    cseq: int
    """CSeq of the latest accepted REGISTER."""


def aor_of(uri: str) -> str:
    """The address-of-record key ``user@host`` (lower-cased) of a URI."""
    parsed = parse_uri(uri)
    return f"{parsed.user}@{parsed.host}".lower()


class Registrar:
    """Bindings per address-of-record, with expiry."""

    def __init__(
        self, default_expires: int = 3600, min_expires: int = 60, max_expires: int = 7200
    ) -> None:
        self.default_expires = default_expires
        self.min_expires = min_expires
        self.max_expires = max_expires
        self._bindings: dict[str, dict[str, Binding]] = {}

    def register(
        self, request: SipRequest, source: tuple[str, int], transport: str, now: float
    ) -> SipResponse:
        """Apply a REGISTER and return the response (200 with bindings, 400, 423 …)."""
        try:
            aor = aor_of(parse_name_addr(request.headers.first("to")).uri)
            contacts = request.headers.get_all("contact")
            cseq = int(request.headers.first("cseq").split()[0])
        except (SipParseError, KeyError, ValueError):
            return response_to(request, 400, "Bad Request - To or Contact")
        call_id = request.headers.first("call-id")
        header_expires = request.headers.get("expires")
        default = self.default_expires
        if header_expires is not None:
            if not header_expires.strip().isdigit():
                return response_to(request, 400, "Bad Request - Expires")
            default = int(header_expires)
        current = self._bindings.setdefault(aor, {})
        if contacts == ["*"]:
            if default != 0:
                return response_to(request, 400, "Bad Request - * needs Expires: 0")
            current.clear()
            return self._ok(request, aor, now)
        updates: list[tuple[str, int]] = []
        for value in contacts:
            try:
                addr = parse_name_addr(value)
            except SipParseError:
                return response_to(request, 400, "Bad Request - Contact")
            expires_text = addr.params.get("expires")
            expires = int(expires_text) if expires_text and expires_text.isdigit() else default
            if 0 < expires < self.min_expires:
                response = response_to(request, 423)
                response.headers.add("Min-Expires", str(self.min_expires))
                return response
            updates.append((addr.uri, min(expires, self.max_expires)))
        for uri, expires in updates:
            old = current.get(uri)
            if old is not None and old.call_id == call_id and old.cseq >= cseq:
                return response_to(request, 500, "Out of order REGISTER")
            if expires == 0:
                current.pop(uri, None)
            else:
                current[uri] = Binding(aor, uri, now + expires, source, transport, call_id, cseq)
        return self._ok(request, aor, now)

    def _ok(self, request: SipRequest, aor: str, now: float) -> SipResponse:
        response = response_to(request, 200)
        for binding in self.lookup(aor, now):
            remaining = max(0, int(binding.expires_at - now))
            response.headers.add("Contact", f"<{binding.contact}>;expires={remaining}")
        return response

    def lookup(self, aor: str, now: float) -> list[Binding]:
        """The live bindings of ``aor`` (``user@host``), expired ones dropped."""
        current = self._bindings.get(aor.lower())
        if not current:
            return []
        for uri in [u for u, b in current.items() if b.expires_at <= now]:
            del current[uri]
        return list(current.values())

    def purge(self, now: float) -> int:
        """Drop every expired binding; returns how many were dropped."""
        dropped = 0
        for aor in list(self._bindings):
            before = len(self._bindings[aor])
            dropped += before - len(self.lookup(aor, now))
            if not self._bindings[aor]:
                del self._bindings[aor]
        return dropped
