"""Forecast input from the event store: the contact records of handled and offered contacts.

``madoguchi wfm forecast --db URL [--queue Q] [--tenant T]`` reads the store's contact records
(:meth:`~madoguchi.store.EventStore.find_contact_records`, paged by start time) and turns each
inbound contact that reached a queue into a forecast
:class:`~madoguchi.core.wfm.forecast_history.ContactRecord`: its arrival time, its handle time
(talk + hold + after-contact work over all agents) and whether an agent handled it. Abandoned
contacts count as offered volume without handle time; contacts that never reached a queue
(self-service in a flow, outbound calls) are left out, since no agent was needed for them.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

from madoguchi.core.wfm.forecast_history import ContactRecord
from madoguchi.store import (
    EventStore,
    MalformedRecord,
    StoredContactRecord,
    contact_record_from_stored,
)

PAGE = 5000
"""Contact records fetched per query."""


@dataclass
class StoreReadCounts:
    """What the reader saw: records used, and those left out and why."""

    used: int = 0
    not_queued: int = 0
    """Outbound, or ended before reaching a queue."""
    unreadable: int = 0
    """Documents that could not be read as contact records."""


def _stored_pages(
    store: EventStore, queue: str | None, tenant: str | None, before: float | None
) -> Iterator[StoredContactRecord]:
    """Every matching record, oldest first, :data:`PAGE` at a time.

    A page ends at some instant; the records before it are taken from the page, and all the
    records *at* it by one query of that instant alone, so paging resumes just after it and
    nothing is lost or repeated however many contacts share an instant.
    """
    started_from: float | None = None
    while True:
        page = store.find_contact_records(
            tenant=tenant,
            queue=queue,
            started_from=started_from,
            started_before=before,
            limit=PAGE,
        )
        if len(page) < PAGE:
            yield from page
            return
        edge = page[-1].started_at
        yield from (r for r in page if r.started_at < edge)
        after = math.nextafter(edge, math.inf)
        yield from store.find_contact_records(
            tenant=tenant, queue=queue, started_from=edge, started_before=after
        )
        started_from = after


def contact_records_from_store(
    store: EventStore,
    *,
    queue: str | None = None,
    tenant: str | None = None,
    before: float | None = None,
    counts: StoreReadCounts | None = None,
) -> list[ContactRecord]:
    """Forecast records of the inbound, queued contacts in ``store`` (optionally of one queue
    or tenant, started before the epoch ``before``), oldest first; ``counts`` is filled with
    what was used and left out."""
    from madoguchi.core.model import Direction

    tally = counts if counts is not None else StoreReadCounts()
    records: list[ContactRecord] = []
    for stored in _stored_pages(store, queue, tenant, before):
        try:
            record = contact_record_from_stored(stored)
        except MalformedRecord:
            tally.unreadable += 1
            continue
        if record.direction is not Direction.INBOUND or not record.queues:
            tally.not_queued += 1
            continue
        tally.used += 1
        records.append(ContactRecord(record.created_at, record.handle_s, record.answered))
    return records
