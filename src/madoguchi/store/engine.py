"""Database URLs and engines: SQLite by default, PostgreSQL by URL.

* ``sqlite:///path/to/file.sqlite3`` — a file (created when missing); WAL journal so readers
  never block the writer, a busy timeout of :data:`SQLITE_BUSY_TIMEOUT_MS`, foreign keys on.
* ``postgresql://user@host:5432/db`` — run through psycopg 3 (``postgresql+psycopg://`` is the
  same); ``?options=-csearch_path%3Dmyschema`` puts the tables in another schema.
* ``memory://`` — no database: :func:`madoguchi.store.open_store` gives the in-memory store.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from madoguchi.store._json import encode_json
from madoguchi.store.errors import StoreUrlError

#: Where ``madoguchi`` keeps its data when no URL is given (relative to the working directory).
DEFAULT_URL = "sqlite:///madoguchi.sqlite3"

#: Environment variable naming the database URL (read by the CLI).
URL_ENV = "MADOGUCHI_DATABASE_URL"

#: How long a SQLite connection waits for another writer before giving up.
SQLITE_BUSY_TIMEOUT_MS = 10_000

MEMORY_URL = "memory://"


def parse_url(url: str) -> URL:
    """The SQLAlchemy URL for ``url``, with the driver the store uses for its backend."""
    try:
        parsed = make_url(url)
    except ArgumentError as err:
        raise StoreUrlError(f"not a database URL: {url!r}") from err
    backend = parsed.get_backend_name()
    if backend == "postgresql":
        if "+" not in parsed.drivername:
            return parsed.set(drivername="postgresql+psycopg")
        if parsed.get_driver_name() != "psycopg":
            raise StoreUrlError(f"use postgresql+psycopg:// (psycopg 3), not {parsed.drivername}")
        return parsed
    if backend == "sqlite":
        if "+" in parsed.drivername and parsed.get_driver_name() != "pysqlite":
            raise StoreUrlError(f"unsupported SQLite driver {parsed.drivername}")
        return parsed
    raise StoreUrlError(f"unsupported database {backend!r}: use sqlite:/// or postgresql://")


def redact(url: str) -> str:
    """``url`` with any password hidden, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def create_store_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url`` set up as the store expects (see the module docstring)."""
    parsed = parse_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, json_serializer=encode_json, **kwargs)
        event.listen(engine, "connect", _configure_sqlite)
        return engine
    return create_engine(parsed, json_serializer=encode_json, pool_pre_ping=True, **kwargs)


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS:d}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()
