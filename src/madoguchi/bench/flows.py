"""``madoguchi bench flows``: node transitions per second through the sample main-number flow.

Random callers are walked through the flow by a minimal adapter loop: at each question a caller
picks one of the options read out (85 %), presses a wrong key (10 %) or stays silent (5 %);
customers are found or not, a third of them VIP; order and store lookups answer (70 %), send
garbage (15 %) or fail (15 %); queued callers are answered by an agent. The count is of
``NodeVisited`` events; the time covers the whole loop: session creation, interpretation, the
adapter's dispatch and draining events. The run is
repeated (3 rounds quick, 5 full) and the best round is ``transitions_per_s``; the median is
reported beside it, and the best rate per CPU second of this process (the machines are shared and
noisy: wall-clock rates fall when other processes take the cores), with the load average before
and after the rounds so that a figure can be read against the load it was measured under.
"""

from __future__ import annotations

import gc
import json
import os
import random
import time
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.table import Table

from madoguchi.core.config import epoch
from madoguchi.core.flows import Flow, FlowPhase, FlowSession, StaticFlowEnvironment
from madoguchi.core.flows import commands as c
from madoguchi.core.flows import inputs as i
from madoguchi.core.flows.events import NodeVisited
from madoguchi.core.flows.model import CollectNode, MenuNode, VerifyNode
from madoguchi.core.model import Channel, Contact, Direction
from madoguchi.samples import load_sample_center
from madoguchi.samples.flows import load_sample_flow

SEED = 20261124
TARGET_PER_S = 200_000
_ORDER = json.dumps({"status_text": "発送済み", "delivery_date": "2026-11-26"})
_STORE = json.dumps({"store": {"name": "渋谷店", "address": "神宮前1-1-1", "hours": "10-20"}})


class _Caller:
    """A random caller who mostly picks an option read out, sometimes errs or stays silent.

    All draws are made up front (outside the timed loop): per step a roll in [0, 1) and a
    random index; the prepared inputs are shared, immutable objects.
    """

    def __init__(self, rng: random.Random, steps: int) -> None:
        self.rolls = [rng.random() for _ in range(steps)]
        self.picks = [rng.randrange(1 << 16) for _ in range(steps)]


_WRONG = tuple(i.Digits(k) for k in ("7", "#", "*", "99"))
_VALUES = {
    "order_no": (i.Digits("12345678"), i.Digits("1234")),
    "postal_code": (i.Digits("1500001"), i.Digits("15")),
}
_BIRTH = (i.Digits("19721103"), i.Digits("19990101"))


def _option_inputs(flow: Flow) -> dict[str, tuple[i.FlowInput, ...]]:
    """The keys of each menu (and 1/2 for callback and yes/no nodes), as prepared inputs."""
    keys: dict[str, tuple[i.FlowInput, ...]] = {}
    for node in flow.nodes.values():
        if isinstance(node, MenuNode):
            keys[node.id] = tuple(i.Digits(o.key) for o in node.options)
        elif isinstance(node, CollectNode):
            keys[node.id] = _VALUES.get(node.into, (i.Digits("1"),))
        elif isinstance(node, VerifyNode):
            keys[node.id] = _BIRTH
        else:
            keys[node.id] = tuple(i.Digits(k) for k in ("1", "2", "3", "4", "5", "0312345678"))
    return keys


def _walk(
    session: FlowSession,
    contact: Contact,
    now: float,
    caller: _Caller,
    keys: dict[str, tuple[i.FlowInput, ...]],
) -> int:
    commands = session.start(contact, now)
    rolls, picks = caller.rolls, caller.picks
    for step in range(len(rolls)):
        if session.phase is not FlowPhase.RUNNING:
            break
        last = commands[-1] if commands else None
        roll, pick = rolls[step], picks[step]
        now += 2.0
        kind = type(last)
        if kind is c.Gather:
            node = session.node
            if roll < 0.85 and node is not None:
                options = keys[node.id]
                commands = session.receive(options[pick % len(options)], now)
            elif roll < 0.95:
                commands = session.receive(_WRONG[pick % len(_WRONG)], now)
            else:
                due = session.next_timer()
                commands = session.handle_timer(due) if due is not None else []
        elif kind is c.LookupCustomer:
            request = last.request_id  # type: ignore[union-attr]
            found = roll < 0.5
            tier = "vip" if pick % 10 < 3 else "regular"
            fields = {"name": "山田", "tier": tier, "birth_date": "1972-11-03"}
            commands = session.receive(
                i.CustomerLookupResult(request, "C1" if found else None, fields), now
            )
        elif kind is c.HttpRequest:
            request = last.request_id  # type: ignore[union-attr]
            body = _ORDER if "orders" in last.url else _STORE  # type: ignore[union-attr]
            answer: i.FlowInput = (
                i.HttpResponse(request, 200, body)
                if roll < 0.7
                else i.HttpResponse(request, 200, "<html>")
                if roll < 0.85
                else i.HttpFailed(request, "timeout")
            )
            commands = session.receive(answer, now)
        else:
            due = session.next_timer()
            commands = session.handle_timer(due) if due is not None else []
    if session.phase is FlowPhase.QUEUED:
        session.receive(i.AgentConnected("op01"), now)
    visits = 0
    for item in session.take_events():
        if type(item) is NodeVisited:
            visits += 1
    return visits


def run(quick: bool, console: Console) -> dict[str, Any]:
    """Walk random callers through the main-number flow; print and return transitions/s."""
    center = load_sample_center()
    flow = load_sample_flow("main-number")
    env = StaticFlowEnvironment.for_center(center)
    env.waits.update({"general": 240.0, "orders": 60.0})
    rng = random.Random(SEED)
    sessions = 3_000 if quick else 30_000
    callers = [_Caller(rng, 40) for _ in range(sessions)]
    keys = _option_inputs(flow)
    start = epoch(datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Asia/Tokyo")))
    contacts = [
        Contact(
            f"b{n}", Channel.VOICE, Direction.INBOUND, "midori", start, from_address="0312345678"
        )
        for n in range(sessions)
    ]
    # warm the caches (calendar holidays, templates) outside the timed loop
    _walk(FlowSession(flow, env), contacts[0], start, callers[0], keys)
    rounds: list[tuple[int, float, float]] = []
    load_before = os.getloadavg()[0]
    gc.collect()
    gc.freeze()
    try:
        for _ in range(3 if quick else 5):
            transitions = 0
            began, began_cpu = time.perf_counter(), time.process_time()
            for n in range(sessions):
                transitions += _walk(FlowSession(flow, env), contacts[n], start, callers[n], keys)
            wall, cpu = time.perf_counter() - began, time.process_time() - began_cpu
            rounds.append((transitions, wall, cpu))
    finally:
        gc.unfreeze()
    load_after = os.getloadavg()[0]
    rates = sorted(count / wall for count, wall, _ in rounds)
    cpu_rates = sorted(count / cpu for count, _, cpu in rounds if cpu > 0)
    per_s = rates[-1]
    median = rates[len(rates) // 2]
    per_cpu_s = cpu_rates[-1] if cpu_rates else per_s
    transitions = rounds[0][0]
    table = Table(title="Flow interpreter: sample main-number flow, random callers")
    columns = ("sessions", "transitions/round", "rounds", "best /s", "median /s", "per CPU s")
    for column in columns:
        table.add_column(column, justify="right")
    table.add_row(
        f"{sessions:,}",
        f"{transitions:,}",
        str(len(rounds)),
        f"{per_s:,.0f}",
        f"{median:,.0f}",
        f"{per_cpu_s:,.0f}",
    )
    console.print(table)
    verdict = "meets" if per_s >= TARGET_PER_S else "misses"
    cpu_verdict = "meets" if per_cpu_s >= TARGET_PER_S else "misses"
    console.print(
        f"best round {verdict} the target of {TARGET_PER_S:,} transitions/s (wall clock); "
        f"per CPU second it {cpu_verdict} it — load average {load_before:.2f} before, "
        f"{load_after:.2f} after, on {os.cpu_count()} CPUs"
    )
    return {
        "flow": flow.id,
        "sessions": sessions,
        "transitions_per_round": transitions,
        "rounds_s": [round(wall, 3) for _, wall, _ in rounds],
        "rounds_cpu_s": [round(cpu, 3) for _, _, cpu in rounds],
        "transitions_per_s": round(per_s),
        "median_transitions_per_s": round(median),
        "transitions_per_cpu_s": round(per_cpu_s),
        "target_per_s": TARGET_PER_S,
        "seed": SEED,
        "load_average_before": round(load_before, 2),
        "load_average_after": round(load_after, 2),
    }
