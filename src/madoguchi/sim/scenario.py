"""A simulated day: who calls, when, about what, how long they wait, and who answers.

A :class:`Scenario` is plain frozen data. It is read from YAML by
:mod:`madoguchi.sim.scenario_loader`, which checks it against the center configuration it
references (queues, skills, agents) and reports problems as ``FILE:LINE: message``.
Times of day are minutes after local midnight in the center's time zone.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from madoguchi.core.flows.model import Flow
from madoguchi.core.model import Channel, SkillRequirement
from madoguchi.sim.distributions import DEFAULT_PATIENCE, Distribution, Fixed, Lognormal
from madoguchi.sim.profile import DEFAULT_PROFILE, DEFAULT_WEEKDAY_FACTORS, IntradayProfile

#: Handle time when a scenario gives none: lognormal, mean 210 s, CV 1.
DEFAULT_HANDLE_TIME: Distribution = Lognormal(mean=210.0, cv=1.0)
DEFAULT_REDIAL_DELAY: Distribution = Fixed(300.0)
DEFAULT_NOT_READY_DURATION: Distribution = Fixed(120.0)
DEFAULT_RING_DELAY: Distribution = Fixed(3.0)


@dataclass(frozen=True, slots=True)
class ContactKind:
    """One kind of contact in the day's mix: its queue, share of volume and behaviour."""

    queue: str
    share: float
    channel: Channel = Channel.VOICE
    skills: tuple[SkillRequirement, ...] = ()
    """Skills beyond the queue's defaults; empty means the queue's own."""
    priority: int | None = None
    handle_time: Distribution = DEFAULT_HANDLE_TIME
    after_contact_work: Distribution | None = None
    """None: the queue's configured after-contact work time (the engine's timer)."""
    patience: Distribution | None = DEFAULT_PATIENCE
    """How long the caller waits before hanging up; None means never."""
    flow: str | None = None
    """A contact flow (IVR) file the contact runs first, by the real flow interpreter; its
    ``enqueue`` node picks the queue (``queue`` is then only the fallback for reports)."""
    flow_keys: tuple[str, ...] = ()
    """What the caller keys in at the flow's successive prompts (then stays silent)."""
    flow_answer_delay: Distribution = DEFAULT_RING_DELAY
    """Seconds from a prompt to the caller's keys."""
    accept_callback: float = 0.0
    """Probability that a waiting caller takes the queue-time offer of a callback (the flow's
    enqueue node configures when it is offered)."""
    accept_message: float = 0.0
    """Probability that a waiting caller takes the queue-time offer to leave a message (when a
    callback is offered too, the two are one draw: callback, message or neither)."""


@dataclass(frozen=True, slots=True)
class Redial:
    """Callers who abandoned call again: with ``probability``, after ``delay``."""

    probability: float
    delay: Distribution = DEFAULT_REDIAL_DELAY
    max_attempts: int = 3
    """Counting the first call."""


@dataclass(frozen=True, slots=True)
class Break:
    """A break (休憩) of ``minutes``; each agent's start is spread evenly over ``spread_min``."""

    start: int
    minutes: float
    spread_min: int = 0


@dataclass(frozen=True, slots=True)
class NotReadyPattern:
    """Random not-ready spells (離席): ``per_hour`` on average, each lasting ``duration``."""

    per_hour: float
    duration: Distribution = DEFAULT_NOT_READY_DURATION
    reason: str = "personal"


@dataclass(frozen=True, slots=True)
class AgentPool:
    """A group of agents with the same skills and shift.

    Either ``agent_ids`` names agents of the center configuration, or ``count`` agents are
    generated (ids ``sim-{name}-0001``…).
    """

    name: str
    count: int
    shift_start: int
    shift_end: int
    skills: tuple[tuple[str, int], ...] = ()
    agent_ids: tuple[str, ...] = ()
    prefix: str | None = None
    """Generated ids are ``{prefix}{n:04d}``; default ``sim-{name}-``."""
    tenant: str | None = None
    breaks: tuple[Break, ...] = ()
    not_ready: NotReadyPattern | None = None
    ring_delay: Distribution = DEFAULT_RING_DELAY
    """Seconds from an offer to the agent's answer."""
    capacity: tuple[tuple[Channel, int], ...] = ((Channel.VOICE, 1),)
    """Contacts of each channel a generated agent handles at once (chat agents take several)."""


@dataclass(frozen=True, slots=True)
class Scenario:
    """A simulated day in a center."""

    name: str
    day: date
    open_min: int
    close_min: int
    volume: float
    """Expected contacts on a day whose weekday factor is 1."""
    mix: tuple[ContactKind, ...]
    pools: tuple[AgentPool, ...]
    center: str = "sample"
    """``sample`` or a path (relative to the scenario file) of a center YAML."""
    seed: int = 1
    interval_min: int = 15
    profile: IntradayProfile = DEFAULT_PROFILE
    weekday_factors: tuple[float, ...] = DEFAULT_WEEKDAY_FACTORS
    redial: Redial | None = None
    drain_min: int = 60
    """Minutes after closing the simulation keeps running so waiting contacts finish."""
    source: str = "<scenario>"
    flows: tuple[tuple[str, Flow], ...] = ()
    """The mix's flow files, parsed (filled in by ``load_scenario_file``)."""
    staffing_plan: tuple[int, ...] | None = field(default=None)
    """Agents logged in per interval (overrides pool shifts); see :mod:`madoguchi.sim.staffing`."""
    staffing_interval_min: int | None = None
    """Length of a staffing-plan interval; None: the report interval."""

    @property
    def expected_volume(self) -> float:
        """The day's expected contacts after the weekday effect."""
        return self.volume * self.weekday_factors[self.day.weekday()]

    def start_epoch(self, timezone: str) -> float:
        """Epoch seconds of the opening instant in ``timezone``."""
        return self.epoch_at(self.open_min, timezone)

    def epoch_at(self, minute: float, timezone: str) -> float:
        """Epoch seconds of ``minute`` after local midnight of the simulated day."""
        midnight = datetime(self.day.year, self.day.month, self.day.day, tzinfo=ZoneInfo(timezone))
        return (midnight + timedelta(minutes=minute)).timestamp()

    @property
    def intervals(self) -> int:
        """Number of report intervals between opening and closing."""
        span = self.close_min - self.open_min
        return -(-span // self.interval_min)

    def with_volume_factor(self, factor: float) -> Scenario:
        """The same day with ``factor`` times the volume (``--volume``)."""
        return replace(self, volume=self.volume * factor)

    def with_agents(self, total: int) -> Scenario:
        """The day with ``total`` agents (``--agents``).

        Pools of the center's named agents stay as they are; the rest is shared over the pools
        of generated agents in proportion to their sizes. When every pool is named, they all
        become generated pools (with each pool's recorded skills).
        """
        generated = [i for i, p in enumerate(self.pools) if not p.agent_ids]
        named = sum(p.count for p in self.pools if p.agent_ids)
        if not generated:
            generated, named = list(range(len(self.pools))), 0
        budget = max(total - named, 0)
        current = sum(self.pools[i].count for i in generated) or 1
        pools = list(self.pools)
        remaining = budget
        for position, index in enumerate(generated):
            pool = pools[index]
            last = position == len(generated) - 1
            count = remaining if last else min(round(budget * pool.count / current), remaining)
            remaining -= count
            pools[index] = replace(pool, count=count, agent_ids=())
        return replace(self, pools=tuple(pools))
