"""The WFM calculators behind the supervisor pages: staffing of an interval and cost per contact,
the same figures as the core functions (and `madoguchi wfm staff`)."""

from __future__ import annotations

import pytest
from api_support import SignIn

from madoguchi.core.wfm.cost import InHouseCosts, Operation, in_house_cost
from madoguchi.core.wfm.staffing import StaffingTarget


async def test_given_100_calls_of_3_minutes_when_staffing_80_20_then_14_agents_20_scheduled(
    sign_in: SignIn,
) -> None:
    supervisor = await sign_in("sv01")
    response = await supervisor.get(
        "/api/v1/wfm/staffing",
        params={"calls": 100, "interval_min": 30, "aht_s": 180, "shrinkage": 0.3},
    )
    assert response.status_code == 200, response.text
    plan = response.json()
    assert (plan["model"], plan["agents"], plan["scheduled_agents"]) == ("erlang_c", 14, 20)
    assert plan["load_erlangs"] == pytest.approx(10.0)
    assert plan["service_level"] == pytest.approx(0.88835, abs=1e-4)
    assert plan["asa_s"] == pytest.approx(7.8359, abs=1e-3)
    assert plan["occupancy"] == pytest.approx(10 / 14)
    assert [r["agents"] for r in plan["around"]] == list(range(11, 18))
    below = next(r for r in plan["around"] if r["agents"] == 13)
    assert below["service_level"] < 0.8


async def test_given_patience_when_staffing_then_erlang_a_reports_abandonment(
    sign_in: SignIn,
) -> None:
    supervisor = await sign_in("sv01")
    plan = (
        await supervisor.get(
            "/api/v1/wfm/staffing",
            params={"calls": 100, "aht_s": 180, "patience_s": 120, "max_abandonment": 0.03},
        )
    ).json()
    assert plan["model"] == "erlang_a"
    assert plan["abandonment"] <= 0.03
    missing = await supervisor.get(
        "/api/v1/wfm/staffing", params={"calls": 100, "aht_s": 180, "max_abandonment": 0.03}
    )
    assert missing.status_code == 422
    assert missing.json()["details"][0]["field"] == "query.max_abandonment"


async def test_given_a_volume_and_a_price_when_costing_then_it_matches_the_core_and_breaks_even(
    sign_in: SignIn,
) -> None:
    admin = await sign_in("admin-midori")
    response = await admin.get(
        "/api/v1/wfm/cost", params={"monthly_calls": 20000, "outsourcing_price_per_call": 900}
    )
    assert response.status_code == 200, response.text
    result = response.json()
    expected = in_house_cost(20000, Operation(target=StaffingTarget(shrinkage=0.3)), InHouseCosts())
    assert result["total"] == pytest.approx(expected.total)
    assert result["per_contact"] == pytest.approx(expected.per_contact)
    assert result["outsourcing_total"] == pytest.approx(20000 * 900)
    assert result["saving"] == pytest.approx(20000 * 900 - expected.total)
    assert result["break_even_calls"] is not None
    above = in_house_cost(
        result["break_even_calls"] * 1.5,
        Operation(target=StaffingTarget(shrinkage=0.3)),
        InHouseCosts(),
    )
    assert above.per_contact <= 900


async def test_given_an_agent_when_using_the_calculators_then_403(sign_in: SignIn) -> None:
    agent = await sign_in("op01")
    response = await agent.get("/api/v1/wfm/staffing", params={"calls": 1, "aht_s": 60})
    assert response.status_code == 403
