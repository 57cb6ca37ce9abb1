"""Reception statistics of one RTP source (RFC 3550 §6.4.1, appendix A.1 and A.8).

Packet loss is expected minus received, from the extended highest sequence number (with 16-bit
wrap-around counted in ``cycles``); interarrival jitter is the running estimate
``J += (|D| − J) / 16`` where D compares arrival spacing with timestamp spacing. Arrival times
are passed in (seconds); the clock rate converts them to timestamp units.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True, frozen=True)
class ReceptionReport:
    """Figures of one RTP source at a moment."""

    received: int
    """Packets received (duplicates included, as RFC 3550 counts them)."""
    expected: int
    """Packets expected from the sequence numbers seen."""
    lost: int
    """expected − received (can be negative with duplicates)."""
    loss_fraction: float
    """lost / expected (0 when nothing expected)."""
    jitter_ms: float
    """Interarrival jitter in milliseconds."""
    max_jitter_ms: float
    """The highest jitter estimate seen."""


class ReceptionStatistics:
    """Sequence, loss and jitter book-keeping of one RTP source."""

    def __init__(self, clock_rate: int = 8000) -> None:
        self.clock_rate = clock_rate
        self._base_seq: int | None = None
        self._max_seq = 0
        self._cycles = 0
        self.received = 0
        self._transit: float | None = None
        self._jitter = 0.0
        self._max_jitter = 0.0

    def update(self, sequence: int, timestamp: int, arrival: float) -> None:
        """Account for a packet with ``sequence`` and ``timestamp`` that arrived at ``arrival``."""
        self.received += 1
        if self._base_seq is None:
            self._base_seq = sequence
            self._max_seq = sequence
        else:
            delta = (sequence - self._max_seq) & 0xFFFF
            if 0 < delta < 0x8000:  # in order, maybe with a gap
                if sequence < self._max_seq:
                    self._cycles += 0x10000
                self._max_seq = sequence
        transit = arrival * self.clock_rate - timestamp
        if self._transit is not None:
            d = abs(transit - self._transit)
            self._jitter += (d - self._jitter) / 16.0
            self._max_jitter = max(self._max_jitter, self._jitter)
        self._transit = transit

    def report(self) -> ReceptionReport:
        """The current figures."""
        if self._base_seq is None:
            return ReceptionReport(0, 0, 0, 0.0, 0.0, 0.0)
        expected = self._cycles + self._max_seq - self._base_seq + 1
        lost = expected - self.received
        scale = 1000.0 / self.clock_rate
        return ReceptionReport(
            self.received,
            expected,
            lost,
            max(0.0, lost / expected) if expected else 0.0,
            self._jitter * scale,
            self._max_jitter * scale,
        )
