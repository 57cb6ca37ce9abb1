"""A call as the application sees it: one INVITE dialog, inbound or outbound.

The :class:`~madoguchi.telephony.sip.endpoint.SipEndpoint` creates calls and drives them; the
application acts with :meth:`Call.ring`, :meth:`Call.answer`, :meth:`Call.reject`,
:meth:`Call.hangup`, :meth:`Call.cancel`, :meth:`Call.send_info_dtmf` and listens through the
callback attributes (``on_dtmf``, ``on_hold``, ``on_ringing``, ``on_answered``, ``on_ended``) or
awaits the futures ``answered`` and ``ended``.
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import quote

from madoguchi.telephony.errors import SipCallError
from madoguchi.telephony.sip.dialog import Dialog
from madoguchi.telephony.sip.fields import Replaces, header_tag
from madoguchi.telephony.sip.message import SipRequest
from madoguchi.telephony.sip.sdp import AudioDescription

if TYPE_CHECKING:
    from madoguchi.telephony.sip.endpoint import SipEndpoint
    from madoguchi.telephony.sip.transaction import (
        ClientInviteTransaction,
        ServerInviteTransaction,
    )


class CallState(enum.Enum):
    """Where a call stands."""

    CALLING = "calling"
    """Outbound: INVITE sent, nothing heard yet."""
    RINGING = "ringing"
    """Inbound: offered to the application / ringing. Outbound: a provisional response came."""
    ANSWERED = "answered"
    """2xx sent or received."""
    ENDED = "ended"
    """Over; ``Call.end_reason`` says why."""


class EndReason(enum.StrEnum):
    """Why a call ended."""

    REMOTE_BYE = "remote_bye"
    LOCAL_BYE = "local_bye"
    CANCELLED = "cancelled"
    """The caller cancelled an inbound call, or we cancelled an outbound one."""
    REJECTED = "rejected"
    """We answered an inbound INVITE with a failure status."""
    FAILED = "failed"
    """An outbound INVITE got a failure status (see ``Call.final_status``)."""
    TIMEOUT = "timeout"
    """No response to our INVITE (timer B)."""
    NO_ACK = "no_ack"
    """Our 2xx was never acknowledged."""
    REPLACED = "replaced"
    """Another INVITE took this call's place (RFC 3891 Replaces): BYE (or CANCEL) sent."""
    MEDIA_TIMEOUT = "media_timeout"
    """The application ended the call because RTP stopped (hangup with this reason)."""
    SHUTDOWN = "shutdown"
    """The endpoint closed."""


class Call:
    """One call (one INVITE dialog)."""

    def __init__(
        self,
        endpoint: SipEndpoint,
        direction: str,
        invite: SipRequest,
        source: tuple[str, int],
        local_tag: str,
    ) -> None:
        self._endpoint = endpoint
        self.direction = direction
        """``inbound`` or ``outbound``."""
        self.invite = invite
        """The (latest) initial INVITE."""
        self.source = source
        """The peer's signaling address (where its requests came from / go to)."""
        self.local_tag = local_tag
        self.call_id = invite.headers.first("call-id")
        self.state = CallState.RINGING if direction == "inbound" else CallState.CALLING
        self.dialog: Dialog | None = None
        self.remote_sdp: AudioDescription | None = None
        """The peer's latest session description (offer or answer)."""
        self.local_sdp: bytes = b""
        """Our latest session description body."""
        self.on_hold_by_peer = False
        self.end_reason: str | None = None
        self.final_status: int | None = None
        """The status of the INVITE's final response (outbound), or the one we sent (inbound)."""
        self.server_tx: ServerInviteTransaction | None = None
        self.client_tx: ClientInviteTransaction | None = None
        self.cancel_requested = False
        self.session_expires: str | None = None
        self.timer_required = False
        self.ack: bytes = b""
        self.transaction_keys: list[str] = []
        """Keys of this call's INVITE transactions (initial, re-INVITEs, auth retries)."""
        self.credentials: tuple[str, str] | None = None
        """Outbound: user name and password for a 401/407 retry."""
        loop = asyncio.get_running_loop()
        self.answered: asyncio.Future[None] = loop.create_future()
        """Resolves when the call is answered (either direction)."""
        self.ended: asyncio.Future[str] = loop.create_future()
        """Resolves with the end reason when the call ends."""
        self.on_dtmf: Callable[[str], None] | None = None
        """Called with each keypad digit received by SIP INFO (RTP digits come from the media)."""
        self.on_hold: Callable[[bool], None] | None = None
        """Called with True when the peer puts us on hold, False when it resumes."""
        self.on_ringing: Callable[[], None] | None = None
        """Outbound: called on 180/183."""
        self.on_answered: Callable[[], None] | None = None
        """Called once when the call is answered."""
        self.on_ended: Callable[[str], None] | None = None
        """Called once with the end reason."""
        self.on_refer: Callable[[str], None] | None = None
        """Called with the Refer-To URI when the peer asks us to transfer the call (REFER);
        report the outcome with :meth:`notify_transfer`. Without it REFER is declined (603)."""
        self.refer_replaces: Call | None = None
        """Set before ``on_refer`` when the Refer-To carries ``?Replaces=``: the live call of
        this endpoint that it names (attended transfer; no match is answered for the
        application with NOTIFY 481)."""
        self.replaces: Call | None = None
        """Inbound: the call this INVITE replaces (RFC 3891), already matched; answering this
        call hangs that one up (BYE, or CANCEL for an early outbound call)."""
        self.on_replaced: Callable[[Call], None] | None = None
        """Called with the new inbound call when an INVITE with Replaces names this call
        (instead of ``on_incoming_call``). Answer it to take over; reject it to keep this call.
        Clear ``on_ended`` first if ending this call must not end the session."""
        self.on_transfer_status: Callable[[int], None] | None = None
        """After :meth:`refer`: called with each status the peer NOTIFYs (100, then final)."""
        self.on_early_media: Callable[[AudioDescription], None] | None = None
        """Outbound: called with the callee's SDP from a 183 Session Progress (early media:
        ring-back or an announcement before answer); ``remote_sdp`` is set too."""
        self.early_remote_tag = ""
        """Outbound: the callee's To tag from its latest provisional response."""

    @property
    def remote_tag(self) -> str:
        """The peer's tag in this call's dialog (early or confirmed; '' if none yet)."""
        if self.dialog is not None:
            return self.dialog.remote_tag
        if self.direction == "inbound":
            return header_tag(self.invite.headers.first("from"))
        return self.early_remote_tag

    # -- application actions ---------------------------------------------------------------

    def ring(self) -> None:
        """Inbound: send 180 Ringing."""
        self._require("inbound", CallState.RINGING)
        self._endpoint._provisional(self, 180)

    def progress(self, sdp: bytes) -> None:
        """Inbound: send 183 Session Progress with our SDP answer, for early media.

        RTP may flow both ways from now on (announcements, ring-back before answer); the call
        stays unanswered (no charge for the caller) until :meth:`answer`, which must send the
        same SDP (RFC 3261 §13.2.1: one answer per offer)."""
        self._require("inbound", CallState.RINGING)
        self.local_sdp = sdp
        self._endpoint._provisional(self, 183, sdp)

    def answer(self, sdp: bytes) -> None:
        """Inbound: send 200 OK with our SDP answer."""
        self._require("inbound", CallState.RINGING)
        self._endpoint._answer(self, sdp)

    def reject(self, status: int = 486) -> None:
        """Inbound: refuse the call with ``status`` (4xx–6xx)."""
        self._require("inbound", CallState.RINGING)
        self._endpoint._reject(self, status)

    def cancel(self) -> None:
        """Outbound: cancel the INVITE before it is answered."""
        if self.direction != "outbound" or self.state not in (
            CallState.CALLING,
            CallState.RINGING,
        ):
            raise SipCallError(f"cannot cancel an {self.direction} call in state {self.state}")
        self._endpoint._cancel(self)

    def hangup(self, reason: str = EndReason.LOCAL_BYE) -> None:
        """End the call whatever its state: BYE, CANCEL or a 480 rejection."""
        if self.state is CallState.ENDED:
            return
        if self.state is CallState.ANSWERED:
            self._endpoint._bye(self, reason)
        elif self.direction == "outbound":
            self._endpoint._cancel(self)
        else:
            self._endpoint._reject(self, 480)

    def send_info_dtmf(self, digit: str, duration_ms: int = 160) -> None:
        """Send a keypad digit as SIP INFO (application/dtmf-relay)."""
        self._require(None, CallState.ANSWERED)
        body = f"Signal={digit}\r\nDuration={duration_ms}\r\n".encode()
        self._endpoint._in_dialog_request(self, "INFO", body, "application/dtmf-relay")

    def refer(self, target: str, replaces: Call | None = None) -> None:
        """Ask the peer to transfer this call to ``target`` (REFER, RFC 3515).

        With ``replaces`` (another answered call of this endpoint, to the same peer or through
        it) the Refer-To carries ``?Replaces=`` naming that dialog as the peer sees it (RFC
        3891: its tag as ``to-tag``, ours as ``from-tag``): an attended transfer. The peer's
        NOTIFYs report the outcome to ``on_transfer_status``."""
        self._require(None, CallState.ANSWERED)
        refer_to = target
        if replaces is not None:
            if replaces.dialog is None:
                raise SipCallError("the call to replace has no dialog yet")
            value = Replaces(replaces.call_id, replaces.remote_tag, replaces.local_tag)
            separator = "&" if "?" in target else "?"
            refer_to = f"{target}{separator}Replaces={quote(str(value), safe='')}"
        self._endpoint._in_dialog_request(
            self,
            "REFER",
            extra=(
                ("Refer-To", f"<{refer_to}>"),
                ("Referred-By", f"<{self._endpoint._contact()}>"),
            ),
        )

    def notify_transfer(self, status: int) -> None:
        """Tell the peer that sent REFER how the transfer went (a SIP status: 200, 486 …)."""
        self._require(None, CallState.ANSWERED)
        self._endpoint._notify_transfer(self, status)

    # -- endpoint side ---------------------------------------------------------------------

    def _require(self, direction: str | None, state: CallState) -> None:
        if direction is not None and self.direction != direction:
            raise SipCallError(f"not an {direction} call")
        if self.state is not state:
            raise SipCallError(f"call is {self.state.value}, needs {state.value}")

    def _mark_answered(self) -> None:
        self.state = CallState.ANSWERED
        if not self.answered.done():
            self.answered.set_result(None)
        if self.on_answered is not None:
            self.on_answered()

    def _mark_ended(self, reason: str) -> None:
        if self.state is CallState.ENDED:
            return
        self.state = CallState.ENDED
        self.end_reason = reason
        if not self.answered.done():
            self.answered.set_exception(SipCallError(f"call ended before answer: {reason}"))
            self.answered.exception()  # retrieved: nobody has to await it
        if not self.ended.done():
            self.ended.set_result(reason)
        if self.on_ended is not None:
            self.on_ended(reason)
