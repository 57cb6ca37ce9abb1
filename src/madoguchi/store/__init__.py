"""Persistence: the append-only event log, contact records and runtime metadata.

The port is :class:`EventStore` (:mod:`madoguchi.store.port`); it has two implementations, run
through one contract test suite:

* :class:`InMemoryEventStore` — lists and dicts, for tests and the simulator;
* :class:`SqlEventStore` — SQLAlchemy 2 over a SQLite file (the default) or PostgreSQL, with the
  schema managed by Alembic migrations shipped in this package.

:func:`open_store` takes a URL (``sqlite:///file``, ``postgresql://…``, ``memory://``), migrates
the database to the newest revision and returns the store::

    with open_store("sqlite:///var/center.sqlite3") as store:
        last = store.append(events)
        for event_id, item in store.read(after_id=0):
            ...

Errors (:mod:`madoguchi.store.errors`)::

    StoreError
    ├── StoreUnavailable     database unreachable, unopenable or failing to migrate
    ├── StoreUrlError        unsupported URL
    ├── SchemaOutOfDate      opened with migrate=False on a database not at the newest revision
    ├── MalformedRecord      a record or value that cannot be stored
    └── UndecodableEvent     a logged record that is not a known event (reported, not raised,
                             by EventStore.read)

Contact records are folded from the log by the core's ``ContactRecordBuilder`` and persisted
through :mod:`madoguchi.store.contact_records` (``derive_contact_records(store)`` rebuilds them all
from the log). Schema, URLs and migrations are described in docs/store.md.
"""

from __future__ import annotations

from madoguchi.store.contact_records import (
    contact_record_from_stored,
    derive_contact_records,
    stored_contact_record,
)
from madoguchi.store.engine import DEFAULT_URL, MEMORY_URL, URL_ENV, create_store_engine
from madoguchi.store.errors import (
    MalformedRecord,
    SchemaOutOfDate,
    StoreError,
    StoreUnavailable,
    StoreUrlError,
    UndecodableEvent,
)
from madoguchi.store.memory import InMemoryEventStore
from madoguchi.store.port import (
    EventStore,
    LoggedEvent,
    StoredContactRecord,
    UndecodableHandler,
    log_undecodable,
)
from madoguchi.store.sql import SqlEventStore

__all__ = [
    "DEFAULT_URL",
    "MEMORY_URL",
    "URL_ENV",
    "EventStore",
    "InMemoryEventStore",
    "LoggedEvent",
    "MalformedRecord",
    "SchemaOutOfDate",
    "SqlEventStore",
    "StoreError",
    "StoreUnavailable",
    "StoreUrlError",
    "StoredContactRecord",
    "UndecodableEvent",
    "UndecodableHandler",
    "contact_record_from_stored",
    "create_store_engine",
    "derive_contact_records",
    "log_undecodable",
    "open_store",
    "stored_contact_record",
]


def open_store(url: str = DEFAULT_URL, *, migrate: bool = True) -> EventStore:
    """The store at ``url``, migrated to the newest schema revision.

    With ``migrate=False`` (migrations run separately, by ``madoguchi db upgrade``) the database
    must already be at the newest revision, else :class:`SchemaOutOfDate`. ``memory://`` gives a
    fresh :class:`InMemoryEventStore`.
    """
    if url == MEMORY_URL:
        return InMemoryEventStore()
    from madoguchi.store.migrate import current_revision, head_revision, upgrade

    engine = create_store_engine(url)
    try:
        if migrate:
            upgrade(engine)
        elif (found := current_revision(engine)) != (head := head_revision()):
            raise SchemaOutOfDate(
                f"database is at revision {found or 'none'}, this version needs {head}: "
                "run `madoguchi db upgrade`"
            )
    except BaseException:
        engine.dispose()
        raise
    return SqlEventStore(engine)
