"""Outbound reports, folded from the dialer's events (pure).

Per campaign and per local hour: attempts (dials placed), answered (by a person), connects
(answered callees bridged to an agent), right-party contacts (conversations the agent
dispositioned as with the intended person: everything but ``wrong_number``/``no_contact``/
``third_party``), abandonment rate (abandoned over answered), outcomes (dial results and
dispositions) and list penetration (records dialled at least once over the list's size).

Per agent: connects, talk time, outcomes, and the counts incentive pay is based on
(インセンティブ): appointments set and contracts won.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from madoguchi.core.config import DEFAULT_TIMEZONE, local_datetime
from madoguchi.core.dialer.campaign import DialOutcome
from madoguchi.core.dialer.events import (
    AgentlessResulted,
    DialBlocked,
    DialPlaced,
    DialResulted,
    OutboundAbandoned,
    OutboundCallEnded,
    OutboundConnected,
    OutboundDispositioned,
)
from madoguchi.core.events import Event

#: Dispositions that are not a conversation with the intended person.
NOT_RIGHT_PARTY: frozenset[str] = frozenset({"wrong_number", "no_contact", "third_party"})
#: Dispositions counted as contracts for incentives.
CONTRACT_CODES: frozenset[str] = frozenset({"sale", "contract"})
#: Dispositions counted as appointments for incentives.
APPOINTMENT_CODES: frozenset[str] = frozenset({"appointment"})


@dataclass(slots=True)
class PeriodFigures:
    """Counts over one hour (or the whole campaign)."""

    attempts: int = 0
    answered: int = 0
    connects: int = 0
    right_party: int = 0
    abandoned: int = 0
    blocked: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    """Dial outcomes (``no_answer``, ``busy``…), dispositions (``sale``…), ``blocked:REASON``,
    and agentless results (``agentless:confirmed``…)."""

    @property
    def abandon_rate(self) -> float:
        """Abandoned over answered by a person."""
        return self.abandoned / self.answered if self.answered else 0.0

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready figures."""
        return {
            "attempts": self.attempts,
            "answered": self.answered,
            "connects": self.connects,
            "right_party_contacts": self.right_party,
            "abandoned": self.abandoned,
            "abandon_rate": round(self.abandon_rate, 4),
            "blocked": self.blocked,
            "outcomes": dict(sorted(self.outcomes.items())),
        }


@dataclass(slots=True)
class AgentFigures:
    """One agent's outbound work."""

    agent_id: str
    connects: int = 0
    talk_s: float = 0.0
    outcomes: Counter[str] = field(default_factory=Counter)
    appointments: int = 0
    contracts: int = 0

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready figures."""
        return {
            "connects": self.connects,
            "talk_s": round(self.talk_s, 1),
            "outcomes": dict(sorted(self.outcomes.items())),
            "appointments": self.appointments,
            "contracts": self.contracts,
        }


@dataclass(slots=True)
class CampaignFigures:
    """One campaign: totals, hours and agents."""

    campaign: str
    list_size: int = 0
    total: PeriodFigures = field(default_factory=PeriodFigures)
    hours: dict[str, PeriodFigures] = field(default_factory=dict)
    """Keyed ``YYYY-MM-DD HH:00`` in the report's time zone."""
    agents: dict[str, AgentFigures] = field(default_factory=dict)
    attempted: set[str] = field(default_factory=set)

    @property
    def penetration(self) -> float:
        """Records dialled at least once over the list's size."""
        return len(self.attempted) / self.list_size if self.list_size else 0.0

    def agent(self, agent_id: str) -> AgentFigures:
        """The figures of ``agent_id`` (created on first use)."""
        found = self.agents.get(agent_id)
        if found is None:
            found = self.agents[agent_id] = AgentFigures(agent_id)
        return found

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready figures."""
        return {
            "campaign": self.campaign,
            "list_size": self.list_size,
            "records_attempted": len(self.attempted),
            "penetration": round(self.penetration, 4),
            "total": self.total.as_dict(),
            "hours": {hour: f.as_dict() for hour, f in sorted(self.hours.items())},
            "agents": {a: f.as_dict() for a, f in sorted(self.agents.items())},
        }


class OutboundReport:
    """Folds dialer events into :class:`CampaignFigures` per campaign."""

    def __init__(
        self, list_sizes: Mapping[str, int] | None = None, timezone: str = DEFAULT_TIMEZONE
    ) -> None:
        self.timezone = timezone
        self.campaigns: dict[str, CampaignFigures] = {}
        for campaign, size in (list_sizes or {}).items():
            self.campaign(campaign).list_size = size

    def campaign(self, campaign: str) -> CampaignFigures:
        """The figures of ``campaign`` (created on first use)."""
        found = self.campaigns.get(campaign)
        if found is None:
            found = self.campaigns[campaign] = CampaignFigures(campaign)
        return found

    def apply_all(self, events: Iterable[Event]) -> OutboundReport:
        """Fold every event; returns self."""
        for item in events:
            self.apply(item)
        return self

    def apply(self, event: Event) -> None:
        """Fold one event (events of other areas are ignored)."""
        if isinstance(event, DialPlaced):
            figures = self.campaign(event.campaign)
            figures.attempted.add(event.record_id)
            for period in self._periods(figures, event.at):
                period.attempts += 1
        elif isinstance(event, DialBlocked):
            for period in self._periods(self.campaign(event.campaign), event.at):
                period.blocked += 1
                period.outcomes[f"blocked:{event.reason}"] += 1
        elif isinstance(event, DialResulted):
            for period in self._periods(self.campaign(event.campaign), event.at):
                period.outcomes[event.outcome.value] += 1
                if event.outcome is DialOutcome.ANSWERED:
                    period.answered += 1
        elif isinstance(event, OutboundConnected):
            figures = self.campaign(event.campaign)
            figures.agent(event.agent_id).connects += 1
            for period in self._periods(figures, event.at):
                period.connects += 1
        elif isinstance(event, OutboundAbandoned):
            for period in self._periods(self.campaign(event.campaign), event.at):
                period.abandoned += 1
        elif isinstance(event, OutboundCallEnded):
            self.campaign(event.campaign).agent(event.agent_id).talk_s += event.talk_s
        elif isinstance(event, OutboundDispositioned):
            self._dispositioned(event)
        elif isinstance(event, AgentlessResulted):
            for period in self._periods(self.campaign(event.campaign), event.at):
                period.outcomes[f"agentless:{event.result}"] += 1

    def _dispositioned(self, event: OutboundDispositioned) -> None:
        figures = self.campaign(event.campaign)
        code = event.disposition
        agent = figures.agent(event.agent_id)
        agent.outcomes[code] += 1
        if code in APPOINTMENT_CODES:
            agent.appointments += 1
        if code in CONTRACT_CODES:
            agent.contracts += 1
        for period in self._periods(figures, event.at):
            period.outcomes[code] += 1
            if code not in NOT_RIGHT_PARTY:
                period.right_party += 1

    def _periods(self, figures: CampaignFigures, at: float) -> tuple[PeriodFigures, ...]:
        hour = local_datetime(at, self.timezone).strftime("%Y-%m-%d %H:00")
        period = figures.hours.get(hour)
        if period is None:
            period = figures.hours[hour] = PeriodFigures()
        return (figures.total, period)

    def as_dict(self) -> dict[str, Any]:
        """Every campaign's figures, JSON-ready."""
        return {c: f.as_dict() for c, f in sorted(self.campaigns.items())}
