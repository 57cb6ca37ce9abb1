"""The UAS half of :class:`~madoguchi.telephony.sip.endpoint.SipEndpoint`: inbound requests.

New INVITEs become :class:`~madoguchi.telephony.sip.call.Call` objects handed to
``on_incoming_call`` (after the session-timer and SDP checks: 422, 488); re-INVITEs are answered
from our own SDP with the mirrored direction (hold and resume); CANCEL ends a ringing call with
487; BYE and INFO work inside a dialog (481 outside); REGISTER goes through digest
authentication to the registrar.

Replaces (RFC 3891): an INVITE with a ``Replaces`` header, or a REFER whose Refer-To carries
``?Replaces=``, names a dialog of this endpoint by Call-ID, ``to-tag`` (our tag) and
``from-tag`` (the peer's). Nothing live matches, or it is an early dialog the peer started:
481 (for REFER, in the NOTIFY sipfrag); ``early-only`` against a confirmed dialog: 486; more
than one Replaces or a malformed one: 400. A matched INVITE goes to the replaced call's
``on_replaced`` (else ``on_incoming_call``) with ``call.replaces`` set, and answering it
ends the replaced call (BYE, or CANCEL when it was our own early call).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, cast

from madoguchi.telephony.errors import SdpError, SipParseError
from madoguchi.telephony.sip.call import Call, CallState, EndReason
from madoguchi.telephony.sip.dialog import Dialog, DialogKey
from madoguchi.telephony.sip.digest import DigestAuthenticator
from madoguchi.telephony.sip.fields import (
    Replaces,
    new_tag,
    parse_name_addr,
    parse_replaces,
    uri_replaces,
)
from madoguchi.telephony.sip.message import SipRequest, SipResponse, reason_phrase, response_to
from madoguchi.telephony.sip.registrar import Registrar
from madoguchi.telephony.sip.sdp import build_sdp, parse_sdp
from madoguchi.telephony.sip.transaction import ServerInviteTransaction, ServerNonInviteTransaction
from madoguchi.telephony.sip.uac import ALLOW

if TYPE_CHECKING:
    from madoguchi.telephony.sip.endpoint import SipEndpoint
    from madoguchi.telephony.sip.transaction import AnyTransaction, Outgoing, TransactionTable
    from madoguchi.telephony.sip.transport import Address, Link

MIN_SESSION_EXPIRES = 90


class UasMixin:
    """Inbound requests for the SIP endpoint."""

    if TYPE_CHECKING:
        on_incoming_call: Callable[[Call], None] | None
        registrar: Registrar | None
        authenticator: DigestAuthenticator | None
        transactions: TransactionTable
        stats: dict[str, int]
        wall_clock: Callable[[], float]
        _dialogs: dict[DialogKey, Call]
        _invite_calls: dict[str, Call]

        def _send(self, out: Outgoing) -> None: ...
        def _watch(self, tx: AnyTransaction) -> None: ...
        def _now(self) -> float: ...
        def _track(self, call: Call, key: str) -> None: ...
        def _end(self, call: Call, reason: str) -> None: ...
        def _contact(self, link_name: str = "UDP") -> str: ...
        def _dialog_call(self, request: SipRequest) -> Call | None: ...
        def _in_dialog_request(
            self,
            call: Call,
            method: str,
            body: bytes = b"",
            content_type: str | None = None,
            extra: tuple[tuple[str, str], ...] = (),
        ) -> None: ...

    def _receive_in_dialog(self, request: SipRequest) -> SipResponse:
        call = self._dialog_call(request)
        if call is None or call.dialog is None:
            return response_to(request, 481)
        if not call.dialog.accept_remote_cseq(request):
            return response_to(request, 500, "CSeq out of order")
        if request.method == "BYE":
            self._end(call, EndReason.REMOTE_BYE)
            return response_to(request, 200)
        if request.method == "REFER":
            return self._receive_refer(request, call)
        if request.method == "NOTIFY":
            return self._receive_notify(request, call)
        content_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
        digit = _info_digit(content_type, request.body)
        if content_type and digit is None and content_type != "application/dtmf-relay":
            return response_to(request, 415)
        if digit is not None and call.on_dtmf is not None:
            call.on_dtmf(digit)
        return response_to(request, 200)

    def _receive_refer(self, request: SipRequest, call: Call) -> SipResponse:
        targets = request.headers.values("refer-to")
        if len(targets) != 1:
            return response_to(request, 400, "Bad Request - one Refer-To needed")
        if call.on_refer is None or call.state is not CallState.ANSWERED:
            return response_to(request, 603)
        try:
            target = parse_name_addr(targets[0]).uri
            replaces = uri_replaces(target)
        except SipParseError as err:
            return response_to(request, 400, f"Bad Request - Refer-To: {err}"[:80])
        replaced: Call | None = None
        status = 0
        if replaces is not None:  # attended transfer: the dialog must be one of ours
            replaced, status = self._match_replaces(replaces)
        asyncio.get_running_loop().call_soon(self._start_transfer, call, target, replaced, status)
        return response_to(request, 202)

    def _receive_notify(self, request: SipRequest, call: Call) -> SipResponse:
        """NOTIFY of a REFER we sent (``Event: refer``, a message/sipfrag status line)."""
        event = (request.headers.get("event") or "").split(";")[0].strip().lower()
        if event != "refer":
            return response_to(request, 489)  # Bad Event
        line = request.body.decode("utf-8", "replace").strip().split("\r\n")[0].split("\n")[0]
        parts = line.split()
        if len(parts) < 2 or not parts[0].upper().startswith("SIP/") or not parts[1].isdigit():
            return response_to(request, 400, "Bad Request - sipfrag status line")
        if call.on_transfer_status is not None:
            call.on_transfer_status(int(parts[1]))
        return response_to(request, 200)

    def _match_replaces(self, replaces: Replaces) -> tuple[Call | None, int]:
        """The live call a Replaces names, or the status that refuses it (RFC 3891 §3)."""
        call = self.find_dialog(replaces.call_id, replaces.to_tag, replaces.from_tag)
        if call is None:
            return None, 481
        if call.state is not CallState.ANSWERED and call.direction == "inbound":
            return None, 481  # an early dialog we did not initiate
        if call.state is CallState.ANSWERED and replaces.early_only:
            return None, 486
        return call, 0

    def find_dialog(self, call_id: str, local_tag: str, remote_tag: str) -> Call | None:
        """The live call whose dialog (confirmed or early) has these Call-ID and tags."""
        call = self._dialogs.get((call_id, local_tag, remote_tag))
        if call is not None and call.state is not CallState.ENDED:
            return call
        for call in self._invite_calls.values():
            if (
                call.call_id == call_id
                and call.local_tag == local_tag
                and call.remote_tag == remote_tag
                and call.state is not CallState.ENDED
            ):
                return call
        return None

    def _start_transfer(self, call: Call, target: str, replaced: Call | None, status: int) -> None:
        if call.state is not CallState.ANSWERED or call.on_refer is None:
            return
        self._notify_transfer(call, 100)
        if status:
            self._notify_transfer(call, status)
            return
        call.refer_replaces = replaced
        call.on_refer(target)

    def _notify_transfer(self, call: Call, status: int) -> None:
        """NOTIFY the referrer of the transfer's progress (message/sipfrag, RFC 3515 §2.4.5)."""
        final = status >= 200
        state = "terminated;reason=noresource" if final else "active;expires=60"
        self._in_dialog_request(
            call,
            "NOTIFY",
            f"SIP/2.0 {status} {reason_phrase(status)}\r\n".encode(),
            "message/sipfrag;version=2.0",
            (("Event", "refer"), ("Subscription-State", state)),
        )

    def _receive_cancel(
        self, request: SipRequest, tx: ServerNonInviteTransaction, now: float
    ) -> None:
        invite_key = tx.key[: tx.key.rfind("|")] + "|INVITE"
        invite_tx = self.transactions.server.get(invite_key)
        call = self._invite_calls.get(invite_key)
        if not isinstance(invite_tx, ServerInviteTransaction) or call is None:
            self._send(tx.respond(response_to(request, 481), now))
            self._watch(tx)
            return
        self._send(tx.respond(response_to(request, 200, to_tag=call.local_tag), now))
        self._watch(tx)
        if call.state is CallState.RINGING:
            response = response_to(call.invite, 487, to_tag=call.local_tag)
            self._send(invite_tx.respond(response, now))
            self._watch(invite_tx)
            call.final_status = 487
            self._end(call, EndReason.CANCELLED)

    def _receive_register(
        self, request: SipRequest, source: Address, link: Link, now: float
    ) -> SipResponse:
        if self.registrar is None:
            response = response_to(request, 405, to_tag=new_tag())
            response.headers.add("Allow", ALLOW)
            return response
        tag = new_tag()
        if self.authenticator is not None:
            outcome = self.authenticator.check(request, source[0], self.wall_clock())
            if not outcome.ok:
                response = response_to(request, outcome.status, to_tag=tag)
                for challenge in outcome.challenge:
                    response.headers.add("WWW-Authenticate", challenge)
                return response
        response = self.registrar.register(request, source, link.name.lower(), self.wall_clock())
        to = response.headers.first("to")
        if ";tag=" not in to:
            response.headers.set("To", f"{to};tag={tag}")
        return response

    def _receive_invite(
        self, request: SipRequest, tx: ServerInviteTransaction, source: Address, now: float
    ) -> None:
        tag = new_tag()
        status = 0
        remote_sdp = None
        session_expires = request.headers.get("session-expires")
        if session_expires is not None:
            interval = session_expires.split(";")[0].strip()
            if not interval.isdigit():
                status = 400
            elif int(interval) < MIN_SESSION_EXPIRES:
                status = 422
        if request.body and not status:
            try:
                remote_sdp = parse_sdp(request.body)
                remote_sdp.codec  # noqa: B018 - raises SdpError without a common codec
            except SdpError as err:
                status = err.status_hint
        replaced: Call | None = None
        replaces_values = request.headers.values("replaces")
        if replaces_values and not status:
            if len(replaces_values) > 1:
                status = 400
            else:
                try:
                    replaced, status = self._match_replaces(parse_replaces(replaces_values[0]))
                except SipParseError:
                    status = 400
        handler = replaced.on_replaced if replaced is not None else None
        if not status and handler is None and self.on_incoming_call is None:
            status = 480
        if status:
            response = response_to(request, status, to_tag=tag)
            if status == 422:
                response.headers.add("Min-SE", str(MIN_SESSION_EXPIRES))
            self._send(tx.respond(response, now))
            self._watch(tx)
            return
        call = Call(cast("SipEndpoint", self), "inbound", request, source, tag)
        call.server_tx = tx
        call.remote_sdp = remote_sdp
        if session_expires is not None:
            value = (
                session_expires
                if "refresher" in session_expires
                else (f"{session_expires};refresher=uac")
            )
            call.session_expires = value
            supported = ",".join(request.headers.get_all("supported")).lower()
            call.timer_required = "timer" in supported
        call.replaces = replaced
        self._track(call, tx.key)
        self.stats["calls"] += 1
        if handler is not None:
            handler(call)
            return
        assert self.on_incoming_call is not None
        self.on_incoming_call(call)

    def _receive_reinvite(
        self, request: SipRequest, tx: ServerInviteTransaction, now: float
    ) -> None:
        call = self._dialog_call(request)
        if call is None or call.dialog is None:
            self._send(tx.respond(response_to(request, 481), now))
            self._watch(tx)
            return
        if not call.dialog.accept_remote_cseq(request):
            self._send(tx.respond(response_to(request, 500, "CSeq out of order"), now))
            self._watch(tx)
            return
        direction = "sendrecv"
        held = False
        if request.body:
            try:
                offer = parse_sdp(request.body)
                offer.codec  # noqa: B018 - raises SdpError without a common codec
            except SdpError as err:
                self._send(tx.respond(response_to(request, err.status_hint), now))
                self._watch(tx)
                return
            call.remote_sdp = offer
            held = offer.on_hold
            direction = {"sendonly": "recvonly", "inactive": "inactive"}.get(
                offer.direction, "sendrecv"
            )
            if offer.address == "0.0.0.0":  # noqa: S104 - RFC 2543 hold
                direction = "inactive"
        call.local_sdp = _redirect_sdp(call.local_sdp, direction)
        call.server_tx = tx
        self._track(call, tx.key)
        response = self._ok_with_sdp(request, call)
        self._send(tx.respond(response, now))
        self._watch(tx)
        if held != call.on_hold_by_peer:
            call.on_hold_by_peer = held
            if call.on_hold is not None:
                call.on_hold(held)

    def _ok_with_sdp(self, request: SipRequest, call: Call) -> SipResponse:
        response = response_to(request, 200, to_tag=call.local_tag)
        h = response.headers
        tx = call.server_tx
        reliable = tx is not None and tx.reliable
        h.add("Contact", f"<{self._contact('TCP' if reliable else 'UDP')}>")
        h.add("Allow", ALLOW)
        h.add("Supported", "timer")
        if call.session_expires is not None:
            h.add("Session-Expires", call.session_expires)
            if call.timer_required:
                h.add("Require", "timer")
        h.add("Content-Type", "application/sdp")
        response.body = call.local_sdp
        return response

    def _provisional(self, call: Call, status: int, sdp: bytes = b"") -> None:
        assert call.server_tx is not None
        response = response_to(call.invite, status, to_tag=call.local_tag)
        response.headers.add("Contact", f"<{self._contact()}>")
        if sdp:  # early media (RFC 3960 gateway model): the answer comes before the 200
            response.headers.add("Allow", ALLOW)
            response.headers.add("Content-Type", "application/sdp")
            response.body = sdp
        self._send(call.server_tx.respond(response, self._now()))
        self._watch(call.server_tx)

    def _answer(self, call: Call, sdp: bytes) -> None:
        tx = call.server_tx
        assert tx is not None
        call.local_sdp = sdp
        call.dialog = Dialog.as_uas(call.invite, call.local_tag, self._contact())
        self._dialogs[call.dialog.key] = call
        call.final_status = 200
        self._send(tx.respond(self._ok_with_sdp(call.invite, call), self._now()))
        self._watch(tx)
        call._mark_answered()
        replaced = call.replaces
        if replaced is not None and replaced.state is not CallState.ENDED:
            replaced.hangup(EndReason.REPLACED)

    def _reject(self, call: Call, status: int) -> None:
        tx = call.server_tx
        assert tx is not None
        call.final_status = status
        self._send(tx.respond(response_to(call.invite, status, to_tag=call.local_tag), self._now()))
        self._watch(tx)
        self._end(call, EndReason.REJECTED)


def _info_digit(content_type: str, body: bytes) -> str | None:
    text = body.decode("utf-8", "replace").strip()
    if content_type == "application/dtmf-relay":
        for line in text.splitlines():
            name, _, value = line.partition("=")
            if name.strip().lower() == "signal" and value.strip():
                return value.strip()[:1]
        return None
    if content_type == "application/dtmf" and text:
        return text[:1]
    return None


def _redirect_sdp(sdp: bytes, direction: str) -> bytes:
    """Our SDP again with ``direction`` and the origin version incremented."""
    if not sdp:
        return sdp
    desc = parse_sdp(sdp)
    version = 1
    session_id = 1
    for line in sdp.decode().splitlines():
        if line.startswith("o="):
            parts = line[2:].split()
            if len(parts) >= 3 and parts[1].isdigit() and parts[2].isdigit():
                session_id, version = int(parts[1]), int(parts[2])
    codecs = [pt for pt in desc.payload_types if pt != desc.telephone_event_pt]
    return build_sdp(
        desc.address,
        desc.port,
        codecs,
        telephone_event_pt=desc.telephone_event_pt,
        direction=direction,
        session_id=session_id,
        version=version + 1,
    )
