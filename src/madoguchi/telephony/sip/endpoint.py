"""The SIP user agent: an asyncio endpoint acting as UAS and UAC over UDP and TCP.

Usage::

    def on_incoming_call(call: Call) -> None:
        call.on_dtmf = lambda digit: ...          # SIP INFO digits
        call.on_hold = lambda held: ...           # re-INVITE sendonly/inactive → True, back → False
        call.on_ended = lambda reason: ...        # EndReason value
        call.ring()                               # 180
        call.answer(answer_sdp)                   # 200 + SDP (sdp.answer_offer(call.remote_sdp …))
        ...
        call.hangup()                             # BYE (or 480 if not answered yet)

    endpoint = SipEndpoint(host="127.0.0.1", port=5060, on_incoming_call=on_incoming_call,
                           registrar=Registrar(), authenticator=DigestAuthenticator(realm, pw_of))
    await endpoint.start()
    call = await endpoint.invite("sip:agent@127.0.0.1:5070", offer_sdp,
                                 credentials=("user", "secret"))   # UAC, retries 401/407 once
    await call.answered ; call.hangup() ; await endpoint.close()

As UAS it sends 100 Trying at once, answers retransmissions from its transactions, handles ACK,
BYE, CANCEL (200 to the CANCEL, 487 to the INVITE), OPTIONS, INFO (``application/dtmf-relay`` and
``application/dtmf`` digits go to ``call.on_dtmf``), REGISTER (digest check, then the registrar;
401 challenge, 403 when refused or rate-limited), re-INVITE (hold and resume answered from our own
SDP with the mirrored direction), and accepts session timers (RFC 4028: ``Session-Expires``
echoed with ``refresher=uac``, 422 below ``Min-SE`` 90 s). Malformed requests get 400 when a
response can be built, non-SIP bytes are dropped. Responses go back per RFC 3581 (to the source
address and port when the Via has ``rport``, with ``received``/``rport`` filled in).

Timers run from the loop clock through one ``call_at`` for the earliest transaction deadline.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from madoguchi.telephony.errors import SdpError, SipParseError
from madoguchi.telephony.sip.call import Call, CallState, EndReason
from madoguchi.telephony.sip.dialog import Dialog, DialogKey
from madoguchi.telephony.sip.digest import DigestAuthenticator, authorization_value
from madoguchi.telephony.sip.fields import (
    header_tag,
    new_branch,
    new_call_id,
    new_tag,
    parse_uri,
    parse_via,
)
from madoguchi.telephony.sip.message import (
    Headers,
    SipRequest,
    SipResponse,
    bad_request_response,
    parse_message,
    response_to,
    split_header_values,
)
from madoguchi.telephony.sip.registrar import Registrar
from madoguchi.telephony.sip.sdp import build_sdp, parse_sdp
from madoguchi.telephony.sip.transaction import (
    AnyTransaction,
    ClientInviteTransaction,
    ClientNonInviteTransaction,
    Outgoing,
    ServerInviteTransaction,
    ServerNonInviteTransaction,
    TransactionTable,
    client_key,
    response_client_key,
    server_key,
)
from madoguchi.telephony.sip.transport import Address, Link, TcpLink, UdpLink

log = logging.getLogger(__name__)

ALLOW = "INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, REGISTER"
MIN_SESSION_EXPIRES = 90


class SipEndpoint:
    """A SIP user agent (UAS and UAC) on one address, over UDP and (optionally) TCP."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 5060,
        on_incoming_call: Callable[[Call], None] | None = None,
        registrar: Registrar | None = None,
        authenticator: DigestAuthenticator | None = None,
        tcp: bool = True,
        user_agent: str = "madoguchi",
    ) -> None:
        self.host = host
        self.port = port
        self.on_incoming_call = on_incoming_call
        self.registrar = registrar
        self.authenticator = authenticator
        self.user_agent = user_agent
        self._use_tcp = tcp
        self.transactions = TransactionTable()
        self._dialogs: dict[DialogKey, Call] = {}
        self._invite_calls: dict[str, Call] = {}  # INVITE transaction key → call
        self._udp: UdpLink | None = None
        self._tcp_server: asyncio.Server | None = None
        self._tcp_links: dict[Address, TcpLink] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at: float | None = None
        #: counters for health and benchmarks
        self.stats = {"received": 0, "dropped": 0, "bad_requests": 0, "calls": 0}

    # -- life cycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Bind the UDP socket (and the TCP listener on the same port)."""
        loop = asyncio.get_running_loop()
        self._loop = loop
        transport, protocol = await loop.create_datagram_endpoint(
            lambda: UdpLink(self._receive), local_addr=(self.host, self.port)
        )
        self._udp = protocol
        self.port = transport.get_extra_info("sockname")[1]
        if self._use_tcp:
            self._tcp_server = await loop.create_server(
                lambda: TcpLink(self._receive, self._tcp_closed), self.host, self.port
            )

    async def close(self) -> None:
        """End live calls (BYE/CANCEL/480) and close the sockets."""
        for call in list(self._dialogs.values()) + list(self._invite_calls.values()):
            call.hangup(EndReason.SHUTDOWN)
        if self._timer is not None:
            self._timer.cancel()
        if self._tcp_server is not None:
            self._tcp_server.close()
            for link in list(self._tcp_links.values()):
                if link.transport is not None:
                    link.transport.close()
            await self._tcp_server.wait_closed()
        if self._udp is not None and self._udp.transport is not None:
            self._udp.transport.close()

    @property
    def calls(self) -> list[Call]:
        """Calls with a dialog or a pending INVITE."""
        return list(
            {id(c): c for c in [*self._dialogs.values(), *self._invite_calls.values()]}.values()
        )

    def _tcp_closed(self, link: TcpLink) -> None:
        if self._tcp_links.get(link.peer) is link:
            del self._tcp_links[link.peer]

    def _now(self) -> float:
        assert self._loop is not None
        return self._loop.time()

    # -- sending and timers -----------------------------------------------------------------

    def _send(self, out: Outgoing) -> None:
        for data, destination in out:
            link = self._tcp_links.get(destination)
            if link is not None:
                link.send(data, destination)
            elif self._udp is not None:
                self._udp.send(data, destination)

    def _watch(self, tx: AnyTransaction) -> None:
        self.transactions.watch(tx)
        deadline = self.transactions.next_deadline()
        if deadline is not None and (self._timer_at is None or deadline < self._timer_at):
            if self._timer is not None:
                self._timer.cancel()
            assert self._loop is not None
            self._timer_at = deadline
            self._timer = self._loop.call_at(deadline, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        self._timer_at = None
        out, timed_out = self.transactions.handle_timers(self._now())
        self._send(out)
        for tx in timed_out:
            call = self._invite_calls.get(tx.key)
            if call is None:
                continue
            if isinstance(tx, ServerInviteTransaction) and call.state is CallState.ANSWERED:
                self._bye(call, EndReason.NO_ACK)
            elif isinstance(tx, ClientInviteTransaction):
                self._end(call, EndReason.TIMEOUT)
            else:
                self._end(call, EndReason.NO_ACK)
        deadline = self.transactions.next_deadline()
        if deadline is not None:
            assert self._loop is not None
            self._timer_at = deadline
            self._timer = self._loop.call_at(deadline, self._on_timer)

    # -- receiving --------------------------------------------------------------------------

    def _receive(self, data: bytes, source: Address, link: Link) -> None:
        self.stats["received"] += 1
        if link.reliable:
            self._tcp_links.setdefault(source, link)  # type: ignore[arg-type]
        try:
            message = parse_message(data)
        except SipParseError as err:
            self._reject_unparseable(data, source, link, err)
            return
        try:
            if isinstance(message, SipResponse):
                self._receive_response(message)
            else:
                self._receive_request(message, source, link)
        except (SipParseError, KeyError, ValueError) as err:
            log.info("bad SIP message from %s: %s", source, err)
            if isinstance(message, SipRequest) and message.method != "ACK":
                self.stats["bad_requests"] += 1
                self._send([(response_to(message, 400, f"Bad Request - {err}").to_bytes(), source)])

    def _reject_unparseable(
        self, data: bytes, source: Address, link: Link, err: SipParseError
    ) -> None:
        if err.status_hint is None or data.startswith(b"ACK "):
            self.stats["dropped"] += 1
            return
        response = bad_request_response(data, f"Bad Request - {err}"[:80])
        if response is None:
            self.stats["dropped"] += 1
            return
        self.stats["bad_requests"] += 1
        self._send([(response.to_bytes(), self._response_address(response.headers, source))])

    def _response_address(self, headers: Headers, source: Address) -> Address:
        """Where responses go (RFC 3261 §18.2.2 with RFC 3581): fills received/rport."""
        vias = headers.get_all("via")
        try:
            via = parse_via(vias[0])
        except SipParseError:
            return source
        changed = False
        if "rport" in via.params:
            via.params["rport"] = str(source[1])
            changed = True
        if via.host != source[0]:
            via.params["received"] = source[0]
            changed = True
        if changed:
            items = headers._items
            for i, (lower, display, value) in enumerate(items):
                if lower == "via":
                    parts = split_header_values(value)
                    parts[0] = str(via)
                    items[i] = (lower, display, ", ".join(parts))
                    break
        if "rport" in via.params or self._tcp_links.get(source) is not None:
            return source
        return (source[0], via.port or 5060)

    def _receive_request(self, request: SipRequest, source: Address, link: Link) -> None:
        key = server_key(request)
        method = request.method
        now = self._now()
        existing = self.transactions.server.get(key)
        if method == "ACK":
            if isinstance(existing, ServerInviteTransaction):
                existing.receive_ack(now)
                self._watch(existing)
            self._receive_ack(request, now)
            return
        if existing is not None:
            self._send(existing.receive_retransmission(now))
            return
        destination = self._response_address(request.headers, source)
        if method == "INVITE":
            tx_i = ServerInviteTransaction(key, request, destination, link.reliable)
            self.transactions.add_server(tx_i)
            self._send(tx_i.respond(response_to(request, 100), now))
            self._watch(tx_i)
            if header_tag(request.headers.first("to")):
                self._receive_reinvite(request, tx_i, now)
            else:
                self._receive_invite(request, tx_i, source, now)
            return
        tx = ServerNonInviteTransaction(key, request, destination, link.reliable)
        self.transactions.add_server(tx)
        if method == "CANCEL":
            self._receive_cancel(request, tx, now)
            return
        if method == "REGISTER":
            response = self._receive_register(request, source, link, now)
        elif method == "OPTIONS":
            response = response_to(request, 200, to_tag=new_tag())
            response.headers.add("Allow", ALLOW)
            response.headers.add("Accept", "application/sdp")
        elif method in ("BYE", "INFO"):
            response = self._receive_in_dialog(request)
        else:
            response = response_to(request, 405, to_tag=new_tag())
            response.headers.add("Allow", ALLOW)
        self._send(tx.respond(response, now))
        self._watch(tx)

    def _dialog_call(self, request: SipRequest) -> Call | None:
        h = request.headers
        return self._dialogs.get(
            (h.first("call-id"), header_tag(h.first("to")), header_tag(h.first("from")))
        )

    def _receive_ack(self, request: SipRequest, now: float) -> None:
        call = self._dialog_call(request)
        if call is not None and call.server_tx is not None:
            call.server_tx.acknowledge_2xx(now)

    def _receive_in_dialog(self, request: SipRequest) -> SipResponse:
        call = self._dialog_call(request)
        if call is None or call.dialog is None:
            return response_to(request, 481)
        if not call.dialog.accept_remote_cseq(request):
            return response_to(request, 500, "CSeq out of order")
        if request.method == "BYE":
            self._end(call, EndReason.REMOTE_BYE)
            return response_to(request, 200)
        content_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
        digit = _info_digit(content_type, request.body)
        if content_type and digit is None and content_type != "application/dtmf-relay":
            return response_to(request, 415)
        if digit is not None and call.on_dtmf is not None:
            call.on_dtmf(digit)
        return response_to(request, 200)

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
            outcome = self.authenticator.check(request, source[0], now)
            if not outcome.ok:
                response = response_to(request, outcome.status, to_tag=tag)
                for challenge in outcome.challenge:
                    response.headers.add("WWW-Authenticate", challenge)
                return response
        response = self.registrar.register(request, source, link.name.lower(), now)
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
        if not status and self.on_incoming_call is None:
            status = 480
        if status:
            response = response_to(request, status, to_tag=tag)
            if status == 422:
                response.headers.add("Min-SE", str(MIN_SESSION_EXPIRES))
            self._send(tx.respond(response, now))
            self._watch(tx)
            return
        call = Call(self, "inbound", request, source, tag)
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
        self._invite_calls[tx.key] = call
        self.stats["calls"] += 1
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
        self._invite_calls[tx.key] = call
        response = self._ok_with_sdp(request, call)
        self._send(tx.respond(response, now))
        self._watch(tx)
        if held != call.on_hold_by_peer:
            call.on_hold_by_peer = held
            if call.on_hold is not None:
                call.on_hold(held)

    # -- UAS actions ------------------------------------------------------------------------

    def _contact(self, link_name: str = "UDP") -> str:
        suffix = ";transport=tcp" if link_name == "TCP" else ""
        return f"sip:madoguchi@{self.host}:{self.port}{suffix}"

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

    def _provisional(self, call: Call, status: int) -> None:
        assert call.server_tx is not None
        response = response_to(call.invite, status, to_tag=call.local_tag)
        response.headers.add("Contact", f"<{self._contact()}>")
        self._send(call.server_tx.respond(response, self._now()))

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

    def _reject(self, call: Call, status: int) -> None:
        tx = call.server_tx
        assert tx is not None
        call.final_status = status
        self._send(tx.respond(response_to(call.invite, status, to_tag=call.local_tag), self._now()))
        self._watch(tx)
        self._end(call, EndReason.REJECTED)

    def _end(self, call: Call, reason: str) -> None:
        if call.dialog is not None:
            self._dialogs.pop(call.dialog.key, None)
        for tx in (call.server_tx, call.client_tx):
            if tx is not None and self._invite_calls.get(tx.key) is call:
                del self._invite_calls[tx.key]
        call._mark_ended(reason)

    def _via(self, branch: str) -> str:
        return f"SIP/2.0/UDP {self.host}:{self.port};rport;branch={branch}"

    def _in_dialog_request(
        self, call: Call, method: str, body: bytes = b"", content_type: str | None = None
    ) -> None:
        dialog = call.dialog
        assert dialog is not None
        branch = new_branch()
        request = dialog.create_request(method, self._via(branch), body, content_type)
        tx = ClientNonInviteTransaction(
            client_key(branch, method), request, self._next_hop(call), False
        )
        self.transactions.add_client(tx)
        self._send(tx.start(self._now()))
        self._watch(tx)

    def _next_hop(self, call: Call) -> Address:
        dialog = call.dialog
        if dialog is None or not dialog.route_set:
            return call.source
        host, port = dialog.next_hop()
        return (host, port or 5060)

    def _bye(self, call: Call, reason: str) -> None:
        self._in_dialog_request(call, "BYE")
        self._end(call, reason)

    # -- UAC --------------------------------------------------------------------------------

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
        call = Call(self, "outbound", request, dest, tag)
        call.local_sdp = sdp
        call.credentials = credentials
        self._send_invite(call, request, branch)
        return call

    def _send_invite(self, call: Call, request: SipRequest, branch: str) -> None:
        key = client_key(branch, "INVITE")
        tx = ClientInviteTransaction(key, request, call.source, False)
        call.invite = request
        call.client_tx = tx
        self.transactions.add_client(tx)
        self._invite_calls[key] = call
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
        call = self._invite_calls.get(key)
        if not deliver or call is None or not isinstance(tx, ClientInviteTransaction):
            return
        status = response.status
        if status < 200:
            if call.state is CallState.CALLING:
                call.state = CallState.RINGING
                if call.cancel_requested:
                    self._send_cancel(call)
            if status in (180, 183) and call.on_ringing is not None:
                call.on_ringing()
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
