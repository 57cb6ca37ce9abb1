"""SIP messages (RFC 3261 §7): parse bytes in one pass, serialize back to bytes.

``parse_message(data)`` returns a :class:`SipRequest` or :class:`SipResponse`, or raises
``SipParseError``: with ``status_hint=400`` when the bytes are a SIP request that is malformed
 (the caller answers 400 if :func:`bad_request_response` can build one),
with ``status_hint=None`` when they are not SIP at all (the caller drops them).

Header names are kept as received, compact forms (``v``, ``i``, ``f`` …) are expanded; look-ups are
case-insensitive. A header line holding several comma-separated values (``Via: a, b``) is split by
:meth:`Headers.get_all`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from madoguchi.telephony.errors import SipParseError

#: the largest message we accept (the largest UDP payload); larger ones are answered 400
MAX_MESSAGE_BYTES = 65_535
#: the most header lines we accept in one message
MAX_HEADER_LINES = 256

_COMPACT = {
    "i": "Call-ID",
    "m": "Contact",
    "e": "Content-Encoding",
    "l": "Content-Length",
    "c": "Content-Type",
    "f": "From",
    "s": "Subject",
    "k": "Supported",
    "t": "To",
    "v": "Via",
    "o": "Event",
    "r": "Refer-To",
    "b": "Referred-By",
    "x": "Session-Expires",
    "u": "Allow-Events",
}
_REQUIRED_IN_REQUEST = ("via", "from", "to", "call-id", "cseq")
_TOKEN_CHARS = frozenset(
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-.!%*_+`'~"
)


class Headers:
    """An ordered, case-insensitive multi-map of SIP header fields."""

    __slots__ = ("_items",)

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        self._items: list[tuple[str, str, str]] = [(n.lower(), n, v) for n, v in items]

    def get(self, name: str, default: str | None = None) -> str | None:
        """The first value of header ``name``, or ``default``."""
        key = name.lower()
        for lower, _, value in self._items:
            if lower == key:
                return value
        return default

    def first(self, name: str) -> str:
        """The first value of header ``name``; ``KeyError`` when absent."""
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return value

    def get_all(self, name: str) -> list[str]:
        """Every value of header ``name``, comma-separated values split apart."""
        key = name.lower()
        out: list[str] = []
        for lower, _, value in self._items:
            if lower == key:
                out.extend(split_header_values(value))
        return out

    def values(self, name: str) -> list[str]:
        """Every field named ``name``, one per header line, not split at commas
        (for WWW-Authenticate and the like, whose values contain commas)."""
        key = name.lower()
        return [value for lower, _, value in self._items if lower == key]

    def add(self, name: str, value: str) -> None:
        """Append a header field."""
        self._items.append((name.lower(), name, value))

    def prepend(self, name: str, value: str) -> None:
        """Insert a header field before all others (a proxy's Via)."""
        self._items.insert(0, (name.lower(), name, value))

    def set(self, name: str, value: str) -> None:
        """Replace every field named ``name`` by one with ``value``."""
        self.remove(name)
        self.add(name, value)

    def remove(self, name: str) -> None:
        """Remove every field named ``name``."""
        key = name.lower()
        self._items = [item for item in self._items if item[0] != key]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return ((display, value) for _, display, value in self._items)

    def __len__(self) -> int:
        return len(self._items)

    def copy(self) -> Headers:
        """A shallow copy."""
        clone = Headers()
        clone._items = list(self._items)
        return clone


def split_header_values(value: str) -> list[str]:
    """Split ``a, "b,c" <sip:x>, d`` at commas outside quotes and angle brackets."""
    if "," not in value:
        return [value.strip()]
    parts: list[str] = []
    depth = 0
    quoted = False
    start = 0
    for i, ch in enumerate(value):
        if ch == '"':
            quoted = not quoted
        elif quoted:
            continue
        elif ch == "<":
            depth += 1
        elif ch == ">":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(value[start:i].strip())
            start = i + 1
    parts.append(value[start:].strip())
    return [p for p in parts if p]


@dataclass(slots=True)
class SipRequest:
    """A SIP request: method, Request-URI, headers and body."""

    method: str
    uri: str
    headers: Headers = field(default_factory=Headers)
    body: bytes = b""

    def to_bytes(self) -> bytes:
        """The request on the wire, with a Content-Length computed from the body."""
        return _serialize(f"{self.method} {self.uri} SIP/2.0", self.headers, self.body)


@dataclass(slots=True)
class SipResponse:
    """A SIP response: status code, reason phrase, headers and body."""

    status: int
    reason: str
    headers: Headers = field(default_factory=Headers)
    body: bytes = b""

    def to_bytes(self) -> bytes:
        """The response on the wire, with a Content-Length computed from the body."""
        return _serialize(f"SIP/2.0 {self.status} {self.reason}", self.headers, self.body)


SipMessage = SipRequest | SipResponse


def _serialize(start_line: str, headers: Headers, body: bytes) -> bytes:
    lines = [start_line]
    for _, display, value in headers._items:
        if display.lower() != "content-length":
            lines.append(f"{display}: {value}")
    lines.append(f"Content-Length: {len(body)}")
    lines.append("")
    lines.append("")
    return "\r\n".join(lines).encode() + body


def parse_message(data: bytes) -> SipMessage:
    """Parse one SIP message from a datagram (or a frame cut out of a stream).

    Raises :class:`SipParseError`; ``status_hint`` tells whether to answer 400 or drop.
    """
    end = data.find(b"\r\n\r\n")
    sep = 4
    if end < 0:
        end = data.find(b"\n\n")
        sep = 2
    head = data if end < 0 else data[:end]
    first_end = head.find(b"\n")
    first = (head if first_end < 0 else head[:first_end]).rstrip(b"\r")
    is_response = first.startswith(b"SIP/2.0 ")
    if not is_response:
        _check_request_line(first)
    hint = None if is_response else 400
    if len(data) > MAX_MESSAGE_BYTES:
        raise SipParseError("message too large", hint)
    if end < 0:
        raise SipParseError("no end of headers (truncated)", hint)
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as err:
        raise SipParseError("headers are not UTF-8", hint) from err
    lines = text.split("\n")
    if len(lines) > MAX_HEADER_LINES:
        raise SipParseError("too many header lines", hint)
    headers = Headers()
    items = headers._items
    for raw in lines[1:]:
        line = raw.rstrip("\r")
        if not line:
            raise SipParseError("empty line inside headers", hint)
        if line[0] in " \t":  # folded continuation (RFC 3261 §7.3.1)
            if not items:
                raise SipParseError("continuation before first header", hint)
            lower, display, value = items[-1]
            items[-1] = (lower, display, f"{value} {line.strip()}".strip())
            continue
        colon = line.find(":")
        if colon <= 0:
            raise SipParseError(f"header line without name: {line[:40]!r}", hint)
        name = line[:colon].strip()
        if not name or " " in name:
            raise SipParseError(f"bad header name {name[:40]!r}", hint)
        display = _COMPACT.get(name, name) if len(name) == 1 else name
        items.append((display.lower(), display, line[colon + 1 :].strip()))
    body = data[end + sep :]
    length_text = headers.get("content-length")
    if length_text is not None:
        try:
            length = int(length_text)
        except ValueError as err:
            raise SipParseError("bad Content-Length", hint) from err
        if length < 0 or length > len(body):
            raise SipParseError("Content-Length beyond the message (truncated body)", hint)
        body = body[:length]
    if is_response:
        return _response(first, headers, body)
    return _request(first, headers, body)


def _check_request_line(first: bytes) -> None:
    parts = first.split(b" ")
    if len(parts) != 3 or parts[2] != b"SIP/2.0" or not parts[0] or not parts[1]:
        raise SipParseError("not a SIP start line", None)
    if not all(c in _TOKEN_CHARS for c in parts[0]):
        raise SipParseError("not a SIP method", None)


def _request(first: bytes, headers: Headers, body: bytes) -> SipRequest:
    method_b, uri_b, _ = first.split(b" ")
    method = method_b.decode("ascii")
    try:
        uri = uri_b.decode("utf-8")
    except UnicodeDecodeError as err:
        raise SipParseError("Request-URI is not UTF-8") from err
    if ":" not in uri:
        raise SipParseError("Request-URI without scheme")
    for name in _REQUIRED_IN_REQUEST:
        if headers.get(name) is None:
            raise SipParseError(f"missing {name} header")
    cseq = headers.first("cseq").split()
    if len(cseq) != 2 or not cseq[0].isdigit() or len(cseq[0]) > 10:
        raise SipParseError("bad CSeq")
    if cseq[1] != method and not (method == "ACK" and cseq[1] == "INVITE"):
        raise SipParseError("CSeq method does not match the request")
    return SipRequest(method, uri, headers, body)


def _response(first: bytes, headers: Headers, body: bytes) -> SipResponse:
    parts = first.split(b" ", 2)
    if len(parts) < 2 or len(parts[1]) != 3 or not parts[1].isdigit():
        raise SipParseError("bad status line", None)
    status = int(parts[1])
    if status < 100:
        raise SipParseError("bad status code", None)
    reason = parts[2].decode("utf-8", "replace") if len(parts) == 3 else ""
    for name in _REQUIRED_IN_REQUEST:
        if headers.get(name) is None:
            raise SipParseError(f"response without {name}", None)
    return SipResponse(status, reason, headers, body)


def bad_request_response(data: bytes, reason: str = "Bad Request") -> SipResponse | None:
    """A 400 answer to malformed request bytes, or ``None`` if they lack what a response needs.

    The header lines are scanned leniently for Via, From, To, Call-ID and CSeq, which a response
    must copy (RFC 3261 §8.2.6.2).
    """
    head = data[:MAX_MESSAGE_BYTES]
    end = head.find(b"\r\n\r\n")
    text = (head if end < 0 else head[:end]).decode("utf-8", "replace")
    copied: dict[str, list[str]] = {}
    for line in text.split("\n")[1:]:
        name, sep, value = line.partition(":")
        name = name.strip()
        if not sep or not name:
            continue
        canonical = _COMPACT.get(name, name) if len(name) == 1 else name
        lower = canonical.lower()
        if lower in _REQUIRED_IN_REQUEST:
            copied.setdefault(lower, []).append(value.strip().rstrip("\r"))
    if any(name not in copied for name in ("via", "call-id", "from", "to")):
        return None
    headers = Headers()
    for value in copied["via"]:
        headers.add("Via", value)
    headers.add("From", copied["from"][0])
    headers.add("To", copied["to"][0])
    headers.add("Call-ID", copied["call-id"][0])
    headers.add("CSeq", copied.get("cseq", ["0 INVALID"])[0])
    return SipResponse(400, reason, headers)


_REASONS = {
    100: "Trying",
    180: "Ringing",
    183: "Session Progress",
    200: "OK",
    202: "Accepted",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    407: "Proxy Authentication Required",
    408: "Request Timeout",
    415: "Unsupported Media Type",
    422: "Session Interval Too Small",
    423: "Interval Too Brief",
    480: "Temporarily Unavailable",
    481: "Call/Transaction Does Not Exist",
    486: "Busy Here",
    487: "Request Terminated",
    488: "Not Acceptable Here",
    500: "Server Internal Error",
    503: "Service Unavailable",
    603: "Decline",
}


def reason_phrase(status: int) -> str:
    """The usual reason phrase of ``status``."""
    return _REASONS.get(status, "Unknown")


def response_to(
    request: SipRequest, status: int, reason: str | None = None, to_tag: str | None = None
) -> SipResponse:
    """A response to ``request`` copying Via, From, To, Call-ID, CSeq (RFC 3261 §8.2.6.2).

    ``to_tag`` is added to To when the request's To has none (and the status is above 100).
    """
    src = request.headers
    headers = Headers()
    items = headers._items
    for lower, display, value in src._items:
        if lower in ("via", "from", "call-id", "cseq", "record-route"):
            items.append((lower, display, value))
        elif lower == "to":
            if to_tag and status > 100 and ";tag=" not in value.lower():
                value = f"{value};tag={to_tag}"
            items.append((lower, display, value))
    return SipResponse(status, reason or reason_phrase(status), headers)
