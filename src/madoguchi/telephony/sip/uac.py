"""The UAC half of :class:`~madoguchi.telephony.sip.endpoint.SipEndpoint`: outbound calls.

:meth:`UacMixin.invite` sends an INVITE (answering one 401/407 with digest credentials),
acknowledges 2xx responses (again for each retransmitted 2xx), and cancels or hangs up on the
application's request. The endpoint supplies sending, timers and call book-keeping.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, cast

from madoguchi.telephony.errors import SdpError
from madoguchi.telephony.sip.call import Call, CallState, EndReason
from madoguchi.telephony.sip.dialog import Dialog, DialogKey
from madoguchi.telephony.sip.digest import authorization_value
from madoguchi.telephony.sip.fields import (
    header_tag,
    new_branch,
    new_call_id,
    new_tag,
    parse_uri,
    parse_via,
)
from madoguchi.telephony.sip.message import Headers, SipRequest, SipResponse
from madoguchi.telephony.sip.sdp import parse_sdp
from madoguchi.telephony.sip.transaction import (
    ClientInviteTransaction,
    ClientNonInviteTransaction,
    client_key,
    response_client_key,
)

if TYPE_CHECKING:
    from madoguchi.telephony.sip.endpoint import SipEndpoint
    from madoguchi.telephony.sip.transaction import AnyTransaction, Outgoing, TransactionTable
    from madoguchi.telephony.sip.transport import Address

log = logging.getLogger(__name__)

ALLOW = "INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, REGISTER, REFER, NOTIFY"


class UacMixin:
    """Outbound calls for the SIP endpoint."""

    if TYPE_CHECKING:
        host: str
        port: int
        user_agent: str
        transactions: TransactionTable
        _dialogs: dict[DialogKey, Call]
        _invite_calls: dict[str, Call]
        _waiters: dict[str, asyncio.Future[SipResponse | None]]

        def _send(self, out: Outgoing) -> None: ...
        def _watch(self, tx: AnyTransaction) -> None: ...
        def _now(self) -> float: ...
        def _track(self, call: Call, key: str) -> None: ...
        def _end(self, call: Call, reason: str) -> None: ...
        def _bye(self, call: Call, reason: str) -> None: ...
        def _contact(self, link_name: str = "UDP") -> str: ...
        def _via(self, branch: str) -> str: ...
        def _next_hop(self, call: Call) -> Address: ...

    async def invite(
        self,
        target: str,
        sdp: bytes,
        *,
        from_user: str = "madoguchi",
        destination: Address | None = None,
        credentials: tuple[str, str] | None = None,
    ) -> Call:
        """Send an INVITE to ``target`` (a sip: URI) with ``sdp``; returns the outbound call.

        ``destination`` defaults to the URI's host and port. With ``credentials`` a 401/407 is
        answered once with digest authorization.
        """
        uri = parse_uri(target)
        dest = destination or (uri.host, uri.port or 5060)
        headers = Headers()
        branch = new_branch()
        tag = new_tag()
        headers.add("Via", self._via(branch))
        headers.add("Max-Forwards", "70")
        headers.add("From", f"<sip:{from_user}@{self.host}:{self.port}>;tag={tag}")
        headers.add("To", f"<{target}>")
        headers.add("Call-ID", new_call_id(self.host))
        headers.add("CSeq", "1 INVITE")
        headers.add("Contact", f"<{self._contact()}>")
        headers.add("Allow", ALLOW)
        headers.add("Supported", "timer")
        headers.add("User-Agent", self.user_agent)
        headers.add("Content-Type", "application/sdp")
        request = SipRequest("INVITE", target, headers, sdp)
        call = Call(cast("SipEndpoint", self), "outbound", request, dest, tag)
        call.local_sdp = sdp
        call.credentials = credentials
        self._send_invite(call, request, branch)
        return call

    async def register(
        self,
        aor: str,
        registrar: Address,
        credentials: tuple[str, str] | None = None,
        expires: int = 3600,
    ) -> int:
        """REGISTER our address as a contact of ``aor`` (a sip: URI) at ``registrar``.

        Answers one 401/407 with digest ``credentials``. Returns the final status (408 when
        nothing answered within 64·T1); ``expires=0`` removes the binding.
        """
        uri = parse_uri(aor)
        request_uri = f"sip:{uri.host}" + (f":{uri.port}" if uri.port else "")
        call_id = new_call_id(self.host)
        tag = new_tag()
        authorization: tuple[str, str] | None = None
        for cseq in (1, 2):
            headers = Headers()
            branch = new_branch()
            headers.add("Via", self._via(branch))
            headers.add("Max-Forwards", "70")
            headers.add("From", f"<{aor}>;tag={tag}")
            headers.add("To", f"<{aor}>")
            headers.add("Call-ID", call_id)
            headers.add("CSeq", f"{cseq} REGISTER")
            headers.add("Contact", f"<sip:{uri.user}@{self.host}:{self.port}>;expires={expires}")
            headers.add("Expires", str(expires))
            headers.add("User-Agent", self.user_agent)
            if authorization is not None:
                headers.add(*authorization)
            request = SipRequest("REGISTER", request_uri, headers)
            response = await self._non_invite(request, branch, registrar)
            if response is None:
                return 408
            header = "www-authenticate" if response.status == 401 else "proxy-authenticate"
            challenges = response.headers.values(header)
            if response.status in (401, 407) and credentials and challenges and cseq == 1:
                value = authorization_value(challenges[0], "REGISTER", request_uri, *credentials)
                name = "Authorization" if response.status == 401 else "Proxy-Authorization"
                authorization = (name, value)
                continue
            return response.status
        return 401  # pragma: no cover - the loop returns on its second round

    async def _non_invite(
        self, request: SipRequest, branch: str, destination: Address
    ) -> SipResponse | None:
        """Send a non-INVITE request outside a dialog; its final response, or None (timer F)."""
        key = client_key(branch, request.method)
        tx = ClientNonInviteTransaction(key, request, destination, False)
        waiter: asyncio.Future[SipResponse | None] = asyncio.get_running_loop().create_future()
        self._waiters[key] = waiter
        self.transactions.add_client(tx)
        self._send(tx.start(self._now()))
        self._watch(tx)
        return await waiter

    def _send_invite(self, call: Call, request: SipRequest, branch: str) -> None:
        key = client_key(branch, "INVITE")
        tx = ClientInviteTransaction(key, request, call.source, False)
        call.invite = request
        call.client_tx = tx
        self.transactions.add_client(tx)
        self._track(call, key)
        self._send(tx.start(self._now()))
        self._watch(tx)

    def _receive_response(self, response: SipResponse) -> None:
        key = response_client_key(response)
        tx = self.transactions.client.get(key)
        if tx is None:
            return
        now = self._now()
        deliver, out = tx.receive_response(response, now)
        self._send(out)
        self._watch(tx)
        waiter = self._waiters.get(key)
        if waiter is not None and deliver and response.status >= 200:
            del self._waiters[key]
            if not waiter.done():
                waiter.set_result(response)
            return
        call = self._invite_calls.get(key)
        if not deliver or call is None or not isinstance(tx, ClientInviteTransaction):
            return
        status = response.status
        if status < 200:
            if call.state is CallState.CALLING:
                call.state = CallState.RINGING
                if call.cancel_requested:
                    self._send_cancel(call)
            tag = header_tag(response.headers.first("to"))
            if tag:
                call.early_remote_tag = tag
            if status in (180, 183) and call.on_ringing is not None:
                call.on_ringing()
            if status > 100 and response.body and call.state is CallState.RINGING:
                self._early_media(call, response)
        elif status < 300:
            self._uac_answered(call, response)
        elif status in (401, 407) and self._retry_with_auth(call, response):
            del self._invite_calls[key]
        else:
            call.final_status = status
            reason = (
                EndReason.CANCELLED
                if status == 487 and call.cancel_requested
                else (EndReason.FAILED)
            )
            self._end(call, reason)

    def _early_media(self, call: Call, response: SipResponse) -> None:
        """A provisional response with SDP (183): the callee's answer, media before the 200."""
        try:
            sdp = parse_sdp(response.body)
            sdp.codec  # noqa: B018 - raises SdpError without a common codec
        except SdpError as err:
            log.info("bad SDP in %d: %s", response.status, err)
            return
        call.remote_sdp = sdp
        if call.on_early_media is not None:
            call.on_early_media(sdp)

    def _uac_answered(self, call: Call, response: SipResponse) -> None:
        if call.dialog is not None:  # a retransmitted 2xx: ACK again
            self._send([(call.ack, self._next_hop(call))])
            return
        assert call.client_tx is not None
        call.dialog = Dialog.as_uac(call.invite, response, self._contact())
        call.final_status = response.status
        self._dialogs[call.dialog.key] = call
        if response.body:
            try:
                call.remote_sdp = parse_sdp(response.body)
            except SdpError as err:
                log.info("bad SDP in 2xx: %s", err)
        cseq = int(call.invite.headers.first("cseq").split()[0])
        ack = call.dialog.create_request("ACK", self._via(new_branch()), cseq=cseq)
        for name in ("authorization", "proxy-authorization"):
            value = call.invite.headers.get(name)
            if value is not None:
                ack.headers.add(name.title(), value)
        call.ack = ack.to_bytes()
        self._send([(call.ack, self._next_hop(call))])
        if call.cancel_requested:
            self._bye(call, EndReason.CANCELLED)
            return
        call._mark_answered()

    def _retry_with_auth(self, call: Call, response: SipResponse) -> bool:
        credentials = call.credentials
        header = "www-authenticate" if response.status == 401 else "proxy-authenticate"
        challenges = response.headers.values(header) if credentials else []
        if (
            not challenges
            or call.invite.headers.get("authorization")
            or call.invite.headers.get("proxy-authorization")
        ):
            return False
        assert credentials is not None
        old = call.invite
        value = authorization_value(challenges[0], "INVITE", old.uri, *credentials)
        headers = old.headers.copy()
        branch = new_branch()
        headers.set("Via", self._via(branch))
        cseq = int(old.headers.first("cseq").split()[0]) + 1
        headers.set("CSeq", f"{cseq} INVITE")
        headers.add("Authorization" if response.status == 401 else "Proxy-Authorization", value)
        self._send_invite(call, SipRequest("INVITE", old.uri, headers, old.body), branch)
        return True

    def _cancel(self, call: Call) -> None:
        call.cancel_requested = True
        if call.state is CallState.RINGING:
            self._send_cancel(call)

    def _send_cancel(self, call: Call) -> None:
        invite = call.invite.headers
        headers = Headers()
        via = invite.get_all("via")[0]
        headers.add("Via", via)
        for route in invite.get_all("route"):
            headers.add("Route", route)
        headers.add("Max-Forwards", "70")
        headers.add("From", invite.first("from"))
        headers.add("To", invite.first("to"))
        headers.add("Call-ID", invite.first("call-id"))
        headers.add("CSeq", f"{invite.first('cseq').split()[0]} CANCEL")
        request = SipRequest("CANCEL", call.invite.uri, headers)
        branch = parse_via(via).branch
        tx = ClientNonInviteTransaction(client_key(branch, "CANCEL"), request, call.source, False)
        self.transactions.add_client(tx)
        self._send(tx.start(self._now()))
        self._watch(tx)
