"""Test doubles for calls through the center: an agent's SIP desk phone."""

from __future__ import annotations

import asyncio

import numpy as np

from madoguchi.telephony.rtp.endpoint import RtpEndpoint
from madoguchi.telephony.sip.call import Call
from madoguchi.telephony.sip.endpoint import SipEndpoint
from madoguchi.telephony.sip.sdp import answer_offer, build_sdp


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
