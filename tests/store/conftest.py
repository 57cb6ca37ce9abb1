"""Fixtures for the store tests: one ``store`` per implementation, fresh for every test.

PostgreSQL tests get a schema of their own (created here, dropped after), so parallel runs on the
same server never see each other's tables. The server is expected on 127.0.0.1:5432 (override
with ``MADOGUCHI_TEST_POSTGRES_URL``); when it cannot be reached the test fails and says so.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from madoguchi.store import EventStore, InMemoryEventStore, open_store

POSTGRES_URL = os.environ.get(
    "MADOGUCHI_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A URL for a SQLite file that does not exist yet."""
    return f"sqlite:///{tmp_path / 'store.sqlite3'}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL whose tables land in a fresh PostgreSQL schema, dropped after the test."""
    schema = f"test_store_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError as err:
        admin.dispose()
        pytest.fail(
            f"PostgreSQL is not reachable at {POSTGRES_URL} ({err.orig}); the store tests "
            "marked 'postgres' need it running (trust auth)",
            pytrace=False,
        )
    separator = "&" if "?" in POSTGRES_URL else "?"
    yield f"{POSTGRES_URL}{separator}options={quote(f'-csearch_path={schema}')}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(
    params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
)
def store(request: pytest.FixtureRequest) -> Iterator[EventStore]:
    """A fresh, empty store of each implementation."""
    made: EventStore
    if request.param == "memory":
        made = InMemoryEventStore()
    elif request.param == "sqlite":
        made = open_store(request.getfixturevalue("sqlite_url"))
    else:
        made = open_store(request.getfixturevalue("postgres_url"))
    with made:
        yield made
