"""SDP (RFC 4566) for one audio stream, and the offer/answer rules of RFC 3264 that we use.

We speak G.711 only: PCMU (payload type 0) and PCMA (8), plus RFC 4733 ``telephone-event``.
:func:`answer_offer` picks the first of the offerer's formats that we support (the offerer's order
is its preference), keeps telephone-event with the offerer's payload type, and mirrors the
direction (``sendonly`` → ``recvonly``: the peer puts us on hold). An offer without a common codec
raises :class:`~madoguchi.telephony.errors.SdpError` (answer 488).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from madoguchi.telephony.errors import SdpError

PCMU = 0
PCMA = 8
#: static payload types we can send and receive
SUPPORTED_CODECS = {PCMU: "PCMU", PCMA: "PCMA"}
DEFAULT_TELEPHONE_EVENT_PT = 101
_DIRECTIONS = ("sendrecv", "sendonly", "recvonly", "inactive")
_MIRROR = {"sendrecv": "sendrecv", "sendonly": "recvonly", "recvonly": "sendonly"}
_MIRROR["inactive"] = "inactive"


@dataclass(slots=True)
class AudioDescription:
    """The audio part of a session description."""

    address: str
    """Where the media goes (connection address)."""
    port: int
    """RTP port (0: stream refused)."""
    payload_types: list[int]
    """Formats in preference order."""
    rtpmap: dict[int, str] = field(default_factory=dict)
    """Payload type → ``encoding/clock`` for the formats that carry an rtpmap."""
    direction: str = "sendrecv"
    """sendrecv, sendonly, recvonly or inactive."""
    telephone_event_pt: int | None = None
    """Payload type of RFC 4733 events, if offered."""
    ptime: int = 20
    """Packet time in ms."""

    @property
    def on_hold(self) -> bool:
        """True when this description puts the other side on hold (RFC 3264 §8.4, or c=0.0.0.0)."""
        return self.direction in ("sendonly", "inactive") or self.address == "0.0.0.0"  # noqa: S104

    @property
    def codec(self) -> int:
        """The first audio codec we support (the one used for sending)."""
        for pt in self.payload_types:
            if pt in SUPPORTED_CODECS:
                return pt
        raise SdpError("no common codec")


def parse_sdp(body: bytes) -> AudioDescription:
    """Parse the first audio stream of an SDP body."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as err:
        raise SdpError("SDP is not UTF-8", 400) from err
    session_address = ""
    media: AudioDescription | None = None
    session_direction = "sendrecv"
    in_other_media = False
    for raw in text.splitlines():
        line = raw.strip()
        if len(line) < 2 or line[1] != "=":
            continue
        kind, value = line[0], line[2:]
        if kind == "m":
            parts = value.split()
            if media is not None:
                break  # only the first audio stream
            if len(parts) < 4 or parts[0] != "audio":
                in_other_media = True
                continue
            in_other_media = False
            try:
                port = int(parts[1].split("/")[0])
                pts = [int(p) for p in parts[3:]]
            except ValueError as err:
                raise SdpError("bad m= line", 400) from err
            media = AudioDescription(session_address, port, pts, direction=session_direction)
        elif in_other_media:
            continue
        elif kind == "c":
            parts = value.split()
            if len(parts) != 3:
                raise SdpError("bad c= line", 400)
            address = parts[2].split("/")[0]
            if media is None:
                session_address = address
            else:
                media.address = address
        elif kind == "a":
            name, _, arg = value.partition(":")
            if name in _DIRECTIONS:
                if media is None:
                    session_direction = name
                else:
                    media.direction = name
            elif name == "rtpmap" and media is not None:
                pt_text, _, encoding = arg.partition(" ")
                if pt_text.isdigit():
                    pt = int(pt_text)
                    media.rtpmap[pt] = encoding.strip()
                    if encoding.lower().startswith("telephone-event/8000"):
                        media.telephone_event_pt = pt
            elif name == "ptime" and media is not None and arg.strip().isdigit():
                media.ptime = int(arg.strip())
    if media is None:
        raise SdpError("no audio stream", 488)
    if not media.address:
        raise SdpError("no connection address", 400)
    return media


def build_sdp(
    address: str,
    port: int,
    payload_types: list[int],
    *,
    telephone_event_pt: int | None = DEFAULT_TELEPHONE_EVENT_PT,
    direction: str = "sendrecv",
    session_id: int = 1,
    version: int = 1,
) -> bytes:
    """An SDP body offering or answering one audio stream."""
    formats = list(payload_types)
    if telephone_event_pt is not None:
        formats.append(telephone_event_pt)
    lines = [
        "v=0",
        f"o=madoguchi {session_id} {version} IN IP4 {address}",
        "s=madoguchi",
        f"c=IN IP4 {address}",
        "t=0 0",
        f"m=audio {port} RTP/AVP {' '.join(str(f) for f in formats)}",
    ]
    for pt in payload_types:
        lines.append(f"a=rtpmap:{pt} {SUPPORTED_CODECS[pt]}/8000")
    if telephone_event_pt is not None:
        lines.append(f"a=rtpmap:{telephone_event_pt} telephone-event/8000")
        lines.append(f"a=fmtp:{telephone_event_pt} 0-16")
    lines.append("a=ptime:20")
    lines.append(f"a={direction}")
    return ("\r\n".join(lines) + "\r\n").encode()


@dataclass(slots=True, frozen=True)
class Negotiated:
    """What an offer/answer exchange settled on."""

    codec: int
    """Payload type of the audio codec."""
    telephone_event_pt: int | None
    """Payload type for RFC 4733 events (None: the peer does not do them)."""
    direction: str
    """Our direction in the answer."""


def negotiate(offer: AudioDescription) -> Negotiated:
    """Choose codec, telephone-event and our direction for an answer to ``offer`` (RFC 3264 §6)."""
    if offer.port == 0:
        raise SdpError("audio stream refused by the offerer", 488)
    codec = offer.codec
    direction = "inactive" if offer.address == "0.0.0.0" else _MIRROR[offer.direction]  # noqa: S104
    return Negotiated(codec, offer.telephone_event_pt, direction)


def answer_offer(
    offer: AudioDescription, address: str, port: int, session_id: int = 1, version: int = 1
) -> tuple[Negotiated, bytes]:
    """Negotiate and build the answer body for ``offer`` with our media at ``address:port``."""
    chosen = negotiate(offer)
    body = build_sdp(
        address,
        port,
        [chosen.codec],
        telephone_event_pt=chosen.telephone_event_pt,
        direction=chosen.direction,
        session_id=session_id,
        version=version,
    )
    return chosen, body
