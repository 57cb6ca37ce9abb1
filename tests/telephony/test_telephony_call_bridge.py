"""BridgedCall between our own UAC (the caller) and our own UAS (the agent), in one process."""

from __future__ import annotations

import asyncio
import socket

import pytest

from madoguchi.telephony.call_bridge import BridgedCall
from madoguchi.telephony.sip.call import Call
from madoguchi.telephony.sip.endpoint import SipEndpoint
from madoguchi.telephony.sip.sdp import PCMA, PCMU, answer_offer, build_sdp

HOST = "127.0.0.1"
pytestmark = pytest.mark.timeout(30)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


async def test_given_silent_caller_then_bridge_ends_by_media_timeout_and_agent_is_hung_up() -> None:
    agent_calls: list[Call] = []

    def agent_answers(call: Call) -> None:
        agent_calls.append(call)
        assert call.remote_sdp is not None
        call.answer(answer_offer(call.remote_sdp, HOST, free_port())[1])

    bridges: list[BridgedCall] = []
    center: SipEndpoint

    async def bridge(call: Call) -> None:
        bridged = BridgedCall(center, call, host=HOST, media_timeout=0.5)
        bridges.append(bridged)
        await bridged.answer()
        await bridged.connect(f"sip:1001@{HOST}:{agent.port}")

    tasks: list[asyncio.Task[None]] = []
    center = SipEndpoint(
        host=HOST,
        port=free_port(),
        on_incoming_call=lambda call: tasks.append(asyncio.create_task(bridge(call))),
    )
    agent = SipEndpoint(host=HOST, port=free_port(), on_incoming_call=agent_answers)
    caller = SipEndpoint(host=HOST, port=free_port())
    for endpoint in (center, agent, caller):
        await endpoint.start()
    try:
        # the caller offers A-law only and then sends no RTP at all (a vanished peer)
        call = await caller.invite(
            f"sip:0120@{HOST}:{center.port}", build_sdp(HOST, free_port(), [PCMA])
        )
        await asyncio.wait_for(call.answered, 5)
        assert await asyncio.wait_for(bridges[0].ended, 5) == "media_timeout"
        assert await asyncio.wait_for(agent_calls[0].ended, 5) == "remote_bye"
        assert await asyncio.wait_for(call.ended, 5) == "remote_bye"
    finally:
        for endpoint in (caller, agent, center):
            await endpoint.close()
    assert bridges[0].caller_leg.payload_type == PCMA
    assert bridges[0].agent_leg.payload_type == PCMU
    assert center.calls == []
