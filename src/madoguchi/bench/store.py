"""``madoguchi bench store``: events appended and read per second, per backend and batch size.

The events are a routing day's mix (queued, offered, connected, ended, wrapped up, agent state
changes), encoded by :func:`madoguchi.core.events.to_record` inside the timed region, as the
runtime would append them. Backends: the in-memory store, a SQLite file in a temporary directory
(WAL, synchronous=NORMAL) and PostgreSQL in a scratch schema (``MADOGUCHI_BENCH_POSTGRES_URL``,
default the local test server; reported as unreachable when it is not running). A batch of 1 is
one transaction per event — the worst case, a runtime committing each command on its own.
"""

from __future__ import annotations

import os
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

from rich.console import Console
from rich.table import Table

from madoguchi.core.events import Event
from madoguchi.core.model import AgentState, Channel, Direction, EndReason
from madoguchi.core.routing.events import (
    AgentStateChanged,
    ContactConnected,
    ContactEnded,
    ContactOffered,
    ContactQueued,
    ContactWrappedUp,
)
from madoguchi.store import EventStore, InMemoryEventStore, StoreError, open_store

POSTGRES_URL = os.environ.get(
    "MADOGUCHI_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)

BATCH_SIZES = (1, 10, 100, 1000)


def routing_day_events(count: int) -> list[Event]:
    """``count`` events in the proportions of a routing day (8 per answered contact)."""
    events: list[Event] = []
    at = 1_790_000_000.0
    n = 0
    while len(events) < count:
        contact, agent = f"c{n:07d}", f"a{n % 300:03d}"
        events += [
            ContactQueued(
                at=at,
                contact_id=contact,
                queue_id="inquiries",
                tenant="acme",
                channel=Channel.VOICE,
                direction=Direction.INBOUND,
                created_at=at - 20.0,
                priority=0,
                skills=(("general", 1),),
                wait_started_at=at,
                customer_id=f"cust{n % 5000}",
                from_address="+81312345678",
                attributes={"menu": "1", "会員種別": "一般"},
            ),
            AgentStateChanged(
                at=at + 5, agent_id=agent, state=AgentState.RESERVED, previous=AgentState.AVAILABLE
            ),
            ContactOffered(
                at=at + 5,
                contact_id=contact,
                agent_id=agent,
                queue_id="inquiries",
                timeout_at=at + 25,
            ),
            AgentStateChanged(
                at=at + 8, agent_id=agent, state=AgentState.ON_CONTACT, previous=AgentState.RESERVED
            ),
            ContactConnected(
                at=at + 8, contact_id=contact, agent_id=agent, queue_id="inquiries", wait_s=8.0
            ),
            ContactEnded(
                at=at + 200,
                contact_id=contact,
                reason=EndReason.COMPLETED,
                queue_id="inquiries",
                agent_id=agent,
                talk_s=180.0,
                hold_s=12.0,
            ),
            ContactWrappedUp(
                at=at + 230,
                contact_id=contact,
                agent_id=agent,
                queue_id="inquiries",
                acw_s=30.0,
                disposition="resolved",
                notes="住所変更を受付",
            ),
            AgentStateChanged(
                at=at + 230,
                agent_id=agent,
                state=AgentState.AVAILABLE,
                previous=AgentState.AFTER_CONTACT_WORK,
            ),
        ]
        at += 3.7
        n += 1
    return events[:count]


@contextmanager
def _memory() -> Iterator[EventStore]:
    yield InMemoryEventStore()


@contextmanager
def _sqlite() -> Iterator[EventStore]:
    with (
        tempfile.TemporaryDirectory(prefix="madoguchi-bench-") as folder,
        open_store(f"sqlite:///{folder}/bench.sqlite3") as store,
    ):
        yield store


@contextmanager
def _postgres() -> Iterator[EventStore]:
    from sqlalchemy import text

    from madoguchi.store import create_store_engine

    schema = f"bench_store_{uuid.uuid4().hex[:12]}"
    admin = create_store_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        separator = "&" if "?" in POSTGRES_URL else "?"
        url = f"{POSTGRES_URL}{separator}options={quote(f'-csearch_path={schema}')}"
        try:
            with open_store(url) as store:
                yield store
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        admin.dispose()


BACKENDS: dict[str, Callable[[], Any]] = {
    "memory": _memory,
    "sqlite": _sqlite,
    "postgres": _postgres,
}


def _append_rate(make: Callable[[], Any], events: list[Event], batch: int) -> tuple[float, float]:
    """(events appended per second, events read back and decoded per second)."""
    with make() as store:
        started = time.perf_counter()
        for start in range(0, len(events), batch):
            store.append(events[start : start + batch])
        appended = len(events) / (time.perf_counter() - started)
        started = time.perf_counter()
        read = sum(1 for _ in store.read())
        assert read == len(events)
        return appended, read / (time.perf_counter() - started)


def _sample_size(total: int, batch: int) -> int:
    """Small batches commit once per batch: time fewer events with them."""
    if batch == 1:
        return max(200, total // 20)
    if batch == 10:
        return max(1_000, total // 4)
    return total


def run(quick: bool, console: Console) -> dict[str, Any]:
    """Append and read a routing day's events on every backend; print and return the rates."""
    total = 4_000 if quick else 40_000
    events = routing_day_events(total)
    document: dict[str, Any] = {
        "events": {str(batch): _sample_size(total, batch) for batch in BATCH_SIZES},
    }
    table = Table(title=f"Event log: events per second (up to {total:,} events per run)")
    table.add_column("backend")
    for batch in BATCH_SIZES:
        table.add_column(f"append, batch {batch}", justify="right")
    table.add_column("read", justify="right")
    for name, make in BACKENDS.items():
        results: dict[str, Any] = {}
        cells: list[str] = []
        try:
            read_rate = 0.0
            for batch in BATCH_SIZES:
                sample = events[: _sample_size(total, batch)]
                appended, read_rate = _append_rate(make, sample, batch)
                results[f"append_batch_{batch}_per_s"] = round(appended)
                cells.append(f"{appended:,.0f}")
            results["read_per_s"] = round(read_rate)
            cells.append(f"{read_rate:,.0f}")
        except StoreError as err:
            results = {"error": str(err)}
            cells = ["unreachable"] * (len(BATCH_SIZES) + 1)
        document[name] = results
        table.add_row(name, *cells)
    console.print(table)
    return document
