"""Live figures for flows from the real routing engine over the sample center."""

from __future__ import annotations

import math

from madoguchi.core.flows.environment import RoutingFlowEnvironment
from madoguchi.core.model import Channel, Contact, Direction
from madoguchi.core.routing import commands as rc
from madoguchi.core.routing.engine import RoutingEngine
from madoguchi.samples import load_sample_center

NOW = 1_795_482_000.0  # 2026-11-24 10:00 in Tokyo, a Tuesday


def test_figures_follow_the_engine() -> None:
    center = load_sample_center()
    engine = RoutingEngine(center)
    env = RoutingFlowEnvironment(engine, center)
    assert env.calendar("office") is center.calendar("office")
    assert env.calendar("nowhere") is None
    assert env.estimated_wait("nowhere", NOW) is None
    assert env.agents_available("nowhere", NOW) is None
    assert math.isinf(env.estimated_wait("tech", NOW) or 0.0)
    assert env.agents_available("tech", NOW) == 0
    for agent in ("op13", "op15"):
        engine.receive(rc.AgentLogin(agent, available=True), NOW)
    assert env.agents_available("tech", NOW) == 2
    for n in range(4):
        caller = Contact(f"c{n}", Channel.VOICE, Direction.INBOUND, "midori", NOW)
        engine.receive(rc.EnqueueContact(caller, "tech"), NOW)
    assert env.agents_available("tech", NOW) == 0
    assert env.queue_position("c3") == 2
    assert env.queue_position("c0") is None  # being offered, not waiting
    assert env.queue_position("unknown") is None
    wait = env.estimated_wait("tech", NOW)
    assert wait is not None
    assert 0 < wait < math.inf
