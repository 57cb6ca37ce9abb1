"""Cost per contact, break-even against outsourcing, and the charts."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from madoguchi.core.wfm.cost import (
    InHouseCosts,
    Operation,
    break_even_volume,
    cost_curve,
    in_house_cost,
    volume_grid,
)
from madoguchi.core.wfm.cost_chart import cost_chart_svg, cost_chart_text
from madoguchi.core.wfm.staffing import StaffingTarget


def test_cost_breakdown_adds_wages_seats_and_telephony() -> None:
    op = Operation(
        aht_s=300,
        open_hours_per_day=1,
        days_per_month=1,
        interval_s=3600,
        target=StaffingTarget(shrinkage=0.0),
    )
    costs = InHouseCosts(
        agent_wage_per_hour=1000,
        supervisor_wage_per_hour=2000,
        agents_per_supervisor=8,
        wage_overhead=0.0,
        seat_per_month=100,
        telephony_per_minute=1,
        telephony_per_seat_month=10,
    )
    breakdown = in_house_cost(120, op, costs)  # 10 Erlangs in one hour
    assert breakdown.peak_agents == 14  # the textbook 80/20 case at 10 Erlangs
    assert breakdown.supervisors == 2
    assert breakdown.agent_hours == 14
    assert breakdown.wages == 14 * 1000 + 2 * 2000
    assert breakdown.seats == 16 * 100
    assert breakdown.telephony == 120 * 5 * 1 + 16 * 10
    assert breakdown.per_contact == pytest.approx(breakdown.total / 120)


def test_cost_per_contact_falls_with_volume() -> None:
    curve = cost_curve([1_000, 10_000, 100_000], Operation(), InHouseCosts())
    per_contact = [c.per_contact for c in curve]
    assert per_contact[0] > per_contact[1] > per_contact[2]


def test_break_even_volume_is_where_in_house_gets_cheaper_than_the_price() -> None:
    op, costs = Operation(), InHouseCosts()
    volume = break_even_volume(600, op, costs)
    assert volume is not None
    assert in_house_cost(volume, op, costs).per_contact <= 600
    assert in_house_cost(volume * 0.9, op, costs).per_contact > 600
    cheaper = break_even_volume(300, op, costs)
    assert cheaper is not None
    assert cheaper > volume


def test_no_break_even_when_outsourcing_is_always_cheaper() -> None:
    assert break_even_volume(150, Operation(), InHouseCosts(agent_wage_per_hour=1500)) is None


def test_charts_draw_the_curve_prices_and_break_even_markers() -> None:
    op, costs = Operation(), InHouseCosts()
    curve = cost_curve(volume_grid(points=30), op, costs)
    prices = [150.0, 300.0, 600.0]
    svg = cost_chart_svg(curve, prices, {p: break_even_volume(p, op, costs) for p in prices})
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    assert root.tag == f"{ns}svg"
    assert len(root.findall(f"{ns}polyline")) == 1
    assert len(root.findall(f"{ns}circle")) == 2  # ¥300 and ¥600 break even; ¥150 does not
    text = cost_chart_text(curve, prices)
    assert "*" in text
    assert text.count("\n") == 16
