"""``wfm forecast --db``: contact records from a store feed the same forecast as a CSV."""

from __future__ import annotations

import csv
import dataclasses
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from madoguchi.cli import app
from madoguchi.core.model import Channel, Direction, EndReason
from madoguchi.core.records import ContactRecord
from madoguchi.store import InMemoryEventStore, open_store, stored_contact_record
from madoguchi.wfm_store import StoreReadCounts, contact_records_from_store

runner = CliRunner()
JST = timezone(timedelta(hours=9))
FIRST_DAY = datetime(2026, 9, 7, tzinfo=JST)  # a Monday


def contact(
    contact_id: str,
    at: float,
    *,
    queue: str | None = "general",
    handle_s: float = 200.0,
    answered: bool = True,
    direction: Direction = Direction.INBOUND,
) -> ContactRecord:
    """A completed record as the core's builder would fold it."""
    talk = handle_s - 30.0 if answered else 0.0
    acw = 30.0 if answered else 0.0
    values: dict[str, Any] = {
        "contact_id": contact_id,
        "tenant": "t1",
        "channel": Channel.VOICE,
        "direction": direction,
        "created_at": at,
        "customer_id": None,
        "from_address": "+81501234567",
        "to_address": None,
        "language": "ja",
        "attributes": {},
        "first_queued_at": at if queue else None,
        "queues": (queue,) if queue else (),
        "agents": ("op01",) if answered else (),
        "offers": 1 if answered else 0,
        "missed_offers": 0,
        "answered": answered,
        "wait_s": 10.0,
        "talk_s": talk,
        "hold_s": 0.0,
        "acw_s": acw,
        "transfers": 0,
        "overflows": 0,
        "callback_number": None,
        "abandoned": not answered,
        "end_reason": EndReason.COMPLETED if answered else EndReason.ABANDONED,
        "ended_at": at + talk + 10.0,
        "completed_at": at + handle_s + 10.0,
        "dispositions": (),
        "notes": (),
        "direct": False,
    }
    # only the fields the record has (the core's record grows fields over time)
    names = {f.name for f in dataclasses.fields(ContactRecord)}
    return ContactRecord(**{k: v for k, v in values.items() if k in names})


def weeks_of_contacts(days: int, seed: int, abandon: float = 0.0) -> list[ContactRecord]:
    """Business-hours calls with a weekly pattern; ``abandon`` of them hang up unanswered."""
    rng = np.random.default_rng(seed)
    out = []
    for d in range(days):
        midnight = (FIRST_DAY + timedelta(days=d)).timestamp()
        weekday = (FIRST_DAY + timedelta(days=d)).weekday()
        count = int(rng.poisson(120 if weekday < 5 else 50))
        starts = np.sort(midnight + 9 * 3600 + rng.uniform(0, 9 * 3600, count))
        for k, at in enumerate(starts.tolist()):
            answered = bool(rng.uniform() >= abandon)
            handle = float(60.0 + rng.exponential(180.0))
            out.append(contact(f"c{d:03d}-{k:04d}", at, handle_s=handle, answered=answered))
    return out


def test_store_records_become_forecast_records_of_queued_inbound_contacts() -> None:
    store = InMemoryEventStore()
    at = FIRST_DAY.timestamp() + 10 * 3600
    store.upsert_contact_records(
        stored_contact_record(r)
        for r in (
            contact("a", at, handle_s=300.0),
            contact("b", at + 60, answered=False),
            contact("c", at + 120, queue=None),  # self-service in the flow
            contact("d", at + 180, direction=Direction.OUTBOUND),
            contact("e", at + 240, queue="orders", handle_s=100.0),
        )
    )
    counts = StoreReadCounts()
    records = contact_records_from_store(store, counts=counts)
    assert [(r.started_at - at, r.handle_s, r.handled) for r in records] == [
        (0.0, 300.0, True),
        (60.0, 0.0, False),
        (240.0, 100.0, True),
    ]
    assert (counts.used, counts.not_queued, counts.unreadable) == (3, 2, 0)
    only_orders = contact_records_from_store(store, queue="orders")
    assert [r.handle_s for r in only_orders] == [100.0]


def test_paging_by_start_time_neither_loses_nor_repeats_records_sharing_an_instant(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import madoguchi.wfm_store

    monkeypatch.setattr(madoguchi.wfm_store, "PAGE", 4)
    store = InMemoryEventStore()
    base = FIRST_DAY.timestamp()
    instants = [base, base, base, base + 1, base + 1, base + 1, base + 1, base + 2, base + 3]
    store.upsert_contact_records(
        stored_contact_record(contact(f"x{i}", t)) for i, t in enumerate(instants)
    )
    records = contact_records_from_store(store)
    assert sorted(r.started_at for r in records) == instants


def test_forecast_from_a_sqlite_store_equals_the_forecast_from_the_same_contacts_as_csv(
    tmp_path: Path,
) -> None:
    contacts = weeks_of_contacts(28, seed=3)
    url = f"sqlite:///{tmp_path / 'center.sqlite3'}"
    with open_store(url) as store:
        store.upsert_contact_records(stored_contact_record(r) for r in contacts)
    records_csv = tmp_path / "records.csv"
    with records_csv.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["timestamp", "handle_s"])
        for r in contacts:
            writer.writerow([repr(r.created_at), repr(r.handle_s)])
    common = ["--interval", "30m", "--days", "7", "--holdout-weeks", "1", "--json"]
    from_db = runner.invoke(app, ["wfm", "forecast", "--db", url, "--queue", "general", *common])
    from_csv = runner.invoke(app, ["wfm", "forecast", str(records_csv), *common])
    assert from_db.exit_code == 0, from_db.output
    assert from_csv.exit_code == 0, from_csv.output
    assert json.loads(from_db.stdout) == json.loads(from_csv.stdout)
    assert json.loads(from_db.stdout)["history_days"] == 28


def test_abandoned_contacts_add_volume_but_leave_aht_to_the_handled_ones(tmp_path: Path) -> None:
    contacts = weeks_of_contacts(28, seed=4, abandon=0.2)
    url = f"sqlite:///{tmp_path / 'center.sqlite3'}"
    with open_store(url) as store:
        store.upsert_contact_records(stored_contact_record(r) for r in contacts)
    result = runner.invoke(
        app,
        ["wfm", "forecast", "--db", url, "--interval", "30m", "--holdout-weeks", "1", "--json"],
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    handled = [r.handle_s for r in contacts if r.answered]
    weekdays = [d for d in document["days"] if d["kind"] in ("mon", "tue", "wed", "thu", "fri")]
    assert weekdays, document["days"]
    for day in weekdays:
        assert day["calls"] == pytest.approx(120, rel=0.25)  # offered, abandoned included
        assert day["aht_s"] == pytest.approx(np.mean(handled), rel=0.1)
    # ~12 handled calls an interval with exponential handle times: about 0.3 from noise alone
    assert document["backtest"]["aht_wape"] < 0.35


def test_forecast_refuses_both_or_neither_source_and_names_the_flag(tmp_path: Path) -> None:
    neither = runner.invoke(app, ["wfm", "forecast"])
    assert neither.exit_code != 0
    assert "--db" in neither.output
    queue_without_db = runner.invoke(
        app, ["wfm", "forecast", str(tmp_path / "x.csv"), "--queue", "general"]
    )
    assert queue_without_db.exit_code != 0
    assert "--queue" in queue_without_db.output


def test_forecast_from_a_store_without_matching_records_names_the_db_and_queue(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    result = runner.invoke(app, ["wfm", "forecast", "--db", url, "--queue", "nowhere"])
    assert result.exit_code == 2
    assert "--db" in result.output
    assert "--queue nowhere" in result.output


def test_before_leaves_out_the_contacts_of_that_day_and_later(tmp_path: Path) -> None:
    contacts = weeks_of_contacts(28, seed=5)
    url = f"sqlite:///{tmp_path / 'center.sqlite3'}"
    with open_store(url) as store:
        store.upsert_contact_records(stored_contact_record(r) for r in contacts)
    cut = (FIRST_DAY + timedelta(days=21)).date().isoformat()
    result = runner.invoke(
        app,
        ["wfm", "forecast", "--db", url, "--before", cut, "--holdout-weeks", "0", "--json"],
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["history_days"] == 21
    assert document["days"][0]["date"] == cut
    bad = runner.invoke(app, ["wfm", "forecast", "--db", url, "--before", "21 Sept"])
    assert bad.exit_code != 0
    assert "--before" in bad.output
