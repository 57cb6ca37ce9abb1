"""Fixtures for the store tests: one ``store`` per implementation, fresh for every test.

PostgreSQL tests get a schema of their own (created here, dropped after), so parallel runs on the
same server never see each other's tables. The server is expected on 127.0.0.1:5432 (override
with ``MADOGUCHI_TEST_POSTGRES_URL``); when it cannot be reached the test fails and says so.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from madoguchi.core.config import CenterConfig
from madoguchi.core.events import Event
from madoguchi.core.model import Channel, Contact, Direction
from madoguchi.core.routing import commands as rc
from madoguchi.core.routing.engine import RoutingEngine
from madoguchi.core.routing.events import ContactOffered
from madoguchi.samples import load_sample_center
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


# -- a scripted stretch of a routing day ----------------------------------------------------

TUESDAY_10_JST = datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Asia/Tokyo")).timestamp()


@dataclass
class RoutedDay:
    """The routing engine after the script, and every event it emitted, batch by batch."""

    config: CenterConfig
    engine: RoutingEngine
    batches: list[list[Event]] = field(default_factory=list)
    offers: dict[str, str] = field(default_factory=dict)
    """contact id → the agent it was last offered to"""

    @property
    def events(self) -> list[Event]:
        return [item for batch in self.batches for item in batch]


def _call(contact_id: str, now: float) -> Contact:
    return Contact(
        id=contact_id,
        channel=Channel.VOICE,
        direction=Direction.INBOUND,
        tenant="midori",
        created_at=now,
        customer_id=f"cust-{contact_id}",
        from_address="+81312345678",
        attributes={"用件": "住所変更"},
    )


@pytest.fixture(scope="session")
def routed_day() -> RoutedDay:
    """Two agents, four calls on the sample center's general queue, Tuesday 10:00 JST:
    c1 answered, ended and wrapped up (c3 then offered to the same agent); c2 answered, ended
    and wrapped up by the after-contact-work timer; c4 abandoned while waiting; c3 still ringing.
    """
    config = load_sample_center()
    day = RoutedDay(config, RoutingEngine(config))
    now = TUESDAY_10_JST

    def send(command: rc.RoutingCommand, step: float = 1.0) -> None:
        nonlocal now
        now += step
        day.batches.append(day.engine.receive(command, now))
        for item in day.batches[-1]:
            if isinstance(item, ContactOffered):
                day.offers[item.contact_id] = item.agent_id

    send(rc.AgentLogin("op01", available=True))
    send(rc.AgentLogin("op02", available=True))
    for contact_id in ("c1", "c2", "c3", "c4"):
        send(rc.EnqueueContact(_call(contact_id, now), "general"))
    send(rc.AcceptOffer("c1", day.offers["c1"]), 4.0)
    send(rc.AcceptOffer("c2", day.offers["c2"]), 2.0)
    send(rc.AbandonContact("c4"), 10.0)
    send(rc.EndContact("c2"), 100.0)
    send(rc.EndContact("c1"), 80.0)
    send(
        rc.CompleteWrapUp(day.offers["c1"], "c1", disposition="resolved", notes="住所変更済"), 20.0
    )
    due = day.engine.next_timer()
    assert due is not None
    day.batches.append(day.engine.handle_timer(due))
    return day
