"""Erlang B and C: the fast forms against the recursion, textbook cases, pyworkforce."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from madoguchi.core.wfm.erlang import (
    asa_c,
    erlang_b,
    erlang_b_recursion,
    erlang_c,
    offered_load,
    service_level_c,
)


@settings(max_examples=200, deadline=None)
@given(n=st.integers(min_value=0, max_value=3000), a=st.floats(min_value=0.01, max_value=3000))
def test_erlang_b_fast_form_matches_the_recursion(n: int, a: float) -> None:
    expected = erlang_b_recursion(n, a)
    assert erlang_b(n, a) == pytest.approx(expected, rel=1e-9, abs=1e-300)
    vector = erlang_b(np.array([float(n)]), a)
    assert float(vector[0]) == pytest.approx(expected, rel=1e-9, abs=1e-300)


def test_erlang_b_is_stable_for_a_load_of_100000_erlangs() -> None:
    b = erlang_b(100_500, 100_000.0)
    assert 0.0 < b < 1.0
    assert b == pytest.approx(erlang_b_recursion(100_500, 100_000.0), rel=1e-8)


def test_textbook_100_calls_per_half_hour_aht_180_gives_sl_888_and_asa_7_8() -> None:
    a = offered_load(100, 1800, 180)
    assert a == 10.0
    assert float(service_level_c(14, a, 180, 20)) == pytest.approx(0.888, abs=5e-4)
    assert float(asa_c(14, a, 180)) == pytest.approx(7.8, abs=0.05)
    assert float(service_level_c(13, a, 180, 20)) < 0.8


def test_erlang_c_is_one_when_agents_do_not_exceed_the_load() -> None:
    assert erlang_c(10, 10.0) == 1.0
    assert float(service_level_c(9, 10.0, 180, 20)) == 0.0
    assert math.isinf(float(asa_c(10, 10.0, 180)))


@pytest.mark.parametrize(
    ("calls", "aht_s", "interval_min"),
    [(100, 180, 30), (360, 240, 30), (20, 300, 15), (1500, 420, 15), (4000, 200, 60)],
)
def test_erlang_c_service_level_agrees_with_pyworkforce(
    calls: int, aht_s: int, interval_min: int
) -> None:
    from pyworkforce.queuing import ErlangC

    reference = ErlangC(transactions=calls, aht=aht_s / 60, asa=20 / 60, interval=interval_min)
    a = offered_load(calls, interval_min * 60, aht_s)
    for n in range(math.floor(a) + 1, math.floor(a) + 15):
        ours = float(service_level_c(n, a, aht_s, 20))
        assert ours == pytest.approx(reference.service_level(n), abs=1e-9)
        assert float(erlang_c(n, a)) == pytest.approx(reference.waiting_probability(n), rel=1e-9)
