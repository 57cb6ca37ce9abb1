"""The in-memory store: for tests and the simulator; forgets everything when dropped.

It behaves like the SQL store in every way the contract tests check: records are kept as JSON
text (so a value a database could not hold fails here too, and a reader gets a fresh copy), ids
start at 1, a batch that fails leaves the log unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any

from madoguchi.store._json import encode_json
from madoguchi.store.errors import MalformedRecord
from madoguchi.store.port import (
    EventStore,
    StoredContactRecord,
    check_contact_record,
    check_meta_key,
    record_keys,
)


def _encoded(value: Any) -> str:
    try:
        return encode_json(value)
    except (TypeError, ValueError) as err:
        raise MalformedRecord(f"not storable as JSON: {err}") from err


def _json_copy(value: Any) -> Any:
    return json.loads(_encoded(value))


class InMemoryEventStore(EventStore):
    """An :class:`~madoguchi.store.port.EventStore` held in lists and dicts (one thread only)."""

    def __init__(self) -> None:
        self._log: list[str] = []
        """Each record as JSON text, the way a database holds it."""
        self._tenants: list[str | None] = []
        self._contacts: dict[str, StoredContactRecord] = {}
        self._meta: dict[str, str] = {}

    blocking = False

    def append_records(
        self,
        records: Sequence[Mapping[str, Any]],
        tenant: str | None = None,
        *,
        tenants: Sequence[str | None] | None = None,
        contact_records: Iterable[StoredContactRecord] = (),
    ) -> int:
        keys = record_keys(records, tenant, tenants)
        texts = [_encoded(record) for record in records]
        checked = self._checked(contact_records)
        self._log.extend(texts)
        self._tenants.extend(key.tenant for key in keys)
        for record in checked:
            self._contacts[record.contact_id] = record
        return len(self._log)

    def read_records(
        self, after_id: int = 0, limit: int | None = None, tenant: str | None = None
    ) -> Iterator[tuple[int, dict[str, Any]]]:
        count = 0
        event_id = max(after_id, 0)
        while event_id < len(self._log) and (limit is None or count < limit):
            event_id += 1
            if tenant is not None and self._tenants[event_id - 1] != tenant:
                continue
            count += 1
            yield event_id, json.loads(self._log[event_id - 1])

    def last_id(self) -> int:
        return len(self._log)

    def upsert_contact_records(self, records: Iterable[StoredContactRecord]) -> None:
        for record in self._checked(records):
            self._contacts[record.contact_id] = record

    @staticmethod
    def _checked(records: Iterable[StoredContactRecord]) -> list[StoredContactRecord]:
        """Copies of ``records`` as a database would give them back; raises before any change."""
        records = list(records)
        for record in records:
            check_contact_record(record)
        return [
            replace(
                record,
                document=_json_copy(dict(record.document)),
                queues=tuple(record.queues),
                agents=tuple(record.agents),
            )
            for record in records
        ]

    def get_contact_record(self, contact_id: str) -> StoredContactRecord | None:
        return self._contacts.get(contact_id)

    def find_contact_records(
        self,
        *,
        tenant: str | None = None,
        started_from: float | None = None,
        started_before: float | None = None,
        queue: str | None = None,
        agent: str | None = None,
        customer_id: str | None = None,
        limit: int | None = None,
    ) -> list[StoredContactRecord]:
        found = [
            record
            for record in self._contacts.values()
            if (tenant is None or record.tenant == tenant)
            and (started_from is None or record.started_at >= started_from)
            and (started_before is None or record.started_at < started_before)
            and (queue is None or queue in record.queues)
            and (agent is None or agent in record.agents)
            and (customer_id is None or record.customer_id == customer_id)
        ]
        found.sort(key=lambda record: (record.started_at, record.contact_id))
        return found if limit is None else found[:limit]

    def get_meta(self, key: str) -> Any:
        stored = self._meta.get(key)
        return None if stored is None else json.loads(stored)

    def put_meta(self, key: str, value: Any) -> None:
        check_meta_key(key)
        self._meta[key] = _encoded(value)
