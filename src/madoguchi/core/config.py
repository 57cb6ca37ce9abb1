"""The center's configuration as plain frozen records.

One YAML file describes a center (see ``madoguchi/samples/center.yaml`` and
:mod:`madoguchi.core.config_loader`, which turns that text into these records and reports each
problem as ``FILE:LINE: message``). Everything here is immutable: a configuration change builds a
new :class:`CenterConfig`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from zoneinfo import ZoneInfo

from madoguchi.core.model import Channel, SelectionPolicy, SkillRequirement, WorkMode

DEFAULT_TIMEZONE = "Asia/Tokyo"


@dataclass(frozen=True, slots=True)
class LocalizedText:
    """A text in Japanese and English (the UI's two languages)."""

    ja: str
    en: str = ""

    def get(self, language: str) -> str:
        """The text in ``language``, falling back to the other one."""
        if language == "en":
            return self.en or self.ja
        return self.ja or self.en


@dataclass(frozen=True, slots=True)
class TimeRange:
    """Opening time within one day, in minutes after local midnight; ``end`` may be 1440."""

    start: int
    end: int

    def contains(self, minute: int) -> bool:
        """Whether ``minute`` (after local midnight) falls in the range; ``end`` is exclusive."""
        return self.start <= minute < self.end


@dataclass(frozen=True, slots=True)
class Closure:
    """Days closed whatever the weekly hours say (年末年始, 臨時休業…), inclusive."""

    first: date
    last: date
    name: str = ""


@dataclass(frozen=True, slots=True)
class AnnualClosure:
    """Days closed every year (年末年始 12/29–1/3, お盆…), as (month, day) pairs, inclusive.

    ``first`` after ``last`` wraps over the new year.
    """

    first: tuple[int, int]
    last: tuple[int, int]
    name: str = ""

    def covers(self, day: date) -> bool:
        """Whether ``day`` falls in this closure."""
        key = (day.month, day.day)
        if self.first <= self.last:
            return self.first <= key <= self.last
        return key >= self.first or key <= self.last

    def in_year_of(self, day: date) -> Closure:
        """The dated closure covering ``day`` (call only when :meth:`covers` is true)."""
        start_year = day.year
        if self.first > self.last and (day.month, day.day) <= self.last:
            start_year -= 1
        end_year = start_year + (1 if self.first > self.last else 0)
        return Closure(
            _month_day(start_year, self.first), _month_day(end_year, self.last), self.name
        )


def _month_day(year: int, month_day: tuple[int, int]) -> date:
    month, day = month_day
    if (month, day) == (2, 29) and not (year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)):
        day = 28
    return date(year, month, day)


@dataclass(frozen=True, slots=True)
class HoursCalendar:
    """Business hours: a weekly pattern, Japanese national holidays, closures, special days."""

    id: str
    timezone: str = DEFAULT_TIMEZONE
    weekly: tuple[tuple[TimeRange, ...], ...] = ((),) * 7
    """Index 0 is Monday (``date.weekday()``)."""
    national_holidays: bool = True
    """Closed on the country's national holidays (祝日) unless ``holiday_hours`` opens them."""
    holiday_country: str = "JP"
    holiday_hours: tuple[TimeRange, ...] = ()
    closures: tuple[Closure, ...] = ()
    special_days: tuple[tuple[date, tuple[TimeRange, ...]], ...] = ()
    """Dates with their own hours (an open Saturday, a short day); they win over closures."""
    annual_closures: tuple[AnnualClosure, ...] = ()
    """Closures that come back every year (年末年始)."""
    name: LocalizedText | None = None

    def hours_on(self, day: date) -> tuple[TimeRange, ...]:
        """Opening ranges on a local calendar day."""
        for special, ranges in self.special_days:
            if special == day:
                return ranges
        if self.closure_on(day) is not None:
            return ()
        if self.national_holidays and is_holiday(self.holiday_country, day):
            return self.holiday_hours
        return self.weekly[day.weekday()]

    def closure_on(self, day: date) -> Closure | None:
        """The named closure covering ``day``, if any."""
        for closure in self.closures:
            if closure.first <= day <= closure.last:
                return closure
        for annual in self.annual_closures:
            if annual.covers(day):
                return annual.in_year_of(day)
        return None

    def is_open(self, now: float) -> bool:
        """Whether the calendar is open at the instant ``now`` (epoch seconds)."""
        local = datetime.fromtimestamp(now, _zone(self.timezone))
        minute = local.hour * 60 + local.minute
        return any(r.contains(minute) for r in self.hours_on(local.date()))

    def next_change(self, now: float, horizon_days: int = 14) -> float | None:
        """The next instant after ``now`` at which :meth:`is_open` changes, or None."""
        zone = _zone(self.timezone)
        local = datetime.fromtimestamp(now, zone)
        state = self.is_open(now)
        for offset in range(horizon_days + 1):
            day = local.date() + timedelta(days=offset)
            edges = sorted({m for r in self.hours_on(day) for m in (r.start, r.end)} | {0})
            for minute in edges:
                instant = datetime(day.year, day.month, day.day, tzinfo=zone) + timedelta(
                    minutes=minute
                )
                at = instant.timestamp()
                if at > now and self.is_open(at) != state:
                    return at
        return None


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def is_holiday(country: str, day: date) -> bool:
    """Whether ``day`` is a national holiday in ``country`` (the ``holidays`` package).

    For Japan this includes 振替休日 (substitute holidays) and 国民の休日.
    """
    return day in _holiday_dates(country, day.year)


@lru_cache(maxsize=256)
def _holiday_dates(country: str, year: int) -> frozenset[date]:
    import holidays

    return frozenset(holidays.country_holidays(country, years=year))


def local_datetime(now: float, timezone: str = DEFAULT_TIMEZONE) -> datetime:
    """``now`` as an aware datetime in ``timezone``."""
    return datetime.fromtimestamp(now, _zone(timezone))


def epoch(moment: datetime) -> float:
    """An aware datetime as epoch seconds."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    return moment.astimezone(UTC).timestamp()


@dataclass(frozen=True, slots=True)
class ServiceLevelTarget:
    """``fraction`` of contacts answered within ``seconds`` (80/20 = 0.8 within 20 s)."""

    fraction: float = 0.8
    seconds: float = 20.0


class TreatmentKind(StrEnum):
    """What happens to a contact that overflows, finds the queue full or the center closed."""

    QUEUE = "queue"
    """Move to another queue (keeping its waiting time)."""
    CALLBACK = "callback"
    """Turn into a callback request that keeps its place in line."""
    VOICEMAIL = "voicemail"
    MESSAGE = "message"
    """Play/show a closing message and end."""
    DISCONNECT = "disconnect"


@dataclass(frozen=True, slots=True)
class Treatment:
    """An overflow, queue-full or closed-hours action."""

    kind: TreatmentKind
    target: str | None = None
    """The queue for ``QUEUE``."""
    message: LocalizedText | None = None


@dataclass(frozen=True, slots=True)
class QueueConfig:
    """A queue (キュー): where contacts wait for an agent with the right skills."""

    id: str
    tenant: str
    name: LocalizedText
    channels: frozenset[Channel] = frozenset({Channel.VOICE})
    skills: tuple[SkillRequirement, ...] = ()
    """Default skills a contact in this queue needs (a flow may add more)."""
    priority: int = 0
    """Base priority of contacts entering this queue (higher is served first)."""
    aging_per_minute: float = 1.0
    """Priority points a contact gains per minute of waiting."""
    service_level: ServiceLevelTarget = ServiceLevelTarget()
    max_wait_s: float | None = None
    overflow: Treatment | None = None
    """Applied when a contact has waited ``max_wait_s``."""
    max_size: int | None = None
    when_full: Treatment = Treatment(TreatmentKind.MESSAGE)
    hours: str | None = None
    """Calendar id; None means always open."""
    when_closed: Treatment = Treatment(TreatmentKind.MESSAGE)
    policy: SelectionPolicy = SelectionPolicy.LONGEST_IDLE
    offer_timeout_s: float = 20.0
    after_contact_work_s: float = 30.0
    """後処理 time an agent gets after each contact of this queue."""


@dataclass(frozen=True, slots=True)
class SkillConfig:
    """A skill (スキル) that agents hold with a proficiency 1–10."""

    id: str
    name: LocalizedText


@dataclass(frozen=True, slots=True)
class AgentConfig:
    """An agent (オペレーター) as configured."""

    id: str
    tenant: str
    name: str
    team: str | None = None
    skills: tuple[tuple[str, int], ...] = ()
    """(skill id, proficiency 1–10) pairs."""
    capacity: tuple[tuple[Channel, int], ...] = ((Channel.VOICE, 1),)
    """How many contacts of each channel at once; voice is always exclusive."""
    work_mode: WorkMode = WorkMode.INBOUND
    extension: str | None = None
    """SIP extension the agent's phone registers as."""
    languages: tuple[str, ...] = ("ja",)

    def proficiency(self, skill: str) -> int:
        """Proficiency in ``skill``, 0 when the agent lacks it."""
        for name, level in self.skills:
            if name == skill:
                return level
        return 0


@dataclass(frozen=True, slots=True)
class TeamConfig:
    """A team and its supervisor (SV), with its blending and rotation rules."""

    id: str
    tenant: str
    name: LocalizedText
    supervisor: str | None = None
    work_mode: WorkMode = WorkMode.INBOUND
    max_continuous_queue_s: float | None = None
    """Rotate an agent off a queue after this long on it (stressful work such as クレーム)."""


#: Disposition categories that reports and the dialer understand (``refused`` → do-not-call).
DISPOSITION_CATEGORIES: frozenset[str] = frozenset(
    {
        "resolved",
        "follow_up",
        "order",
        "sale",
        "appointment",
        "info_sent",
        "complaint",
        "escalated",
        "refused",
        "no_contact",
        "other",
    }
)


@dataclass(frozen=True, slots=True)
class CodeConfig:
    """A disposition (wrap-up) code or a not-ready reason code."""

    code: str
    name: LocalizedText
    tenant: str | None = None
    """None: shared by all tenants."""
    category: str = ""
    """For dispositions: resolved, follow_up, sale, appointment, refused…"""


@dataclass(frozen=True, slots=True)
class TrunkConfig:
    """A tenant's SIP trunk for outbound calls (campaigns): where INVITEs go and as whom."""

    uri: str
    """Request-URI template: ``sip:{number}@carrier.example:5060``; ``{number}`` is the callee's
    E.164 number without the ``+``."""
    username: str | None = None
    """Digest user name for the carrier's 401/407 challenge."""
    password: str | None = None
    """Digest password written in the file (demos); prefer ``password_env``."""
    password_env: str | None = None
    """Name of the environment variable holding the password (read by the server at start)."""
    caller_id: str | None = None
    """The number shown to callees (From user part); the tenant's first number when absent."""


@dataclass(frozen=True, slots=True)
class TenantConfig:
    """A client company the center serves (one, or many for an outsourcer / BPO)."""

    id: str
    name: LocalizedText
    timezone: str = DEFAULT_TIMEZONE
    numbers: tuple[str, ...] = ()
    """Dialled numbers (DNIS) that belong to this tenant."""
    main_flow: str | None = None
    trunk: TrunkConfig | None = None
    """Outbound SIP trunk; None: the tenant places no calls over SIP."""


@dataclass(frozen=True, slots=True)
class MetricsConfig:
    """How real-time metrics are computed."""

    short_abandon_s: float = 5.0
    intervals_min: tuple[int, ...] = (15, 30, 60)


@dataclass(frozen=True, slots=True)
class CenterConfig:
    """A whole contact center."""

    name: LocalizedText
    timezone: str = DEFAULT_TIMEZONE
    tenants: tuple[TenantConfig, ...] = ()
    calendars: tuple[HoursCalendar, ...] = ()
    skills: tuple[SkillConfig, ...] = ()
    queues: tuple[QueueConfig, ...] = ()
    teams: tuple[TeamConfig, ...] = ()
    agents: tuple[AgentConfig, ...] = ()
    dispositions: tuple[CodeConfig, ...] = ()
    not_ready_reasons: tuple[CodeConfig, ...] = ()
    metrics: MetricsConfig = MetricsConfig()
    unmapped_numbers_to_main_flow: bool = False
    """Sample/demo convenience: calls to an unknown number go to the first tenant's main flow."""
    _index: dict[str, dict[str, object]] = field(default_factory=dict, compare=False, repr=False)

    def queue(self, queue_id: str) -> QueueConfig:
        """The queue with this id (KeyError when unknown)."""
        return self._lookup("queues", queue_id)  # type: ignore[return-value]

    def agent(self, agent_id: str) -> AgentConfig:
        """The agent with this id (KeyError when unknown)."""
        return self._lookup("agents", agent_id)  # type: ignore[return-value]

    def calendar(self, calendar_id: str) -> HoursCalendar:
        """The calendar with this id (KeyError when unknown)."""
        return self._lookup("calendars", calendar_id)  # type: ignore[return-value]

    def team(self, team_id: str) -> TeamConfig:
        """The team with this id (KeyError when unknown)."""
        return self._lookup("teams", team_id)  # type: ignore[return-value]

    def _lookup(self, kind: str, key: str) -> object:
        table = self._index.get(kind)
        if table is None:
            items: tuple[object, ...] = getattr(self, kind)
            table = {item.id: item for item in items}  # type: ignore[attr-defined]
            self._index[kind] = table
        return table[key]

    def queue_is_open(self, queue_id: str, now: float) -> bool:
        """Whether the queue's calendar is open at ``now``."""
        hours = self.queue(queue_id).hours
        return hours is None or self.calendar(hours).is_open(now)
