"""A simulated agentless day: automated reminder calls with keypad confirmation, no agents.

The real :class:`~madoguchi.core.dialer.Dialer` places dials on a number of lines (one dial
per free line: progressive pacing with lines for agents); callees answer as in
:mod:`madoguchi.sim.outbound_day`; each answered call runs the real
:class:`~madoguchi.core.dialer.agentless.AgentlessCall` state machine, whose prompts take the
time their text takes to say (``chars_per_s``), and a simulated callee who confirms, asks for a
change, presses a wrong key, stays silent or hangs up. Results go back to the dialer:
``confirmed`` closes the record, ``change_requested`` becomes a callback for an agent, anything
else is retried later (answering machines get the message left and the usual machine retry).
"""

from __future__ import annotations

import heapq
import itertools
import random
from collections import Counter
from dataclasses import dataclass, field, replace

from madoguchi.core.dialer import (
    Campaign,
    CampaignStatus,
    CampaignType,
    Dialer,
    DialingMode,
    DialOutcome,
    DoNotCallRegistry,
    ListRecord,
    PacingState,
    ProgressivePacer,
)
from madoguchi.core.dialer.agentless import (
    RESULT_DISPOSITION,
    AgentlessAction,
    AgentlessCall,
    AgentlessScript,
    AgentlessState,
    GatherDigits,
    HangUp,
    PlayPrompt,
)
from madoguchi.core.dialer.events import DialPlaced
from madoguchi.core.events import Event
from madoguchi.sim.outbound_day import OutboundModel, draw_dial

#: A reminder as a dental clinic would send it.
REMINDER_SCRIPT = AgentlessScript(
    message="みどり歯科です。明日午前10時のご予約のお知らせです。",
    question="ご予約を確認される方は1を、日時の変更をご希望の方は2を、もう一度お聞きになる方は9を"
    "押してください。",
)

AGENTLESS = "agentless"
"""The agent id recorded on the dispositions of automated calls."""


@dataclass(frozen=True, slots=True)
class AgentlessModel:
    """Lines, callees and how they respond."""

    lines: int = 30
    hours: float = 4.0
    callees: OutboundModel = field(default_factory=OutboundModel)
    """Answer behaviour (answer rate, machines, ring times) and the day's start."""
    confirm: float = 0.65
    change: float = 0.10
    wrong_key: float = 0.05
    hang_up: float = 0.08
    """Shares of people who answer: press 1, press 2, press another key, hang up during the
    message; the rest stay silent."""
    chars_per_s: float = 6.0
    """Speaking rate of the prompts (5–6 characters a second)."""
    key_delay_s: float = 2.5
    callback_after_s: float = 2 * 3600.0


@dataclass(slots=True)
class AgentlessDayResult:
    """What one day did."""

    dials: int = 0
    answered: int = 0
    results: Counter[str] = field(default_factory=Counter)
    events: list[Event] = field(default_factory=list)


class _Line:
    __slots__ = ("behaviour", "call", "machine", "step")

    def __init__(self, call: AgentlessCall, behaviour: str, machine: bool) -> None:
        self.call = call
        self.behaviour = behaviour
        self.machine = machine
        self.step = 0


def simulate_agentless_day(
    model: AgentlessModel,
    seed: int,
    *,
    script: AgentlessScript = REMINDER_SCRIPT,
    campaign: Campaign | None = None,
    records: list[ListRecord] | None = None,
    dnc: DoNotCallRegistry | None = None,
) -> AgentlessDayResult:
    """Run one agentless day (reproducible for a seed)."""
    rng = random.Random(seed)
    callees = model.callees
    t0 = callees.start.timestamp()
    end = t0 + model.hours * 3600.0
    campaign = campaign or Campaign(
        id="reminder", tenant="default", name="予約リマインド", type=CampaignType.REMINDER,
        mode=DialingMode.AGENTLESS, max_attempts=3,
    )  # fmt: skip
    if records is None:
        records = [
            ListRecord(id=f"r{i}", number=f"+8190{20_000_000 + i:08d}")
            for i in range(int(model.lines * model.hours * 3600 / 40))
        ]
    running = replace(campaign, status=CampaignStatus.RUNNING)
    dialer = Dialer(running, ProgressivePacer(), dnc, records)
    result = AgentlessDayResult()
    heap: list[tuple[float, int, str, tuple[object, ...]]] = []
    seq = itertools.count()
    ringing: dict[str, float] = {}
    lines: dict[str, _Line] = {}

    def schedule(at: float, kind: str, *payload: object) -> None:
        heapq.heappush(heap, (at, next(seq), kind, payload))

    def log(events: Event | list[Event]) -> None:
        result.events.extend(events if isinstance(events, list) else [events])

    def place(now: float) -> None:
        if now >= end:
            return
        free = model.lines - len(lines)
        state = PacingState(now, free, [], [now - s for s in ringing.values()])
        placed = dialer.place_dials(now, state)
        log(placed)
        for item in placed:
            if isinstance(item, DialPlaced):
                result.dials += 1
                ringing[item.dial_id] = now
                ring, outcome = draw_dial(rng, callees)
                schedule(now + ring, "result", item.dial_id, item.record_id, outcome)

    def carry_out(dial_id: str, actions: list[AgentlessAction], now: float) -> None:
        line = lines[dial_id]
        if not actions:
            return
        line.step += 1
        step = line.step
        prompt_s = 0.0
        for action in actions:
            if isinstance(action, PlayPrompt):
                prompt_s = len(action.text) / model.chars_per_s
                schedule(now + prompt_s, "prompt_done", dial_id, step)
                if (
                    line.behaviour == "hang_up"
                    and line.call.state is AgentlessState.PLAYING_MESSAGE
                ):
                    schedule(now + rng.uniform(1.0, 0.9 * prompt_s), "hung_up", dial_id, step)
            elif isinstance(action, GatherDigits):
                key = {"confirm": "1", "change": "2", "wrong_key": "7"}.get(line.behaviour)
                if key is not None:
                    schedule(now + prompt_s + model.key_delay_s, "digits", dial_id, step, key)
                schedule(now + prompt_s + action.timeout_s, "timeout", dial_id, step)
            elif isinstance(action, HangUp):
                finish(dial_id, now)

    def finish(dial_id: str, now: float) -> None:
        line = lines.pop(dial_id)
        call = line.call
        log(list(call.events))
        outcome = call.result or "hung_up"
        result.results[outcome] += 1
        code = RESULT_DISPOSITION.get(outcome)
        if code == "callback":
            log(dialer.disposition(call.record_id, AGENTLESS, code, now,
                                   callback_at=now + model.callback_after_s))  # fmt: skip
        elif code is not None:
            log(dialer.disposition(call.record_id, AGENTLESS, code, now))
        elif not line.machine:  # a machine's retry is already scheduled by the dial result
            log(dialer.retry_later(call.record_id, now))

    def answered(dial_id: str, record_id: str, machine: bool, now: float) -> None:
        call = AgentlessCall(script, campaign.id, record_id, dial_id)
        draw = rng.random()
        behaviour = "silent"
        shares = (
            ("confirm", model.confirm),
            ("change", model.change),
            ("wrong_key", model.wrong_key),
            ("hang_up", model.hang_up),
        )
        for name, share in shares:
            if draw < share:
                behaviour = name
                break
            draw -= share
        lines[dial_id] = _Line(call, behaviour, machine)
        carry_out(dial_id, call.answered(now, machine=machine), now)

    place(t0)
    while heap:
        now, _, kind, payload = heapq.heappop(heap)
        if kind == "result":
            dial_id, record_id, outcome = payload
            assert isinstance(dial_id, str)
            assert isinstance(record_id, str)
            assert isinstance(outcome, DialOutcome)
            del ringing[dial_id]
            log(dialer.dial_result(dial_id, outcome, now))
            if outcome in (DialOutcome.ANSWERED, DialOutcome.MACHINE):
                result.answered += outcome is DialOutcome.ANSWERED
                answered(dial_id, record_id, outcome is DialOutcome.MACHINE, now)
        else:
            dial_id, step = str(payload[0]), payload[1]
            line = lines.get(dial_id)
            if line is None or line.step != step:
                continue  # the call moved on (or ended) since this was scheduled
            call = line.call
            if kind == "prompt_done":
                carry_out(dial_id, call.prompt_done(now), now)
            elif kind == "digits":
                carry_out(dial_id, call.digits(str(payload[2]), now), now)
            elif kind == "timeout":
                carry_out(dial_id, call.gather_timed_out(now), now)
            else:
                call.hung_up(now)
                finish(dial_id, now)
        place(now)
    return result
