"""Errors raised by the store.

::

    StoreError                      anything the store cannot do
    ├── StoreUnavailable            the database cannot be reached or opened (driver error chained)
    ├── StoreUrlError               a database URL the store does not understand
    ├── SchemaOutOfDate             the database is not at the schema revision this version needs
    ├── MalformedRecord             a record or value that cannot be stored (not JSON, no type…)
    └── UndecodableEvent            a logged record that is not a known event of a known version

:class:`UndecodableEvent` is not raised by :meth:`EventStore.read`: the reader reports it to its
``on_undecodable`` callback and goes on with the next record (see :mod:`madoguchi.store.port`).
"""

from __future__ import annotations


class StoreError(Exception):
    """Base of every store error."""


class StoreUnavailable(StoreError):
    """The database cannot be reached, opened or migrated; the cause is chained."""


class StoreUrlError(StoreError, ValueError):
    """A database URL with a scheme or driver the store does not support."""


class SchemaOutOfDate(StoreError):
    """The database's schema revision is not the one this version ships (run the migrations)."""


class MalformedRecord(StoreError, ValueError):
    """A record that cannot be stored: no ``type`` or ``at``, or a value JSON cannot hold."""


class UndecodableEvent(StoreError):
    """A logged record that cannot be turned back into an event.

    It carries the record's log id, so that an operator can find and repair it.
    """

    def __init__(self, event_id: int, reason: str, record: object = None) -> None:
        super().__init__(f"event {event_id}: {reason}")
        self.event_id = event_id
        """Id of the record in the event log."""
        self.reason = reason
        """Why it could not be decoded (unknown type, unknown version, bad fields)."""
        self.record = record
        """The raw stored record, as read from the log."""
