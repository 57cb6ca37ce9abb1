"""The wallboard's "last 15 minutes": a rolling window folded incrementally, not a quarter-hour."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from madoguchi.core.config import ServiceLevelTarget
from madoguchi.core.metrics import MetricsBoard
from madoguchi.core.metrics.board import RECENT_S
from madoguchi.core.routing import commands as rc
from madoguchi.core.routing import events as ev


def folded(d: Any) -> MetricsBoard:
    board = MetricsBoard(d.config)
    for item in d.log:
        board.apply(item)
    return board


@pytest.fixture
def desk_q(desk: Callable[..., Any], build: Any) -> Any:
    q = build.queue("q", "s", after_contact_work_s=0, service_level=ServiceLevelTarget(0.8, 20.0))
    return desk([q], [build.agent("a1", "s")])


def test_the_window_slides_with_now_across_quarter_hour_boundaries(desk_q: Any) -> None:
    d = desk_q
    d.advance(10 * 60)  # 09:10
    d.login("a1")
    d.call("early", "q")
    d.answer("early")
    d.advance(8 * 60)  # 09:18: a new quarter hour began at 09:15
    d.call("late", "q")  # waits: a1 is still on "early"
    d.advance(40)
    d.do(rc.EndContact("early"))
    d.answer("late")  # answered after 40 s: outside the 20 s target
    board = folded(d)
    now = d.now
    recent = board.recent("q", now)
    # a quarter-hour figure would hold only "late"; the rolling window holds both
    assert board.interval("q", 15, board.interval_start(now, 15)).offered == 1
    assert (recent.offered, recent.answered, recent.answered_in_target) == (2, 2, 1)
    assert recent.service_level == pytest.approx(0.5)
    assert recent.start == pytest.approx(now - RECENT_S)
    # nine minutes on, "early" (09:10) has left the window, "late" (09:18) has not
    later = board.recent("q", now + 9 * 60)
    assert (later.offered, later.answered, later.answered_in_target) == (1, 1, 0)
    assert later.service_level == 0.0
    # and half an hour on, nothing is left: exactly zero, no float residue
    empty = board.recent("q", now + 30 * 60)
    assert (empty.offered, empty.answered, empty.wait_answered_s) == (0, 0, 0.0)
    assert empty.service_level is None


def test_events_folded_between_refreshes_count_once(desk_q: Any) -> None:
    d = desk_q
    d.login("a1")
    board = MetricsBoard(d.config)
    seen = 0
    for n in range(6):
        d.call(f"c{n}", "q")
        d.answer(f"c{n}")
        d.do(rc.EndContact(f"c{n}"))
        d.advance(4 * 60)
        for item in d.log[seen:]:
            board.apply(item)
        seen = len(d.log)
        recent = board.recent("q", d.now)  # a refresh after each call
        # calls every 4 minutes, refreshed 4 minutes after each: the window (15 minutes)
        # holds the calls of 4, 8 and 12 minutes ago
        assert recent.offered == min(n + 1, 3)
        assert recent.answered == min(n + 1, 3)
    assert recent.handled == 3


def test_agent_time_counts_only_inside_the_window(desk_q: Any) -> None:
    d = desk_q
    d.login("a1")  # available from T0
    d.advance(20 * 60)
    d.call("c", "q")
    d.answer("c")
    d.advance(5 * 60)  # on the contact for 5 minutes
    board = folded(d)
    recent = board.recent("q", d.now)
    assert recent.busy_s == pytest.approx(5 * 60)
    assert recent.available_s == pytest.approx(10 * 60)
    assert recent.occupancy == pytest.approx(1 / 3)


def test_a_live_skill_change_moves_the_agent_between_queues_on_the_board(
    desk: Callable[..., Any], build: Any
) -> None:
    d = desk([build.queue("q", "s"), build.queue("r", "t")], [build.agent("a1", "s")])
    d.login("a1")
    board = folded(d)
    assert board.queue_now("r", d.now).agents_by_state == {}
    board.apply(ev.AgentSkillsChanged(at=d.now, agent_id="a1", skills=(("t", 5),)))
    assert board.queue_now("r", d.now).agents_by_state == {"available": 1}
    assert board.queue_now("q", d.now).agents_by_state == {}
