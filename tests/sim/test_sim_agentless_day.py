"""A simulated day of automated reminder calls through the real dialer and state machine."""

from __future__ import annotations

from madoguchi.core.dialer import DialOutcome, DncEntry, DoNotCallRegistry, ListRecord
from madoguchi.core.dialer.events import (
    AgentlessResulted,
    CallbackScheduled,
    DialBlocked,
    DialPlaced,
    DialResulted,
    RecordClosed,
)
from madoguchi.core.dialer.reports import OutboundReport
from madoguchi.sim.agentless_day import AgentlessModel, simulate_agentless_day


def test_reminder_day_records_one_result_per_answered_call_and_feeds_the_dialer() -> None:
    model = AgentlessModel(lines=6, hours=1.0)
    day = simulate_agentless_day(model, seed=4)
    results = [e for e in day.events if isinstance(e, AgentlessResulted)]
    machines = day.results["message_left"]
    assert len(results) == sum(day.results.values()) == day.answered + machines
    assert day.results["confirmed"] > day.results["change_requested"] > 0
    assert {"no_input", "hung_up"} <= set(day.results)
    confirmed = {e.record_id for e in results if e.result == "confirmed"}
    closed = {e.record_id for e in day.events if isinstance(e, RecordClosed)}
    assert confirmed <= closed  # a confirmed reminder is never dialled again
    callbacks = [e for e in day.events if isinstance(e, CallbackScheduled)]
    assert len(callbacks) == day.results["change_requested"]
    confirmed_keys = {e.keys for e in results if e.result == "confirmed"}
    assert confirmed_keys == {"1"}
    report = OutboundReport().apply_all(day.events)
    assert report.campaigns["reminder"].total.outcomes["agentless:confirmed"] == len(confirmed)


def test_no_more_calls_than_lines_and_do_not_call_is_respected() -> None:
    records = [ListRecord(id=f"r{i}", number=f"+8190{30_000_000 + i:08d}") for i in range(300)]
    dnc = DoNotCallRegistry()
    dnc.add(DncEntry(records[0].number, "default", reason="refused"))
    model = AgentlessModel(lines=3, hours=0.5)
    day = simulate_agentless_day(model, seed=1, records=records, dnc=dnc)
    blocked = [e for e in day.events if isinstance(e, DialBlocked)]
    assert [(e.record_id, e.reason) for e in blocked] == [("r0", "do_not_call")]
    placed = [e for e in day.events if isinstance(e, DialPlaced)]
    assert all(e.record_id != "r0" for e in placed)
    # never more calls alive than lines: placed, minus unanswered results and ended calls
    alive = 0
    peak = 0
    talking = (DialOutcome.ANSWERED, DialOutcome.MACHINE)
    for item in day.events:
        if isinstance(item, DialPlaced):
            alive += 1
        elif (isinstance(item, DialResulted) and item.outcome not in talking) or isinstance(
            item, AgentlessResulted
        ):
            alive -= 1
        peak = max(peak, alive)
    assert 0 < peak <= 3
