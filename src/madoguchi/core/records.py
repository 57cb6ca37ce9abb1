"""Contact records (CTR): one record per contact with its whole journey, folded from events.

:class:`ContactRecordBuilder` is pure: feed it the event log in order (``apply``); it returns a
:class:`ContactRecord` when a contact is complete — ended, and every agent who handled it has
wrapped up — and keeps the others open. The store persists the completed records; the same log
always gives the same records.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any

from madoguchi.core.events import Event
from madoguchi.core.model import Channel, Direction, EndReason
from madoguchi.core.routing import events as ev


@dataclass(frozen=True, slots=True)
class JourneyStep:
    """One thing that happened to the contact."""

    at: float
    kind: str
    """The event type (ContactQueued, ContactOffered…)."""
    queue_id: str | None = None
    agent_id: str | None = None
    detail: str = ""
    """Short, event-specific: the overflow treatment, the end reason, the disposition…"""


@dataclass(frozen=True, slots=True)
class ContactRecord:
    """A contact's whole life in routing."""

    contact_id: str
    tenant: str
    channel: Channel
    direction: Direction
    created_at: float
    customer_id: str | None
    from_address: str | None
    to_address: str | None
    language: str
    attributes: dict[str, str]
    first_queued_at: float | None
    """When it first entered a queue (None: connected directly)."""
    queues: tuple[str, ...]
    """Queues it waited in, in order."""
    agents: tuple[str, ...]
    """Agents it was connected to, in order."""
    offers: int
    missed_offers: int
    """Offers that timed out or were rejected."""
    answered: bool
    direct: bool
    """Connected straight to an agent (a dialer's answered call), not from a queue."""
    wait_s: float
    """Time waited before the first answer (or before leaving, if never answered)."""
    talk_s: float
    hold_s: float
    acw_s: float
    transfers: int
    overflows: int
    callback_number: str | None
    abandoned: bool
    end_reason: EndReason
    ended_at: float
    completed_at: float
    """When the last wrap-up was done (= ``ended_at`` when no agent handled it)."""
    dispositions: tuple[str, ...]
    notes: tuple[str, ...]
    journey: tuple[JourneyStep, ...] = field(default=())

    @property
    def handle_s(self) -> float:
        """Talk + hold + after-contact work over all agents."""
        return self.talk_s + self.hold_s + self.acw_s

    def as_dict(self) -> dict[str, Any]:
        """Plain data (enums as strings, the journey as a list of dicts) for storage."""
        data: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "journey":
                value = [{s.name: getattr(step, s.name) for s in fields(step)} for step in value]
            elif isinstance(value, tuple):
                value = list(value)
            elif isinstance(value, (Channel, Direction, EndReason)):
                value = value.value
            data[f.name] = value
        return data


class _Draft:
    """A record being built."""

    __slots__ = (
        "abandoned",
        "acw_s",
        "agents",
        "answered",
        "callback_number",
        "dispositions",
        "end",
        "first_queued_at",
        "hold_s",
        "journey",
        "missed_offers",
        "notes",
        "offers",
        "origin",
        "overflows",
        "pending_wrapups",
        "queues",
        "talk_s",
        "transfers",
        "wait_s",
    )

    def __init__(self, origin: ev.ContactQueued) -> None:
        self.origin = origin
        self.first_queued_at: float | None = None
        self.queues: list[str] = []
        self.agents: list[str] = []
        self.offers = 0
        self.missed_offers = 0
        self.answered = False
        self.wait_s = 0.0
        self.talk_s = 0.0
        self.hold_s = 0.0
        self.acw_s = 0.0
        self.transfers = 0
        self.overflows = 0
        self.callback_number: str | None = None
        self.abandoned = False
        self.end: ev.ContactEnded | None = None
        self.pending_wrapups: set[str] = set()
        self.dispositions: list[str] = []
        self.notes: list[str] = []
        self.journey: list[JourneyStep] = []

    def build(self, completed_at: float) -> ContactRecord:
        origin = self.origin
        end = self.end
        assert end is not None
        return ContactRecord(
            contact_id=origin.contact_id,
            tenant=origin.tenant,
            channel=Channel(origin.channel),
            direction=Direction(origin.direction),
            created_at=origin.created_at,
            customer_id=origin.customer_id,
            from_address=origin.from_address,
            to_address=origin.to_address,
            language=origin.language,
            attributes=dict(origin.attributes),
            first_queued_at=self.first_queued_at,
            queues=tuple(self.queues),
            agents=tuple(self.agents),
            offers=self.offers,
            missed_offers=self.missed_offers,
            answered=self.answered,
            direct=self.origin.via == ev.QueueEntry.DIRECT,
            wait_s=self.wait_s,
            talk_s=self.talk_s,
            hold_s=self.hold_s,
            acw_s=self.acw_s,
            transfers=self.transfers,
            overflows=self.overflows,
            callback_number=self.callback_number,
            abandoned=self.abandoned,
            end_reason=EndReason(end.reason),
            ended_at=end.at,
            completed_at=completed_at,
            dispositions=tuple(self.dispositions),
            notes=tuple(self.notes),
            journey=tuple(self.journey),
        )


class ContactRecordBuilder:
    """Folds routing events into contact records; see the module docstring."""

    def __init__(self) -> None:
        self._open: dict[str, _Draft] = {}
        self._handlers: dict[type[Event], Callable[[_Draft, Any], bool]] = {
            ev.ContactOffered: self._offered,
            ev.ContactOfferTimedOut: self._missed,
            ev.ContactOfferRejected: self._missed,
            ev.ContactConnected: self._connected,
            ev.ContactAbandoned: self._abandoned,
            ev.ContactOverflowed: self._overflowed,
            ev.ContactTransferred: self._transferred,
            ev.ContactHeld: _step_only,
            ev.ContactResumed: _step_only,
            ev.ContactEnded: self._ended,
            ev.ContactWrappedUp: self._wrapped_up,
            ev.CallbackRequested: self._callback,
        }

    def apply(self, event: Event) -> ContactRecord | None:
        """Fold one event; the contact's record if this event completed it."""
        if isinstance(event, ev.ContactQueued):
            self._queued(event)
            return None
        handler = self._handlers.get(type(event))
        contact_id = getattr(event, "contact_id", None)
        if handler is None or contact_id is None:
            return None
        draft = self._open.get(contact_id)
        if draft is None:
            return None
        draft.journey.append(_step(event))
        if handler(draft, event):
            del self._open[contact_id]
            return draft.build(event.at)
        return None

    def open_contacts(self) -> list[str]:
        """Ids of contacts not complete yet."""
        return list(self._open)

    def snapshot(self, contact_id: str, now: float) -> ContactRecord | None:
        """The open contact's record so far (end fields filled as if it ended ``now``)."""
        draft = self._open.get(contact_id)
        if draft is None:
            return None
        if draft.end is not None:
            return draft.build(now)
        draft.end = ev.ContactEnded(
            at=now, contact_id=contact_id, reason=EndReason.ERROR, queue_id=""
        )
        try:
            return draft.build(now)
        finally:
            draft.end = None

    # ------------------------------------------------------------------ events
    def _queued(self, e: ev.ContactQueued) -> None:
        draft = self._open.get(e.contact_id)
        if draft is None:
            draft = self._open[e.contact_id] = _Draft(e)
        draft.journey.append(_step(e))
        if e.via != ev.QueueEntry.DIRECT:
            if draft.first_queued_at is None:
                draft.first_queued_at = e.at
            draft.queues.append(e.queue_id)

    def _offered(self, d: _Draft, e: ev.ContactOffered) -> bool:
        d.offers += 1
        return False

    def _missed(self, d: _Draft, e: ev.ContactOfferTimedOut | ev.ContactOfferRejected) -> bool:
        d.missed_offers += 1
        return False

    def _connected(self, d: _Draft, e: ev.ContactConnected) -> bool:
        if not d.answered:
            d.wait_s = e.wait_s
        d.answered = True
        d.agents.append(e.agent_id)
        return False

    def _abandoned(self, d: _Draft, e: ev.ContactAbandoned) -> bool:
        d.abandoned = True
        if not d.answered:
            d.wait_s = e.wait_s
        return False

    def _overflowed(self, d: _Draft, e: ev.ContactOverflowed) -> bool:
        d.overflows += 1
        if not d.answered:
            d.wait_s = e.wait_s
        return False

    def _callback(self, d: _Draft, e: ev.CallbackRequested) -> bool:
        d.callback_number = e.number
        return False

    def _transferred(self, d: _Draft, e: ev.ContactTransferred) -> bool:
        d.transfers += 1
        d.talk_s += e.talk_s
        d.hold_s += e.hold_s
        d.pending_wrapups.add(e.from_agent)
        return False

    def _ended(self, d: _Draft, e: ev.ContactEnded) -> bool:
        d.end = e
        d.talk_s += e.talk_s
        d.hold_s += e.hold_s
        if e.agent_id is not None:
            d.pending_wrapups.add(e.agent_id)
        return not d.pending_wrapups

    def _wrapped_up(self, d: _Draft, e: ev.ContactWrappedUp) -> bool:
        d.acw_s += e.acw_s
        d.pending_wrapups.discard(e.agent_id)
        if e.disposition is not None:
            d.dispositions.append(e.disposition)
        if e.notes:
            d.notes.append(e.notes)
        return d.end is not None and not d.pending_wrapups


def _step_only(d: _Draft, e: Event) -> bool:
    return False


def _step(e: Event) -> JourneyStep:
    detail = ""
    if isinstance(e, ev.ContactOverflowed):
        detail = f"{e.cause.value}:{e.treatment.value}"
    elif isinstance(e, ev.ContactEnded):
        detail = EndReason(e.reason).value
    elif isinstance(e, ev.ContactWrappedUp):
        detail = e.disposition or ""
    elif isinstance(e, ev.ContactQueued):
        detail = ev.QueueEntry(e.via).value
    queue_id = getattr(e, "queue_id", None) or getattr(e, "from_queue", None)
    agent_id = getattr(e, "agent_id", None) or getattr(e, "from_agent", None)
    return JourneyStep(
        at=e.at, kind=type(e).__name__, queue_id=queue_id, agent_id=agent_id, detail=detail
    )
