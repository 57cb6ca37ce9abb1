"""The wallboard's "last 15 minutes" is a rolling window up to now, not the current quarter."""

from __future__ import annotations

from typing import cast

from api_support import START, SignIn

from madoguchi.core.model import AgentState, Channel, Contact, Direction
from madoguchi.core.routing import commands as rc
from madoguchi.runtime import CenterRuntime, ManualClock


def caller(contact_id: str, at: float) -> Contact:
    return Contact(
        id=contact_id,
        channel=Channel.VOICE,
        direction=Direction.INBOUND,
        tenant="midori",
        created_at=at,
        from_address="+819012345678",
    )


async def test_a_call_answered_before_the_quarter_hour_still_counts_after_it(
    sign_in: SignIn, runtime: CenterRuntime
) -> None:
    clock = cast(ManualClock, runtime.clock)
    await runtime.submit(rc.AgentLogin("op01"))
    await runtime.submit(rc.SetAgentState("op01", AgentState.AVAILABLE))
    clock.set(START + 14 * 60)  # 10:14 in Tokyo
    await runtime.submit(rc.EnqueueContact(caller("c-1", clock.now()), "general"))
    await runtime.submit(rc.AcceptOffer("c-1", "op01"))
    supervisor = await sign_in("sv01")

    clock.set(START + 16 * 60)  # 10:16: a new quarter hour began at 10:15
    board = (await supervisor.get("/api/v1/wallboard")).json()
    general = next(q for q in board["queues"] if q["id"] == "general")
    assert general["service_level_15m"] == 1.0  # answered at once, two minutes ago
    assert board["total"]["service_level_15m"] == 1.0

    clock.set(START + 30 * 60)  # 10:30: sixteen minutes after the answer
    board = (await supervisor.get("/api/v1/wallboard")).json()
    general = next(q for q in board["queues"] if q["id"] == "general")
    assert general["service_level_15m"] is None
    assert general["service_level_today"] == 1.0
