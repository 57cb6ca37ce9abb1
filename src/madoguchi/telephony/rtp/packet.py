"""RTP packets (RFC 3550 §5.1): parse and build the fixed header; CSRCs and extensions skipped."""

from __future__ import annotations

import struct
from dataclasses import dataclass

from madoguchi.telephony.errors import RtpParseError

HEADER = struct.Struct("!BBHII")
"""The fixed header: V/P/X/CC, M/PT, sequence, timestamp, SSRC."""
_HEADER = HEADER


@dataclass(slots=True)
class RtpPacket:
    """One RTP packet."""

    payload_type: int
    """7-bit payload type."""
    sequence: int
    """16-bit sequence number."""
    timestamp: int
    """32-bit media timestamp (8 kHz units for G.711 and telephone-event)."""
    ssrc: int
    """Synchronization source."""
    payload: bytes
    """The payload, padding removed."""
    marker: bool = False
    """The marker bit (start of a talkspurt or of a DTMF event)."""

    def to_bytes(self) -> bytes:
        """The packet on the wire (version 2, no padding, no CSRC, no extension)."""
        second = (0x80 if self.marker else 0) | (self.payload_type & 0x7F)
        return (
            _HEADER.pack(
                0x80,
                second,
                self.sequence & 0xFFFF,
                self.timestamp & 0xFFFFFFFF,
                self.ssrc & 0xFFFFFFFF,
            )
            + self.payload
        )


def parse_rtp(data: bytes) -> RtpPacket:
    """Parse an RTP datagram; raises :class:`RtpParseError` on short or non-v2 data."""
    if len(data) < 12:
        raise RtpParseError("shorter than an RTP header")
    first, second, sequence, timestamp, ssrc = _HEADER.unpack_from(data)
    if first >> 6 != 2:
        raise RtpParseError("not RTP version 2")
    offset = 12 + 4 * (first & 0x0F)
    if first & 0x10:  # header extension
        if len(data) < offset + 4:
            raise RtpParseError("truncated header extension")
        (words,) = struct.unpack_from("!H", data, offset + 2)
        offset += 4 + 4 * words
    end = len(data)
    if first & 0x20:  # padding: last octet counts the padding
        end -= data[-1]
    if offset > end:
        raise RtpParseError("truncated RTP packet")
    return RtpPacket(
        second & 0x7F, sequence, timestamp, ssrc, bytes(data[offset:end]), bool(second & 0x80)
    )
