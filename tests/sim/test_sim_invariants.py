"""Property tests: whatever the traffic and staffing, no contact is lost or served twice."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from madoguchi.core.routing import events as re
from madoguchi.sim.distributions import Exponential, Fixed, Uniform
from madoguchi.sim.driver import Simulation
from madoguchi.sim.files import load_scenario_file
from madoguchi.sim.scenario import AgentPool, Break, Redial

SCENARIOS = Path(__file__).parents[2] / "src/madoguchi/samples/scenarios"
BASE, CENTER = load_scenario_file(SCENARIOS / "bench_two_skills.yaml")


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    volume=st.integers(20, 200),
    agents=st.tuples(st.integers(0, 4), st.integers(0, 4), st.integers(0, 3)),
    ring=st.sampled_from([0.0, 2.0, 30.0]),
    acw=st.sampled_from([None, 5.0]),
    redial=st.floats(0.0, 1.0),
    break_at=st.integers(540, 600),
)
def test_given_any_small_day_when_simulated_then_contacts_end_once_and_agents_serve_one_at_a_time(
    seed: int,
    volume: int,
    agents: tuple[int, int, int],
    ring: float,
    acw: float | None,
    redial: float,
    break_at: int,
) -> None:
    delay = Fixed(ring) if ring < 10 else Uniform(0.0, ring)  # 30 s can exceed the offer time-out
    pools = (
        AgentPool(
            "a",
            agents[0],
            540,
            610,
            skills=(("a", 5),),
            ring_delay=delay,
            breaks=(Break(break_at, 5, 10),),
        ),
        AgentPool("b", agents[1], 550, 600, skills=(("b", 5),), ring_delay=delay),
        AgentPool("ab", agents[2], 540, 620, skills=(("a", 5), ("b", 5)), ring_delay=delay),
    )
    scenario = replace(
        BASE,
        seed=seed,
        open_min=540,
        close_min=600,
        volume=volume,
        drain_min=30,
        pools=pools,
        redial=Redial(redial, Exponential(60.0), 3),
        mix=tuple(
            replace(
                k,
                handle_time=Exponential(90.0),
                patience=Exponential(60.0),
                after_contact_work=None if acw is None else Fixed(acw),
            )
            for k in BASE.mix
        ),
    )
    center = replace(
        CENTER, queues=tuple(replace(q, offer_timeout_s=20.0) for q in CENTER.queues), _index={}
    )
    simulation = Simulation(scenario, center, keep_log=True)
    result = simulation.run()
    assert simulation.refused == []
    ended: set[str] = set()
    talking: dict[str, str] = {}
    for item in result.log:
        if isinstance(item, re.ContactEnded):
            assert item.contact_id not in ended
            ended.add(item.contact_id)
            if item.agent_id is not None:
                assert talking.pop(item.agent_id) == item.contact_id
        elif isinstance(item, re.ContactConnected):
            assert item.agent_id not in talking
            talking[item.agent_id] = item.contact_id
    total = result.total
    assert total.answered + total.abandoned + total.ended_other <= total.offered
    waiting_at_end = total.offered - (total.answered + total.abandoned + total.ended_other)
    assert waiting_at_end == len(
        {e.contact_id for e in result.log if isinstance(e, re.ContactQueued)} - ended
    )
