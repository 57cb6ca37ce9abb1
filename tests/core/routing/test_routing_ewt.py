"""Estimated wait time: its formula, and its error against waits that actually happened."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from madoguchi.bench.routing import ewt_error
from madoguchi.core.routing import commands as rc


def test_given_a_free_agent_then_the_estimate_is_zero_and_without_staff_it_is_infinite(
    desk: Callable[..., Any], build: Any
) -> None:
    d = desk([build.queue("q", "s")], [build.agent("a1", "s")])
    assert math.isinf(d.engine.estimated_wait("q", d.now))
    d.login("a1")
    assert d.engine.estimated_wait("q", d.now) == 0.0


def test_given_callers_ahead_then_the_estimate_is_their_share_of_handle_time(
    desk: Callable[..., Any], build: Any
) -> None:
    d = desk(
        [build.queue("q", "s", after_contact_work_s=0)],
        [build.agent("a1", "s"), build.agent("a2", "s")],
    )
    d.login("a1", "a2")
    d.call("c1", "q")
    d.answer("c1")
    d.advance(100)
    d.do(rc.EndContact("c1"))  # handle time learnt: 100 s
    for name in ("c2", "c3", "c4", "c5"):
        d.call(name, "q")
        if d.offered_to(name):
            d.answer(name)
    # Two agents busy, two callers waiting: the next caller is third in line.
    assert d.engine.estimated_wait("q", d.now) == 3 * 100 / 2
    assert d.engine.estimated_wait_for("c5", d.now) == 2 * 100 / 2
    assert d.engine.queue_position("c5") == 2


def test_estimate_error_against_real_waits_beats_a_constant_guess() -> None:
    figures = ewt_error(contacts=6_000, agents=10, occupancy=0.9)
    # Measured on this workload (seed 11): mean wait ≈ 80 s, MAE ≈ 26 s, bias ≈ +7 s;
    # the best constant guess is off by ≈ 80 s on average.
    assert figures["mae_s"] < 0.5 * figures["constant_guess_mae_s"]
    assert abs(figures["bias_s"]) < 0.2 * figures["mean_wait_s"]
