"""``madoguchi bench routing``: the real routing engine under a synthetic center's load.

Workload (per scenario): N agents and K skills; skill popularity is Zipf-like (weight 1/rank);
each agent holds 2–6 skills (drawn by popularity) at proficiency 1–10; each contact needs 1–3
skills taken from a random agent's set (so some agent can always serve it), at minimum
proficiency 1, or up to that agent's level one time in four. Arrivals are Poisson at a rate that
keeps occupancy at 0.9 (talk exponential, mean 180 s, plus 10 s after-contact work run by the
engine's own timer); customers abandon after an exponential patience (mean 300 s) if still
waiting. Agents answer every offer at once. Policy: longest idle. Every command goes through
``RoutingEngine.receive``/``handle_timer``, events included.

An **assignment** is a contact being offered to a chosen agent (ContactOffered). It happens in
the call that makes it: the contact's EnqueueContact when a fitting agent is free, or the call
that frees an agent (its after-contact-work timer) when contacts wait.

* ``assignments_per_s``: assignments ÷ time spent in the routing calls (every EnqueueContact and
  every after-contact-work timer call, whether it assigned or not).
* ``p50_us``/``p99_us``: latency of the calls that made an assignment.
* ``contacts_per_s``: contacts through their whole life (enqueue, offer, accept, end, wrap-up,
  abandon) ÷ all time spent inside the engine.
* ``cpu_time``: the same figures timed by the thread's CPU clock (``time.thread_time_ns``), which
  leaves out the time the process was not running — on a shared machine the wall-clock tail is
  mostly other processes. That clock costs ~0.5–2 µs per reading, included in its figures.

After setup, ``gc.freeze()`` moves the center's long-lived objects out of the collector's way;
the collector itself stays on.
"""

from __future__ import annotations

import gc
import heapq
import random
import time
from typing import Any

from rich.console import Console
from rich.table import Table

from madoguchi.core.config import (
    AgentConfig,
    CenterConfig,
    LocalizedText,
    QueueConfig,
    SkillConfig,
    TenantConfig,
)
from madoguchi.core.model import Channel, Contact, Direction, SkillRequirement
from madoguchi.core.routing import RoutingEngine
from madoguchi.core.routing import commands as rc
from madoguchi.core.routing import events as ev

SCENARIOS: dict[str, tuple[int, int]] = {"1k": (1_000, 20), "10k": (10_000, 100)}
TALK_MEAN_S = 180.0
ACW_S = 10.0
PATIENCE_MEAN_S = 300.0
OCCUPANCY = 0.9
START = 1_767_225_600.0


def synthetic_center(
    agents: int, skills: int, rng: random.Random
) -> tuple[CenterConfig, list[AgentConfig]]:
    """A center with one queue, ``agents`` agents and ``skills`` Zipf-popular skills."""
    names = [f"s{i:03d}" for i in range(skills)]
    weights = [1.0 / (rank + 1) for rank in range(skills)]
    agent_configs: list[AgentConfig] = []
    for index in range(agents):
        count = rng.randint(2, min(6, skills))
        held: set[str] = set()
        while len(held) < count:
            held.add(rng.choices(names, weights)[0])
        agent_configs.append(
            AgentConfig(
                id=f"a{index:05d}",
                tenant="bench",
                name=f"agent {index}",
                skills=tuple((s, rng.randint(1, 10)) for s in sorted(held)),
            )
        )
    queue = QueueConfig(
        id="q",
        tenant="bench",
        name=LocalizedText("ベンチ", "bench"),
        after_contact_work_s=ACW_S,
        offer_timeout_s=20.0,
    )
    config = CenterConfig(
        name=LocalizedText("ベンチ", "bench"),
        tenants=(TenantConfig("bench", LocalizedText("ベンチ")),),
        skills=tuple(SkillConfig(s, LocalizedText(s)) for s in names),
        queues=(queue,),
        agents=tuple(agent_configs),
    )
    return config, agent_configs


def _needs(agents: list[AgentConfig], rng: random.Random) -> tuple[SkillRequirement, ...]:
    model = agents[rng.randrange(len(agents))]
    chosen = rng.sample(model.skills, rng.randint(1, min(3, len(model.skills))))
    return tuple(
        SkillRequirement(skill, rng.randint(1, level) if rng.random() < 0.25 else 1)
        for skill, level in chosen
    )


def run_scenario(
    agents: int, skills: int, contacts: int, seed: int = 7, cpu_clock: bool = False
) -> dict[str, Any]:
    """Drive one scenario; the figures as a dict (``cpu_clock``: time by thread CPU time)."""
    rng = random.Random(seed)
    config, agent_configs = synthetic_center(agents, skills, rng)
    engine = RoutingEngine(config)
    clock = time.thread_time_ns if cpu_clock else time.perf_counter_ns
    for agent in agent_configs:
        engine.receive(rc.AgentLogin(agent.id, available=True), START)
    rate = OCCUPANCY * agents / (TALK_MEAN_S + ACW_S)
    warmup = contacts // 10
    # Driver events: (time, seq, kind, contact id); kinds 0 arrival, 1 end, 2 abandon.
    pending: list[tuple[float, int, int, str]] = []
    seq = 0
    t = START
    for index in range(contacts):
        t += rng.expovariate(rate)
        seq += 1
        pending.append((t, seq, 0, f"c{index}"))
    heapq.heapify(pending)
    waiting: set[str] = set()
    latencies: list[int] = []
    routing_ns = 0
    engine_ns = 0
    assignments = 0
    measured_contacts = 0
    arrivals = 0
    gc.collect()
    gc.freeze()

    def handle(out: list[Any], now: float) -> int:
        """Accept every offer at once; schedule ends. Returns the number of offers."""
        nonlocal seq, engine_ns
        offers = 0
        for item in out:
            if type(item) is ev.ContactOffered:
                offers += 1
                waiting.discard(item.contact_id)
                started = clock()
                engine.receive(rc.AcceptOffer(item.contact_id, item.agent_id), now)
                engine_ns += clock() - started
                seq += 1
                end = now + rng.expovariate(1.0 / TALK_MEAN_S)
                heapq.heappush(pending, (end, seq, 1, item.contact_id))
        return offers

    while pending:
        due = engine.next_timer()
        at, _, kind, contact_id = pending[0]
        measuring = arrivals > warmup
        if due is not None and due <= at:
            started = clock()
            out = engine.handle_timer(due)
            spent = clock() - started
            engine_ns += spent
            if measuring:
                routing_ns += spent
            offers = handle(out, due)
            if measuring and offers:
                assignments += offers
                latencies.append(spent)
            continue
        heapq.heappop(pending)
        if kind == 0:
            arrivals += 1
            needs = _needs(agent_configs, rng)
            contact = Contact(
                id=contact_id,
                channel=Channel.VOICE,
                direction=Direction.INBOUND,
                tenant="bench",
                created_at=at,
            )
            command = rc.EnqueueContact(contact, "q", skills=needs)
            waiting.add(contact_id)
            started = clock()
            out = engine.receive(command, at)
            spent = clock() - started
            engine_ns += spent
            if measuring:
                routing_ns += spent
                measured_contacts += 1
            offers = handle(out, at)
            if measuring and offers:
                assignments += offers
                latencies.append(spent)
            if contact_id in waiting:
                seq += 1
                patience = at + rng.expovariate(1.0 / PATIENCE_MEAN_S)
                heapq.heappush(pending, (patience, seq, 2, contact_id))
        elif kind == 1:
            started = clock()
            engine.receive(rc.EndContact(contact_id), at)
            engine_ns += clock() - started
        elif contact_id in waiting:
            waiting.discard(contact_id)
            started = clock()
            engine.receive(rc.AbandonContact(contact_id), at)
            engine_ns += clock() - started
    gc.unfreeze()
    latencies.sort()

    def percentile(fraction: float) -> float:
        if not latencies:
            return 0.0
        return latencies[min(len(latencies) - 1, int(fraction * len(latencies)))] / 1000.0

    return {
        "agents": agents,
        "skills": skills,
        "contacts": contacts,
        "measured_contacts": measured_contacts,
        "assignments": assignments,
        "assignments_per_s": round(assignments / (routing_ns / 1e9), 1) if routing_ns else 0.0,
        "p50_us": round(percentile(0.50), 2),
        "p99_us": round(percentile(0.99), 2),
        "max_us": round(latencies[-1] / 1000.0, 2) if latencies else 0.0,
        "contacts_per_s": round(contacts / (engine_ns / 1e9), 1) if engine_ns else 0.0,
    }


def ewt_error(
    contacts: int = 5_000, agents: int = 10, occupancy: float = 0.9, seed: int = 11
) -> dict[str, float]:
    """Estimated wait time against the waits that actually happened.

    One queue, ``agents`` agents, Poisson arrivals, exponential talk (mean 120 s), no after-contact
    work, no abandons. At each arrival the engine's ``estimated_wait`` is recorded; at the answer,
    the real wait. Returns the mean absolute error and the bias of the estimate, the mean real
    wait, and the error of a constant guess (the overall mean wait) for comparison.
    """
    rng = random.Random(seed)
    talk_mean = 120.0
    queue = QueueConfig(id="q", tenant="bench", name=LocalizedText("EWT"), after_contact_work_s=0.0)
    config = CenterConfig(
        name=LocalizedText("EWT"),
        tenants=(TenantConfig("bench", LocalizedText("ベンチ")),),
        queues=(queue,),
        agents=tuple(AgentConfig(id=f"a{i}", tenant="bench", name=f"a{i}") for i in range(agents)),
    )
    engine = RoutingEngine(config)
    for agent in config.agents:
        engine.receive(rc.AgentLogin(agent.id, available=True), START)
    rate = occupancy * agents / talk_mean
    pending: list[tuple[float, int, str]] = []
    t = START
    for index in range(contacts):
        t += rng.expovariate(rate)
        pending.append((t, 0, f"c{index}"))
    heapq.heapify(pending)
    estimate: dict[str, float] = {}
    actual: dict[str, float] = {}
    while pending:
        at, kind, contact_id = heapq.heappop(pending)
        if kind == 0:
            estimate[contact_id] = engine.estimated_wait("q", at)
            contact = Contact(contact_id, Channel.VOICE, Direction.INBOUND, "bench", at)
            out = engine.receive(rc.EnqueueContact(contact, "q"), at)
        else:
            out = engine.receive(rc.EndContact(contact_id), at)
        for item in out:
            if isinstance(item, ev.ContactOffered):
                connected = engine.receive(rc.AcceptOffer(item.contact_id, item.agent_id), at)
                for answer in connected:
                    if isinstance(answer, ev.ContactConnected):
                        actual[answer.contact_id] = answer.wait_s
                ends = at + rng.expovariate(1.0 / talk_mean)
                heapq.heappush(pending, (ends, 1, item.contact_id))
    # Skip the first tenth: the estimate needs handle times to learn from.
    measured = list(actual)[contacts // 10 :]
    waits = [actual[c] for c in measured]
    mean_wait = sum(waits) / len(waits)
    errors = [estimate[c] - actual[c] for c in measured]
    return {
        "contacts": float(len(measured)),
        "mean_wait_s": mean_wait,
        "mae_s": sum(abs(x) for x in errors) / len(errors),
        "bias_s": sum(errors) / len(errors),
        "constant_guess_mae_s": sum(abs(mean_wait - w) for w in waits) / len(waits),
        "waited_fraction": sum(1 for w in waits if w > 0) / len(waits),
    }


def run(quick: bool, console: Console) -> dict[str, Any]:
    """Both scenarios; prints a table and returns ``{"1k": {...}, "10k": {...}}``."""
    results: dict[str, Any] = {}
    for name, (agents, skills) in SCENARIOS.items():
        contacts = 20_000 if quick else 200_000
        console.print(f"routing {name}: {agents} agents, {skills} skills, {contacts} contacts…")
        figures = run_scenario(agents, skills, contacts)
        by_cpu = run_scenario(agents, skills, contacts, cpu_clock=True)
        figures["cpu_time"] = {
            key: by_cpu[key] for key in ("assignments_per_s", "p50_us", "p99_us", "max_us")
        }
        results[name] = figures
    table = Table(title="routing engine (events included)")
    for column in ("scenario", "clock", "assignments/s", "p50 µs", "p99 µs", "max µs"):
        table.add_column(column, justify="right")
    for name, figures in results.items():
        for clock, row in (("wall", figures), ("thread CPU", figures["cpu_time"])):
            table.add_row(
                name,
                clock,
                f"{row['assignments_per_s']:,.0f}",
                f"{row['p50_us']:.1f}",
                f"{row['p99_us']:.1f}",
                f"{row['max_us']:.0f}",
            )
    console.print(table)
    ewt = ewt_error(contacts=2_000 if quick else 20_000)
    results["ewt"] = {k: round(v, 2) for k, v in ewt.items()}
    console.print(
        f"EWT (10 agents, occupancy 0.9): mean wait {ewt['mean_wait_s']:.1f} s, "
        f"mean absolute error {ewt['mae_s']:.1f} s, bias {ewt['bias_s']:+.1f} s "
        f"(a constant guess: {ewt['constant_guess_mae_s']:.1f} s)"
    )
    results["workload"] = {
        "assignment": "a contact offered to a chosen agent (ContactOffered)",
        "talk_mean_s": TALK_MEAN_S,
        "acw_s": ACW_S,
        "patience_mean_s": PATIENCE_MEAN_S,
        "occupancy": OCCUPANCY,
        "policy": "longest_idle",
    }
    return results
