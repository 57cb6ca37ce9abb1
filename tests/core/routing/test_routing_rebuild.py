"""A restarted runtime rebuilds routing from the event log alone."""

from __future__ import annotations

import random
from typing import Any

from madoguchi.core.events import Event, from_record, to_record
from madoguchi.core.routing import RoutingEngine


def test_given_a_day_stopped_midway_when_rebuilt_from_its_log_then_state_and_future_are_identical(
    random_day: Any,
) -> None:
    make_center, operator_type = random_day
    config = make_center()
    original = RoutingEngine(config)
    operator = operator_type(original, random.Random(20260106))
    log: list[Event] = []
    for _ in range(1500):
        operator.step(log)
    assert len(log) > 1000
    # The log as the store keeps it: plain records, read back.
    stored = [from_record(to_record(item)) for item in log]
    rebuilt = RoutingEngine.rebuild(config, stored)
    assert rebuilt.snapshot() == original.snapshot()
    assert rebuilt.next_timer() == original.next_timer()
    # Continue both with the same operator choices: identical events.
    seed = 99
    logs: list[list[Event]] = []
    for engine in (original, rebuilt):
        follower = operator_type(engine, random.Random(seed), start=operator.now)
        follower.count = operator.count
        continued: list[Event] = []
        for _ in range(1500):
            follower.step(continued)
        logs.append(continued)
    assert logs[0] == logs[1]
    assert len(logs[0]) > 1000
    assert rebuilt.snapshot() == original.snapshot()
