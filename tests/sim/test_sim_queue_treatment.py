"""Queue-time treatment in the simulator: announcements, callback and message offers.

The flow's enqueue node (the sample main number's ``general_enqueue``: announcements every 60 s,
a callback offered when the estimated wait is above 180 s or after 240 s, a message offered too)
drives the offers through the real flow interpreter; the scenario says how often callers take
them; routing's ``RequestCallback`` keeps an accepted callback's place in line.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from madoguchi.core.flows.events import QueueOfferAccepted
from madoguchi.core.model import EndReason
from madoguchi.core.routing import events as re
from madoguchi.sim.driver import Simulation
from madoguchi.sim.files import load_scenario_file
from madoguchi.sim.report import INTERVAL_COLUMNS, to_csv, to_html, to_json
from madoguchi.sim.results import SimResult
from madoguchi.sim.scenario_loader import ScenarioError

FLOW = Path(__file__).parents[2] / "src/madoguchi/samples/flows/main-number.yaml"
TREATED_FIELDS = (
    "callbacks_offered",
    "callbacks_accepted",
    "callbacks_completed",
    "messages_offered",
    "messages_left",
    "announcements",
)


def scenario_text(offers: str = "{callback: 0.6, message: 0.3}") -> str:
    # six agents for ~150 calls an hour: the line grows, callers wait minutes and hear offers
    return f"""\
name: treated
center: sample
date: 2026-11-24
hours: {{open: "09:00", close: "11:00"}}
seed: 7
interval_minutes: 30
volume: 300
profile: flat
weekday_factors: flat
drain_minutes: 30
contacts:
  - flow: {FLOW}
    flow_keys: ["3", "2"]          # products and services; hold rather than a callback in the IVR
    flow_answer_delay: {{distribution: uniform, low: 2, high: 6}}
    queue_offers: {offers}
    share: 1
    handle_time: {{distribution: lognormal, mean: 240, cv: 0.9}}
    patience: {{distribution: exponential, mean: 600}}
agents:
  - name: few
    count: 6
    skills: {{general: 5}}
    shift: "09:00-12:00"
    ring_delay: 2
"""


def run(
    tmp_path: Path, offers: str = "{callback: 0.6, message: 0.3}"
) -> tuple[SimResult, Simulation]:
    path = tmp_path / f"day-{abs(hash(offers))}.yaml"
    path.write_text(scenario_text(offers), encoding="utf-8")
    scenario, center = load_scenario_file(path)
    simulation = Simulation(scenario, center, keep_log=True)
    return simulation.run(), simulation


@pytest.fixture(scope="module")
def treated(tmp_path_factory: pytest.TempPathFactory) -> tuple[SimResult, Simulation]:
    return run(tmp_path_factory.mktemp("treated"))


def test_given_long_waits_when_simulated_then_callbacks_are_offered_accepted_and_completed(
    treated: tuple[SimResult, Simulation],
) -> None:
    result, simulation = treated
    total = result.total
    assert simulation.refused == []
    assert total.announcements > total.callbacks_offered > 0
    assert total.callbacks_accepted > 0
    assert total.callbacks_completed > 0
    assert total.messages_offered > 0
    assert total.messages_left > 0
    log = result.log
    taken = {e.contact_id: e.offer for e in log if isinstance(e, QueueOfferAccepted)}
    requested = [e for e in log if isinstance(e, re.CallbackRequested)]
    by_caller = [e for e in requested if not e.by_overflow]
    # accepted: the callbacks routing registered because a waiting caller took the offer
    assert total.callbacks_accepted == len(by_caller)
    assert all(taken.get(e.contact_id) == "callback" for e in by_caller)
    # completed: callback requests (overflow ones included) an agent took
    callback_contacts = {e.contact_id for e in requested}
    connected = [e for e in log if isinstance(e, re.ContactConnected)]
    assert total.callbacks_completed == sum(e.contact_id in callback_contacts for e in connected)
    # a message left ends the contact in routing with reason voicemail
    voicemail = {
        e.contact_id
        for e in log
        if isinstance(e, re.ContactEnded) and e.reason is EndReason.VOICEMAIL
    }
    left_messages = {c for c, offer in taken.items() if offer == "message"} & voicemail
    assert total.messages_left == len(left_messages)
    assert total.ended_other >= total.messages_left
    # a caller who took an offer waits for the callback or leaves a message: never abandons
    abandoned = {e.contact_id for e in log if isinstance(e, re.ContactAbandoned)}
    assert not abandoned & set(taken)
    # offered counts every offer heard; takers are a subset
    assert len(taken) <= total.callbacks_offered


def test_given_accepted_callbacks_when_agents_free_up_then_they_keep_their_place_in_line(
    treated: tuple[SimResult, Simulation],
) -> None:
    result, _ = treated
    queued_at: dict[str, float] = {}
    for e in result.log:
        if isinstance(e, re.ContactQueued):
            queued_at.setdefault(e.contact_id, e.wait_started_at)
    callbacks = {e.contact_id for e in result.log if isinstance(e, re.CallbackRequested)}
    order = [queued_at[e.contact_id] for e in result.log if isinstance(e, re.ContactConnected)]
    # one queue, one priority, first come first served: agents take contacts in the order they
    # joined, whether the caller still holds or hung up for a callback
    assert order == sorted(order)
    connected = {e.contact_id for e in result.log if isinstance(e, re.ContactConnected)}
    assert callbacks & connected


def test_given_a_day_when_tallied_then_treatment_counts_add_up_by_interval_and_queue(
    treated: tuple[SimResult, Simulation],
) -> None:
    result, _ = treated
    for name in TREATED_FIELDS:
        total = getattr(result.total, name)
        assert sum(getattr(i.contacts, name) for i in result.intervals) == total
        assert sum(getattr(t, name) for t in result.queues.values()) == total
        for queue, tally in result.queues.items():
            cells = result.queue_intervals[queue]
            assert len(cells) == len(result.intervals)
            assert sum(getattr(c, name) for c in cells) == getattr(tally, name)
    # and the classic counts per queue and interval too
    for queue, tally in result.queues.items():
        assert sum(c.offered for c in result.queue_intervals[queue]) == tally.offered


def test_given_a_treated_day_when_reported_then_csv_json_and_html_show_the_callbacks(
    treated: tuple[SimResult, Simulation],
) -> None:
    result, _ = treated
    header, *rows = to_csv(result).splitlines()
    assert header.split(",") == list(INTERVAL_COLUMNS)
    column = INTERVAL_COLUMNS.index("callbacks_accepted")
    assert sum(int(r.split(",")[column]) for r in rows) == result.total.callbacks_accepted
    document = json.loads(to_json([result]))
    general = document["queues"]["general"]
    assert general["callbacks_completed"] == result.total.callbacks_completed
    assert sum(i["callbacks_offered"] for i in general["intervals"]) == general["callbacks_offered"]
    page = to_html([result])
    assert "Callbacks by interval" in page
    assert "callbacks accepted" in page


def test_given_nobody_takes_offers_when_simulated_then_offers_are_heard_and_routing_unchanged(
    tmp_path: Path, treated: tuple[SimResult, Simulation]
) -> None:
    declined, simulation = run(tmp_path, "{callback: 0, message: 0}")
    total = declined.total
    assert total.callbacks_offered > 0
    assert total.callbacks_accepted == total.messages_left == 0
    assert not any(isinstance(e, QueueOfferAccepted) for e in declined.log)
    # taking offers changes the day: fewer callers abandon when many take a callback
    taken = treated[0].total
    assert taken.abandoned < total.abandoned
    assert simulation.refused == []


def test_given_an_untreated_day_when_reported_then_no_treatment_columns_in_html(
    tmp_path: Path,
) -> None:
    sample = Path(__file__).parents[2] / "src/madoguchi/samples/scenarios/bench_day.yaml"
    scenario, center = load_scenario_file(sample)
    result = Simulation(replace(scenario, volume=300), center).run()
    assert not result.treated
    assert "Callbacks by interval" not in to_html([result])
    assert Counter(getattr(result.total, f) for f in TREATED_FIELDS) == Counter({0: 6})


@pytest.mark.parametrize(
    ("offers", "message"),
    [
        ("{callback: 1.5}", "'callback' must be a probability (0–1), not 1.5"),
        ("{callback: 0.7, message: 0.5}", "'callback' and 'message' add up to more than 1"),
        ("{callbak: 0.5}", "unknown key 'callbak' in 'queue_offers' (callback, message)"),
        ("{message: -0.1}", "'message' must be at least 0, not -0.1"),
        ("0.5", "'queue_offers' must be a mapping"),
    ],
)
def test_given_bad_queue_offers_when_loaded_then_the_line_is_reported(
    tmp_path: Path, offers: str, message: str
) -> None:
    path = tmp_path / "day.yaml"
    text = scenario_text(offers)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario_file(path)
    problems = [str(p) for p in info.value.problems]
    line = next(n for n, t in enumerate(text.splitlines(), 1) if "queue_offers" in t)
    assert f"{path}:{line}: {message}" in problems


def test_given_queue_offers_without_a_flow_when_loaded_then_the_line_is_reported(
    tmp_path: Path,
) -> None:
    text = scenario_text().replace(f"  - flow: {FLOW}\n", "  - queue: general\n")
    path = tmp_path / "day.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario_file(path)
    line = next(n for n, t in enumerate(text.splitlines(), 1) if "queue_offers" in t)
    assert [str(p) for p in info.value.problems] == [
        f"{path}:{line}: 'queue_offers' needs a 'flow': its enqueue node makes the offers"
    ]
