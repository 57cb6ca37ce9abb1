"""The store contract: every EventStore implementation behaves the same (memory, SQLite, PG)."""

from __future__ import annotations

import math
from typing import Any

import pytest

from madoguchi.core.events import Event, to_record
from madoguchi.core.model import AgentState, Channel, Direction
from madoguchi.core.routing.events import AgentStateChanged, ContactQueued
from madoguchi.store import (
    EventStore,
    LoggedEvent,
    MalformedRecord,
    StoredContactRecord,
    UndecodableEvent,
)


def arrived(n: int, tenant: str = "acme", **extra: Any) -> ContactQueued:
    at = 1_790_000_000.123456 + n
    fields: dict[str, Any] = {
        "at": at,
        "contact_id": f"c{n}",
        "queue_id": "inquiries",
        "tenant": tenant,
        "channel": Channel.VOICE,
        "direction": Direction.INBOUND,
        "created_at": at - 30.0,
        "priority": 0,
        "skills": (),
        "wait_started_at": at,
        "attributes": {},
    }
    fields.update(extra)
    return ContactQueued(**fields)


def paused(at: float, agent_id: str = "a1", reason: str = "break") -> AgentStateChanged:
    return AgentStateChanged(
        at=at,
        agent_id=agent_id,
        state=AgentState.NOT_READY,
        previous=AgentState.AVAILABLE,
        reason=reason,
    )


# -- event log ----------------------------------------------------------------------------


def test_given_empty_store_then_last_id_is_zero_and_read_yields_nothing(store: EventStore) -> None:
    assert store.last_id() == 0
    assert list(store.read()) == []
    assert store.append([]) == 0


def test_given_batches_when_appended_then_ids_count_up_from_one_in_append_order(
    store: EventStore,
) -> None:
    assert store.append([arrived(1), arrived(2), arrived(3)]) == 3
    assert store.append([arrived(4)]) == 4
    assert store.append([]) == 4
    assert store.last_id() == 4
    assert [logged.id for logged in store.read()] == [1, 2, 3, 4]


def test_events_read_back_equal_to_what_was_appended(store: EventStore) -> None:
    events: list[Event] = [
        arrived(
            1,
            from_address="+81312345678",
            skills=(("請求", 3), ("billing", 1)),
            channel=Channel.CHAT,
            attributes={"会員": "ゴールド"},
        ),
        paused(1_790_000_001.000001, reason="休憩"),
        arrived(2),
    ]
    store.append(events)
    read = list(store.read())
    assert read == [LoggedEvent(i + 1, item) for i, item in enumerate(events)]
    first = read[0].event
    assert isinstance(first, ContactQueued)
    assert first.channel is Channel.CHAT
    assert first.skills == (("請求", 3), ("billing", 1))
    assert first.at == 1_790_000_001.123456


def test_read_after_id_and_limit_page_through_the_log(store: EventStore) -> None:
    store.append([arrived(n) for n in range(1, 11)])
    assert [x.id for x in store.read(after_id=7)] == [8, 9, 10]
    assert [x.id for x in store.read(after_id=2, limit=3)] == [3, 4, 5]
    assert [x.id for x in store.read(after_id=10)] == []
    assert [x.id for x in store.read(limit=0)] == []
    pages, last = [], 0
    while batch := [x.id for x in store.read(after_id=last, limit=4)]:
        pages.append(batch)
        last = batch[-1]
    assert pages == [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10]]


def test_read_by_tenant_keeps_only_that_tenants_events(store: EventStore) -> None:
    store.append(
        [
            arrived(1, tenant="acme"),
            arrived(2, tenant="globex"),
            paused(3.0),
            arrived(4, tenant="acme"),
            arrived(5, tenant="acme"),
        ]
    )
    assert [x.id for x in store.read(tenant="acme")] == [1, 4, 5]
    assert [x.id for x in store.read(tenant="acme", after_id=1, limit=1)] == [4]
    assert [x.id for x in store.read(tenant="globex")] == [2]
    assert list(store.read(tenant="nobody")) == []


def test_a_batch_appended_for_a_tenant_is_read_back_for_that_tenant(store: EventStore) -> None:
    store.append([paused(1.0, "a1")], tenant="globex")
    store.append([paused(2.0, "a2"), arrived(3, tenant="acme")])
    store.append([paused(4.0, "a3"), arrived(5, tenant="acme")], tenant="globex")
    assert [x.id for x in store.read(tenant="globex")] == [1, 4, 5]
    assert [x.id for x in store.read(tenant="acme")] == [3]


def test_given_a_bad_record_in_a_batch_then_nothing_of_the_batch_is_logged(
    store: EventStore,
) -> None:
    store.append([arrived(1)])
    good = to_record(arrived(2))
    for bad in (
        {"v": 1, "at": 3.0},
        {"type": "X", "v": 1},
        {"type": "X", "v": 1, "at": math.nan},
        {"type": "X", "v": 1, "at": 3.0, "weight": math.inf},
        {"type": "X", "v": "one", "at": 3.0},
        {"type": "X", "v": 1, "at": 3.0, "blob": object()},
        {"type": "X", "v": 1, "at": 3.0, "note": "NUL \x00 cannot be stored"},
        {"type": "X" * 129, "v": 1, "at": 3.0},
        {"type": "X", "v": 1, "at": 3.0, "tenant": "t" * 65},
    ):
        with pytest.raises(MalformedRecord):
            store.append_records([good, bad])
    assert store.last_id() == 1
    assert [x.id for x in store.read()] == [1]


def test_given_unknown_type_or_version_then_reader_reports_its_id_and_goes_on(
    store: EventStore,
) -> None:
    store.append([arrived(1)])
    unknown_version = {**to_record(arrived(3)), "v": 99}
    store.append_records(
        [
            {"type": "EventFromTheFuture", "v": 1, "at": 2.0, "tenant": "acme"},
            unknown_version,
            {**to_record(arrived(4)), "channel": "telepathy"},
        ]
    )
    store.append([arrived(5)])
    reported: list[UndecodableEvent] = []
    read = list(store.read(on_undecodable=reported.append))
    assert [x.id for x in read] == [1, 5]
    assert [error.event_id for error in reported] == [2, 3, 4]
    assert "EventFromTheFuture" in reported[0].reason
    assert "v99" in reported[1].reason
    assert reported[1].record == unknown_version
    assert all(str(error).startswith(f"event {error.event_id}:") for error in reported)


def test_undecodable_records_are_logged_as_warnings_by_default(
    store: EventStore, caplog: pytest.LogCaptureFixture
) -> None:
    store.append_records([{"type": "NoSuchEvent", "v": 1, "at": 1.0}])
    store.append([arrived(2)])
    with caplog.at_level("WARNING", logger="madoguchi.store"):
        assert [x.id for x in store.read()] == [2]
    assert "skipping undecodable event 1" in caplog.text


def test_raw_records_round_trip_unchanged(store: EventStore) -> None:
    raw = {"type": "Imported", "v": 3, "at": 10.5, "nested": {"a": [1, 2.5, None, "日本"]}}
    store.append_records([raw])
    assert list(store.read_records()) == [(1, raw)]


# -- contact records ----------------------------------------------------------------------


def record(n: int, **changes: object) -> StoredContactRecord:
    fields: dict[str, object] = {
        "contact_id": f"c{n}",
        "tenant": "acme",
        "channel": "voice",
        "direction": "inbound",
        "started_at": 1_000.0 + n,
        "ended_at": 1_100.0 + n,
        "customer_id": f"cust{n % 3}",
        "queues": ("inquiries",),
        "agents": (f"a{n % 2}",),
        "end_reason": "completed",
        "document": {"contact_id": f"c{n}", "notes": "住所変更", "segments": [{"q": 1}]},
    }
    fields.update(changes)
    return StoredContactRecord(**fields)  # type: ignore[arg-type]


def test_given_no_record_then_get_returns_none(store: EventStore) -> None:
    assert store.get_contact_record("missing") is None
    assert store.find_contact_records() == []


def test_upserted_contact_record_reads_back_equal(store: EventStore) -> None:
    kept = record(1, queues=("orders", "vip", "orders"), agents=("a1", "a2"))
    store.upsert_contact_records([kept])
    assert store.get_contact_record("c1") == kept


def test_upsert_replaces_a_record_and_its_queue_and_agent_links(store: EventStore) -> None:
    store.upsert_contact_records([record(1, ended_at=None, end_reason=None, agents=())])
    final = record(1, queues=("inquiries", "complaints"), agents=("a7",))
    store.upsert_contact_records([final])
    assert store.get_contact_record("c1") == final
    assert store.find_contact_records(queue="complaints") == [final]
    assert store.find_contact_records(agent="a7") == [final]
    store.upsert_contact_records([record(1, queues=("orders",), agents=("a8",))])
    assert store.find_contact_records(queue="complaints") == []
    assert store.find_contact_records(agent="a7") == []


def test_within_one_batch_the_last_record_of_a_contact_wins(store: EventStore) -> None:
    store.upsert_contact_records([record(1, end_reason=None), record(1, end_reason="abandoned")])
    found = store.get_contact_record("c1")
    assert found is not None
    assert found.end_reason == "abandoned"


def test_find_contact_records_filters_by_time_queue_agent_customer_and_tenant(
    store: EventStore,
) -> None:
    records = [record(n) for n in range(10)]
    records[4] = record(4, queues=("inquiries", "vip"), agents=("a0", "a9"))
    records[9] = record(9, tenant="globex")
    store.upsert_contact_records(reversed(records))

    def ids(found: list[StoredContactRecord]) -> list[str]:
        return [r.contact_id for r in found]

    assert ids(store.find_contact_records()) == [f"c{n}" for n in range(10)]
    assert ids(store.find_contact_records(started_from=1_003.0, started_before=1_006.0)) == [
        "c3",
        "c4",
        "c5",
    ]
    assert ids(store.find_contact_records(queue="vip")) == ["c4"]
    assert ids(store.find_contact_records(agent="a9")) == ["c4"]
    assert ids(store.find_contact_records(agent="a1")) == ["c1", "c3", "c5", "c7", "c9"]
    assert ids(store.find_contact_records(agent="a1", tenant="acme")) == ["c1", "c3", "c5", "c7"]
    assert ids(store.find_contact_records(customer_id="cust0")) == ["c0", "c3", "c6", "c9"]
    assert ids(store.find_contact_records(customer_id="cust0", queue="vip")) == []
    assert ids(store.find_contact_records(tenant="globex")) == ["c9"]
    assert ids(store.find_contact_records(limit=2, started_from=1_005.0)) == ["c5", "c6"]


@pytest.mark.parametrize(
    "bad",
    [
        {"document": {"x": math.nan}},
        {"document": {"x": "\x00"}},
        {"tenant": "t" * 65},
        {"agents": ("a1", "a" * 129)},
        {"end_reason": "r" * 33},
    ],
)
def test_a_contact_record_that_cannot_be_stored_is_refused_with_its_batch(
    store: EventStore, bad: dict[str, object]
) -> None:
    with pytest.raises(MalformedRecord):
        store.upsert_contact_records([record(1), record(2, **bad)])
    assert store.find_contact_records() == []


# -- runtime metadata ---------------------------------------------------------------------


def test_runtime_metadata_is_a_small_json_key_value(store: EventStore) -> None:
    assert store.get_meta("snapshot") is None
    store.put_meta("snapshot", {"last_event_id": 42, "queues": ["受付", "vip"]})
    assert store.get_meta("snapshot") == {"last_event_id": 42, "queues": ["受付", "vip"]}
    store.put_meta("snapshot", 43)
    assert store.get_meta("snapshot") == 43
    with pytest.raises(MalformedRecord):
        store.put_meta("bad", math.inf)
    assert store.get_meta("bad") is None
    for bad_key in ("", "k" * 201):
        with pytest.raises(MalformedRecord):
            store.put_meta(bad_key, 1)
