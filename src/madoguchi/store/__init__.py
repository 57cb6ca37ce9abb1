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
    ├── MalformedRecord      a record or value that cannot be stored
    └── UndecodableEvent     a logged record that is not a known event (reported, not raised,
                             by EventStore.read)

Schema, URLs and migrations are described in docs/store.md.
"""

from __future__ import annotations

from madoguchi.store.engine import DEFAULT_URL, MEMORY_URL, URL_ENV, create_store_engine
from madoguchi.store.errors import (
    MalformedRecord,
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
    "SqlEventStore",
    "StoreError",
    "StoreUnavailable",
    "StoreUrlError",
    "StoredContactRecord",
    "UndecodableEvent",
    "UndecodableHandler",
    "create_store_engine",
    "log_undecodable",
    "open_store",
]


def open_store(url: str = DEFAULT_URL, *, migrate: bool = True) -> EventStore:
    """The store at ``url``, migrated to the newest schema revision unless ``migrate`` is False.

    ``memory://`` gives a fresh :class:`InMemoryEventStore`.
    """
    if url == MEMORY_URL:
        return InMemoryEventStore()
    from madoguchi.store.migrate import upgrade

    engine = create_store_engine(url)
    if migrate:
        try:
            upgrade(engine)
        except BaseException:
            engine.dispose()
            raise
    return SqlEventStore(engine)
