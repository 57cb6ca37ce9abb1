"""An asyncio RTP endpoint for one G.711 call leg.

::

    leg = RtpEndpoint(host="127.0.0.1", payload_type=PCMU)
    await leg.start()                          # binds an even port: leg.port
    leg.set_remote(("127.0.0.1", 6000))        # from the peer's SDP
    leg.on_audio = lambda pcm, packet: ...     # decoded 160-sample frames (int16)
    leg.on_dtmf = lambda digit: ...            # RFC 4733 digits, once per event
    leg.on_timeout = lambda: ...               # no RTP for ``timeout`` seconds
    leg.play(pcm)                              # queue audio: sent 20 ms a packet
    leg.send_dtmf("5")                         # RFC 4733 event (marker, 3 end packets)
    leg.report()                               # loss and jitter (RFC 3550)
    leg.close()

Pacing follows the loop clock: packet k of a run is due at ``start + k·20 ms`` and goes out on
the next tick of one 20 ms clock shared by all the loop's legs (late ticks send what is due, so
the rate holds on average); a leg is on that clock only while audio or digits are queued,
and a run after a pause starts with the marker bit and a timestamp advanced by the pause.
Symmetric RTP: the first packet received from an address other than the SDP's moves the remote
address there (latching, for phones behind NAT).
"""

from __future__ import annotations

import asyncio
import collections
import logging
import random
import weakref
from collections.abc import Callable

import numpy as np

from madoguchi.telephony.errors import RtpParseError
from madoguchi.telephony.rtp import g711, playout
from madoguchi.telephony.rtp.dtmf import DtmfDecoder, encode_digit
from madoguchi.telephony.rtp.packet import HEADER, RtpPacket, parse_rtp
from madoguchi.telephony.rtp.recorder import StereoRecorder
from madoguchi.telephony.rtp.stats import ReceptionReport, ReceptionStatistics

log = logging.getLogger(__name__)

Address = tuple[str, int]
FRAME_SAMPLES = 160
FRAME_SECONDS = 0.020
WATCHDOG_SECONDS = 0.5
_RNG = random.Random()  # seeding a Random per leg reads /dev/urandom: slow under load
_unpack_header = HEADER.unpack_from
_pack_header_into = HEADER.pack_into
_pack_header = HEADER.pack
_TRANSCODE = {0: g711.ULAW_TO_ALAW, 8: g711.ALAW_TO_ULAW}


class _RtpProtocol(asyncio.DatagramProtocol):
    def __init__(self, owner: RtpEndpoint) -> None:
        self._owner = owner
        # every packet goes straight to the endpoint: no extra Python frame per packet
        self.datagram_received = owner._receive  # type: ignore[method-assign,assignment]

    def error_received(self, exc: Exception) -> None:
        log.debug("rtp socket error: %s", exc)


class _Run:
    """Encoded audio queued to play: a buffer and how far into it the sender is.

    The tick slices ``step`` bytes at ``position`` (a memoryview: no copy until the packet is
    built), so a 23 s prompt queued to a caller who hangs up after a second costs one object,
    not 1,150 frames made ahead of time.
    """

    __slots__ = ("data", "position", "step")

    def __init__(self, data: memoryview, step: int) -> None:
        self.data = data
        self.position = 0
        self.step = step


class _Pacer:
    """One 20 ms clock for every leg of a loop that has audio or digits queued.

    Each leg keeps its own schedule (frame k of a run is due at ``start + k·20 ms``); the tick
    sends, leg by leg, what is due. One timer for all legs instead of one per leg: with
    hundreds of prompts or music on hold at once the loop handles 50 timer callbacks a second,
    not 50 per leg. A frame waits at most one tick (a constant delay per run: no jitter).
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._legs: dict[RtpEndpoint, None] = {}  # insertion-ordered set
        self._handle: asyncio.TimerHandle | None = None
        self._next = 0.0

    def add(self, leg: RtpEndpoint) -> None:
        self._legs[leg] = None
        if self._handle is None:
            self._next = self._loop.time() + FRAME_SECONDS
            self._handle = self._loop.call_at(self._next, self._tick)

    def discard(self, leg: RtpEndpoint) -> None:
        self._legs.pop(leg, None)

    def _tick(self) -> None:
        now = self._loop.time()
        done = [leg for leg in self._legs if not leg._pace(now)]
        for leg in done:
            del self._legs[leg]
        if not self._legs:
            self._handle = None
            return
        self._next += FRAME_SECONDS
        if self._next <= now:  # late (a busy loop): the next tick a period from now
            self._next = now + FRAME_SECONDS
        self._handle = self._loop.call_at(self._next, self._tick)


_PACERS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Pacer] = weakref.WeakKeyDictionary()


def _pacer(loop: asyncio.AbstractEventLoop) -> _Pacer:
    pacer = _PACERS.get(loop)
    if pacer is None:
        pacer = _PACERS[loop] = _Pacer(loop)
    return pacer


class RtpEndpoint:
    """One RTP leg: a UDP socket, a sender paced at 20 ms, a receiver with statistics."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        payload_type: int = 0,
        telephone_event_pt: int | None = 101,
        timeout: float = 30.0,
        latch: bool = True,
        rng: random.Random | None = None,
    ) -> None:
        rng = rng or _RNG
        self.host = host
        self.port = port
        self.payload_type = payload_type
        self.telephone_event_pt = telephone_event_pt
        self.timeout = timeout
        self.latch = latch
        self.remote: Address | None = None
        self._latched = False
        self.ssrc = rng.getrandbits(32)
        self._sequence = rng.getrandbits(16)
        self._timestamp = rng.getrandbits(32)
        self._queue: collections.deque[_Run] = collections.deque()
        self._queued = 0
        """Frames in ``_queue`` not yet sent."""
        self._dtmf_queue: collections.deque[tuple[bytes, bool, int]] = collections.deque()
        self._transport: asyncio.DatagramTransport | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sending = False
        """Registered with the loop's pacer (audio or digits queued)."""
        self._next_send = 0.0
        self._last_received: float | None = None
        self._started_at = 0.0
        self._timed_out = False
        self._dtmf_timestamp = 0
        self._relay_ssrc: int | None = None
        self._watchdog: asyncio.TimerHandle | None = None
        self._watch_interval = min(WATCHDOG_SECONDS, timeout / 4) if timeout > 0 else 0.0
        self._paused_at = 0.0
        self._resume_marker = False
        self._relay_offset = 0
        self._relay_target: RtpEndpoint | None = None
        self._relay_recorder: StereoRecorder | None = None
        self._relay_channel = 0
        self.relayed = 0
        """Audio packets received here and forwarded by :meth:`relay_to`."""
        self._last_ssrc = -1
        self._last_stats = ReceptionStatistics()
        self.stats: dict[int, ReceptionStatistics] = {}
        """Reception statistics per SSRC (RFC 3550 keeps them per source)."""
        self.packets_sent = 0
        self.remote_payload_type: int | None = None
        self._decoder = DtmfDecoder()
        self.on_audio: Callable[[np.ndarray, RtpPacket], None] | None = None
        """Called with each received audio frame, decoded to int16, and its packet."""
        self.on_packet: Callable[[RtpPacket], None] | None = None
        """Called with every received audio packet before decoding (relays use it)."""
        self.on_dtmf: Callable[[str], None] | None = None
        """Called with each RFC 4733 digit."""
        self.on_timeout: Callable[[], None] | None = None
        """Called once when no RTP arrived for ``timeout`` seconds."""

    async def start(self) -> None:
        """Bind the socket and start watching for an RTP time-out."""
        loop = asyncio.get_running_loop()
        self._loop = loop
        transport, _ = await loop.create_datagram_endpoint(
            lambda: _RtpProtocol(self), local_addr=(self.host, self.port)
        )
        self._transport = transport
        self.port = transport.get_extra_info("sockname")[1]
        self._started_at = loop.time()
        self._paused_at = self._started_at
        if self.timeout > 0:
            self._watchdog = loop.call_at(
                self._started_at + self._watch_interval, self._on_watchdog
            )

    def _on_watchdog(self) -> None:
        loop = self._loop
        assert loop is not None
        now = loop.time()
        self._check_timeout(now)
        if not self._timed_out and self._transport is not None:
            self._watchdog = loop.call_at(now + self._watch_interval, self._on_watchdog)

    def _ensure_sending(self) -> None:
        """Start the 20 ms clock (it runs only while something is queued)."""
        if self._sending or self._loop is None:
            return
        now = self._loop.time()
        idle = round((now - self._paused_at) * 8000 / FRAME_SAMPLES) * FRAME_SAMPLES
        self._timestamp = (self._timestamp + idle) & 0xFFFFFFFF
        self._resume_marker = True
        self._next_send = now
        if self._pace(now):  # the first frame goes out at once, the rest on the shared tick
            self._sending = True
            _pacer(self._loop).add(self)

    def set_remote(self, address: Address) -> None:
        """Where to send (the address in the peer's SDP); latching may move it later."""
        self.remote = address
        self._latched = False

    def play(self, pcm: np.ndarray) -> None:
        """Queue linear audio (int16, 8 kHz) to send in 20 ms frames (last one padded).

        Audio passed through :func:`~madoguchi.telephony.rtp.playout.encode_once` (cached
        prompts, music on hold) is not encoded again; other audio is encoded here once. The
        frames are sliced from the encoded buffer as they are sent.
        """
        payload = playout.payload_for(pcm, self.payload_type)
        if not payload:
            return
        self._queue.append(_Run(memoryview(payload), FRAME_SAMPLES))
        self._queued += len(payload) // FRAME_SAMPLES
        self._ensure_sending()

    def play_payload(self, payload: bytes) -> None:
        """Queue one already-encoded frame (in this leg's payload type)."""
        self._queue.append(_Run(memoryview(payload), len(payload)))
        self._queued += 1
        self._ensure_sending()

    def stop_playback(self) -> int:
        """Drop the audio not yet sent (barge-in); returns how many frames were dropped."""
        dropped = self._queued
        self._queue.clear()
        self._queued = 0
        return dropped

    @property
    def queued_frames(self) -> int:
        """Frames waiting to be sent."""
        return self._queued

    def send_dtmf(self, digits: str, duration_ms: int = 100) -> None:
        """Queue RFC 4733 events for ``digits`` (each with its own timestamp)."""
        if self.telephone_event_pt is None:
            raise ValueError("the peer did not negotiate telephone-event")
        for digit in digits:
            self._dtmf_queue.extend(encode_digit(digit, duration_ms))
            # a 40 ms pause of silence separates digits
            self._dtmf_queue.append((b"", False, -2))
        self._ensure_sending()

    def send_now(
        self, payload: bytes, marker: bool = False, source: tuple[int, int] | None = None
    ) -> None:
        """Send one audio frame at once (relays forward without pacing).

        ``source`` is the relayed packet's (SSRC, timestamp): its timestamps are carried over
        with a fixed offset, so the sender's timing reaches the far end unchanged (a new source
        gets a new offset and the marker bit).
        """
        if source is None:
            self._emit(self.payload_type, payload, marker, self._timestamp)
            self._timestamp = (self._timestamp + len(payload)) & 0xFFFFFFFF
            return
        ssrc, timestamp = source
        if ssrc != self._relay_ssrc:
            self._relay_ssrc = ssrc
            self._relay_offset = (self._timestamp - timestamp) & 0xFFFFFFFF
            marker = True
        self._emit(
            self.payload_type, payload, marker, (timestamp + self._relay_offset) & 0xFFFFFFFF
        )

    def _emit(self, payload_type: int, payload: bytes, marker: bool, timestamp: int) -> None:
        if self._transport is None or self.remote is None:
            return
        packet = RtpPacket(payload_type, self._sequence, timestamp, self.ssrc, payload, marker)
        self._sequence = (self._sequence + 1) & 0xFFFF
        self._transport.sendto(packet.to_bytes(), self.remote)
        self.packets_sent += 1

    def _pace(self, now: float) -> bool:
        """Send the frames due at ``now``; False once nothing is left to send."""
        if now - self._next_send > 1.0:  # the loop stalled: do not burst a backlog
            self._next_send = now
        while self._next_send <= now + 0.001 and (self._queue or self._dtmf_queue):
            self._send_frame()
            self._next_send += FRAME_SECONDS
        if self._queue or self._dtmf_queue:
            return True
        self._sending = False
        self._paused_at = self._next_send
        return False

    def _send_frame(self) -> None:
        if self._dtmf_queue:
            payload, marker, duration = self._dtmf_queue.popleft()
            if duration == -2:  # gap after a digit: advance the clock
                self._timestamp = (self._timestamp + FRAME_SAMPLES * 2) & 0xFFFFFFFF
                return
            if marker:
                self._dtmf_timestamp = self._timestamp
            assert self.telephone_event_pt is not None
            self._emit(self.telephone_event_pt, payload, marker, self._dtmf_timestamp)
            last_of_event = not self._dtmf_queue or self._dtmf_queue[0][2] == -2
            if payload[1] & 0x80 and last_of_event:
                self._timestamp = (self._timestamp + duration) & 0xFFFFFFFF
            return
        run = self._queue[0]
        start = run.position
        end = run.position = start + run.step
        frame = run.data[start:end]
        if end >= len(run.data):
            self._queue.popleft()
        self._queued -= 1
        transport = self._transport
        remote = self.remote
        if transport is not None and remote is not None:
            second = (self.payload_type & 0x7F) | (0x80 if self._resume_marker else 0)
            header = _pack_header(0x80, second, self._sequence, self._timestamp, self.ssrc)
            self._sequence = (self._sequence + 1) & 0xFFFF
            transport.sendto(header + frame, remote)
            self.packets_sent += 1
        self._resume_marker = False
        self._timestamp = (self._timestamp + len(frame)) & 0xFFFFFFFF

    def _check_timeout(self, now: float) -> None:
        if self._timed_out or self.timeout <= 0:
            return
        last = self._last_received if self._last_received is not None else self._started_at
        if now - last > self.timeout:
            self._timed_out = True
            if self.on_timeout is not None:
                self.on_timeout()

    def relay_to(
        self,
        target: RtpEndpoint | None,
        recorder: StereoRecorder | None = None,
        channel: int = 0,
    ) -> None:
        """Forward every audio packet received here to ``target`` (None: stop).

        The fast path of a bridge: the packet is not decoded, only its header rewritten (the
        target's SSRC and sequence, the source's timestamps with a fixed offset, see
        :meth:`send_now`) and its payload transcoded by table when the codecs differ; the
        payload goes to ``recorder`` on ``channel`` as received. ``on_packet`` and
        ``on_audio`` still see the packets when set.
        """
        self._relay_target = target
        self._relay_recorder = recorder if target is not None else None
        self._relay_channel = channel

    def _receive(self, data: bytes, source: Address) -> None:
        # the per-packet path: one header unpack, no objects unless a callback needs them
        if len(data) < 12:
            return
        first, second, sequence, timestamp, ssrc = _unpack_header(data)
        if first != 0x80:  # CSRCs, extension, padding or not version 2: the full parser
            try:
                packet = parse_rtp(data)
            except RtpParseError:
                return
            self._receive_packet(packet, source)
            return
        loop = self._loop
        assert loop is not None
        now = loop.time()
        if not self._latched:
            if self.latch and source != self.remote:
                self.remote = source
            self._latched = True
        self._last_received = now
        if ssrc == self._last_ssrc:
            stats = self._last_stats
        else:
            found = self.stats.get(ssrc)
            if found is None:
                found = self.stats[ssrc] = ReceptionStatistics()
            stats = self._last_stats = found
            self._last_ssrc = ssrc
        stats.update(sequence, timestamp, now)
        payload_type = second & 0x7F
        if payload_type == self.telephone_event_pt or (payload_type != 0 and payload_type != 8):
            self._receive_other(data, second, sequence, timestamp, ssrc)
            return
        self.remote_payload_type = payload_type
        target = self._relay_target
        if target is not None:
            target._forward(data, second, timestamp, ssrc)
            self.relayed += 1
            recorder = self._relay_recorder
            if recorder is not None:
                recorder.add_g711(self._relay_channel, data[12:], payload_type, now)
        if self.on_packet is not None or self.on_audio is not None:
            packet = RtpPacket(
                payload_type, sequence, timestamp, ssrc, data[12:], bool(second & 0x80)
            )
            if self.on_packet is not None:
                self.on_packet(packet)
            if self.on_audio is not None:
                self.on_audio(g711.decode(packet.payload, payload_type), packet)

    def _receive_other(
        self, data: bytes, second: int, sequence: int, timestamp: int, ssrc: int
    ) -> None:
        """A telephone-event or unknown packet on the fast path (already counted)."""
        payload_type = second & 0x7F
        if payload_type != self.telephone_event_pt:
            return
        digit = self._decoder.feed(data[12:], timestamp, bool(second & 0x80))
        if digit is not None and self.on_dtmf is not None:
            self.on_dtmf(digit)

    def _receive_packet(self, packet: RtpPacket, source: Address) -> None:
        """The general path (any header): statistics, digits, relay and callbacks."""
        assert self._loop is not None
        now = self._loop.time()
        if self.latch and not self._latched and source != self.remote:
            self.remote = source
        self._latched = True
        self._last_received = now
        source_stats = self.stats.get(packet.ssrc)
        if source_stats is None:
            source_stats = self.stats[packet.ssrc] = ReceptionStatistics()
        source_stats.update(packet.sequence, packet.timestamp, now)
        if packet.payload_type == self.telephone_event_pt:
            digit = self._decoder.feed(packet.payload, packet.timestamp, packet.marker)
            if digit is not None and self.on_dtmf is not None:
                self.on_dtmf(digit)
            return
        if packet.payload_type not in (0, 8):
            return
        self.remote_payload_type = packet.payload_type
        target = self._relay_target
        if target is not None:
            target.send_now(
                g711.transcode(packet.payload, packet.payload_type, target.payload_type),
                packet.marker,
                (packet.ssrc, packet.timestamp),
            )
            self.relayed += 1
            if self._relay_recorder is not None:
                self._relay_recorder.add_g711(
                    self._relay_channel, packet.payload, packet.payload_type, now
                )
        if self.on_packet is not None:
            self.on_packet(packet)
        if self.on_audio is not None:
            self.on_audio(g711.decode(packet.payload, packet.payload_type), packet)

    def _forward(self, data: bytes, second: int, timestamp: int, ssrc: int) -> None:
        """Send a relayed packet with a plain 12-byte header (see :meth:`relay_to`)."""
        transport = self._transport
        remote = self.remote
        if transport is None or remote is None:
            return
        marker = second & 0x80
        if ssrc != self._relay_ssrc:
            self._relay_ssrc = ssrc
            self._relay_offset = (self._timestamp - timestamp) & 0xFFFFFFFF
            marker = 0x80
        payload_type = self.payload_type
        if second & 0x7F == payload_type:
            out = bytearray(data)
        else:  # μ-law ↔ A-law: the header bytes are translated too, then overwritten
            out = bytearray(data.translate(_TRANSCODE[second & 0x7F]))
        _pack_header_into(
            out,
            0,
            0x80,
            marker | payload_type,
            self._sequence,
            (timestamp + self._relay_offset) & 0xFFFFFFFF,
            self.ssrc,
        )
        self._sequence = (self._sequence + 1) & 0xFFFF
        transport.sendto(out, remote)
        self.packets_sent += 1

    def report(self) -> ReceptionReport:
        """Loss and jitter of the main source (the SSRC with the most packets received)."""
        if not self.stats:
            return ReceptionStatistics().report()
        return max(self.stats.values(), key=lambda s: s.received).report()

    def close(self) -> None:
        """Stop the clock and close the socket."""
        self._relay_target = None
        self._relay_recorder = None
        if self._watchdog is not None:
            self._watchdog.cancel()
        self._watchdog = None
        if self._sending and self._loop is not None:
            _pacer(self._loop).discard(self)
        self._sending = False
        if self._transport is not None:
            self._transport.close()
            self._transport = None
