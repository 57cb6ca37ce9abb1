"""The routing benchmark's workload runs through the real engine (a smoke check, not a timing)."""

from __future__ import annotations

from madoguchi.bench.routing import run_scenario


def test_a_small_scenario_assigns_nearly_every_contact_and_reports_the_figures() -> None:
    figures = run_scenario(agents=60, skills=6, contacts=600)
    assert figures["assignments"] >= 0.8 * figures["measured_contacts"]
    assert figures["p50_us"] <= figures["p99_us"] <= figures["max_us"]
    assert figures["assignments_per_s"] > 0
