"""Telephony adapter: SIP signaling and RTP media in asyncio, built sans-I/O.

Layers (pure ones take ``now`` and never touch a socket or a clock):

``sip/message.py``      parse/serialize SIP messages (one pass over bytes); 400 vs drop hints
``sip/fields.py``       Via, URIs, name-addr, tags and branches, Replaces (RFC 3891)
``sip/transaction.py``  RFC 3261 transactions (client/server, INVITE/non-INVITE, timers A–M)
``sip/dialog.py``       dialogs: in-dialog requests, route sets, CSeq order
``sip/sdp.py``          SDP and RFC 3264 offer/answer for PCMU, PCMA and telephone-event
``sip/digest.py``       digest authentication (MD5, SHA-256), nonces, failure rate limiting
``sip/registrar.py``    registrar bindings with expiry
``sip/transport.py``    asyncio UDP (4 MB receive buffer) and TCP (Content-Length framing)
``sip/endpoint.py``     :class:`SipEndpoint`: the user agent (UAS and UAC); see its docstring
``sip/uas.py``          inbound requests (INVITE, re-INVITE, CANCEL, BYE, INFO, REFER, NOTIFY,
                        REGISTER); Replaces matching (481/486/400)
``sip/uac.py``          outbound calls (INVITE with digest retry, ACK, CANCEL, 183 early media)
``sip/call.py``         :class:`Call`: what the application holds for one call
``rtp/packet.py``       RTP packets
``rtp/g711.py``         μ-law / A-law by numpy lookup tables
``rtp/dtmf.py``         RFC 4733 events in and out
``rtp/stats.py``        RFC 3550 loss and jitter
``rtp/endpoint.py``     :class:`RtpEndpoint`: one latching RTP leg with time-out, paced by one
                        shared 20 ms tick, relaying without per-packet objects
``rtp/bridge.py``       :class:`RtpBridge`: relay between two legs, with recording
``rtp/recorder.py``     two-channel WAV recorder (caller left, agent right), written once a second
``call_bridge.py``      :class:`BridgedCall`: an inbound call relayed to an outbound one (early
                        media both ways, either side replaceable by INVITE with Replaces)

The application (the runtime) reacts to ``SipEndpoint(on_incoming_call=...)`` and acts on
:class:`Call` objects (``ring``, ``progress`` (183 with SDP), ``answer``, ``reject``,
``hangup``, ``cancel``, ``send_info_dtmf``, ``refer``, ``notify_transfer``; callbacks ``on_dtmf``,
``on_hold``, ``on_ringing``, ``on_early_media``, ``on_answered``, ``on_refer`` (with
``refer_replaces``), ``on_replaced``, ``on_transfer_status``, ``on_ended``; futures ``answered``
and ``ended``). Errors: see :mod:`madoguchi.telephony.errors`.
"""
