"""Property: however batches are sized and pages are read, the log is the appended sequence."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from madoguchi.store import EventStore

batches = st.lists(st.integers(min_value=0, max_value=7), min_size=1, max_size=6)
pages = st.lists(st.integers(min_value=1, max_value=9), min_size=1, max_size=4)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(sizes=batches, page_sizes=pages, tenants=st.lists(st.sampled_from(["a", "b"]), min_size=1))
def test_any_batches_read_in_any_pages_give_back_the_appended_records_in_order(
    store: EventStore, sizes: list[int], page_sizes: list[int], tenants: list[str]
) -> None:
    base = store.last_id()  # the store is shared by the examples: look only at what this one adds
    appended: list[tuple[int, dict[str, object]]] = []
    for number, size in enumerate(sizes):
        tenant = tenants[number % len(tenants)]
        records = [
            {"type": "P", "v": 1, "at": float(i), "batch": number, "tenant": tenant}
            for i in range(size)
        ]
        last = store.append_records(records)
        first = last - size + 1
        appended += [(first + i, record) for i, record in enumerate(records)]
        assert last == (appended[-1][0] if appended else base)
    assert [event_id for event_id, _ in appended] == list(range(base + 1, base + len(appended) + 1))

    read: list[tuple[int, dict[str, object]]] = []
    after, turn = base, 0
    while page := list(
        store.read_records(after_id=after, limit=page_sizes[turn % len(page_sizes)])
    ):
        read += page
        after, turn = page[-1][0], turn + 1
    assert read == appended
    for tenant in ("a", "b"):
        mine = [item for item in appended if item[1]["tenant"] == tenant]
        assert list(store.read_records(after_id=base, tenant=tenant)) == mine
