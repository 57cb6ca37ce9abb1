"""Errors of the telephony adapter.

::

    TelephonyError                    base of everything raised here
    ├── SipParseError                 the peer sent bytes we cannot take as a SIP message
    │                                 (``status_hint`` 400 when it is SIP enough to answer,
    │                                 ``None`` when it must be dropped silently)
    ├── SdpError                      an SDP body we cannot parse or answer (status hint 488)
    ├── RtpParseError                 an RTP datagram too short or of another version
    └── SipCallError                  a call operation that the call's state does not allow
                                      (our own mistake, not the peer's)
"""

from __future__ import annotations


class TelephonyError(Exception):
    """Base class of the telephony adapter's errors."""


class SipParseError(TelephonyError):
    """A SIP message could not be parsed.

    ``status_hint`` is the response code to send back (400) when the bytes looked like a SIP
    request, ``None`` when they are not SIP at all and must be dropped.
    """

    def __init__(self, message: str, status_hint: int | None = 400) -> None:
        super().__init__(message)
        self.status_hint = status_hint


class SdpError(TelephonyError):
    """An SDP body we cannot parse or cannot answer (no common codec: 488)."""

    def __init__(self, message: str, status_hint: int = 488) -> None:
        super().__init__(message)
        self.status_hint = status_hint


class RtpParseError(TelephonyError):
    """An RTP datagram that is too short or not RTP version 2."""


class SipCallError(TelephonyError):
    """An operation on a call that its current state does not allow."""
