"""Real-time metrics folded from routing events."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from madoguchi.core.config import ServiceLevelTarget
from madoguchi.core.metrics import MetricsBoard
from madoguchi.core.model import Direction
from madoguchi.core.routing import commands as rc


def _board(d: Any) -> MetricsBoard:
    board = MetricsBoard(d.config)
    for item in d.log:
        board.apply(item)
    return board


@pytest.fixture
def day(desk: Callable[..., Any], build: Any) -> Any:
    """09:00–09:20 in Tokyo: two answered calls (one after 30 s), a short and a long abandon."""
    q = build.queue("q", "s", after_contact_work_s=30, service_level=ServiceLevelTarget(0.8, 20.0))
    d = desk([q], [build.agent("a1", "s"), build.agent("a2", "s")])
    d.login("a1")
    d.call("fast", "q")  # answered at once
    d.answer("fast")
    d.call("slow", "q")
    d.advance(30)
    d.call("short", "q")
    d.advance(3)
    d.do(rc.AbandonContact("short"))  # 3 s: a short abandon
    d.call("long", "q")
    d.advance(60)
    d.do(rc.AbandonContact("long"))  # 60 s
    d.do(rc.EndContact("fast"))  # talk 93 s
    d.advance(30)  # ACW timer → a1 takes "slow" (waited 123 s)
    d.answer("slow")
    d.advance(17 * 60)  # 09:19:... past the first 15 minutes
    d.do(rc.EndContact("slow"))
    d.advance(30)
    return d


def test_interval_counts_service_level_asa_and_abandons(day: Any, build: Any) -> None:
    board = _board(day)
    first = board.interval("q", 15, build.T0)
    assert (first.offered, first.answered, first.abandoned, first.short_abandoned) == (4, 2, 1, 1)
    assert first.answered_in_target == 1
    assert first.service_level == pytest.approx(1 / 3), "short abandons are left out"
    assert first.asa_s == pytest.approx((0 + 123) / 2)
    assert first.abandon_rate == pytest.approx(1 / 3)


def test_aht_is_talk_hold_and_after_contact_work_in_the_interval_of_the_wrap_up(
    day: Any, build: Any
) -> None:
    board = _board(day)
    first = board.interval("q", 15, build.T0)
    second = board.interval("q", 15, build.T0 + 15 * 60)
    assert first.handled == 1
    assert first.aht_s == pytest.approx(93 + 30)
    assert second.handled == 1
    assert second.aht_s == pytest.approx(17 * 60 + 30)
    half_hour = board.interval("q", 30, build.T0)
    assert half_hour.handled == 2
    assert [s.start for s in board.intervals("q", 15)] == [build.T0, build.T0 + 900]
    assert [s.start for s in board.intervals("q", 60)] == [build.T0]


def test_occupancy_and_agent_time_in_each_state(day: Any, build: Any) -> None:
    board = _board(day)
    day.advance(120)  # a1 idle for two minutes (no event yet: the live interval counts it)
    stats = board.agent("a1", now=day.now)
    assert stats.handled == 2
    assert sum(stats.time_in_state_s.values()) == pytest.approx(day.now - build.T0)
    assert stats.time_in_state_s["after_contact_work"] == pytest.approx(60)
    hour = board.interval("q", 60, build.T0, now=day.now)
    assert hour.occupancy == pytest.approx(
        (day.now - build.T0 - 120) / (day.now - build.T0), rel=1e-6
    )
    assert board.interval("q", 60, build.T0).occupancy == 1.0, "closed spans only"
    assert board.agent("a2").handled == 0


def test_queue_now_shows_waiting_longest_wait_and_agents_by_state(
    desk: Callable[..., Any], build: Any
) -> None:
    d = desk([build.queue("q", "s")], [build.agent("a1", "s"), build.agent("a2", "s")])
    d.login("a1")
    d.call("c1", "q")
    d.answer("c1")
    d.call("c2", "q")
    d.advance(40)
    d.call("c3", "q")
    d.advance(5)
    now = _board(d).queue_now("q", d.now)
    assert (now.waiting, now.longest_wait_s) == (2, 45)
    assert now.agents_by_state == {"on_contact": 1, "logged_out": 1}


def test_intervals_align_on_local_quarter_hours_in_the_center_time_zone(build: Any) -> None:
    board = MetricsBoard(build.center([build.queue("q", "s")], []))
    # 2026-01-01 09:07:30 JST
    assert board.interval_start(build.T0 + 450, 15) == build.T0
    assert board.interval_start(build.T0 + 450, 60) == build.T0
    assert board.interval_start(build.T0 + 3600 - 1, 30) == build.T0 + 1800


def test_a_direct_contact_transferred_to_an_agent_counts_that_answer_once(
    desk: Callable[..., Any], build: Any
) -> None:
    """A direct (dialer) connection is not an answer from the queue; the transfer's is."""
    d = desk([build.queue("q", "s")], [build.agent("a1", "s"), build.agent("a2", "s")])
    d.login("a1", "a2")
    d.do(rc.ConnectContact(build.contact("o1", direction=Direction.OUTBOUND), "a1", "q"))
    d.advance(10)
    d.do(rc.TransferContact("o1", to_agent="a2"))
    d.answer("o1")
    d.advance(20)
    d.do(rc.EndContact("o1"))
    board = _board(d)
    totals = board.totals("q")
    assert (totals.offered, totals.answered) == (0, 1)
