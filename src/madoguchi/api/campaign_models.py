"""Request and response bodies of the outbound API (campaigns, lists, do-not-call, preview)."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

from madoguchi.core.dialer import CampaignStatus, CampaignType, DialingMode, DialOutcome
from madoguchi.store.campaigns import CampaignRow, DncEntryRow
from madoguchi.store.crm import aware

_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-]{0,63}$")
_CODE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")

#: Dispositions every campaign knows (a campaign may add its own codes).
BUILTIN_DISPOSITIONS: tuple[str, ...] = (
    "sale",
    "appointment",
    "refused",
    "callback",
    "wrong_number",
    "no_contact",
    "third_party",
    "completed",
)


def _timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ValueError, KeyError, OSError) as err:
        raise ValueError("not an IANA time zone") from err
    return value


def _code(value: str) -> str:
    if not _CODE.match(value):
        raise ValueError("lower-case letters, digits and '_' (1–64)")
    return value


CampaignKey = Annotated[str, Field(min_length=1, max_length=64, pattern=_KEY.pattern)]
Code = Annotated[str, Field(min_length=1, max_length=64), AfterValidator(_code)]
TimeZoneName = Annotated[str, Field(min_length=1, max_length=64), AfterValidator(_timezone)]
ShortText = Annotated[str, Field(max_length=200)]
AgentId = Annotated[str, Field(min_length=1, max_length=64)]
ClockTime = Annotated[str, Field(pattern=r"^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$")]


class CampaignRules(BaseModel):
    """Attempts, priority, caps and time zone of a campaign."""

    model_config = ConfigDict(extra="forbid")

    max_attempts: int = Field(default=5, ge=1, le=50)
    priority: int = Field(default=0, ge=-100, le=100)
    daily_cap: int | None = Field(default=None, ge=1, le=1_000_000)
    """Most dials a day (local day in ``timezone``); further dials are refused (409)."""
    daily_connect_cap: int | None = Field(default=None, ge=1, le=1_000_000)
    """Most callees connected to an agent a day; then dialling stops for the day."""
    ring_timeout_s: float = Field(default=30.0, ge=5.0, le=120.0, allow_inf_nan=False)
    """Seconds an unanswered dial rings before it counts as no answer."""
    connect_rule_s: float = Field(default=2.0, ge=0.5, le=10.0, allow_inf_nan=False)
    """Seconds an answered callee may wait for an agent (then the recorded message)."""
    agents: Annotated[list[AgentId], Field(max_length=500)] = []
    """Agents who work a progressive or predictive campaign (empty: the tenant's agents who
    may dial and hold the queue's skills)."""
    recorded_message: Annotated[str | None, Field(max_length=500)] = None
    """What a callee answered with no agent free hears (business name, purpose, number)."""
    timezone: TimeZoneName = "Asia/Tokyo"
    target_abandon: float = Field(default=0.03, ge=0.0, le=0.5)
    window_start: ClockTime = "09:00"
    """Calling window, in the callee's time zone (default weekdays 9:00–20:00)."""
    window_end: ClockTime = "20:00"
    window_days: Annotated[list[Annotated[int, Field(ge=0, le=6)]], Field(max_length=7)] = Field(
        default_factory=lambda: [0, 1, 2, 3, 4]
    )
    """Weekdays with calling hours, Monday 0."""
    holidays_closed: bool = True
    """No calls on Japanese national holidays."""
    callback_grace_s: float = Field(default=600.0, ge=0.0, le=86_400.0, allow_inf_nan=False)
    """A callback promised to a named agent waits this long past its time for that agent
    (then anyone on the campaign takes it)."""
    lines: int = Field(default=2, ge=1, le=500)
    """Agentless campaigns: simultaneous lines (calls ringing or playing at once)."""
    message: Annotated[str | None, Field(min_length=1, max_length=1000)] = None
    """Agentless campaigns: what the callee hears first (business name and purpose first);
    absent: the campaign's ``script``."""
    question: Annotated[str | None, Field(min_length=1, max_length=500)] = None
    """Agentless campaigns: the keypad question (1 confirms, 2 asks for a change, 9 repeats)."""
    max_tries: int = Field(default=3, ge=1, le=5)
    """Agentless campaigns: times the question is asked before giving up (no input)."""
    gather_timeout_s: float = Field(default=8.0, ge=1.0, le=30.0, allow_inf_nan=False)
    """Agentless campaigns: seconds to wait for a key after the question."""
    detect_machine: bool = False
    """Agentless campaigns: listen to the callee's first words and leave the message on an
    answering machine (a long greeting) instead of asking a question (result
    ``message_left``); the message starts up to about 3 seconds later."""


class CampaignCreate(BaseModel):
    """A new campaign (created as a draft)."""

    model_config = ConfigDict(extra="forbid")

    key: CampaignKey
    name: Annotated[str, Field(min_length=1, max_length=200)]
    type: CampaignType = CampaignType.SALES
    mode: DialingMode = DialingMode.PREVIEW
    queue: Annotated[str | None, Field(max_length=64)] = None
    script: Annotated[str | None, Field(max_length=20_000)] = None
    dispositions: Annotated[list[Code], Field(max_length=50)] = []
    rules: CampaignRules = Field(default_factory=CampaignRules)


class CampaignUpdate(BaseModel):
    """Fields to change; absent fields are kept."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str | None, Field(min_length=1, max_length=200)] = None
    type: CampaignType | None = None
    mode: DialingMode | None = None
    queue: Annotated[str | None, Field(max_length=64)] = None
    script: Annotated[str | None, Field(max_length=20_000)] = None
    dispositions: Annotated[list[Code] | None, Field(max_length=50)] = None
    rules: CampaignRules | None = None


class CampaignOut(BaseModel):
    """A campaign as stored."""

    key: str
    name: str
    type: CampaignType
    mode: DialingMode
    queue: str | None
    script: str | None
    dispositions: list[str]
    rules: dict[str, Any]
    status: CampaignStatus
    records: int

    @classmethod
    def of(cls, row: CampaignRow, records: int) -> CampaignOut:
        """The body for a stored campaign."""
        return cls(
            key=row.key,
            name=row.name,
            type=CampaignType(row.type),
            mode=DialingMode(row.mode),
            queue=row.queue,
            script=row.script,
            dispositions=list(row.dispositions or []),
            rules=dict(row.rules or {}),
            status=CampaignStatus(row.status),
            records=records,
        )


class ListImportReport(BaseModel):
    """What a call-list import stored (the whole file, or nothing)."""

    added: int
    already_listed: int
    on_do_not_call: int
    """Imported numbers a do-not-call list forbids (they are never dialled)."""


class DncAdd(BaseModel):
    """A number to put on the tenant's (or one campaign's) do-not-call list."""

    model_config = ConfigDict(extra="forbid")

    number: Annotated[str, Field(min_length=1, max_length=40)]
    campaign: CampaignKey | None = None
    reason: ShortText = "request"


class DncEntryOut(BaseModel):
    """A do-not-call entry: which number, for what, who added it, when and why."""

    number: str
    campaign: str | None
    reason: str
    added_by: str | None
    added_at: datetime

    @classmethod
    def of(cls, row: DncEntryRow) -> DncEntryOut:
        """The body for a stored entry."""
        return cls(
            number=row.number,
            campaign=row.campaign_key,
            reason=row.reason,
            added_by=row.added_by,
            added_at=aware(row.added_at),
        )


class DncCheck(BaseModel):
    """Whether a number may be dialled for a campaign."""

    number: str
    allowed: bool
    entry: DncEntryOut | None


class DncImportReport(BaseModel):
    """Numbers added from a CSV (the whole file, or nothing)."""

    added: int
    already_listed: int


class RecordOut(BaseModel):
    """A list record as the agent sees it in preview mode."""

    key: str
    number: str
    name: str
    customer_id: int | None
    attributes: dict[str, Any]
    attempts: int
    last_outcome: str | None


class PreviewOut(BaseModel):
    """The next record for the agent, or none with the reason."""

    record: RecordOut | None
    callback_id: int | None = None
    """Set when the record is a callback due now."""
    reason: str | None = None
    """nothing_due, outside_window, not_running, paced_by_server (the server dials a
    progressive or predictive campaign itself)."""


class DialOut(BaseModel):
    """A preview dial: placed (the attempt to report on), or blocked with its reason."""

    attempt_id: int
    placed: bool
    number: str
    blocked_reason: str | None = None
    over_trunk: bool = False
    """True: the server places the call over the tenant's trunk from the agent's seat and
    stores the result on the attempt (read it with ``GET /attempts/{id}``); False: the agent
    reports the result."""


class AttemptOut(BaseModel):
    """A dial attempt as stored: how it ended ringing (None while ringing) and whether the
    callee reached the agent."""

    attempt_id: int
    campaign: str
    record: str | None
    number: str
    agent_id: str | None
    placed_at: datetime
    outcome: DialOutcome | None
    ring_s: float | None
    connected: bool
    disposition: str | None
    notes: str


class DialResult(BaseModel):
    """How the dial ended ringing (reported by telephony, or by the agent in preview)."""

    model_config = ConfigDict(extra="forbid")

    outcome: DialOutcome
    ring_s: float = Field(0.0, ge=0.0, le=3600.0, allow_inf_nan=False)


class Appointment(BaseModel):
    """An appointment set on the call (アポイント): date, time and the rep who goes."""

    model_config = ConfigDict(extra="forbid")

    date: date
    time: time
    rep: Annotated[str, Field(min_length=1, max_length=64)]


class CallbackRequest(BaseModel):
    """A callback: when, and to whom (None: anyone on the campaign)."""

    model_config = ConfigDict(extra="forbid")

    at: AwareDatetime
    agent_id: Annotated[str | None, Field(max_length=64)] = None


class DispositionIn(BaseModel):
    """The agent's result of an outbound conversation."""

    model_config = ConfigDict(extra="forbid")

    code: Code
    notes: Annotated[str, Field(max_length=4000)] = ""
    talk_s: float | None = Field(default=None, ge=0.0, le=86_400.0, allow_inf_nan=False)
    appointment: Appointment | None = None
    callback: CallbackRequest | None = None


class DispositionOut(BaseModel):
    """What the disposition did to the record."""

    attempt_id: int
    record_closed: str | None
    do_not_call_added: bool
    callback_id: int | None
    next_attempt_at: datetime | None


class CallbackOut(BaseModel):
    """A scheduled callback."""

    id: int
    campaign: str
    record: str
    due: datetime
    agent_id: str | None


class CtiCall(BaseModel):
    """One earlier call to the number."""

    at: datetime
    campaign: str
    agent_id: str | None
    outcome: str | None
    disposition: str | None
    notes: str


class CtiNote(BaseModel):
    """A CRM note about the customer."""

    at: datetime
    author: str
    text: str
    disposition: str | None


class CtiNext(BaseModel):
    """When the number is next to be called."""

    at: datetime
    kind: str
    """``callback`` or ``retry``."""
    campaign: str
    agent_id: str | None = None


class CtiPanel(BaseModel):
    """The outbound CTI panel: who this is, when we last called, who spoke, what was said, and
    when the next call is due."""

    number: str
    customer_id: int | None
    customer_name: str | None
    do_not_call: DncEntryOut | None
    last_call: CtiCall | None
    calls: list[CtiCall]
    notes: list[CtiNote]
    next_call: CtiNext | None
