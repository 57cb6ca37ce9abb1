"""Test doubles for calls through the center: an agent's SIP desk phone."""

from __future__ import annotations

import asyncio

import numpy as np

from madoguchi.telephony.rtp.endpoint import RtpEndpoint
from madoguchi.telephony.sip.call import Call
from madoguchi.telephony.sip.endpoint import SipEndpoint
from madoguchi.telephony.sip.sdp import answer_offer


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
