"""Outbound reports folded from the real dialer's events."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from madoguchi.core.dialer import (
    Campaign,
    CampaignStatus,
    Dialer,
    DialOutcome,
    DncEntry,
    DoNotCallRegistry,
    ListRecord,
    PacingState,
    ProgressivePacer,
)
from madoguchi.core.dialer.events import AgentlessResulted, DialPlaced
from madoguchi.core.dialer.reports import OutboundReport
from madoguchi.core.events import Event

TOKYO = ZoneInfo("Asia/Tokyo")


def at(hour: int, minute: int = 0) -> float:
    return datetime(2026, 11, 25, hour, minute, tzinfo=TOKYO).timestamp()


def test_report_counts_attempts_connects_rpc_abandonment_outcomes_and_incentives() -> None:
    records = [ListRecord(id=f"r{i}", number=f"+8190{10000000 + i}") for i in range(1, 7)]
    dnc = DoNotCallRegistry()
    dnc.add(DncEntry("+819010000006", "t"))
    campaign = Campaign("sales", "t", "販売", status=CampaignStatus.RUNNING)
    dialer = Dialer(campaign, ProgressivePacer(), dnc, records)
    log: list[Event] = []
    placed = dialer.place_dials(at(10), PacingState(at(10), 6, [], []))
    log += placed
    dials = [e for e in placed if isinstance(e, DialPlaced)]
    assert len(dials) == 5  # r6 is on the do-not-call list
    d1, d2, d3, d4, d5 = dials
    log += dialer.dial_result(d1.dial_id, DialOutcome.ANSWERED, at(10, 1))
    log.append(dialer.connected(d1.dial_id, d1.record_id, "ito", 0.5, at(10, 1)))
    log.append(dialer.call_ended(d1.dial_id, d1.record_id, "ito", 200.0, at(10, 5)))
    log += dialer.disposition(d1.record_id, "ito", "sale", at(10, 6))
    log += dialer.dial_result(d2.dial_id, DialOutcome.ANSWERED, at(10, 2))
    log.append(dialer.connected(d2.dial_id, d2.record_id, "ito", 1.0, at(10, 2)))
    log.append(dialer.call_ended(d2.dial_id, d2.record_id, "ito", 100.0, at(11, 0)))
    log += dialer.disposition(d2.record_id, "ito", "appointment", at(11, 1), appointment_at=at(15))
    log += dialer.dial_result(d3.dial_id, DialOutcome.ANSWERED, at(11, 2))
    log.append(dialer.connected(d3.dial_id, d3.record_id, "sato", 0.0, at(11, 2)))
    log += dialer.disposition(d3.record_id, "sato", "wrong_number", at(11, 3))
    log += dialer.dial_result(d4.dial_id, DialOutcome.ANSWERED, at(11, 4))
    log += dialer.abandoned(d4.dial_id, d4.record_id, at(11, 4))
    log += dialer.dial_result(d5.dial_id, DialOutcome.BUSY, at(11, 5))
    log.append(AgentlessResulted(at=at(11, 6), campaign="sales", record_id="r5", dial_id="x",
                                 result="confirmed"))  # fmt: skip

    report = OutboundReport({"sales": 10}).apply_all(log)
    figures = report.campaigns["sales"]
    total = figures.total
    assert (total.attempts, total.answered, total.connects) == (5, 4, 3)
    assert total.right_party == 2  # the wrong number is not the right party
    assert total.abandoned == 1
    assert total.abandon_rate == 0.25
    assert total.blocked == 1
    assert total.outcomes["blocked:do_not_call"] == 1
    assert total.outcomes["busy"] == 1
    assert total.outcomes["sale"] == 1
    assert total.outcomes["agentless:confirmed"] == 1
    assert figures.penetration == 0.5  # five of ten records dialled
    ten, eleven = figures.hours["2026-11-25 10:00"], figures.hours["2026-11-25 11:00"]
    assert (ten.attempts, ten.connects, ten.right_party) == (5, 2, 1)
    assert (eleven.connects, eleven.abandoned, eleven.right_party) == (1, 1, 1)
    ito = figures.agents["ito"]
    assert (ito.connects, ito.talk_s, ito.appointments, ito.contracts) == (2, 300.0, 1, 1)
    assert figures.agents["sato"].outcomes["wrong_number"] == 1
    document = report.as_dict()["sales"]
    assert document["agents"]["ito"]["contracts"] == 1
    assert document["hours"]["2026-11-25 11:00"]["abandon_rate"] == 0.5
