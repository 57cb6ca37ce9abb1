"""The browser softphone's media: one WebRTC peer connection (aiortc) per agent, bridged to SIP.

:class:`WebRtcSoftphones` is both sides of the browser agent's audio:

- the ``SoftphoneGateway`` of the web API (``answer`` the page's offer, ``close``): the agent's
  :class:`~aiortc.RTCPeerConnection` lives for the shift, silent between calls;
- the ``AgentMedia`` of the voice gateway (``has_session``, ``attach``): on ``ContactConnected``
  the caller's RTP leg is bridged into that session, caller → page through an outgoing audio
  track, page → caller through ``RtpEndpoint.play``, both recorded (caller left, agent right).

The page puts PCMU first, so the frames aiortc hands over are 8 kHz mono, 160 samples: they
go to the RTP leg as they are (other codecs are resampled to 8 kHz). Keypad presses arrive as
data-channel messages ``{"digit": "5"}`` on the channel ``keypad`` (aiortc does not negotiate
telephone-event); while bridged they are sent on to the caller as RFC 4733 events when the
caller's leg negotiated them.

A new offer from the same agent (a page reload) replaces the old connection; a call in progress
stays attached and continues on the new connection.

**Hold and consult** (the desk's buttons, through the API): :meth:`WebRtcSoftphones.hold` stops
relaying between the caller and the agent and plays music on hold to the caller;
:meth:`WebRtcSoftphones.resume` reconnects them. :meth:`WebRtcSoftphones.consult` holds the
agent's caller and connects the agent's session to a colleague's (both browser agents, the
colleague not on a call): each hears the other while the caller hears music, nothing of it is
recorded. :meth:`WebRtcSoftphones.end_consult` separates them again (the caller stays on hold
until resumed, or is transferred); a caller attached to either of them ends the consult first.

::

    softphones = WebRtcSoftphones()
    voice_gateway.agent_media = softphones
    create_app(..., extras={"softphone": softphones})
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from aiortc import RTCDataChannel, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from madoguchi.telephony.media import music_on_hold
from madoguchi.telephony.rtp.endpoint import RtpEndpoint
from madoguchi.telephony.rtp.recorder import AGENT, CALLER, StereoRecorder
from madoguchi.telephony.webrtc_audio import CallerAudioTrack, to_telephone_pcm

log = logging.getLogger(__name__)

KEYPAD_CHANNEL = "keypad"
KEYPAD_DIGITS = frozenset("0123456789*#ABCD")
MAX_PLAYOUT_FRAMES = 10
"""Frames queued towards the caller beyond this (200 ms) are dropped: latency stays bounded."""


MUSIC_QUEUE_FRAMES = 25
"""Music on hold is topped up when fewer frames than this (half a second) wait to be sent."""


class SoftphoneOfferError(ValueError):
    """The page's offer could not be answered (not SDP, or no audio in it)."""


class ConsultError(ValueError):
    """A consult cannot start: ``reason`` is a slug (``no-session``, ``colleague-busy``…)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(eq=False)
class _Bridge:
    """A caller's leg attached to an agent's session."""

    agent_id: str
    """The agent the caller talks to (changes when the call is handed over)."""
    caller: RtpEndpoint
    recorder: StereoRecorder | None
    to_agent: int = 0
    from_agent: int = 0
    held: bool = False
    """Caller and agent are not connected; the caller hears music."""
    music: asyncio.Task[None] | None = None


@dataclass(eq=False)
class SoftphoneSession:
    """One agent's peer connection and what flows through it."""

    agent_id: str
    pc: RTCPeerConnection
    outgoing: CallerAudioTrack
    readers: set[asyncio.Task[None]] = field(default_factory=set)
    frames_from_page: int = 0
    """Audio frames received from the page (during calls and between them)."""
    digits: list[str] = field(default_factory=list)
    """Keypad presses received, in order."""

    @property
    def live(self) -> bool:
        """Whether the connection is still usable (not failed or closed)."""
        return self.pc.connectionState not in ("failed", "closed")


class WebRtcSoftphones:
    """Agents' browser audio sessions; see the module docstring."""

    def __init__(self, *, loopback_candidates: bool = False) -> None:
        """``loopback_candidates`` is for tests only: aioice then also offers 127.0.0.1 host
        candidates, so a browser on the same machine connects without another interface. It
        changes aioice for the whole process (see :func:`offer_loopback_candidates`)."""
        self.sessions: dict[str, SoftphoneSession] = {}
        self._bridges: dict[str, _Bridge] = {}
        self._consults: dict[str, str] = {}
        """agent id → the colleague their session is connected to (both directions listed)"""
        self._music = music_on_hold()
        self.loopback_candidates = loopback_candidates
        self.on_keypad: Callable[[str, str], None] | None = None
        """Called with (agent id, digit) for each keypad press."""
        self.stats = {
            "sessions": 0,
            "bridged": 0,
            "frames_to_agent": 0,
            "frames_from_agent": 0,
            "consults": 0,
            "consult_frames": 0,
        }

    # ================================================================ SoftphoneGateway
    async def answer(self, agent_id: str, offer_sdp: str) -> str:
        """Answer the page's offer (ICE gathered) with an answer carrying all our candidates."""
        if self.loopback_candidates:
            offer_loopback_candidates()
        await self.close(agent_id)  # a new offer replaces the old connection (page reload)
        pc = RTCPeerConnection()
        session = SoftphoneSession(agent_id, pc, CallerAudioTrack())
        self._wire(session)
        try:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
            if not any(t.kind == "audio" for t in pc.getTransceivers()):
                raise SoftphoneOfferError("the offer has no audio")
            pc.addTrack(session.outgoing)
            await pc.setLocalDescription(await pc.createAnswer())
        except Exception as err:
            await pc.close()
            if isinstance(err, SoftphoneOfferError):
                raise
            raise SoftphoneOfferError(f"the offer cannot be answered: {err}") from err
        await self.close(agent_id)  # another offer of this agent's may have finished meanwhile
        self.sessions[agent_id] = session
        self.stats["sessions"] += 1
        described = pc.localDescription
        assert described is not None
        return str(described.sdp)

    async def close(self, agent_id: str) -> None:
        """End the agent's connection (a call stays attached: a new offer picks it up)."""
        session = self.sessions.pop(agent_id, None)
        if session is None:
            return
        self.end_consult(agent_id)
        for reader in list(session.readers):
            reader.cancel()
        session.outgoing.stop()
        await session.pc.close()

    async def close_all(self) -> None:
        """Close every agent's connection (server shutdown)."""
        for agent_id in list(self.sessions):
            await self.close(agent_id)

    # ================================================================ AgentMedia
    def has_session(self, agent_id: str) -> bool:
        """Whether ``agent_id`` has a usable browser audio session."""
        session = self.sessions.get(agent_id)
        return session is not None and session.live

    def attach(
        self,
        agent_id: str,
        caller: RtpEndpoint,
        recorder: StereoRecorder | None,
        *,
        owns_recording: bool = True,
    ) -> Callable[[], None]:
        """Bridge ``caller`` and the agent's session both ways; the returned function detaches
        them and writes the recording — or, with ``owns_recording=False``, leaves it open for
        whoever attached it (the voice gateway records a transferred caller in one file)."""
        self.end_consult(agent_id)  # a caller for a consulting agent (the transfer completed)
        bridge = _Bridge(agent_id, caller, recorder)
        self._bridges[agent_id] = bridge
        self.stats["bridged"] += 1
        loop = asyncio.get_running_loop()

        def from_caller(pcm: npt.NDArray[np.int16], _packet: object) -> None:
            session = self.sessions.get(bridge.agent_id)
            if session is not None and not bridge.held:
                session.outgoing.push(pcm)
            bridge.to_agent += 1
            self.stats["frames_to_agent"] += 1
            if recorder is not None:
                recorder.add(CALLER, pcm, loop.time())

        caller.on_audio = from_caller
        detached = False

        def detach() -> None:
            nonlocal detached
            if detached:
                return
            detached = True
            self._stop_music(bridge)
            if self._bridges.get(bridge.agent_id) is bridge:
                del self._bridges[bridge.agent_id]
            if caller.on_audio is from_caller:
                caller.on_audio = None
            session = self.sessions.get(bridge.agent_id)
            if session is not None:
                session.outgoing.clear()
            if recorder is not None and owns_recording:
                recorder.close()
            log.info(
                "agent %s detached: %d frames to the agent, %d to the caller",
                bridge.agent_id,
                bridge.to_agent,
                bridge.from_agent,
            )

        return detach

    # ================================================================ hold and consult
    def hold(self, agent_id: str) -> bool:
        """Disconnect the agent's caller from the agent and play music to the caller (False:
        the agent has no caller attached)."""
        bridge = self._bridges.get(agent_id)
        if bridge is None:
            return False
        if not bridge.held:
            bridge.held = True
            bridge.caller.stop_playback()
            session = self.sessions.get(agent_id)
            if session is not None:
                session.outgoing.clear()
            bridge.music = asyncio.get_running_loop().create_task(self._play_music(bridge))
        return True

    def resume(self, agent_id: str) -> bool:
        """Reconnect the agent and their held caller (a consult in progress ends first)."""
        self.end_consult(agent_id)
        bridge = self._bridges.get(agent_id)
        if bridge is None:
            return False
        if bridge.held:
            bridge.held = False
            self._stop_music(bridge)
            bridge.caller.stop_playback()
        return True

    def held(self, agent_id: str) -> bool:
        """Whether the agent's caller is on hold here."""
        bridge = self._bridges.get(agent_id)
        return bridge is not None and bridge.held

    def consult(self, agent_id: str, colleague_id: str) -> None:
        """Hold ``agent_id``'s caller (if any) and connect the two agents' audio both ways.

        Raises :class:`ConsultError` when either agent has no live session, the colleague is
        on a call or in another consult, or the agent is already consulting someone else."""
        if colleague_id == agent_id:
            raise ConsultError("same-agent", "an agent cannot consult themself")
        for who in (agent_id, colleague_id):
            if not self.has_session(who):
                raise ConsultError("no-session", f"{who} has no softphone connected")
        if colleague_id in self._bridges:
            raise ConsultError("colleague-busy", f"{colleague_id} is on a call")
        current = self._consults.get(agent_id)
        if current == colleague_id:
            return
        if current is not None or colleague_id in self._consults:
            raise ConsultError("already-consulting", "one of them is in another consult")
        self.hold(agent_id)
        self._consults[agent_id] = colleague_id
        self._consults[colleague_id] = agent_id
        self.stats["consults"] += 1
        log.info("consult: %s and %s are connected", agent_id, colleague_id)

    def end_consult(self, agent_id: str) -> str | None:
        """Separate ``agent_id`` from the colleague they consult; the colleague (None: none)."""
        colleague = self._consults.pop(agent_id, None)
        if colleague is None:
            return None
        if self._consults.get(colleague) == agent_id:
            del self._consults[colleague]
        for who in (agent_id, colleague):
            session = self.sessions.get(who)
            if session is not None:
                session.outgoing.clear()
        log.info("consult of %s and %s ended", agent_id, colleague)
        return colleague

    def hand_over(self, from_agent: str, to_agent: str) -> bool:
        """Move ``from_agent``'s caller to ``to_agent`` (an attended transfer between browser
        agents completes): any consult ends, the caller is taken off hold and now talks to
        ``to_agent``; the recording goes on in the same file. False when ``from_agent`` has no
        caller, or ``to_agent`` has no session or a caller of their own."""
        bridge = self._bridges.get(from_agent)
        if bridge is None or not self.has_session(to_agent) or to_agent in self._bridges:
            return False
        self.end_consult(from_agent)
        self.end_consult(to_agent)
        del self._bridges[from_agent]
        bridge.agent_id = to_agent
        self._bridges[to_agent] = bridge
        session = self.sessions.get(from_agent)
        if session is not None:
            session.outgoing.clear()
        self.resume(to_agent)
        log.info("caller handed over from %s to %s", from_agent, to_agent)
        return True

    def consulting(self, agent_id: str) -> str | None:
        """The colleague ``agent_id`` is connected to in a consult, if any."""
        return self._consults.get(agent_id)

    async def _play_music(self, bridge: _Bridge) -> None:
        while bridge.held:
            if bridge.caller.queued_frames < MUSIC_QUEUE_FRAMES:
                bridge.caller.play(self._music)
            await asyncio.sleep(0.25)

    @staticmethod
    def _stop_music(bridge: _Bridge) -> None:
        if bridge.music is not None:
            bridge.music.cancel()
            bridge.music = None

    # ================================================================ the connection
    def _wire(self, session: SoftphoneSession) -> None:
        pc = session.pc

        @pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            if track.kind != "audio":
                return
            reader = asyncio.get_running_loop().create_task(self._read_page(session, track))
            session.readers.add(reader)
            reader.add_done_callback(session.readers.discard)

        @pc.on("datachannel")
        def on_datachannel(channel: RTCDataChannel) -> None:
            if channel.label != KEYPAD_CHANNEL:
                return

            @channel.on("message")
            def on_message(message: object) -> None:
                self._keypad(session, message)

        @pc.on("connectionstatechange")
        async def on_state() -> None:
            log.info("softphone of %s: %s", session.agent_id, pc.connectionState)
            if pc.connectionState == "failed" and self.sessions.get(session.agent_id) is session:
                await self.close(session.agent_id)

    async def _read_page(self, session: SoftphoneSession, track: MediaStreamTrack) -> None:
        """The agent's voice: each frame to the attached caller (and the recording)."""
        loop = asyncio.get_running_loop()
        converter = to_telephone_pcm()
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            pcm = converter(frame)
            if pcm is None or len(pcm) == 0:
                continue
            session.frames_from_page += 1
            colleague = self._consults.get(session.agent_id)
            if colleague is not None:
                other = self.sessions.get(colleague)
                if other is not None:
                    other.outgoing.push(pcm)
                    self.stats["consult_frames"] += 1
                continue
            bridge = self._bridges.get(session.agent_id)
            if bridge is None or bridge.held:
                continue
            if bridge.caller.queued_frames > MAX_PLAYOUT_FRAMES:
                bridge.caller.stop_playback()
            bridge.caller.play(pcm)
            bridge.from_agent += 1
            self.stats["frames_from_agent"] += 1
            if bridge.recorder is not None:
                bridge.recorder.add(AGENT, pcm, loop.time())

    def _keypad(self, session: SoftphoneSession, message: object) -> None:
        digit: object = None
        if isinstance(message, str):
            with contextlib.suppress(ValueError):
                parsed = json.loads(message)
                digit = parsed.get("digit") if isinstance(parsed, dict) else None
        if not isinstance(digit, str) or digit not in KEYPAD_DIGITS:
            log.info("softphone of %s: keypad message ignored: %.40r", session.agent_id, message)
            return
        session.digits.append(digit)
        bridge = self._bridges.get(session.agent_id)
        if bridge is not None and bridge.caller.telephone_event_pt is not None:
            bridge.caller.send_dtmf(digit)
        if self.on_keypad is not None:
            self.on_keypad(session.agent_id, digit)


_loopback_offered = False


def offer_loopback_candidates() -> None:
    """**Test-only**: make aioice offer 127.0.0.1 host candidates too (it leaves them out).

    With Chromium started with ``--allow-loopback-in-peer-connection`` a browser and the server
    on one machine then connect over loopback. It replaces ``aioice.ice.get_host_addresses``
    for the whole process, once; never use it in production (it advertises an address no
    remote browser can reach).
    """
    global _loopback_offered
    if _loopback_offered:
        return
    import aioice.ice

    original = aioice.ice.get_host_addresses

    def with_loopback(use_ipv4: bool, use_ipv6: bool) -> list[str]:
        found = original(use_ipv4, use_ipv6)
        return ["127.0.0.1", *found] if use_ipv4 and "127.0.0.1" not in found else found

    aioice.ice.get_host_addresses = with_loopback
    _loopback_offered = True
