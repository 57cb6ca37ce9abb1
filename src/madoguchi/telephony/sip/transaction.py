"""SIP transactions (RFC 3261 §17, with RFC 6026's Accepted state) as pure state machines.

Nothing here reads a clock or touches a socket: every method takes ``now`` (seconds, any monotonic
origin) and returns the datagrams to send as ``(bytes, destination)`` pairs; ``deadline`` says when
:meth:`handle_timer` must be called next. :class:`TransactionTable` keeps the transactions, matches
incoming messages to them (§17.1.3, §17.2.3) and runs all timers from one heap.

Timers (unreliable transport; over TCP the retransmission timers are not started and the wait
timers D, I, J, K are zero):

====  =======================  =====================================================
A     client INVITE            retransmit the INVITE, T1 doubling
B     client INVITE            give up waiting for any response, 64·T1
D     client INVITE            absorb retransmitted non-2xx finals, 32 s
E     client non-INVITE        retransmit the request, T1 doubling to T2
F     client non-INVITE        give up, 64·T1
G     server INVITE            retransmit a non-2xx final (and our 2xx, see below), T1 → T2
H     server INVITE            give up waiting for the ACK, 64·T1
I     server INVITE            absorb ACK retransmissions, T4
J     server non-INVITE        absorb request retransmissions, 64·T1
K     client non-INVITE        absorb response retransmissions, T4
L, M  RFC 6026 Accepted        absorb INVITE / pass 2xx retransmissions, 64·T1
====  =======================  =====================================================

Timer C belongs to proxies and is not used. As a simplification of §13.3.1.4, the server INVITE
transaction itself retransmits a 2xx until the UAS core reports the ACK (:meth:`acknowledge_2xx`);
when none arrives within 64·T1 it ends with ``timed_out`` set, and the core hangs the call up.
"""

from __future__ import annotations

import enum
import heapq
import itertools

from madoguchi.telephony.sip.fields import parse_via
from madoguchi.telephony.sip.message import Headers, SipRequest, SipResponse

T1 = 0.5
T2 = 4.0
T4 = 5.0

Destination = tuple[str, int]
Outgoing = list[tuple[bytes, Destination]]


class TransactionState(enum.Enum):
    """States of RFC 3261 §17 (plus RFC 6026's Accepted)."""

    CALLING = "calling"
    TRYING = "trying"
    PROCEEDING = "proceeding"
    ACCEPTED = "accepted"
    COMPLETED = "completed"
    CONFIRMED = "confirmed"
    TERMINATED = "terminated"


def server_key(request: SipRequest) -> str:
    """The key that matches a request to its server transaction (§17.2.3).

    An ACK matches the INVITE transaction; without an RFC 3261 branch the Call-ID, CSeq number
    and From tag stand in.
    """
    top = request.headers.first("via")
    via = parse_via(top.split(",", 1)[0])
    method = "INVITE" if request.method == "ACK" else request.method
    if via.branch.startswith("z9hG4bK"):
        return f"{via.branch}|{via.host}:{via.port}|{method}"
    cseq = request.headers.first("cseq").split()[0]
    return f"{request.headers.first('call-id')}|{cseq}|{request.headers.get('from')}|{method}"


def client_key(branch: str, method: str) -> str:
    """The key that matches a response to its client transaction (§17.1.3)."""
    return f"{branch}|{method}"


def response_client_key(response: SipResponse) -> str:
    """The client-transaction key of a response: top Via branch and CSeq method."""
    top = response.headers.first("via").split(",", 1)[0]
    branch = parse_via(top).branch
    method = response.headers.first("cseq").split()[-1]
    return client_key(branch, method)


class Transaction:
    """Common state of the four transaction kinds."""

    __slots__ = (
        "_end_at",
        "_interval",
        "_resend",
        "_resend_at",
        "destination",
        "key",
        "reliable",
        "state",
        "timed_out",
    )

    def __init__(self, key: str, destination: Destination, reliable: bool) -> None:
        self.key = key
        self.destination = destination
        self.reliable = reliable
        self.state = TransactionState.TRYING
        self.timed_out = False
        self._resend: bytes | None = None
        self._resend_at: float | None = None
        self._interval = T1
        self._end_at: float | None = None

    @property
    def deadline(self) -> float | None:
        """When :meth:`handle_timer` is next due (``None``: no timer running)."""
        if self._resend_at is None:
            return self._end_at
        if self._end_at is None:
            return self._resend_at
        return min(self._resend_at, self._end_at)

    @property
    def terminated(self) -> bool:
        """True once the transaction is over and can be forgotten."""
        return self.state is TransactionState.TERMINATED

    def _start_resending(self, data: bytes, now: float) -> None:
        self._resend = data
        if not self.reliable:
            self._interval = T1
            self._resend_at = now + T1

    def handle_timer(self, now: float) -> Outgoing:
        """Fire every timer due at ``now``; returns the datagrams to (re)send."""
        out: Outgoing = []
        if self._end_at is not None and now >= self._end_at:
            self._on_end_timer()
            self._resend_at = None
            self._end_at = None
            return out
        if self._resend_at is not None and now >= self._resend_at and self._resend is not None:
            out.append((self._resend, self.destination))
            self._interval *= 2
            cap = self._retransmit_cap()
            if cap is not None:
                self._interval = min(self._interval, cap)
            self._resend_at = now + self._interval
        return out

    def _retransmit_cap(self) -> float | None:
        return T2

    def _on_end_timer(self) -> None:
        self.state = TransactionState.TERMINATED


class ServerInviteTransaction(Transaction):
    """Server INVITE transaction (§17.2.1, RFC 6026): Proceeding → Accepted/Completed → …"""

    __slots__ = ("_last_response",)

    def __init__(self, key: str, request: SipRequest, destination: Destination, reliable: bool):
        """``request`` is the INVITE; only its key and address are kept (memory, GC)."""
        super().__init__(key, destination, reliable)
        self.state = TransactionState.PROCEEDING
        self._last_response: bytes | None = None

    def respond(self, response: SipResponse, now: float) -> Outgoing:
        """Send ``response`` for the INVITE; finals start timers G/H (or the 2xx retransmission)."""
        data = response.to_bytes()
        if self.state is not TransactionState.PROCEEDING:
            return []
        self._last_response = data
        if response.status >= 200:
            self.state = (
                TransactionState.ACCEPTED if response.status < 300 else TransactionState.COMPLETED
            )
            self._start_resending(data, now)
            self._end_at = now + 64 * T1
        return [(data, self.destination)]

    def receive_retransmission(self, now: float) -> Outgoing:
        """The INVITE came again: repeat the last response, if any."""
        if self._last_response is not None and self.state in (
            TransactionState.PROCEEDING,
            TransactionState.ACCEPTED,
            TransactionState.COMPLETED,
        ):
            return [(self._last_response, self.destination)]
        return []

    def receive_ack(self, now: float) -> None:
        """An ACK for our non-2xx final: stop G/H, absorb retransmissions for T4 (timer I)."""
        if self.state is TransactionState.COMPLETED:
            self.state = TransactionState.CONFIRMED
            self._resend_at = None
            self._end_at = now + (0.0 if self.reliable else T4)

    def acknowledge_2xx(self, now: float) -> None:
        """The UAS core saw the ACK for our 2xx: stop resending it (keep absorbing, timer L)."""
        if self.state is TransactionState.ACCEPTED:
            self._resend_at = None
            self._resend = None
            self._last_response = None

    def _on_end_timer(self) -> None:
        if self.state is TransactionState.COMPLETED:
            self.timed_out = True  # timer H: no ACK
        elif self.state is TransactionState.ACCEPTED and self._resend is not None:
            self.timed_out = True  # our 2xx was never acknowledged
        self.state = TransactionState.TERMINATED


class ServerNonInviteTransaction(Transaction):
    """Server non-INVITE transaction (§17.2.2): Trying → Proceeding → Completed → Terminated."""

    __slots__ = ("_last_response",)

    def __init__(self, key: str, request: SipRequest, destination: Destination, reliable: bool):
        """``request`` is the request; only its key and address are kept (memory, GC)."""
        super().__init__(key, destination, reliable)
        self._last_response: bytes | None = None

    def respond(self, response: SipResponse, now: float) -> Outgoing:
        """Send ``response``; a final one starts timer J."""
        if self.state in (TransactionState.COMPLETED, TransactionState.TERMINATED):
            return []
        data = response.to_bytes()
        self._last_response = data
        if response.status >= 200:
            self.state = TransactionState.COMPLETED
            if self.reliable:
                self.state = TransactionState.TERMINATED
            else:
                self._end_at = now + 64 * T1
        else:
            self.state = TransactionState.PROCEEDING
        return [(data, self.destination)]

    def receive_retransmission(self, now: float) -> Outgoing:
        """The request came again: repeat the last response, if any."""
        if self._last_response is None:
            return []
        return [(self._last_response, self.destination)]


class ClientInviteTransaction(Transaction):
    """Client INVITE transaction (§17.1.1, RFC 6026): Calling → Proceeding → Accepted/Completed."""

    __slots__ = ("_ack", "request")

    def __init__(self, key: str, request: SipRequest, destination: Destination, reliable: bool):
        super().__init__(key, destination, reliable)
        self.request = request
        self.state = TransactionState.CALLING
        self._ack: bytes | None = None

    def start(self, now: float) -> Outgoing:
        """Send the INVITE and start timers A and B."""
        data = self.request.to_bytes()
        self._start_resending(data, now)
        self._end_at = now + 64 * T1
        return [(data, self.destination)]

    def _retransmit_cap(self) -> float | None:
        return None  # timer A doubles without a cap

    def receive_response(self, response: SipResponse, now: float) -> tuple[bool, Outgoing]:
        """Feed a response; returns (pass it to the UAC core?, datagrams to send)."""
        status = response.status
        if self.state in (TransactionState.CALLING, TransactionState.PROCEEDING):
            self._resend_at = None
            if status < 200:
                self.state = TransactionState.PROCEEDING
                self._end_at = None
                return True, []
            if status < 300:
                self.state = TransactionState.ACCEPTED
                self._end_at = now + 64 * T1  # timer M
                return True, []
            self.state = TransactionState.COMPLETED
            self._ack = self._build_ack(response).to_bytes()
            self._end_at = now + (0.0 if self.reliable else 32.0)  # timer D
            return True, [(self._ack, self.destination)]
        if self.state is TransactionState.ACCEPTED and 200 <= status < 300:
            return True, []
        if self.state is TransactionState.COMPLETED and status >= 300 and self._ack is not None:
            return False, [(self._ack, self.destination)]
        return False, []

    def _build_ack(self, response: SipResponse) -> SipRequest:
        req = self.request.headers
        headers = Headers()
        headers.add("Via", req.get_all("via")[0])
        for route in req.get_all("route"):
            headers.add("Route", route)
        headers.add("Max-Forwards", "70")
        headers.add("From", req.first("from"))
        headers.add("To", response.headers.first("to"))
        headers.add("Call-ID", req.first("call-id"))
        headers.add("CSeq", f"{req.first('cseq').split()[0]} ACK")
        return SipRequest("ACK", self.request.uri, headers)

    def _on_end_timer(self) -> None:
        if self.state is TransactionState.CALLING:
            self.timed_out = True  # timer B
        self.state = TransactionState.TERMINATED


class ClientNonInviteTransaction(Transaction):
    """Client non-INVITE transaction (§17.1.2): Trying → Proceeding → Completed → Terminated."""

    __slots__ = ("request",)

    def __init__(self, key: str, request: SipRequest, destination: Destination, reliable: bool):
        super().__init__(key, destination, reliable)
        self.request = request

    def start(self, now: float) -> Outgoing:
        """Send the request and start timers E and F."""
        data = self.request.to_bytes()
        self._start_resending(data, now)
        self._end_at = now + 64 * T1
        return [(data, self.destination)]

    def receive_response(self, response: SipResponse, now: float) -> tuple[bool, Outgoing]:
        """Feed a response; returns (pass it to the core?, datagrams to send)."""
        if self.state in (TransactionState.TRYING, TransactionState.PROCEEDING):
            if response.status < 200:
                self.state = TransactionState.PROCEEDING
                if self._resend_at is not None:
                    self._interval = T2 / 2  # doubles to T2 on the next firing
                return True, []
            self.state = TransactionState.COMPLETED
            self._resend_at = None
            self._end_at = now + (0.0 if self.reliable else T4)  # timer K
            return True, []
        return False, []

    def _on_end_timer(self) -> None:
        if self.state in (TransactionState.TRYING, TransactionState.PROCEEDING):
            self.timed_out = True  # timer F
        self.state = TransactionState.TERMINATED


ServerTransaction = ServerInviteTransaction | ServerNonInviteTransaction
ClientTransaction = ClientInviteTransaction | ClientNonInviteTransaction
AnyTransaction = ServerTransaction | ClientTransaction


class TransactionTable:
    """All live transactions, matched by key, with their timers on one heap."""

    def __init__(self) -> None:
        self.server: dict[str, ServerTransaction] = {}
        self.client: dict[str, ClientTransaction] = {}
        self._heap: list[tuple[float, int, AnyTransaction]] = []
        self._order = itertools.count()
        #: retransmissions sent by timers (a health figure)
        self.retransmissions = 0

    def add_server(self, tx: ServerTransaction) -> None:
        """Start tracking a server transaction."""
        self.server[tx.key] = tx

    def add_client(self, tx: ClientTransaction) -> None:
        """Start tracking a client transaction."""
        self.client[tx.key] = tx

    def watch(self, tx: AnyTransaction) -> None:
        """(Re)arm ``tx``'s timer after a call that may have changed it."""
        deadline = tx.deadline
        if deadline is not None:
            heapq.heappush(self._heap, (deadline, next(self._order), tx))
        elif tx.terminated:
            self._forget(tx)

    def next_deadline(self) -> float | None:
        """The earliest armed timer (may be stale; firing it early is harmless)."""
        return self._heap[0][0] if self._heap else None

    def handle_timers(self, now: float) -> tuple[Outgoing, list[AnyTransaction]]:
        """Fire every timer due at ``now``: returns datagrams to send and timed-out transactions."""
        out: Outgoing = []
        timed_out: list[AnyTransaction] = []
        heap = self._heap
        while heap and heap[0][0] <= now:
            due, _, tx = heapq.heappop(heap)
            if tx.deadline != due:
                # stale entry: the timer was re-armed or stopped; make sure the live one is armed
                if tx.deadline is not None and tx.deadline > due:
                    heapq.heappush(heap, (tx.deadline, next(self._order), tx))
                elif tx.deadline is None and tx.terminated:
                    self._forget(tx)
                continue
            sent = tx.handle_timer(now)
            self.retransmissions += len(sent)
            out.extend(sent)
            if tx.timed_out:
                timed_out.append(tx)
            self.watch(tx)
        return out, timed_out

    def _forget(self, tx: AnyTransaction) -> None:
        if isinstance(tx, ServerInviteTransaction | ServerNonInviteTransaction):
            if self.server.get(tx.key) is tx:
                del self.server[tx.key]
        elif self.client.get(tx.key) is tx:
            del self.client[tx.key]

    def __len__(self) -> int:
        return len(self.server) + len(self.client)
