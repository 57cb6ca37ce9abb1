"""Back-to-back bridging of an inbound call to an outbound one (caller ↔ agent), by RTP relay.

::

    bridged = BridgedCall(endpoint, inbound_call, host="127.0.0.1", recording=Path("x.wav"))
    await bridged.answer()                      # our RTP leg for the caller, 200 OK
    await bridged.connect("sip:1001@10.0.0.5")  # INVITE the agent, relay once answered
    reason = await bridged.ended                # either side hung up, or RTP stopped

When either side hangs up, the other is hung up too, the legs close and the recording (caller
left, agent right), written during the call, is finished (``await bridged.recorded``). A caller
whose RTP stops for ``media_timeout`` seconds is hung up with reason ``media_timeout``.

Early media: ``answer(early=True)`` sends 183 Session Progress with our SDP instead of 200, and
the caller is answered (200, same SDP) only when the agent answers; a 183 with SDP from the
agent's side (ring-back, an announcement) starts the relay and the recording at once, so the
caller hears it and the file keeps it.

Replaces (RFC 3891): an INVITE with a Replaces header naming either side's dialog (a phone
moving the call to another device, a PBX completing its own attended transfer) is answered with
a new RTP leg that takes that side's place in the bridge — the recording goes on in the same
file — and the replaced dialog is ended with BYE (see ``SipEndpoint``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from madoguchi.telephony.errors import SdpError, SipCallError
from madoguchi.telephony.rtp.bridge import RtpBridge
from madoguchi.telephony.rtp.endpoint import RtpEndpoint
from madoguchi.telephony.rtp.recorder import StereoRecorder
from madoguchi.telephony.rtp.stats import ReceptionReport
from madoguchi.telephony.sip.call import Call, CallState, EndReason
from madoguchi.telephony.sip.endpoint import SipEndpoint
from madoguchi.telephony.sip.sdp import PCMA, PCMU, AudioDescription, answer_offer, build_sdp

log = logging.getLogger(__name__)


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
        self.media_timeout = media_timeout
        self.caller_leg = RtpEndpoint(host=host, timeout=media_timeout)
        self.agent_leg = RtpEndpoint(host=host, timeout=0)
        self.bridge: RtpBridge | None = None
        self.ended: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        """Resolves with the end reason of the caller's side."""
        self._closed = False
        self._caller_answer = b""
        self._recorder: StereoRecorder | None = None
        self.replaced: list[str] = []
        """Sides replaced so far by an INVITE with Replaces (``caller`` / ``agent``)."""
        self.early_media = False
        """The agent's side sent early media (183 with SDP) before answering."""
        self.recorded: asyncio.Future[Path | None] = asyncio.get_running_loop().create_future()
        """Resolves with the recording's path once it is written (None: nothing recorded)."""
        self._tasks: set[asyncio.Task[None]] = set()
        inbound.on_ended = self._caller_ended
        inbound.on_replaced = self._caller_replaced

    async def answer(self, early: bool = False) -> None:
        """Start the caller's RTP leg and answer the inbound call with it.

        ``early``: send 183 Session Progress with the SDP (media flows, the call is not
        answered); :meth:`connect` answers it when the agent answers.
        """
        offer = self.inbound.remote_sdp
        if offer is None:
            raise SipCallError("inbound call without an SDP offer")
        await self.caller_leg.start()
        chosen, body = answer_offer(offer, self.host, self.caller_leg.port)
        self.caller_leg.payload_type = chosen.codec
        self.caller_leg.telephone_event_pt = chosen.telephone_event_pt
        self.caller_leg.set_remote((offer.address, offer.port))
        self.caller_leg.on_timeout = lambda: self.inbound.hangup(EndReason.MEDIA_TIMEOUT)
        self._caller_answer = body
        if early:
            self.inbound.progress(body)
        else:
            self.inbound.answer(body)

    async def connect(self, target: str, timeout: float = 30.0) -> None:
        """Call ``target`` and relay audio once it answers (or sends early media); raises if
        it does not answer."""
        await self.agent_leg.start()
        offer = build_sdp(self.host, self.agent_leg.port, [PCMU, PCMA])
        outbound = await self.endpoint.invite(target, offer)
        self.outbound = outbound
        outbound.on_ended = self._agent_ended
        outbound.on_replaced = self._agent_replaced
        outbound.on_early_media = self._agent_early_media
        await asyncio.wait_for(outbound.answered, timeout)
        answer = outbound.remote_sdp
        if answer is None:
            outbound.hangup()
            raise SipCallError("agent answered without SDP")
        self._use_agent_sdp(answer)
        if self.inbound.state is CallState.RINGING and self._caller_answer:
            self.inbound.answer(self._caller_answer)  # early media until now
        self._start_bridge()
        if self.inbound.state is CallState.ENDED:
            self._close()

    @property
    def closed(self) -> bool:
        """The session is over (legs closed, recording finished)."""
        return self._closed

    def hangup(self) -> None:
        """End both sides."""
        self.inbound.hangup()
        if self.outbound is not None:
            self.outbound.hangup()

    def reports(self) -> tuple[ReceptionReport, ReceptionReport]:
        """What the caller's leg and the agent's leg received (loss, jitter)."""
        return self.caller_leg.report(), self.agent_leg.report()

    # -- media ----------------------------------------------------------------------------

    def _use_agent_sdp(self, sdp: AudioDescription) -> None:
        self.agent_leg.payload_type = sdp.codec
        self.agent_leg.telephone_event_pt = sdp.telephone_event_pt
        self.agent_leg.set_remote((sdp.address, sdp.port))

    def _start_bridge(self) -> None:
        if self._closed:
            return
        if self.bridge is not None:
            self.bridge.detach()
        loop = asyncio.get_running_loop()
        if self._recorder is None and self.recording is not None:
            self._recorder = StereoRecorder(self.recording, loop.time())
        self.bridge = RtpBridge(self.caller_leg, self.agent_leg, self._recorder, clock=loop.time)

    def _agent_early_media(self, sdp: AudioDescription) -> None:
        """183 with SDP from the agent's side: relay (and record) its audio before answer."""
        if self._closed:
            return
        self.early_media = True
        self._use_agent_sdp(sdp)
        self._start_bridge()

    # -- Replaces -------------------------------------------------------------------------

    def _caller_replaced(self, new: Call) -> None:
        self._spawn(self._take_over(new, "caller"))

    def _agent_replaced(self, new: Call) -> None:
        self._spawn(self._take_over(new, "agent"))

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _take_over(self, new: Call, side: str) -> None:
        """Answer ``new`` with a fresh leg in place of ``side``; the endpoint BYEs the old."""
        offer = new.remote_sdp
        old = self.inbound if side == "caller" else self.outbound
        if self._closed or old is None or old.state is not CallState.ANSWERED or offer is None:
            new.reject(481 if offer is not None else 488)
            return
        leg = RtpEndpoint(host=self.host, timeout=self.media_timeout if side == "caller" else 0)
        await leg.start()
        try:
            chosen, body = answer_offer(offer, self.host, leg.port)
        except SdpError as err:
            leg.close()
            new.reject(err.status_hint)
            return
        if new.state is not CallState.RINGING:  # cancelled meanwhile
            leg.close()
            return
        if self.closed:  # the call ended meanwhile: nothing left to replace
            leg.close()
            new.reject(481)
            return
        leg.payload_type = chosen.codec
        leg.telephone_event_pt = chosen.telephone_event_pt
        leg.set_remote((offer.address, offer.port))
        old.on_ended = None  # its BYE must not end the session
        old.on_replaced = None
        if side == "caller":
            previous, self.caller_leg, self.inbound = self.caller_leg, leg, new
            new.on_ended = self._caller_ended
            new.on_replaced = self._caller_replaced
            leg.on_timeout = lambda: new.hangup(EndReason.MEDIA_TIMEOUT)
        else:
            previous, self.agent_leg, self.outbound = self.agent_leg, leg, new
            new.on_ended = self._agent_ended
            new.on_replaced = self._agent_replaced
        if self.bridge is not None:
            self._start_bridge()
        previous.close()
        self.replaced.append(side)
        new.answer(body)  # answering ends the replaced call (BYE)
        log.info("%s side of call %s replaced by %s", side, old.call_id, new.call_id)

    # -- ending ---------------------------------------------------------------------------

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
        if self.bridge is not None:
            self.bridge.detach()
        recorder = self._recorder
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
