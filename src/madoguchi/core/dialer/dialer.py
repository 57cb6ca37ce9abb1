"""The dialer: picks the next records of a campaign, checks them, and turns results into retries.

Sans-I/O like the routing engine: the caller passes ``now`` and carries out the
:class:`~madoguchi.core.dialer.events.DialPlaced` events (telephony places the call, the
simulator draws an outcome) and reports back with :meth:`Dialer.dial_result`,
:meth:`Dialer.connected`, :meth:`Dialer.abandoned` and :meth:`Dialer.disposition`. How many
dials to place comes from the campaign's :class:`~madoguchi.core.dialer.pacing.Pacer`.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections import deque
from collections.abc import Collection, Iterable
from datetime import date

from madoguchi.core.config import is_holiday, local_datetime
from madoguchi.core.dialer.campaign import Campaign, CampaignStatus, DialOutcome
from madoguchi.core.dialer.dnc import DncEntry, DoNotCallRegistry
from madoguchi.core.dialer.events import (
    AttemptScheduled,
    CallbackScheduled,
    DialBlocked,
    DialPlaced,
    DialResulted,
    DoNotCallAdded,
    OutboundAbandoned,
    OutboundCallEnded,
    OutboundConnected,
    OutboundDispositioned,
    RecordClosed,
)
from madoguchi.core.dialer.lists import ListRecord
from madoguchi.core.dialer.pacing import Pacer, PacingState
from madoguchi.core.events import Event

#: Dispositions that close the record for good and, for ``refused``, add the number to the
#: tenant's do-not-call list (特定商取引法 Art. 17: no re-solicitation after a refusal).
CLOSING_DISPOSITIONS = {"sale", "appointment", "refused", "wrong_number", "completed"}


class DialerError(ValueError):
    """A command about an unknown dial or record."""


class Dialer:
    """One campaign's list, its pacing and its retry rules."""

    def __init__(
        self,
        campaign: Campaign,
        pacer: Pacer,
        dnc: DoNotCallRegistry | None = None,
        records: Iterable[ListRecord] = (),
    ) -> None:
        self.campaign = campaign
        self.pacer = pacer
        self.dnc = dnc if dnc is not None else DoNotCallRegistry()
        self.status = campaign.status
        self.records: dict[str, ListRecord] = {}
        self._fresh: deque[str] = deque()
        self._retries: list[tuple[float, int, str]] = []
        self._callbacks: list[tuple[float, int, str]] = []
        self._seq = itertools.count()
        self._dials: dict[str, tuple[str, float]] = {}
        """dial id -> (record id, placed at)"""
        self._dial_seq = itertools.count(1)
        self._today: tuple[date | None, int, int] = (None, 0, 0)
        """(local day, dials placed that day, callees connected that day)"""
        self.add_records(records)

    # -- list ----------------------------------------------------------------------------

    def add_records(self, records: Iterable[ListRecord]) -> None:
        """Add records to the campaign's list (fresh ones are dialled first in best hours)."""
        for record in records:
            self.records[record.id] = record
            if record.closed is None:
                if record.callback_at is not None:
                    heapq.heappush(
                        self._callbacks, (record.callback_at, next(self._seq), record.id)
                    )
                elif record.attempts == 0:
                    self._fresh.append(record.id)
                else:
                    heapq.heappush(
                        self._retries, (record.next_attempt_at, next(self._seq), record.id)
                    )

    def start(self) -> None:
        """Start or resume dialling."""
        self.status = CampaignStatus.RUNNING

    def pause(self) -> None:
        """Stop placing new dials; dials in flight finish."""
        self.status = CampaignStatus.PAUSED

    def stop(self) -> None:
        """End the campaign."""
        self.status = CampaignStatus.STOPPED

    @property
    def outstanding(self) -> int:
        """Dials placed and not yet resulted."""
        return len(self._dials)

    def has_due(self, now: float) -> bool:
        """Whether a record may be due for a dial now (a fresh one, a retry or a callback;
        an entry superseded since it was queued counts until it is popped)."""
        return bool(
            self._fresh
            or (self._callbacks and self._callbacks[0][0] <= now)
            or (self._retries and self._retries[0][0] <= now)
        )

    def remaining(self) -> int:
        """Records still open."""
        return sum(1 for r in self.records.values() if r.closed is None)

    # -- calling window ------------------------------------------------------------------

    def in_window(self, record: ListRecord, now: float) -> bool:
        """Whether ``now`` is inside the calling window in the callee's time zone."""
        return self._open_at(now, record.timezone or self.campaign.timezone)

    def window_open(self, now: float) -> bool:
        """Whether the calling window is open in the campaign's own time zone (callees with a
        zone of their own are still checked one by one when dialled)."""
        return self._open_at(now, self.campaign.timezone)

    def _open_at(self, now: float, timezone: str) -> bool:
        local = local_datetime(now, timezone)
        if self.campaign.national_holidays_closed and is_holiday("JP", local.date()):
            return False
        minute = local.hour * 60 + local.minute
        return any(r.contains(minute) for r in self.campaign.calling_window[local.weekday()])

    def _in_preferred(self, now: float) -> bool:
        if not self.campaign.preferred_window:
            return False
        local = local_datetime(now, self.campaign.timezone)
        minute = local.hour * 60 + local.minute
        return any(r.contains(minute) for r in self.campaign.preferred_window)

    # -- dialling ------------------------------------------------------------------------

    # -- daily caps -----------------------------------------------------------------------

    def _day(self, now: float) -> date:
        return local_datetime(now, self.campaign.timezone).date()

    def today(self, now: float) -> tuple[int, int]:
        """(dials placed, callees connected) on ``now``'s day in the campaign's time zone."""
        day, dials, connects = self._today
        return (dials, connects) if day == self._day(now) else (0, 0)

    def set_today(self, now: float, dials: int, connects: int) -> None:
        """Seed the day's counts (a dialer loaded from storage mid-day)."""
        self._today = (self._day(now), dials, connects)

    def cap_reached(self, now: float) -> str | None:
        """``daily_cap`` or ``daily_connect_cap`` when today's count has reached the campaign's
        cap (nothing more is dialled until the next local day), else None."""
        campaign = self.campaign
        if campaign.daily_cap is None and campaign.daily_connect_cap is None:
            return None
        dials, connects = self.today(now)
        if campaign.daily_cap is not None and dials >= campaign.daily_cap:
            return "daily_cap"
        if campaign.daily_connect_cap is not None and connects >= campaign.daily_connect_cap:
            return "daily_connect_cap"
        return None

    def _count(self, now: float, dials: int = 0, connects: int = 0) -> None:
        day = self._day(now)
        known, done_dials, done_connects = self._today
        if known != day:
            done_dials = done_connects = 0
        self._today = (day, done_dials + dials, done_connects + connects)

    # -- dialling ------------------------------------------------------------------------

    def place_dials(
        self, now: float, state: PacingState, free_agents: Collection[str] | None = None
    ) -> list[Event]:
        """Ask the pacer how many dials are wanted and place them (checked one by one).
        Nothing is taken from the list while a daily cap is reached (:meth:`cap_reached`).

        Callbacks due come first, at their time, before the list's order. With
        ``free_agents`` (who could take a call now), a callback promised to a named agent
        waits until that agent is among them (its ``DialPlaced`` names the agent), or until
        ``callback_grace_s`` past its time, when anyone may take it (``agent_id`` None);
        without it, named callbacks are dialled at their time for their agent."""
        if self.status is not CampaignStatus.RUNNING or self.cap_reached(now) is not None:
            return []
        wanted = self.pacer.dials_wanted(state)
        free = set(free_agents) if free_agents is not None else None
        events: list[Event] = []
        while wanted > 0:
            due = self._next_due(now, free)
            if due is None:
                break
            record, agent = due
            placed = self._dial(record, now, agent)
            events.append(placed)
            if isinstance(placed, DialPlaced):
                wanted -= 1
                if free is not None and agent is not None:
                    free.discard(agent)  # promised to this callback
        return events

    def dial_record(self, record_id: str, now: float, agent_id: str | None = None) -> Event:
        """Dial one record now (preview mode, or a callback to a named agent)."""
        record = self._record(record_id)
        return self._dial(record, now, agent_id or record.callback_agent)

    def next_preview(self, now: float) -> ListRecord | None:
        """The record an agent in preview mode should see next (not yet dialled)."""
        due = self._next_due(now)
        if due is None:
            return None
        record = due[0]  # put it back: previewing does not consume it
        if record.callback_at is not None:
            heapq.heappush(self._callbacks, (record.callback_at, next(self._seq), record.id))
        else:
            heapq.heappush(self._retries, (now, next(self._seq), record.id))
        return record

    def _next_due(
        self, now: float, free: set[str] | None = None
    ) -> tuple[ListRecord, str | None] | None:
        callback = self._due_callback(now, free)
        if callback is not None:
            return callback
        while True:
            retry_due = bool(self._retries) and self._retries[0][0] <= now
            prefer_fresh = self._in_preferred(now) or not retry_due
            if self._fresh and (prefer_fresh or not retry_due):
                record = self.records[self._fresh.popleft()]
                if record.callback_at is not None or record.attempts > 0:
                    continue  # a callback holds it, or it was dialled meanwhile
                return record, None
            if retry_due:
                record = self.records[heapq.heappop(self._retries)[2]]
                if record.callback_at is not None or record.next_attempt_at > now:
                    continue  # a callback holds it, or a later schedule replaced this one
                return record, None
            return None

    def _due_callback(
        self, now: float, free: set[str] | None
    ) -> tuple[ListRecord, str | None] | None:
        """The first callback due that may be dialled now (see :meth:`place_dials`)."""
        waiting: list[tuple[float, int, str]] = []
        found: tuple[ListRecord, str | None] | None = None
        while self._callbacks and self._callbacks[0][0] <= now:
            entry = heapq.heappop(self._callbacks)
            record = self.records[entry[2]]
            if record.callback_at != entry[0] or record.closed is not None:
                continue  # dialled, replaced by a later callback, or closed
            agent = record.callback_agent
            if agent is None or free is None or agent in free:
                found = (record, agent)
                break
            if now >= entry[0] + self.campaign.callback_grace_s:
                found = (record, None)  # the named agent did not come: anyone takes it
                break
            waiting.append(entry)  # waits for its agent
        for entry in waiting:
            heapq.heappush(self._callbacks, entry)
        return found

    def waiting_callbacks(self, now: float) -> list[tuple[str, str, float]]:
        """Callbacks due and waiting for their named agent: (record id, agent, due)."""
        return [
            (rid, record.callback_agent, due)
            for due, _seq, rid in self._callbacks
            if due <= now
            and (record := self.records[rid]).callback_at == due
            and record.closed is None
            and record.callback_agent is not None
        ]

    def _dial(self, record: ListRecord, now: float, agent_id: str | None = None) -> Event:
        campaign = self.campaign
        reason = self._block_reason(record, now)
        if reason is not None:
            if reason in {"outside_window", "daily_cap", "daily_connect_cap"}:
                # not the record's fault: try again later
                heapq.heappush(self._retries, (now + 15 * 60.0, next(self._seq), record.id))
            else:
                record.closed = reason
            return DialBlocked(
                at=now,
                campaign=campaign.id,
                tenant=campaign.tenant,
                record_id=record.id,
                number=record.number,
                reason=reason,
            )
        record.attempts += 1
        record.callback_at = None
        record.callback_agent = None
        record.next_attempt_at = math.inf  # until its result, a retry or a disposition says
        dial_id = f"{campaign.id}-d{next(self._dial_seq)}"
        self._dials[dial_id] = (record.id, now)
        self._count(now, dials=1)
        return DialPlaced(
            at=now,
            dial_id=dial_id,
            campaign=campaign.id,
            tenant=campaign.tenant,
            record_id=record.id,
            number=record.number,
            attempt=record.attempts,
            agent_id=agent_id,
        )

    def _block_reason(self, record: ListRecord, now: float) -> str | None:
        campaign = self.campaign
        if record.closed is not None:
            return record.closed
        if self.dnc.blocking(campaign.tenant, campaign.id, record.number) is not None:
            return "do_not_call"
        if record.attempts >= campaign.max_attempts:
            return "max_attempts"
        if not self.in_window(record, now):
            return "outside_window"
        return self.cap_reached(now)

    # -- results -------------------------------------------------------------------------

    def dial_result(self, dial_id: str, outcome: DialOutcome, now: float) -> list[Event]:
        """The dial ended ringing with ``outcome``; schedules a retry where the rules say."""
        try:
            record_id, placed_at = self._dials.pop(dial_id)
        except KeyError as err:
            raise DialerError(f"unknown dial {dial_id}") from err
        record = self.records[record_id]
        record.last_outcome = outcome.value
        ring_s = now - placed_at
        self.pacer.observe_dial(ring_s, outcome is DialOutcome.ANSWERED)
        events: list[Event] = [
            DialResulted(
                at=now,
                dial_id=dial_id,
                campaign=self.campaign.id,
                record_id=record_id,
                outcome=outcome,
                ring_s=ring_s,
            )
        ]
        if outcome is not DialOutcome.ANSWERED:
            events.extend(self._schedule_retry(record, outcome, now))
        return events

    def _schedule_retry(self, record: ListRecord, outcome: DialOutcome, now: float) -> list[Event]:
        delay = self.campaign.retry_delay(outcome)
        if delay is None or record.attempts >= self.campaign.max_attempts:
            reason = outcome.value if delay is None else "max_attempts"
            record.closed = reason
            return [
                RecordClosed(at=now, campaign=self.campaign.id, record_id=record.id, reason=reason)
            ]
        record.next_attempt_at = now + delay
        heapq.heappush(self._retries, (record.next_attempt_at, next(self._seq), record.id))
        return [
            AttemptScheduled(
                at=now,
                campaign=self.campaign.id,
                record_id=record.id,
                due=record.next_attempt_at,
                reason=outcome.value,
            )
        ]

    def connected(
        self, dial_id: str, record_id: str, agent_id: str, wait_s: float, now: float
    ) -> Event:
        """An answered callee reached ``agent_id`` after ``wait_s`` (counted for the daily
        connect cap)."""
        self.pacer.observe_connect(abandoned=False)
        self._count(now, connects=1)
        return OutboundConnected(
            at=now,
            dial_id=dial_id,
            campaign=self.campaign.id,
            record_id=record_id,
            agent_id=agent_id,
            wait_s=wait_s,
        )

    def abandoned(self, dial_id: str, record_id: str, now: float) -> list[Event]:
        """An answered callee found no agent within the connect rule (recorded message played);
        the record is retried later like a no-answer."""
        self.pacer.observe_connect(abandoned=True)
        record = self._record(record_id)
        events: list[Event] = [
            OutboundAbandoned(
                at=now, dial_id=dial_id, campaign=self.campaign.id, record_id=record_id
            )
        ]
        events.extend(self._schedule_retry(record, DialOutcome.NO_ANSWER, now))
        return events

    def call_ended(
        self, dial_id: str, record_id: str, agent_id: str, talk_s: float, now: float
    ) -> Event:
        """The conversation of a connected dial ended after ``talk_s`` (for reports)."""
        return OutboundCallEnded(
            at=now,
            dial_id=dial_id,
            campaign=self.campaign.id,
            record_id=record_id,
            agent_id=agent_id,
            talk_s=talk_s,
        )

    def retry_later(self, record_id: str, now: float) -> list[Event]:
        """An answered call ended without a result that closes the record (an agentless call
        nobody confirmed, a callee who hung up): retry it as after a no-answer."""
        return self._schedule_retry(self._record(record_id), DialOutcome.NO_ANSWER, now)

    def handled(self, seconds: float) -> None:
        """An agent finished an outbound contact (talk + wrap-up) of ``seconds``."""
        self.pacer.observe_handle(seconds)

    def disposition(
        self,
        record_id: str,
        agent_id: str,
        code: str,
        now: float,
        *,
        notes: str = "",
        callback_at: float | None = None,
        callback_agent: str | None = None,
        appointment_at: float | None = None,
        appointment_rep: str | None = None,
    ) -> list[Event]:
        """The agent's result of the conversation: closes, schedules a callback, or adds the
        number to the do-not-call list (``refused``)."""
        record = self._record(record_id)
        campaign = self.campaign
        events: list[Event] = [
            OutboundDispositioned(
                at=now,
                campaign=campaign.id,
                record_id=record_id,
                agent_id=agent_id,
                disposition=code,
                notes=notes,
                appointment_at=appointment_at,
                appointment_rep=appointment_rep,
            )
        ]
        if code == "refused":
            self.dnc.add(DncEntry(record.number, campaign.tenant, None, "refused", now, agent_id))
            events.append(
                DoNotCallAdded(
                    at=now,
                    tenant=campaign.tenant,
                    number=record.number,
                    reason="refused",
                    added_by=agent_id,
                )
            )
        if code == "callback":
            if callback_at is None:
                raise DialerError("a callback needs its time")
            record.callback_at = callback_at
            record.callback_agent = callback_agent
            heapq.heappush(self._callbacks, (callback_at, next(self._seq), record.id))
            events.append(
                CallbackScheduled(
                    at=now,
                    campaign=campaign.id,
                    record_id=record_id,
                    due=callback_at,
                    agent_id=callback_agent,
                )
            )
        elif code in CLOSING_DISPOSITIONS:
            record.closed = code
            events.append(
                RecordClosed(at=now, campaign=campaign.id, record_id=record_id, reason=code)
            )
        return events

    def schedule_callback(self, record_id: str, due: float, agent_id: str | None = None) -> None:
        """A callback promised outside this dialer (stored by the API): dial it at ``due``."""
        record = self._record(record_id)
        if record.closed is not None:
            return
        record.callback_at = due
        record.callback_agent = agent_id
        heapq.heappush(self._callbacks, (due, next(self._seq), record.id))

    def requeue(self, record_id: str, due: float) -> None:
        """Dial an answered record again from ``due`` (a retry stored by the API after a
        disposition that neither closed it nor set a callback)."""
        record = self._record(record_id)
        if record.closed is not None:
            return
        record.next_attempt_at = due
        heapq.heappush(self._retries, (due, next(self._seq), record.id))

    def close_record(self, record_id: str, reason: str) -> None:
        """A record closed outside this dialer (a disposition stored by the API)."""
        self._record(record_id).closed = reason

    def _record(self, record_id: str) -> ListRecord:
        try:
            return self.records[record_id]
        except KeyError as err:
            raise DialerError(f"unknown record {record_id}") from err
