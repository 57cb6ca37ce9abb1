"""Several writers and a tailing reader on one SQL database: the reader misses nothing."""

from __future__ import annotations

import threading

import pytest

from madoguchi.store import EventStore, open_store

WRITERS = 3
BATCHES = 30
BATCH = 5


@pytest.mark.parametrize(
    "url_fixture", ["sqlite_url", pytest.param("postgres_url", marks=pytest.mark.postgres)]
)
def test_a_reader_tailing_by_id_sees_every_event_of_concurrent_writers_once(
    url_fixture: str, request: pytest.FixtureRequest
) -> None:
    url = request.getfixturevalue(url_fixture)
    stores: list[EventStore] = [open_store(url) for _ in range(WRITERS + 1)]
    total = WRITERS * BATCHES * BATCH
    errors: list[BaseException] = []

    def write(store: EventStore, writer: int) -> None:
        try:
            for batch in range(BATCHES):
                store.append_records(
                    [
                        {"type": "W", "v": 1, "at": float(i), "writer": writer, "batch": batch}
                        for i in range(BATCH)
                    ]
                )
        except BaseException as err:  # reported to the test below
            errors.append(err)

    threads = [threading.Thread(target=write, args=(stores[w], w)) for w in range(WRITERS)]
    for thread in threads:
        thread.start()
    seen: list[tuple[int, dict[str, object]]] = []
    reader = stores[-1]
    while len(seen) < total and (
        any(t.is_alive() for t in threads) or reader.last_id() > len(seen)
    ):
        after = seen[-1][0] if seen else 0
        seen.extend(reader.read_records(after_id=after, limit=7))
    for thread in threads:
        thread.join()
    for store in stores:
        store.close()
    assert errors == []
    assert [event_id for event_id, _ in seen] == list(range(1, total + 1))
    for start in range(0, total, BATCH):
        chunk = {(r["writer"], r["batch"]) for _, r in seen[start : start + BATCH]}
        assert len(chunk) == 1, "a batch's events are contiguous in the log"
