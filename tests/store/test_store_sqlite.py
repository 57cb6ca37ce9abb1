"""What only the SQLite file store does: WAL, busy timeout, several connections, bad payloads."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from madoguchi.store import SqlEventStore, UndecodableEvent, open_store
from madoguchi.store import sql as sql_store
from madoguchi.store.engine import SQLITE_BUSY_TIMEOUT_MS


def open_sql(url: str) -> SqlEventStore:
    store = open_store(url)
    assert isinstance(store, SqlEventStore)
    return store


def test_sqlite_file_is_created_with_its_directory_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "var" / "center.sqlite3"
    with open_sql(f"sqlite:///{path}") as store, store.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
        assert conn.execute(text("PRAGMA busy_timeout")).scalar_one() == SQLITE_BUSY_TIMEOUT_MS
        assert conn.execute(text("PRAGMA foreign_keys")).scalar_one() == 1
    assert path.exists()


def test_a_second_store_on_the_same_file_reads_what_the_first_appended(sqlite_url: str) -> None:
    with open_sql(sqlite_url) as writer, open_sql(sqlite_url) as reader:
        writer.append_records([{"type": "A", "v": 1, "at": float(n)} for n in range(5)])
        assert [event_id for event_id, _ in reader.read_records()] == [1, 2, 3, 4, 5]
        writer.append_records([{"type": "A", "v": 1, "at": 6.0}])
        assert reader.last_id() == 6


def test_reading_pages_through_more_rows_than_one_query_fetches(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sql_store, "READ_PAGE", 3)
    with open_sql(sqlite_url) as store:
        store.append_records(
            [{"type": "A", "v": 1, "at": float(n), "tenant": "tu"[n % 2 == 0]} for n in range(10)]
        )
        assert [i for i, _ in store.read_records()] == list(range(1, 11))
        assert [i for i, _ in store.read_records(after_id=2, limit=7)] == list(range(3, 10))
        assert [i for i, _ in store.read_records(tenant="t", limit=4)] == [2, 4, 6, 8]


def test_a_payload_that_is_not_json_is_reported_with_its_id(sqlite_url: str) -> None:
    with open_sql(sqlite_url) as store:
        store.append_records([{"type": "A", "v": 1, "at": 1.0}, {"type": "B", "v": 1, "at": 2.0}])
        with store.engine.begin() as conn:
            conn.execute(text("UPDATE event_log SET payload = '{broken' WHERE id = 1"))
        reported: list[UndecodableEvent] = []
        assert list(store.read(on_undecodable=reported.append)) == []
        assert [(e.event_id, "not valid JSON" in e.reason) for e in reported] == [
            (1, True),
            (2, False),
        ]
