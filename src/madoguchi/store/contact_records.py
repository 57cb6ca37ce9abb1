"""Contact records between the core and the store.

The core folds events into :class:`~madoguchi.core.records.ContactRecord` values
(:class:`~madoguchi.core.records.ContactRecordBuilder`, pure); the store keeps them as
:class:`~madoguchi.store.port.StoredContactRecord` rows: the indexed fields plus the whole record
as a JSON document (``ContactRecord.as_dict()``). :func:`stored_contact_record` and
:func:`contact_record_from_stored` convert each way; :func:`derive_contact_records` folds the
event log of a store and upserts every completed record (the ``contact_record`` table is derived
data: it can always be rebuilt from the log this way).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from madoguchi.core.model import Channel, Direction, EndReason
from madoguchi.core.records import ContactRecord, ContactRecordBuilder, JourneyStep
from madoguchi.store.errors import MalformedRecord
from madoguchi.store.port import (
    EventStore,
    StoredContactRecord,
    UndecodableHandler,
    log_undecodable,
)

#: Completed records upserted per transaction by :func:`derive_contact_records`.
UPSERT_BATCH = 500

_ENUMS: dict[str, type[Channel | Direction | EndReason]] = {
    "channel": Channel,
    "direction": Direction,
    "end_reason": EndReason,
}


def stored_contact_record(record: ContactRecord) -> StoredContactRecord:
    """The store's form of a completed contact record."""
    return StoredContactRecord(
        contact_id=record.contact_id,
        tenant=record.tenant,
        channel=record.channel.value,
        direction=record.direction.value,
        started_at=record.created_at,
        ended_at=record.ended_at,
        customer_id=record.customer_id,
        queues=record.queues,
        agents=record.agents,
        end_reason=record.end_reason.value,
        document=record.as_dict(),
    )


def contact_record_from_stored(stored: StoredContactRecord) -> ContactRecord:
    """The core record a stored document holds; :class:`MalformedRecord` when it cannot be read
    (written by another version, or edited by hand)."""
    return _from_document(stored.contact_id, stored.document)


def _from_document(contact_id: str, document: Mapping[str, Any]) -> ContactRecord:
    values: dict[str, Any] = {}
    try:
        for f in dataclasses.fields(ContactRecord):
            if f.name not in document:
                continue
            value = document[f.name]
            if f.name == "journey":
                value = tuple(JourneyStep(**step) for step in value)
            elif f.name in _ENUMS:
                value = _ENUMS[f.name](value)
            elif isinstance(value, list):
                value = tuple(value)
            elif isinstance(value, dict):
                value = dict(value)
            values[f.name] = value
        return ContactRecord(**values)
    except (TypeError, ValueError) as err:
        raise MalformedRecord(f"contact record {contact_id}: {err}") from err


def derive_contact_records(
    store: EventStore,
    builder: ContactRecordBuilder | None = None,
    *,
    after_id: int = 0,
    on_undecodable: UndecodableHandler = log_undecodable,
) -> int:
    """Fold the store's log (after ``after_id``) and upsert every contact it completes.

    Pass the ``builder`` to keep folding where a previous call stopped (contacts still open at
    the end stay in it). Returns how many records were written.
    """
    folding = builder if builder is not None else ContactRecordBuilder()
    pending: list[StoredContactRecord] = []
    written = 0
    for _, item in store.read(after_id=after_id, on_undecodable=on_undecodable):
        completed = folding.apply(item)
        if completed is not None:
            pending.append(stored_contact_record(completed))
            if len(pending) >= UPSERT_BATCH:
                store.upsert_contact_records(pending)
                written += len(pending)
                pending = []
    if pending:
        store.upsert_contact_records(pending)
        written += len(pending)
    return written
