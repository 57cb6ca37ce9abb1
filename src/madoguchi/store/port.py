"""The store port: what the runtime, the simulator and reports need from a database.

:class:`EventStore` is the abstract base; :class:`~madoguchi.store.memory.InMemoryEventStore` and
:class:`~madoguchi.store.sql.SqlEventStore` implement it, and one contract test suite
(``tests/store/test_store_contract.py``) runs over both.

The event log is append-only. Ids start at 1, grow by append order and are never reused (on
PostgreSQL a batch the server refuses leaves a gap: readers page by "greater than", never by
counting); one
:meth:`EventStore.append` call is one transaction, so a batch is logged whole or not at all.
Reading decodes each record with :func:`madoguchi.core.events.from_record`; a record that cannot
be decoded (an unknown type or version, bad fields) is handed to the ``on_undecodable`` callback
as an :class:`~madoguchi.store.errors.UndecodableEvent` carrying its id, and the reader goes on.
The default callback logs a warning with the id.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, ClassVar, NamedTuple, Self

from madoguchi.core.events import Event, EventError, from_record, to_record
from madoguchi.store.errors import MalformedRecord, UndecodableEvent

_log = logging.getLogger("madoguchi.store")

#: Key of the stand-in record a reader yields for a stored payload that is not JSON.
UNREADABLE_PAYLOAD = "unreadable_payload"

#: Called with each record that :meth:`EventStore.read` skips because it cannot be decoded.
UndecodableHandler = Callable[[UndecodableEvent], None]


def log_undecodable(error: UndecodableEvent) -> None:
    """The default :data:`UndecodableHandler`: log a warning naming the record's id."""
    _log.warning("skipping undecodable event %d: %s", error.event_id, error.reason)


class LoggedEvent(NamedTuple):
    """An event as read back from the log, with its id."""

    id: int
    """Position in the log: 1, 2, 3… in append order."""
    event: Event


@dataclass(frozen=True, slots=True)
class StoredContactRecord:
    """One contact's whole journey as persisted: indexed columns plus the full document.

    The indexed fields are what reports search by; ``document`` is the JSON-ready record folded
    from events (see :mod:`madoguchi.store.contact_records`), stored as is.
    """

    contact_id: str
    tenant: str
    channel: str
    direction: str
    started_at: float
    """When the contact began (epoch seconds); time-range queries use this."""
    ended_at: float | None = None
    """None while the contact is still going on."""
    customer_id: str | None = None
    queues: tuple[str, ...] = ()
    """Every queue the contact waited in, in order (overflow and transfers add more)."""
    agents: tuple[str, ...] = ()
    """Every agent who handled it, in order."""
    end_reason: str | None = None
    document: Mapping[str, Any] = field(default_factory=dict)
    """The full record (JSON-ready: str, int, float, bool, None, lists and dicts of those)."""


#: Longest ids and codes the tables hold (characters); longer ones are refused by every store.
MAX_TYPE = 128
MAX_ID = 128
MAX_TENANT = 64
MAX_CODE = 16
MAX_REASON = 32
MAX_KEY = 200


def _check_length(what: str, value: str | None, limit: int) -> None:
    if value is not None and len(value) > limit:
        raise MalformedRecord(f"{what} longer than {limit} characters: {value[:40]!r}…")


class RecordKey(NamedTuple):
    """The indexed columns of an event record."""

    type: str
    version: int
    at: float
    tenant: str | None
    contact_id: str | None


def record_key(record: Mapping[str, Any], tenant: str | None = None) -> RecordKey:
    """The indexed columns of ``record`` (filed under ``tenant`` when given, else under its own
    ``tenant`` field); :class:`MalformedRecord` when it has no usable ``type``, ``v`` or ``at``."""
    kind = record.get("type")
    version = record.get("v", 1)
    at = record.get("at")
    if not isinstance(kind, str) or not kind:
        raise MalformedRecord(f"event record without a type: {dict(record)!r:.200}")
    if not isinstance(version, int) or isinstance(version, bool):
        raise MalformedRecord(f"{kind} record with a bad version {version!r}")
    if not isinstance(at, int | float) or isinstance(at, bool) or at != at:
        raise MalformedRecord(f"{kind} record with a bad 'at' {at!r}")
    key = RecordKey(
        kind, version, float(at), tenant or record_tenant(record), record_contact_id(record)
    )
    _check_length("event type", key.type, MAX_TYPE)
    _check_length("tenant", key.tenant, MAX_TENANT)
    _check_length("contact id", key.contact_id, MAX_ID)
    return key


def record_keys(
    records: Sequence[Mapping[str, Any]],
    tenant: str | None = None,
    tenants: Sequence[str | None] | None = None,
) -> list[RecordKey]:
    """:func:`record_key` of each record, filed under ``tenants[i]`` when given (one per record,
    :class:`MalformedRecord` when the counts differ), else under ``tenant``."""
    if tenants is None:
        return [record_key(record, tenant) for record in records]
    if len(tenants) != len(records):
        raise MalformedRecord(f"{len(tenants)} tenants given for {len(records)} events")
    return [record_key(record, filed) for record, filed in zip(records, tenants, strict=True)]


def check_meta_key(key: str) -> None:
    """Refuse (:class:`MalformedRecord`) a runtime metadata key that is empty or too long."""
    if not key:
        raise MalformedRecord("empty runtime metadata key")
    _check_length("runtime metadata key", key, MAX_KEY)


def check_contact_record(record: StoredContactRecord) -> None:
    """Refuse (:class:`MalformedRecord`) a contact record whose ids or codes are too long."""
    _check_length("contact id", record.contact_id, MAX_ID)
    _check_length("tenant", record.tenant, MAX_TENANT)
    _check_length("channel", record.channel, MAX_CODE)
    _check_length("direction", record.direction, MAX_CODE)
    _check_length("customer id", record.customer_id, MAX_ID)
    _check_length("end reason", record.end_reason, MAX_REASON)
    for queue in record.queues:
        _check_length("queue id", queue, MAX_ID)
    for agent in record.agents:
        _check_length("agent id", agent, MAX_ID)


def record_tenant(record: Mapping[str, Any]) -> str | None:
    """The tenant an event record belongs to, when the event carries a ``tenant`` field."""
    value = record.get("tenant")
    return value if isinstance(value, str) else None


def record_contact_id(record: Mapping[str, Any]) -> str | None:
    """The contact an event record is about, when the event carries a ``contact_id`` field."""
    value = record.get("contact_id")
    return value if isinstance(value, str) else None


def decode_logged(
    event_id: int, record: Mapping[str, Any], on_undecodable: UndecodableHandler
) -> LoggedEvent | None:
    """Decode one stored record, or report it to ``on_undecodable`` and return None."""
    if UNREADABLE_PAYLOAD in record:
        reason = f"stored payload is not valid JSON: {record[UNREADABLE_PAYLOAD]!r:.200}"
        on_undecodable(UndecodableEvent(event_id, reason, dict(record)))
        return None
    try:
        return LoggedEvent(event_id, from_record(record))
    except (EventError, KeyError, TypeError, ValueError) as err:
        on_undecodable(UndecodableEvent(event_id, str(err), dict(record)))
        return None


class EventStore(ABC):
    """The append-only event log, contact records and a little runtime metadata."""

    # -- event log ------------------------------------------------------------------------

    #: True when calls do I/O (a database): an asyncio runtime runs them off its loop, in a
    #: worker thread. False for a store that lives in memory and belongs to one thread.
    blocking: ClassVar[bool] = True

    def append(
        self,
        events: Iterable[Event],
        tenant: str | None = None,
        *,
        tenants: Sequence[str | None] | None = None,
        contact_records: Iterable[StoredContactRecord] = (),
    ) -> int:
        """Log ``events`` in one transaction; return the id of the last one (or :meth:`last_id`
        when ``events`` is empty).

        ``tenant`` files the whole batch under that tenant; ``tenants`` files each event under
        its own (one entry per event, None: unfiled) — the runtime passes the tenant each event
        belongs to. Without either, each event is filed under its own ``tenant`` field, if it
        has one. :meth:`read` with ``tenant=`` selects by this.

        ``contact_records`` are upserted in the same transaction (the records those events
        completed): the log and the records derived from it commit together or not at all.
        """
        return self.append_records(
            [to_record(item) for item in events],
            tenant,
            tenants=tenants,
            contact_records=contact_records,
        )

    @abstractmethod
    def append_records(
        self,
        records: Sequence[Mapping[str, Any]],
        tenant: str | None = None,
        *,
        tenants: Sequence[str | None] | None = None,
        contact_records: Iterable[StoredContactRecord] = (),
    ) -> int:
        """Log raw event records (``{"type", "v", "at", ...}``) in one transaction, as is.

        For copying a log between stores; the runtime uses :meth:`append`. Arguments as there.
        """

    def read(
        self,
        after_id: int = 0,
        limit: int | None = None,
        tenant: str | None = None,
        on_undecodable: UndecodableHandler = log_undecodable,
    ) -> Iterator[LoggedEvent]:
        """Events with id greater than ``after_id``, oldest first.

        ``limit`` caps how many records are looked at (undecodable ones count too, so a reader
        paging by id never loops on a bad record); ``tenant`` keeps only events filed under that
        tenant (see :meth:`append`).
        """
        for event_id, record in self.read_records(after_id, limit, tenant):
            logged = decode_logged(event_id, record, on_undecodable)
            if logged is not None:
                yield logged

    @abstractmethod
    def read_records(
        self, after_id: int = 0, limit: int | None = None, tenant: str | None = None
    ) -> Iterator[tuple[int, dict[str, Any]]]:
        """Raw records with id greater than ``after_id``, oldest first, undecoded."""

    @abstractmethod
    def last_id(self) -> int:
        """Id of the newest logged event, 0 when the log is empty."""

    # -- contact records ------------------------------------------------------------------

    @abstractmethod
    def upsert_contact_records(self, records: Iterable[StoredContactRecord]) -> None:
        """Insert or replace contact records by ``contact_id``, in one transaction."""

    @abstractmethod
    def get_contact_record(self, contact_id: str) -> StoredContactRecord | None:
        """The record of one contact, or None."""

    @abstractmethod
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
        """Records matching every given filter, by ``started_at`` then ``contact_id``.

        The time range is ``started_from <= started_at < started_before``; ``queue`` and
        ``agent`` match a record that passed through that queue or agent at any point.
        """

    # -- runtime metadata -----------------------------------------------------------------

    @abstractmethod
    def get_meta(self, key: str) -> Any:
        """A small JSON value stored under ``key`` (snapshot positions, leases…), or None."""

    @abstractmethod
    def put_meta(self, key: str, value: Any) -> None:
        """Store a JSON-ready value under ``key``, replacing any earlier one."""

    # -- lifetime -------------------------------------------------------------------------

    def close(self) -> None:  # noqa: B027 - optional hook, nothing to release by default
        """Release connections; the store cannot be used afterwards."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
