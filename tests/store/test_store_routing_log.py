"""A scripted stretch of a day through the real routing engine, logged in every store, rebuilds
the same engine state from what the store reads back."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from madoguchi.core.events import Event
from madoguchi.core.model import Channel, Contact, ContactState, Direction
from madoguchi.core.routing import commands as rc
from madoguchi.core.routing.engine import RoutingEngine
from madoguchi.core.routing.events import ContactOffered
from madoguchi.samples import load_sample_center
from madoguchi.store import EventStore

TUESDAY_10_JST = datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Asia/Tokyo")).timestamp()


def call(contact_id: str, now: float) -> Contact:
    return Contact(
        id=contact_id,
        channel=Channel.VOICE,
        direction=Direction.INBOUND,
        tenant="midori",
        created_at=now,
        customer_id=f"cust-{contact_id}",
        from_address="+81312345678",
        attributes={"用件": "住所変更"},
    )


def test_given_logged_routing_events_when_rebuilt_then_engine_state_is_the_same(
    store: EventStore,
) -> None:
    config = load_sample_center()
    engine = RoutingEngine(config)
    logged: list[Event] = []
    now = TUESDAY_10_JST

    def send(command: rc.RoutingCommand, step: float = 1.0) -> list[Event]:
        nonlocal now
        now += step
        events = engine.receive(command, now)
        store.append(events, tenant="midori")
        logged.extend(events)
        return events

    send(rc.AgentLogin("op01", available=True))
    send(rc.AgentLogin("op02", available=True))
    offers: dict[str, str] = {}
    for contact_id in ("c1", "c2", "c3"):
        for item in send(rc.EnqueueContact(call(contact_id, now), "general")):
            if isinstance(item, ContactOffered):
                offers[item.contact_id] = item.agent_id
    assert set(offers) == {"c1", "c2"}
    send(rc.AcceptOffer("c1", offers["c1"]), 4.0)
    send(rc.AcceptOffer("c2", offers["c2"]), 2.0)
    send(rc.EndContact("c1"), 180.0)
    for item in send(rc.CompleteWrapUp(offers["c1"], "c1", disposition="resolved"), 20.0):
        if isinstance(item, ContactOffered):
            offers[item.contact_id] = item.agent_id
    assert offers.get("c3") == offers["c1"]

    assert store.last_id() == len(logged)
    read = [item for _, item in store.read(tenant="midori")]
    assert read == logged
    rebuilt = RoutingEngine.rebuild(config, read)
    for agent_id in ("op01", "op02"):
        assert rebuilt.agent_state(agent_id) == engine.agent_state(agent_id)
    for contact_id in ("c1", "c2", "c3"):
        assert rebuilt.contact_state(contact_id) == engine.contact_state(contact_id)
    assert engine.contact_state("c3") == ContactState.OFFERED
