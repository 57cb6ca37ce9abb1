"""RFC 4733 telephone-events: decode keypad digits from RTP, encode digits as RTP payloads.

An event payload is 4 octets: event code, E (end) bit, R bit and 6-bit volume, 16-bit duration.
The packets of one event share its RTP timestamp and end packets are repeated (3× here). A
decoder therefore reports a digit once per event, and treats a new timestamp, or the marker bit,
as a new event (so the same digit pressed twice is reported twice).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

EVENT_DIGITS = "0123456789*#ABCD"
_PAYLOAD = struct.Struct("!BBH")
_SAMPLES_PER_PACKET = 160  # 20 ms at 8 kHz


def digit_of(event: int) -> str | None:
    """The keypad symbol of event code ``event`` (16 is flash: ``!``), or None."""
    if 0 <= event < len(EVENT_DIGITS):
        return EVENT_DIGITS[event]
    return "!" if event == 16 else None


def event_of(digit: str) -> int:
    """The event code of keypad symbol ``digit``."""
    if digit == "!":
        return 16
    index = EVENT_DIGITS.find(digit.upper())
    if len(digit) != 1 or index < 0:
        raise ValueError(f"not a DTMF digit: {digit!r}")
    return index


@dataclass(slots=True, frozen=True)
class DtmfEvent:
    """One telephone-event payload."""

    event: int
    """Event code (0–9, 10 = *, 11 = #, 12–15 = A–D, 16 = flash)."""
    end: bool
    """The E bit: this packet ends the event."""
    volume: int
    """Power level in −dBm0 (0–63)."""
    duration: int
    """Duration so far, in timestamp units."""


def parse_event(payload: bytes) -> DtmfEvent | None:
    """Parse a telephone-event payload (None when shorter than 4 octets)."""
    if len(payload) < 4:
        return None
    event, flags, duration = _PAYLOAD.unpack_from(payload)
    return DtmfEvent(event, bool(flags & 0x80), flags & 0x3F, duration)


class DtmfDecoder:
    """Turns a stream of telephone-event packets into digits, once per event."""

    def __init__(self) -> None:
        self._current: int | None = None

    def feed(self, payload: bytes, timestamp: int, marker: bool) -> str | None:
        """The digit this packet starts, or None when it continues a known event."""
        event = parse_event(payload)
        if event is None:
            return None
        if not marker and timestamp == self._current:
            return None
        self._current = timestamp
        return digit_of(event.event)


def encode_digit(
    digit: str, duration_ms: int = 100, volume: int = 10
) -> list[tuple[bytes, bool, int]]:
    """The payloads of one digit: ``(payload, marker, duration)`` per 20 ms packet.

    All share one RTP timestamp (the sender's, at the start of the event); the first has the
    marker bit; the last is the end packet, sent three times.
    """
    code = event_of(digit)
    total = max(_SAMPLES_PER_PACKET, duration_ms * 8)
    packets: list[tuple[bytes, bool, int]] = []
    elapsed = _SAMPLES_PER_PACKET
    while elapsed < total:
        packets.append((_PAYLOAD.pack(code, volume & 0x3F, elapsed), not packets, elapsed))
        elapsed += _SAMPLES_PER_PACKET
    end = _PAYLOAD.pack(code, 0x80 | (volume & 0x3F), total)
    for _ in range(3):
        packets.append((end, not packets, total))
    return packets
