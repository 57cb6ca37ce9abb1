"""Outbound campaigns (アウトバウンド・キャンペーン): what to call, when, how often, and how.

A :class:`Campaign` is configuration; the live state of its list lives in
:class:`madoguchi.core.dialer.dialer.Dialer`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from madoguchi.core.config import DEFAULT_TIMEZONE, TimeRange


class CampaignType(StrEnum):
    """What the campaign is for."""

    SALES = "sales"
    APPOINTMENT = "appointment"
    SURVEY = "survey"
    REMINDER = "reminder"
    COLLECTION = "collection"
    """Payment reminders (代金の支払督促)."""
    NOTICE = "notice"


class DialingMode(StrEnum):
    """How the dialer paces calls."""

    PREVIEW = "preview"
    """The agent sees the record first, then dials or skips."""
    PROGRESSIVE = "progressive"
    PREDICTIVE = "predictive"
    AGENTLESS = "agentless"
    """An automated message with keypad confirmation; no agent."""


class CampaignStatus(StrEnum):
    """Whether the campaign dials."""

    DRAFT = "draft"
    RUNNING = "running"
    PAUSED = "paused"
    STOPPED = "stopped"


class DialOutcome(StrEnum):
    """How a dial ended, classified from signalling (SIP responses) and detection."""

    ANSWERED = "answered"
    """A person answered."""
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    MACHINE = "machine"
    """An answering machine or voicemail answered."""
    REJECTED = "rejected"
    INVALID_NUMBER = "invalid_number"
    FAILED = "failed"
    """Trunk or network failure: not the callee's doing."""


#: Outcomes after which the record is not dialled again.
FINAL_OUTCOMES: frozenset[DialOutcome] = frozenset({DialOutcome.INVALID_NUMBER})


def _default_window() -> tuple[tuple[TimeRange, ...], ...]:
    weekday = (TimeRange(9 * 60, 20 * 60),)
    return (weekday,) * 5 + ((), ())


def _default_retry() -> tuple[tuple[DialOutcome, float], ...]:
    return (
        (DialOutcome.NO_ANSWER, 2 * 3600.0),
        (DialOutcome.BUSY, 15 * 60.0),
        (DialOutcome.MACHINE, 4 * 3600.0),
        (DialOutcome.REJECTED, 24 * 3600.0),
        (DialOutcome.FAILED, 10 * 60.0),
    )


@dataclass(frozen=True, slots=True)
class Campaign:
    """One outbound campaign."""

    id: str
    tenant: str
    name: str
    type: CampaignType = CampaignType.SALES
    mode: DialingMode = DialingMode.PREDICTIVE
    queue: str | None = None
    """The queue whose agents work the campaign (their skills, script, dispositions)."""
    script: str | None = None
    dispositions: tuple[str, ...] = ()
    calling_window: tuple[tuple[TimeRange, ...], ...] = field(default_factory=_default_window)
    """Per weekday (Monday first), in the callee's time zone. Default weekdays 9:00–20:00."""
    preferred_window: tuple[TimeRange, ...] = ()
    """Best-reach hours (10:00–11:30) where records not yet tried are dialled first."""
    timezone: str = DEFAULT_TIMEZONE
    national_holidays_closed: bool = True
    max_attempts: int = 5
    retry_delay_s: tuple[tuple[DialOutcome, float], ...] = field(default_factory=_default_retry)
    priority: int = 0
    daily_cap: int | None = None
    """Most dials a day (in the campaign's time zone); None for no cap."""
    daily_connect_cap: int | None = None
    """Most callees connected to an agent a day; None for no cap."""
    target_abandon: float = 0.03
    connect_rule_s: float = 2.0
    """An answered callee must reach an agent within this, or hears the recorded message."""
    ring_timeout_s: float = 30.0
    callback_grace_s: float = 600.0
    """A callback promised to a named agent waits this long past its time for that agent,
    then whoever works the campaign may take it."""
    status: CampaignStatus = CampaignStatus.DRAFT

    def retry_delay(self, outcome: DialOutcome) -> float | None:
        """Seconds before the next attempt after ``outcome``; None means do not retry."""
        if outcome in FINAL_OUTCOMES:
            return None
        for kind, delay in self.retry_delay_s:
            if kind == outcome:
                return delay
        return None
