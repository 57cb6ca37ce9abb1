"""Test doubles for calls through the center: agents' SIP desk phones, a caller's phone that
speaks a tone, a browser agent's softphone page (an aiortc peer) — each tells by pitch whom it
hears."""

from __future__ import annotations

import asyncio
import fractions

import numpy as np
import numpy.typing as npt
from aiortc import RTCPeerConnection, RTCRtpSender, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av import AudioFrame
from av.frame import Frame

from madoguchi.telephony.rtp.endpoint import RtpEndpoint
from madoguchi.telephony.sip.call import Call
from madoguchi.telephony.sip.endpoint import SipEndpoint
from madoguchi.telephony.sip.sdp import answer_offer, build_sdp
from madoguchi.telephony.webrtc import WebRtcSoftphones


class AgentPhone:
    """An agent's desk phone: registers, answers after a ring, echoes audio, hangs up."""

    def __init__(self, talk_s: float, ring_s: float = 0.5, greeting_s: float = 0.0) -> None:
        self.ring_s = ring_s
        self.greeting_s = greeting_s
        """Seconds of a 440 Hz tone the agent "says" on answering (heard back from an echo)."""
        self.endpoint = SipEndpoint(
            host="127.0.0.1", port=0, on_incoming_call=self._ring, tcp=False
        )
        self.talk_s = talk_s
        self.answered: list[Call] = []
        self.heard_frames = 0
        self.tasks: set[asyncio.Task[None]] = set()

    def _ring(self, call: Call) -> None:
        call.ring()
        task = asyncio.get_running_loop().create_task(self._answer(call))
        self.tasks.add(task)

    async def _answer(self, call: Call) -> None:
        await asyncio.sleep(self.ring_s)
        assert call.remote_sdp is not None
        leg = RtpEndpoint(host="127.0.0.1", payload_type=call.remote_sdp.codec)
        await leg.start()
        leg.set_remote((call.remote_sdp.address, call.remote_sdp.port))

        def echo(pcm: np.ndarray, _packet: object) -> None:
            self.heard_frames += 1
            leg.play(pcm)

        leg.on_audio = echo
        _chosen, body = answer_offer(call.remote_sdp, "127.0.0.1", leg.port)
        call.answer(body)
        self.answered.append(call)
        if self.greeting_s:
            t = np.arange(int(8000 * self.greeting_s)) / 8000
            leg.play((np.sin(2 * np.pi * 440 * t) * 8000).astype(np.int16))
        try:
            await asyncio.sleep(self.talk_s)
            call.hangup()
        finally:
            leg.close()

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await self.endpoint.close()


class ConsultingPhone(AgentPhone):
    """An agent's phone that does an attended transfer the way desk phones do: it answers the
    customer's call, calls a colleague's extension through the center (the consult call), and
    then REFERs the customer's call with ``?Replaces=`` naming the consult dialog.

    ``replace_customer_call`` names the wrong dialog instead (the customer's call itself), to
    see the center refuse it."""

    def __init__(
        self, extension: str, colleague: str, center_port: int, replace_customer_call: bool = False
    ) -> None:
        super().__init__(talk_s=30.0)
        self.extension = extension
        self.colleague = colleague
        self.center_port = center_port
        self.replace_customer_call = replace_customer_call
        self.statuses: list[int] = []
        """What the center NOTIFYed about the transfer (100, then the outcome)."""
        self.consults: list[Call] = []
        self.done = asyncio.Event()

    async def _answer(self, call: Call) -> None:
        await asyncio.sleep(self.ring_s)
        assert call.remote_sdp is not None
        leg = RtpEndpoint(host="127.0.0.1", payload_type=call.remote_sdp.codec)
        consult_leg = RtpEndpoint(host="127.0.0.1", payload_type=call.remote_sdp.codec)
        await leg.start()
        await consult_leg.start()
        leg.set_remote((call.remote_sdp.address, call.remote_sdp.port))
        _chosen, body = answer_offer(call.remote_sdp, "127.0.0.1", leg.port)
        call.answer(body)
        self.answered.append(call)
        try:
            await asyncio.sleep(1.0)  # talks to the customer, then puts them through
            consult = await self.endpoint.invite(
                f"sip:{self.colleague}@127.0.0.1:{self.center_port}",
                build_sdp("127.0.0.1", consult_leg.port, [call.remote_sdp.codec]),
                from_user=self.extension,
            )
            self.consults.append(consult)
            await asyncio.wait_for(consult.answered, 10)
            assert consult.remote_sdp is not None
            consult_leg.set_remote((consult.remote_sdp.address, consult.remote_sdp.port))
            # the agent talks to the colleague first: their echo proves the consult is bridged
            heard = asyncio.Event()
            consult_leg.on_audio = lambda _pcm, _packet: heard.set()
            t = np.arange(3 * 8000) / 8000
            consult_leg.play((np.sin(2 * np.pi * 440 * t) * 8000).astype(np.int16))
            await asyncio.wait_for(heard.wait(), 10)
            final = asyncio.get_running_loop().create_future()

            def status(code: int) -> None:
                self.statuses.append(code)
                if code >= 200 and not final.done():
                    final.set_result(code)

            call.on_transfer_status = status
            call.refer(
                f"sip:{self.colleague}@127.0.0.1",
                replaces=call if self.replace_customer_call else consult,
            )
            await asyncio.wait_for(final, 10)
            if final.result() >= 300:  # refused: the agent drops the consult, goes on talking
                consult.hangup()
                await asyncio.sleep(0.5)
                call.hangup()
            for ended in (call.ended, consult.ended):
                await asyncio.wait_for(ended, 10)
        finally:
            leg.close()
            consult_leg.close()
            self.done.set()


# ==================================================================== tones: who hears whom
RATE = 8000


def tone(frequency: float, samples: int, offset: int = 0) -> npt.NDArray[np.int16]:
    """``samples`` of a steady tone at 8 kHz, starting ``offset`` samples in."""
    t = (np.arange(samples) + offset) / RATE
    return (8000 * np.sin(2 * np.pi * frequency * t)).astype(np.int16)


def pitch(pcm: npt.NDArray[np.int16]) -> int | None:
    """The strongest frequency of a loud frame, to the nearest 50 Hz (None: quiet)."""
    if len(pcm) == 0 or np.abs(pcm).max() < 1000:
        return None
    spectrum = np.abs(np.fft.rfft(pcm.astype(np.float64) * np.hanning(len(pcm)), n=4096))
    peak = float(np.fft.rfftfreq(4096, 1 / RATE)[int(np.argmax(spectrum))])
    return int(round(peak / 50) * 50)


def mostly(counts: dict[int, int], frequency: int, at_least: int = 15) -> bool:
    """Enough frames at ``frequency``, and it is what was heard most."""
    return counts.get(frequency, 0) >= at_least and max(counts, key=counts.__getitem__) == frequency


class Ears:
    """Counts the frames heard, by pitch."""

    def __init__(self) -> None:
        self.heard: dict[int, int] = {}
        self.frames = 0

    def __call__(self, pcm: npt.NDArray[np.int16], _packet: object = None) -> None:
        self.frames += 1
        key = pitch(pcm)
        if key is not None:
            self.heard[key] = self.heard.get(key, 0) + 1

    def fresh(self) -> None:
        """Forget what was heard so far (the next check counts only what comes after)."""
        self.heard.clear()
        self.frames = 0


async def keep_talking(leg: RtpEndpoint, frequency: float) -> None:
    """Send a steady tone on ``leg`` until cancelled."""
    offset = 0
    while True:
        if leg.queued_frames < 10:
            leg.play(tone(frequency, 1600, offset))
            offset += 1600
        await asyncio.sleep(0.1)


class TalkingCaller:
    """A customer's phone: calls the center, presses keys (RFC 4733), speaks a steady tone and
    counts what it hears by pitch."""

    def __init__(self, frequency: float) -> None:
        self.frequency = frequency
        self.endpoint = SipEndpoint(
            host="127.0.0.1", port=0, on_incoming_call=lambda call: call.reject(486), tcp=False
        )
        self.leg = RtpEndpoint(host="127.0.0.1", payload_type=0, telephone_event_pt=101)
        self.ears = Ears()
        self.call: Call | None = None
        self._talking: asyncio.Task[None] | None = None

    async def dial(self, center_port: int, number: str) -> Call:
        await self.endpoint.start()
        await self.leg.start()
        call = await self.endpoint.invite(
            f"sip:{number}@127.0.0.1:{center_port}",
            build_sdp("127.0.0.1", self.leg.port, [0]),
            from_user="0312345678",
        )
        self.call = call
        await asyncio.wait_for(asyncio.shield(call.answered), 10)
        assert call.remote_sdp is not None
        self.leg.set_remote((call.remote_sdp.address, call.remote_sdp.port))
        self.leg.on_audio = self.ears
        return call

    def talk(self) -> None:
        self.leg.stop_playback()
        self._talking = asyncio.get_running_loop().create_task(
            keep_talking(self.leg, self.frequency)
        )

    async def close(self) -> None:
        if self._talking is not None:
            self._talking.cancel()
        if self.call is not None and not self.call.ended.done():
            self.call.hangup()
            await asyncio.wait_for(asyncio.shield(self.call.ended), 5)
        self.leg.close()
        await self.endpoint.close()


class TonePhone:
    """An agent's desk phone that answers after a ring and speaks a steady tone, counting what
    it hears by pitch, until either side hangs up."""

    def __init__(self, frequency: float, ring_s: float = 0.3) -> None:
        self.frequency = frequency
        self.ring_s = ring_s
        self.endpoint = SipEndpoint(
            host="127.0.0.1", port=0, on_incoming_call=self._ring, tcp=False
        )
        self.ears = Ears()
        self.answered: list[Call] = []
        self.tasks: set[asyncio.Task[None]] = set()

    def _ring(self, call: Call) -> None:
        call.ring()
        task = asyncio.get_running_loop().create_task(self._answer(call))
        self.tasks.add(task)

    async def _answer(self, call: Call) -> None:
        await asyncio.sleep(self.ring_s)
        assert call.remote_sdp is not None
        leg = RtpEndpoint(host="127.0.0.1", payload_type=call.remote_sdp.codec, timeout=0)
        await leg.start()
        leg.set_remote((call.remote_sdp.address, call.remote_sdp.port))
        leg.on_audio = self.ears
        _chosen, body = answer_offer(call.remote_sdp, "127.0.0.1", leg.port)
        call.answer(body)
        self.answered.append(call)
        talking = asyncio.get_running_loop().create_task(keep_talking(leg, self.frequency))
        try:
            await asyncio.shield(call.ended)
        finally:
            talking.cancel()
            leg.close()

    async def close(self) -> None:
        for call in self.answered:
            if not call.ended.done():
                call.hangup()
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await self.endpoint.close()


class ToneTrack(MediaStreamTrack):
    """A browser agent's microphone: a steady tone, 20 ms frames at 8 kHz."""

    kind = "audio"

    def __init__(self, frequency: float) -> None:
        super().__init__()
        self.frequency = frequency
        self._timestamp = 0
        self._start: float | None = None

    async def recv(self) -> Frame:
        if self.readyState != "live":
            raise MediaStreamError
        loop = asyncio.get_running_loop()
        if self._start is None:
            self._start = loop.time()
        else:
            self._timestamp += 160
            await asyncio.sleep(max(0.0, self._start + self._timestamp / RATE - loop.time()))
        pcm = tone(self.frequency, 160, self._timestamp)
        frame = AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = RATE
        frame.pts = self._timestamp
        frame.time_base = fractions.Fraction(1, RATE)
        return frame


class BrowserPage:
    """A browser agent's softphone page (an aiortc peer): sends its tone, counts what it hears
    by pitch."""

    def __init__(self, frequency: float) -> None:
        self.frequency = frequency
        self.pc = RTCPeerConnection()
        self.ears = Ears()
        self.tasks: set[asyncio.Task[None]] = set()

    async def connect(self, softphones: WebRtcSoftphones, agent_id: str) -> None:
        transceiver = self.pc.addTransceiver(ToneTrack(self.frequency), direction="sendrecv")
        codecs = RTCRtpSender.getCapabilities("audio").codecs
        transceiver.setCodecPreferences([c for c in codecs if c.mimeType == "audio/PCMU"])

        @self.pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            self.tasks.add(asyncio.get_running_loop().create_task(self._listen(track)))

        await self.pc.setLocalDescription(await self.pc.createOffer())
        assert self.pc.localDescription is not None
        answer = await softphones.answer(agent_id, self.pc.localDescription.sdp)
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 15
        while self.pc.connectionState != "connected":
            assert loop.time() < deadline, "the page's peer connection did not come up"
            await asyncio.sleep(0.05)

    async def _listen(self, track: MediaStreamTrack) -> None:
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            assert isinstance(frame, AudioFrame)
            self.ears(frame.to_ndarray().reshape(-1).astype(np.int16))

    async def close(self) -> None:
        await self.pc.close()
        for task in self.tasks:
            task.cancel()
