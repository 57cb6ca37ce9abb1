"""Back-to-back bridging of an inbound call to an outbound one (caller ↔ agent), by RTP relay.

::

    bridged = BridgedCall(endpoint, inbound_call, host="127.0.0.1", recording=Path("x.wav"))
    await bridged.answer()                      # our RTP leg for the caller, 200 OK
    await bridged.connect("sip:1001@10.0.0.5")  # INVITE the agent, relay once answered
    reason = await bridged.ended                # either side hung up, or RTP stopped

When either side hangs up, the other is hung up too, the legs close and the recording (caller
left, agent right), written during the call, is finished (``await bridged.recorded``). A caller
whose RTP stops for ``media_timeout`` seconds is hung up with reason ``media_timeout``.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from madoguchi.telephony.errors import SipCallError
from madoguchi.telephony.rtp.bridge import RtpBridge
from madoguchi.telephony.rtp.endpoint import RtpEndpoint
from madoguchi.telephony.rtp.recorder import StereoRecorder
from madoguchi.telephony.rtp.stats import ReceptionReport
from madoguchi.telephony.sip.call import Call, CallState, EndReason
from madoguchi.telephony.sip.endpoint import SipEndpoint
from madoguchi.telephony.sip.sdp import PCMA, PCMU, answer_offer, build_sdp


class BridgedCall:
    """An inbound call answered with our own RTP leg and relayed to an outbound call."""

    def __init__(
        self,
        endpoint: SipEndpoint,
        inbound: Call,
        *,
        host: str,
        recording: Path | None = None,
        media_timeout: float = 30.0,
    ) -> None:
        self.endpoint = endpoint
        self.inbound = inbound
        self.outbound: Call | None = None
        self.host = host
        self.recording = recording
        self.caller_leg = RtpEndpoint(host=host, timeout=media_timeout)
        self.agent_leg = RtpEndpoint(host=host, timeout=0)
        self.bridge: RtpBridge | None = None
        self.ended: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        """Resolves with the end reason of the caller's side."""
        self._closed = False
        self.recorded: asyncio.Future[Path | None] = asyncio.get_running_loop().create_future()
        """Resolves with the recording's path once it is written (None: nothing recorded)."""
        inbound.on_ended = self._caller_ended

    async def answer(self) -> None:
        """Start the caller's RTP leg and answer the inbound call with it."""
        offer = self.inbound.remote_sdp
        if offer is None:
            raise SipCallError("inbound call without an SDP offer")
        await self.caller_leg.start()
        chosen, body = answer_offer(offer, self.host, self.caller_leg.port)
        self.caller_leg.payload_type = chosen.codec
        self.caller_leg.telephone_event_pt = chosen.telephone_event_pt
        self.caller_leg.set_remote((offer.address, offer.port))
        self.caller_leg.on_timeout = lambda: self.inbound.hangup(EndReason.MEDIA_TIMEOUT)
        self.inbound.answer(body)

    async def connect(self, target: str, timeout: float = 30.0) -> None:
        """Call ``target`` and relay audio once it answers; raises if it does not."""
        await self.agent_leg.start()
        offer = build_sdp(self.host, self.agent_leg.port, [PCMU, PCMA])
        outbound = await self.endpoint.invite(target, offer)
        self.outbound = outbound
        outbound.on_ended = self._agent_ended
        await asyncio.wait_for(outbound.answered, timeout)
        answer = outbound.remote_sdp
        if answer is None:
            outbound.hangup()
            raise SipCallError("agent answered without SDP")
        self.agent_leg.payload_type = answer.codec
        self.agent_leg.telephone_event_pt = answer.telephone_event_pt
        self.agent_leg.set_remote((answer.address, answer.port))
        loop = asyncio.get_running_loop()
        recorder = None
        if self.recording is not None:
            recorder = StereoRecorder(self.recording, loop.time())
        self.bridge = RtpBridge(self.caller_leg, self.agent_leg, recorder, clock=loop.time)
        if self.inbound.state is CallState.ENDED:
            self._close()

    def hangup(self) -> None:
        """End both sides."""
        self.inbound.hangup()
        if self.outbound is not None:
            self.outbound.hangup()

    def reports(self) -> tuple[ReceptionReport, ReceptionReport]:
        """What the caller's leg and the agent's leg received (loss, jitter)."""
        return self.caller_leg.report(), self.agent_leg.report()

    def _caller_ended(self, reason: str) -> None:
        if self.outbound is not None:
            self.outbound.hangup()
        self._close()
        if not self.ended.done():
            self.ended.set_result(reason)

    def _agent_ended(self, reason: str) -> None:
        self.inbound.hangup()

    def _close(self) -> None:
        if self._closed:
            return
        self._closed = True
        recorder = self.bridge.detach() if self.bridge is not None else None
        if recorder is None:
            self.recorded.set_result(None)
        else:
            # the recorder wrote all but its last second during the call: finishing is cheap
            try:
                self.recorded.set_result(recorder.close())
            except OSError as error:
                self.recorded.set_exception(error)
        self.caller_leg.close()
        self.agent_leg.close()
