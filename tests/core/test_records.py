"""Contact records: one per contact, with the whole journey, folded from events."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from madoguchi.core.events import Event
from madoguchi.core.metrics import MetricsBoard
from madoguchi.core.model import AgentState, ContactState, EndReason
from madoguchi.core.records import ContactRecord, ContactRecordBuilder
from madoguchi.core.routing import RoutingEngine
from madoguchi.core.routing import commands as rc


def _records(log: list[Event]) -> list[ContactRecord]:
    builder = ContactRecordBuilder()
    return [r for item in log if (r := builder.apply(item)) is not None]


def test_a_transferred_call_has_one_record_with_both_agents_and_all_handle_time(
    desk: Callable[..., Any], build: Any
) -> None:
    d = desk(
        [build.queue("front", "s", after_contact_work_s=20), build.queue("tech", "t")],
        [build.agent("a1", "s"), build.agent("b1", "t")],
    )
    d.login("a1", "b1")
    d.call("c1", "front")
    d.answer("c1")
    d.advance(60)
    d.do(rc.HoldContact("c1"))
    d.advance(10)
    d.do(rc.TransferContact("c1", to_queue="tech"))
    d.answer("c1")
    d.advance(100)
    d.do(rc.EndContact("c1"))
    d.advance(5)
    assert _records(d.log) == [], "not complete until a1… and b1 have wrapped up"
    d.do(rc.CompleteWrapUp("b1", "c1", disposition="resolved"))
    d.advance(30)
    (record,) = _records(d.log)
    assert record.queues == ("front", "tech")
    assert record.agents == ("a1", "b1")
    assert (record.talk_s, record.hold_s, record.acw_s) == (160, 10, 25)
    assert record.transfers == 1
    assert record.dispositions == ("resolved",)
    assert record.end_reason is EndReason.COMPLETED
    assert record.completed_at == build.T0 + 175  # b1 wrapped up last
    kinds = [step.kind for step in record.journey]
    assert kinds[:3] == ["ContactQueued", "ContactOffered", "ContactConnected"]
    assert kinds[-1] == "ContactWrappedUp"
    assert record.as_dict()["channel"] == "voice"


def test_an_abandoned_call_is_complete_at_once_with_its_wait(
    desk: Callable[..., Any], build: Any
) -> None:
    d = desk([build.queue("q", "s")], [])
    d.call("c1", "q")
    d.advance(42)
    d.do(rc.AbandonContact("c1"))
    (record,) = _records(d.log)
    assert (record.abandoned, record.answered, record.wait_s) == (True, False, 42)
    assert record.end_reason is EndReason.ABANDONED
    assert record.agents == ()


def _drain(engine: RoutingEngine, operator: Any, log: list[Event]) -> None:
    """End the day: hang up every contact, let wrap-ups finish, close every agent's work."""
    now = operator.now
    for contact in list(engine.contacts.values()):
        if contact.state is ContactState.CONNECTED:
            log.extend(engine.receive(rc.EndContact(contact.id), now))
        elif contact.id in engine.contacts:
            log.extend(engine.receive(rc.AbandonContact(contact.id), now))
    now += 3600
    log.extend(engine.handle_timer(now))
    for agent in engine.agents.values():
        if agent.wrapups and agent.state is not AgentState.ON_CONTACT:
            log.extend(engine.receive(rc.SetAgentState(agent.id, AgentState.NOT_READY), now))
    assert not engine.contacts


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_metric_totals_reconcile_with_contact_records(random_day: Any, seed: int) -> None:
    make_center, operator_type = random_day
    config = make_center()
    engine = RoutingEngine(config)
    operator = operator_type(engine, random.Random(seed))
    log: list[Event] = []
    for _ in range(800):
        operator.step(log)
    _drain(engine, operator, log)
    records = _records(log)
    ids = [r.contact_id for r in records]
    assert len(ids) == len(set(ids)), "one record per contact"
    assert Counter(type(e).__name__ for e in log)["ContactEnded"] == len(records)
    board = MetricsBoard(config)
    for item in log:
        board.apply(item)
    queue_ids = [q.id for q in config.queues] + [""]
    totals = [board.totals(q) for q in queue_ids]
    assert sum(t.offered for t in totals) == sum(len(r.queues) for r in records)
    assert sum(t.answered for t in totals) == sum(
        len(r.agents) - (1 if r.direct else 0) for r in records
    )
    assert sum(t.abandoned + t.short_abandoned for t in totals) == sum(r.abandoned for r in records)
    handle = sum(t.talk_s + t.hold_s + t.acw_s for t in totals)
    assert handle == pytest.approx(sum(r.handle_s for r in records))
    assert sum(t.callbacks for t in totals) >= sum(r.callback_number is not None for r in records)
