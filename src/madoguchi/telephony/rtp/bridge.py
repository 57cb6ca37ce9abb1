"""A media bridge: relays RTP between two legs (caller and agent) and may record both sides.

Audio is forwarded as soon as it arrives (no re-pacing: the sender's pacing carries over), with
each leg's own SSRC, sequence and timestamp, and transcoded between μ-law and A-law when the
legs negotiated different codecs. RFC 4733 digits from either leg go to ``on_dtmf`` and are
not forwarded (the application decides what the other side hears).
"""

from __future__ import annotations

from collections.abc import Callable

from madoguchi.telephony.rtp import g711
from madoguchi.telephony.rtp.endpoint import RtpEndpoint
from madoguchi.telephony.rtp.packet import RtpPacket
from madoguchi.telephony.rtp.recorder import AGENT, CALLER, StereoRecorder


class RtpBridge:
    """Relays audio caller ↔ agent; optionally records (caller left, agent right)."""

    def __init__(
        self,
        caller: RtpEndpoint,
        agent: RtpEndpoint,
        recorder: StereoRecorder | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.caller = caller
        self.agent = agent
        self.recorder = recorder
        self._clock = clock
        self.on_dtmf: Callable[[str, str], None] | None = None
        """Called with (side, digit), side ``caller`` or ``agent``."""
        self.forwarded = [0, 0]
        caller.on_packet = self._from_caller
        agent.on_packet = self._from_agent
        caller.on_dtmf = lambda digit: self._dtmf("caller", digit)
        agent.on_dtmf = lambda digit: self._dtmf("agent", digit)

    def _dtmf(self, side: str, digit: str) -> None:
        if self.on_dtmf is not None:
            self.on_dtmf(side, digit)

    def _from_caller(self, packet: RtpPacket) -> None:
        self._relay(packet, self.agent, CALLER)

    def _from_agent(self, packet: RtpPacket) -> None:
        self._relay(packet, self.caller, AGENT)

    def _relay(self, packet: RtpPacket, to: RtpEndpoint, channel: int) -> None:
        payload = g711.transcode(packet.payload, packet.payload_type, to.payload_type)
        to.send_now(payload, packet.marker, (packet.ssrc, packet.timestamp))
        self.forwarded[channel] += 1
        if self.recorder is not None and self._clock is not None:
            self.recorder.add_g711(channel, packet.payload, packet.payload_type, self._clock())

    def detach(self) -> StereoRecorder | None:
        """Stop relaying (the legs stay open); returns the recorder, complete, not yet written."""
        self.caller.on_packet = None
        self.agent.on_packet = None
        return self.recorder

    def close(self) -> None:
        """Stop relaying and write the recording here and now (blocking: see ``detach``)."""
        recorder = self.detach()
        if recorder is not None:
            recorder.close()
