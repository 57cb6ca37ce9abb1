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
    status = await phone.register("sip:1001@center", (host, port), ("1001", "pw"))  # 200

As UAS it sends 100 Trying at once, answers retransmissions from its transactions, handles ACK,
BYE, CANCEL (200 to the CANCEL, 487 to the INVITE), OPTIONS, INFO (``application/dtmf-relay`` and
``application/dtmf`` digits go to ``call.on_dtmf``), REGISTER (digest check, then the registrar;
401 challenge, 403 when refused or rate-limited), re-INVITE (hold and resume answered from our own
SDP with the mirrored direction), and accepts session timers (RFC 4028: ``Session-Expires``
echoed with ``refresher=uac``, 422 below ``Min-SE`` 90 s). Malformed requests get 400 when a
response can be built, non-SIP bytes are dropped. Responses go back per RFC 3581 (to the source
address and port when the Via has ``rport``, with ``received``/``rport`` filled in).

Timers run from the loop clock through one ``call_at`` for the earliest transaction deadline.
This module holds transports, timers and dispatch; the request handlers are in ``uas.py`` and
outbound calls in ``uac.py``. ``endpoint.stats`` counts received, dropped and 400-answered
messages and calls; ``endpoint.calls`` lists live calls. REFER (RFC 3515) inside a dialog is
answered 202 and reported to ``call.on_refer(target)`` (603 without a handler); the application
reports the outcome with ``call.notify_transfer(status)`` (NOTIFY with a sipfrag). As the
transferor, ``call.refer(target, replaces=other_call)`` sends REFER (with ``?Replaces=`` for an
attended transfer) and the peer's NOTIFYs reach ``call.on_transfer_status``. Replaces (RFC
3891) on INVITE and in Refer-To is matched against this endpoint's dialogs: see ``uas.py``;
183 with SDP (early media) is sent by ``call.progress(sdp)`` and received into
``call.on_early_media``. Not handled
yet: UAC over TCP, pre-loaded Route sets for initial requests (use ``destination=`` for an
outbound proxy). Phones that stop at a SHA-256 challenge (baresip 1.0) need
``DigestAuthenticator(..., algorithms=("MD5",))``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from madoguchi.telephony.errors import SipParseError
from madoguchi.telephony.sip.call import Call, CallState, EndReason
from madoguchi.telephony.sip.dialog import DialogKey
from madoguchi.telephony.sip.digest import DigestAuthenticator
from madoguchi.telephony.sip.fields import (
    header_tag,
    new_branch,
    new_tag,
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
from madoguchi.telephony.sip.transaction import (
    AnyTransaction,
    ClientInviteTransaction,
    ClientNonInviteTransaction,
    Outgoing,
    ServerInviteTransaction,
    ServerNonInviteTransaction,
    TransactionTable,
    client_key,
    server_key,
)
from madoguchi.telephony.sip.transport import Address, Link, TcpLink, UdpLink
from madoguchi.telephony.sip.uac import ALLOW, UacMixin
from madoguchi.telephony.sip.uas import UasMixin

log = logging.getLogger(__name__)


class SipEndpoint(UasMixin, UacMixin):
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
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        """``wall_clock`` (epoch seconds) times registrar bindings and digest nonces, so that
        the runtime looks bindings up with its own clock; transactions use the loop clock."""
        self.host = host
        self.port = port
        self.on_incoming_call = on_incoming_call
        self.registrar = registrar
        self.authenticator = authenticator
        self.user_agent = user_agent
        self.wall_clock = wall_clock
        self._use_tcp = tcp
        self.transactions = TransactionTable()
        self._dialogs: dict[DialogKey, Call] = {}
        self._invite_calls: dict[str, Call] = {}  # INVITE transaction key → call
        self._waiters: dict[str, asyncio.Future[SipResponse | None]] = {}  # non-INVITE UAC
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
            waiter = self._waiters.pop(tx.key, None)
            if waiter is not None and not waiter.done():
                waiter.set_result(None)  # timer F: no response
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
        elif method in ("BYE", "INFO", "REFER", "NOTIFY"):
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
            self._watch(call.server_tx)

    # -- helpers shared by UAS and UAC ----------------------------------------------------

    def _contact(self, link_name: str = "UDP") -> str:
        suffix = ";transport=tcp" if link_name == "TCP" else ""
        return f"sip:madoguchi@{self.host}:{self.port}{suffix}"

    def _track(self, call: Call, key: str) -> None:
        self._invite_calls[key] = call
        call.transaction_keys.append(key)

    def _end(self, call: Call, reason: str) -> None:
        if call.dialog is not None:
            self._dialogs.pop(call.dialog.key, None)
        for key in call.transaction_keys:
            if self._invite_calls.get(key) is call:
                del self._invite_calls[key]
        call._mark_ended(reason)

    def _via(self, branch: str) -> str:
        return f"SIP/2.0/UDP {self.host}:{self.port};rport;branch={branch}"

    def _in_dialog_request(
        self,
        call: Call,
        method: str,
        body: bytes = b"",
        content_type: str | None = None,
        extra: tuple[tuple[str, str], ...] = (),
    ) -> None:
        dialog = call.dialog
        assert dialog is not None
        branch = new_branch()
        request = dialog.create_request(method, self._via(branch), body, content_type)
        for name, value in extra:
            request.headers.add(name, value)
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
