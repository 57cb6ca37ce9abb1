"""Thin asyncio transports for SIP: UDP datagrams and TCP streams framed by Content-Length.

Both hand raw message bytes and the peer's address to a ``receive(data, source, link)`` callback;
a :class:`Link` sends bytes back. The UDP socket gets a large receive buffer (``SO_RCVBUF``,
4 MB asked): with the default one, bursts from sipp at a few thousand calls per second overflow
it and cause retransmissions.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable
from typing import cast

from madoguchi.telephony.sip.message import MAX_MESSAGE_BYTES

log = logging.getLogger(__name__)

Address = tuple[str, int]
RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024


class Link:
    """Something SIP bytes can be sent over."""

    name = "UDP"
    reliable = False

    def send(self, data: bytes, destination: Address) -> None:
        """Send ``data`` to ``destination``."""
        raise NotImplementedError


Receiver = Callable[[bytes, Address, Link], None]


class UdpLink(asyncio.DatagramProtocol, Link):
    """A UDP socket: one datagram is one SIP message."""

    name = "UDP"
    reliable = False

    def __init__(self, receive: Receiver) -> None:
        self._receive = receive
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Keep the transport and enlarge the socket's receive buffer."""
        self.transport = cast(asyncio.DatagramTransport, transport)
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER_BYTES)

    def datagram_received(self, data: bytes, addr: Address) -> None:
        """Pass the datagram on (keep-alive CRLFs are ignored)."""
        if len(data) > 4:
            self._receive(data, (addr[0], addr[1]), self)

    def error_received(self, exc: Exception) -> None:
        """ICMP errors (port unreachable) are normal for SIP over UDP: log at debug level."""
        log.debug("udp error: %s", exc)

    def send(self, data: bytes, destination: Address) -> None:
        """Send one datagram."""
        if self.transport is not None:
            self.transport.sendto(data, destination)


class StreamFramer:
    """Cuts SIP messages out of a byte stream by their Content-Length (RFC 3261 §18.3)."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[bytes]:
        """Add bytes; returns the complete messages now available.

        Raises ``ValueError`` when the stream cannot be framed (headers too long or a bad
        Content-Length): the connection must then be closed.
        """
        buf = self._buffer
        buf.extend(data)
        out: list[bytes] = []
        while True:
            while buf[:2] == b"\r\n":  # keep-alives between messages
                del buf[:2]
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                if len(buf) > MAX_MESSAGE_BYTES:
                    raise ValueError("SIP headers too long on stream")
                return out
            length = _content_length(bytes(buf[:end]))
            total = end + 4 + length
            if total > MAX_MESSAGE_BYTES:
                raise ValueError("SIP message too large on stream")
            if len(buf) < total:
                return out
            out.append(bytes(buf[:total]))
            del buf[:total]


def _content_length(head: bytes) -> int:
    for line in head.split(b"\r\n")[1:]:
        name, sep, value = line.partition(b":")
        if sep and name.strip().lower() in (b"content-length", b"l"):
            text = value.strip()
            if not text.isdigit():
                raise ValueError("bad Content-Length on stream")
            return int(text)
    return 0


class TcpLink(asyncio.Protocol, Link):
    """One TCP connection carrying SIP messages."""

    name = "TCP"
    reliable = True

    def __init__(self, receive: Receiver, on_close: Callable[[TcpLink], None]) -> None:
        self._receive = receive
        self._on_close = on_close
        self._framer = StreamFramer()
        self.transport: asyncio.Transport | None = None
        self.peer: Address = ("", 0)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Remember the peer's address."""
        self.transport = cast(asyncio.Transport, transport)
        peer = transport.get_extra_info("peername")
        self.peer = (peer[0], peer[1])

    def data_received(self, data: bytes) -> None:
        """Frame and pass on every complete message; close the connection on garbage."""
        try:
            messages = self._framer.feed(data)
        except ValueError as err:
            log.info("closing SIP/TCP connection from %s: %s", self.peer, err)
            if self.transport is not None:
                self.transport.close()
            return
        for message in messages:
            self._receive(message, self.peer, self)

    def connection_lost(self, exc: Exception | None) -> None:
        """Forget the connection."""
        self._on_close(self)

    def send(self, data: bytes, destination: Address) -> None:
        """Write the message on the connection (the destination is the connection's peer)."""
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)
