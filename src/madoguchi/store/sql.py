"""The SQL store: SQLAlchemy 2 over SQLite (a file, by default) or PostgreSQL.

Appends are one transaction per batch and go through the driver's bulk path: one ``COPY`` on
PostgreSQL (about 3× a SQLAlchemy ``executemany`` there), one ``executemany`` on SQLite; every
other statement is SQLAlchemy Core over the ORM tables of :mod:`madoguchi.store.schema`. On
PostgreSQL a transaction-scoped advisory lock serializes appends, so ids are committed in the
order they were given out and a reader that pages by id never misses an event committed late;
SQLite serializes writers by itself. Reads page through the log by id (:data:`READ_PAGE` rows
per query), so a long read holds no transaction open and little memory.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy import Connection, Engine, Text, func, select, type_coerce
from sqlalchemy.dialects import postgresql, sqlite

from madoguchi.store._json import encode_json
from madoguchi.store._sql_errors import reading, writing
from madoguchi.store.errors import MalformedRecord
from madoguchi.store.port import (
    UNREADABLE_PAYLOAD,
    EventStore,
    StoredContactRecord,
    check_contact_record,
    check_meta_key,
    record_keys,
)
from madoguchi.store.schema import (
    ContactRecordAgentRow,
    ContactRecordQueueRow,
    ContactRecordRow,
    EventRow,
    RuntimeMetaRow,
)

#: Rows fetched per query while reading the log.
READ_PAGE = 2_000

_EVENT_COLUMNS = "type, version, at, tenant, contact_id, payload"
_COPY_EVENTS = f"COPY {EventRow.__tablename__} ({_EVENT_COLUMNS}) FROM STDIN"
_INSERT_EVENTS = (
    f"INSERT INTO {EventRow.__tablename__} ({_EVENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)"  # noqa: S608 - constant names
)

_LAST_ID = f"SELECT max(id) FROM {EventRow.__tablename__}"  # noqa: S608 - constant names
_ADVISORY_LOCK = "SELECT pg_advisory_xact_lock(%s)"

#: Key of the PostgreSQL advisory lock that serializes appends (any constant bigint).
APPEND_LOCK_KEY = 0x6D61646F  # "mado"


class SqlEventStore(EventStore):
    """An :class:`~madoguchi.store.port.EventStore` in a SQL database reached by ``engine``.

    The schema must be at the latest revision: :func:`madoguchi.store.open_store` runs the
    migrations first.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._postgres = engine.dialect.name == "postgresql"

    # -- event log ------------------------------------------------------------------------

    def append_records(
        self,
        records: Sequence[Mapping[str, Any]],
        tenant: str | None = None,
        *,
        tenants: Sequence[str | None] | None = None,
        contact_records: Iterable[StoredContactRecord] = (),
    ) -> int:
        rows = []
        for key, record in zip(record_keys(records, tenant, tenants), records, strict=True):
            try:
                payload = encode_json(record)
            except (TypeError, ValueError) as err:
                raise MalformedRecord(f"{key.type} record not storable as JSON: {err}") from err
            rows.append((*key, payload))
        upsert = _ContactUpsert.of(contact_records)
        if not rows and upsert is None:
            return self.last_id()
        with writing("cannot append to the event log"), self.engine.begin() as conn:
            driver = conn.connection.driver_connection
            assert driver is not None
            if not rows:
                last = None
            elif self._postgres:
                with driver.cursor() as cursor:
                    cursor.execute(_ADVISORY_LOCK, (APPEND_LOCK_KEY,))
                    with cursor.copy(_COPY_EVENTS) as copy:
                        for row in rows:
                            copy.write_row(row)
                    cursor.execute(_LAST_ID)
                    found = cursor.fetchone()
                    last = found[0] if found else None
            else:
                driver.executemany(_INSERT_EVENTS, rows)
                found = driver.execute(_LAST_ID).fetchone()
                last = found[0] if found else None
            if upsert is not None:
                upsert.run(conn, self._postgres)
        return self.last_id() if last is None else int(last)

    def read_records(
        self, after_id: int = 0, limit: int | None = None, tenant: str | None = None
    ) -> Iterator[tuple[int, dict[str, Any]]]:
        remaining = limit
        last = after_id
        payload = EventRow.payload if self._postgres else type_coerce(EventRow.payload, Text)
        while remaining is None or remaining > 0:
            page = READ_PAGE if remaining is None else min(READ_PAGE, remaining)
            query = select(EventRow.id, payload).where(EventRow.id > last)
            if tenant is not None:
                query = query.where(EventRow.tenant == tenant)
            query = query.order_by(EventRow.id).limit(page)
            with reading(self.engine) as conn:
                rows = conn.execute(query).all()
            for event_id, stored in rows:
                yield event_id, stored if self._postgres else _parse_payload(stored)
            if len(rows) < page:
                return
            last = rows[-1][0]
            if remaining is not None:
                remaining -= len(rows)

    def last_id(self) -> int:
        with self._connect() as conn:
            return int(conn.execute(select(func.coalesce(func.max(EventRow.id), 0))).scalar_one())

    # -- contact records ------------------------------------------------------------------

    def upsert_contact_records(self, records: Iterable[StoredContactRecord]) -> None:
        upsert = _ContactUpsert.of(records)
        if upsert is None:
            return
        with writing("cannot write contact records"), self.engine.begin() as conn:
            upsert.run(conn, self._postgres)

    def get_contact_record(self, contact_id: str) -> StoredContactRecord | None:
        query = select(ContactRecordRow).where(ContactRecordRow.contact_id == contact_id)
        with self._connect() as conn:
            row = conn.execute(query).first()
        return None if row is None else _contact_record(row._mapping)

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
        row = ContactRecordRow
        query = select(row)
        if tenant is not None:
            query = query.where(row.tenant == tenant)
        if started_from is not None:
            query = query.where(row.started_at >= started_from)
        if started_before is not None:
            query = query.where(row.started_at < started_before)
        if customer_id is not None:
            query = query.where(row.customer_id == customer_id)
        if queue is not None:
            via_queue = select(ContactRecordQueueRow.contact_id).where(
                ContactRecordQueueRow.queue_id == queue
            )
            query = query.where(row.contact_id.in_(via_queue))
        if agent is not None:
            via_agent = select(ContactRecordAgentRow.contact_id).where(
                ContactRecordAgentRow.agent_id == agent
            )
            query = query.where(row.contact_id.in_(via_agent))
        query = query.order_by(row.started_at, row.contact_id)
        if limit is not None:
            query = query.limit(limit)
        with self._connect() as conn:
            return [_contact_record(found._mapping) for found in conn.execute(query)]

    # -- runtime metadata -----------------------------------------------------------------

    def get_meta(self, key: str) -> Any:
        with self._connect() as conn:
            row = conn.execute(select(RuntimeMetaRow.value).where(RuntimeMetaRow.key == key))
            found = row.first()
        return None if found is None else found[0]

    def put_meta(self, key: str, value: Any) -> None:
        check_meta_key(key)
        upsert = self._insert(RuntimeMetaRow).values(key=key, value=value)
        upsert = upsert.on_conflict_do_update(
            index_elements=[RuntimeMetaRow.key], set_={"value": upsert.excluded.value}
        )
        with writing(f"cannot write runtime metadata {key!r}"), self.engine.begin() as conn:
            conn.execute(upsert)

    # -- lifetime -------------------------------------------------------------------------

    def close(self) -> None:
        self.engine.dispose()

    def _connect(self) -> AbstractContextManager[Connection]:
        return reading(self.engine)

    def _insert(self, table: Any) -> Any:
        return (postgresql.insert if self._postgres else sqlite.insert)(table)


_RECORD_COLUMNS = (
    "contact_id",
    "tenant",
    "channel",
    "direction",
    "started_at",
    "ended_at",
    "customer_id",
    "end_reason",
    "queues",
    "agents",
    "document",
)
_JSON_COLUMNS = frozenset({"queues", "agents", "document"})


def _record_statements(mark: str) -> tuple[str, str, str, str, str]:
    """The driver-level statements of a contact-record upsert, with ``mark`` as placeholder:
    upsert the row, delete its queue and agent look-ups, insert them again."""
    record = ContactRecordRow.__tablename__
    queue = ContactRecordQueueRow.__tablename__
    agent = ContactRecordAgentRow.__tablename__
    names = ", ".join(_RECORD_COLUMNS)
    marks = ", ".join([mark] * len(_RECORD_COLUMNS))
    updates = ", ".join(f"{c} = excluded.{c}" for c in _RECORD_COLUMNS if c != "contact_id")
    return (
        f"INSERT INTO {record} ({names}) VALUES ({marks}) "  # noqa: S608 - constant names
        f"ON CONFLICT (contact_id) DO UPDATE SET {updates}",
        f"DELETE FROM {queue} WHERE contact_id = {mark}",  # noqa: S608 - constant names
        f"DELETE FROM {agent} WHERE contact_id = {mark}",  # noqa: S608 - constant names
        f"INSERT INTO {queue} (contact_id, queue_id) VALUES ({mark}, {mark})",  # noqa: S608
        f"INSERT INTO {agent} (contact_id, agent_id) VALUES ({mark}, {mark})",  # noqa: S608
    )


_SQLITE_RECORDS = _record_statements("?")
_POSTGRES_RECORDS = _record_statements("%s")


class _ContactUpsert:
    """Contact records checked and turned into rows, written through the driver (the
    statements are fixed: no SQL construction or compilation per write)."""

    def __init__(self, latest: dict[str, StoredContactRecord]) -> None:
        self.rows = [_contact_row(record) for record in latest.values()]
        self.ids = [(contact_id,) for contact_id in latest]
        self.queue_rows = [
            (r.contact_id, q) for r in latest.values() for q in dict.fromkeys(r.queues)
        ]
        self.agent_rows = [
            (r.contact_id, a) for r in latest.values() for a in dict.fromkeys(r.agents)
        ]

    @classmethod
    def of(cls, records: Iterable[StoredContactRecord]) -> _ContactUpsert | None:
        """None when there is nothing to write; :class:`MalformedRecord` before any write."""
        latest = {record.contact_id: record for record in records}
        if not latest:
            return None
        for record in latest.values():
            check_contact_record(record)
        return cls(latest)

    def run(self, conn: Connection, postgres: bool) -> None:
        driver = conn.connection.driver_connection
        assert driver is not None
        upsert, del_queues, del_agents, add_queue, add_agent = (
            _POSTGRES_RECORDS if postgres else _SQLITE_RECORDS
        )
        json_value = _postgres_json if postgres else encode_json
        rows = [
            tuple(json_value(row[c]) if c in _JSON_COLUMNS else row[c] for c in _RECORD_COLUMNS)
            for row in self.rows
        ]
        # on PostgreSQL the five statements go in one pipeline: one round trip, not five
        pipeline = driver.pipeline() if postgres else contextlib.nullcontext()
        cursor = driver.cursor()
        try:
            with pipeline:
                cursor.executemany(upsert, rows)
                cursor.executemany(del_queues, self.ids)
                cursor.executemany(del_agents, self.ids)
                if self.queue_rows:
                    cursor.executemany(add_queue, self.queue_rows)
                if self.agent_rows:
                    cursor.executemany(add_agent, self.agent_rows)
        finally:
            cursor.close()


def _postgres_json(value: Any) -> Any:
    from psycopg.types.json import Jsonb

    return Jsonb(value, dumps=encode_json)


def _parse_payload(stored: str) -> dict[str, Any]:
    try:
        value = json.loads(stored)
    except (TypeError, ValueError):
        return {UNREADABLE_PAYLOAD: stored}
    return value if isinstance(value, dict) else {UNREADABLE_PAYLOAD: stored}


def _contact_row(record: StoredContactRecord) -> dict[str, Any]:
    return {
        "contact_id": record.contact_id,
        "tenant": record.tenant,
        "channel": record.channel,
        "direction": record.direction,
        "started_at": float(record.started_at),
        "ended_at": None if record.ended_at is None else float(record.ended_at),
        "customer_id": record.customer_id,
        "end_reason": record.end_reason,
        "queues": list(record.queues),
        "agents": list(record.agents),
        "document": dict(record.document),
    }


def _contact_record(row: Mapping[Any, Any]) -> StoredContactRecord:
    return StoredContactRecord(
        contact_id=row["contact_id"],
        tenant=row["tenant"],
        channel=row["channel"],
        direction=row["direction"],
        started_at=row["started_at"],
        ended_at=row["ended_at"],
        customer_id=row["customer_id"],
        queues=tuple(row["queues"]),
        agents=tuple(row["agents"]),
        end_reason=row["end_reason"],
        document=row["document"],
    )


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
