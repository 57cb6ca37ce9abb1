"""A scripted stretch of a day through the real routing engine, logged in every store: the log
rebuilds the same engine state, and folds into contact records the store persists and finds."""

from __future__ import annotations

from typing import Any

from madoguchi.core.model import ContactState, EndReason
from madoguchi.core.records import ContactRecord, ContactRecordBuilder
from madoguchi.core.routing.engine import RoutingEngine
from madoguchi.store import EventStore
from madoguchi.store.contact_records import (
    contact_record_from_stored,
    derive_contact_records,
    stored_contact_record,
)


def test_given_logged_routing_events_when_rebuilt_then_engine_state_is_the_same(
    store: EventStore, routed_day: Any
) -> None:
    for batch in routed_day.batches:
        store.append(batch, tenant="midori")
    assert store.last_id() == len(routed_day.events)
    read = [item for _, item in store.read(tenant="midori")]
    assert read == routed_day.events
    rebuilt = RoutingEngine.rebuild(routed_day.config, read)
    for agent_id in ("op01", "op02"):
        assert rebuilt.agent_state(agent_id) == routed_day.engine.agent_state(agent_id)
    for contact_id in ("c1", "c2", "c3", "c4"):
        assert rebuilt.contact_state(contact_id) == routed_day.engine.contact_state(contact_id)
    assert routed_day.engine.contact_state("c3") == ContactState.OFFERED


def fold(events: list[Any]) -> dict[str, ContactRecord]:
    builder = ContactRecordBuilder()
    completed = (builder.apply(item) for item in events)
    return {record.contact_id: record for record in completed if record is not None}


def test_folded_contact_records_persist_and_read_back_equal(
    store: EventStore, routed_day: Any
) -> None:
    expected = fold(routed_day.events)
    assert sorted(expected) == ["c1", "c2", "c4"]
    store.append(routed_day.events, tenant="midori")
    assert derive_contact_records(store) == 3
    for contact_id, record in expected.items():
        stored = store.get_contact_record(contact_id)
        assert stored == stored_contact_record(record)
        assert contact_record_from_stored(stored) == record
    assert store.get_contact_record("c3") is None
    c1 = contact_record_from_stored(store.find_contact_records(customer_id="cust-c1")[0])
    assert (c1.end_reason, c1.dispositions, c1.notes) == (
        EndReason.COMPLETED,
        ("resolved",),
        ("住所変更済",),
    )
    abandoned = store.find_contact_records(queue="general", tenant="midori")
    assert [r.contact_id for r in abandoned] == ["c1", "c2", "c4"]
    agent = routed_day.offers["c1"]
    assert [r.contact_id for r in store.find_contact_records(agent=agent)] == ["c1"]
    assert store.get_contact_record("c4") == stored_contact_record(expected["c4"])
    assert expected["c4"].abandoned


def test_deriving_again_from_where_it_stopped_completes_the_open_contact(
    store: EventStore, routed_day: Any
) -> None:
    store.append(routed_day.events, tenant="midori")
    builder = ContactRecordBuilder()
    assert derive_contact_records(store, builder) == 3
    assert builder.open_contacts() == ["c3"]
    assert derive_contact_records(store, builder, after_id=store.last_id()) == 0
