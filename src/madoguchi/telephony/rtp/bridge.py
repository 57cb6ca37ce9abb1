"""A media bridge: relays RTP between two legs (caller and agent) and may record both sides.

Audio is forwarded as soon as it arrives (no re-pacing: the sender's pacing carries over), with
each leg's own SSRC, sequence and timestamp, and transcoded between μ-law and A-law when the
legs negotiated different codecs. RFC 4733 digits from either leg go to ``on_dtmf`` and are
not forwarded (the application decides what the other side hears).

The relay itself is :meth:`RtpEndpoint.relay_to` (the per-packet fast path: no decoding, no
objects per packet); recording keeps the G.711 payloads and writes them about once a second.
"""

from __future__ import annotations

from collections.abc import Callable

from madoguchi.telephony.rtp.endpoint import RtpEndpoint
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
        self._relayed_before = (caller.relayed, agent.relayed)
        caller.relay_to(agent, recorder, CALLER)
        agent.relay_to(caller, recorder, AGENT)
        caller.on_dtmf = lambda digit: self._dtmf("caller", digit)
        agent.on_dtmf = lambda digit: self._dtmf("agent", digit)

    @property
    def forwarded(self) -> tuple[int, int]:
        """Packets relayed (caller → agent, agent → caller) by this bridge."""
        return (
            self.caller.relayed - self._relayed_before[0],
            self.agent.relayed - self._relayed_before[1],
        )

    def _dtmf(self, side: str, digit: str) -> None:
        if self.on_dtmf is not None:
            self.on_dtmf(side, digit)

    def detach(self) -> StereoRecorder | None:
        """Stop relaying (the legs stay open); returns the recorder, not yet closed."""
        self.caller.relay_to(None)
        self.agent.relay_to(None)
        return self.recorder

    def close(self) -> None:
        """Stop relaying and finish the recording (the last second is written here and now)."""
        recorder = self.detach()
        if recorder is not None:
            recorder.close()
