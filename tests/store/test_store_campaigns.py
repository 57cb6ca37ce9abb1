"""Outbound tables on SQLite and PostgreSQL: list import with customer links, do-not-call
entries (tenant-wide and per campaign), the block log, and attempts folded into a report."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from madoguchi.core.dialer import OutboundReport, parse_call_list
from madoguchi.store.campaigns import (
    CampaignRow,
    DialAttemptRow,
    ListRecordRow,
    add_dnc,
    attempt_events,
    blocking_dnc,
    core_campaign,
    core_record,
    dnc_registry,
    import_records,
    log_block,
)
from madoguchi.store.crm import Customer
from madoguchi.store.engine import create_store_engine
from madoguchi.store.migrate import upgrade

BACKENDS = ["sqlite_url", pytest.param("postgres_url", marks=pytest.mark.postgres)]
#: Tuesday 2026-11-24 10:00 in Tokyo.
NOW = datetime(2026, 11, 24, 1, 0, tzinfo=UTC).timestamp()


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    made = create_store_engine(request.getfixturevalue(request.param))
    upgrade(made)
    yield made
    made.dispose()


def campaign(db: Session, key: str = "c1", tenant: str = "midori") -> CampaignRow:
    moment = datetime.fromtimestamp(NOW, UTC)
    row = CampaignRow(
        tenant=tenant, key=key, name=key, type="sales", mode="preview", dispositions=[],
        rules={"max_attempts": 3}, status="running", created_at=moment, updated_at=moment,
    )  # fmt: skip
    db.add(row)
    db.flush()
    return row


def test_given_a_list_when_imported_then_records_link_to_customers_and_duplicates_are_skipped(
    engine: Engine,
) -> None:
    with Session(engine) as db:
        moment = datetime.fromtimestamp(NOW, UTC)
        db.add(
            Customer(
                tenant="midori", customer_number="M1", name="山田", phone="+819012345678",
                created_at=moment, updated_at=moment,
            )
        )  # fmt: skip
        row = campaign(db)
        text = "phone,name\n090-1234-5678,山田\n03-5555-0101,佐藤\n"
        records = parse_call_list(text, "l.csv")
        assert import_records(db, row, records, NOW) == (2, 0)
        assert import_records(db, row, records, NOW) == (0, 2)
        db.commit()
        stored = {r.number: r for r in db.scalars(select(ListRecordRow))}
        assert stored["+819012345678"].customer_id is not None
        assert stored["+81355550101"].customer_id is None
        assert core_record(stored["+81355550101"]).id == "r2"
        assert core_campaign(row).max_attempts == 3


def test_given_the_same_number_twice_in_a_campaign_then_the_database_refuses_it(
    engine: Engine,
) -> None:
    with Session(engine) as db:
        row = campaign(db)
        moment = datetime.fromtimestamp(NOW, UTC)
        for key in ("r1", "r2"):
            db.add(
                ListRecordRow(
                    tenant="midori", campaign_id=row.id, key=key, number="+81355550101",
                    imported_at=moment,
                )
            )  # fmt: skip
        with pytest.raises(IntegrityError):
            db.flush()


def test_given_tenant_and_campaign_entries_then_blocking_finds_the_right_scope(
    engine: Engine,
) -> None:
    with Session(engine) as db:
        assert add_dnc(db, "midori", "+819011112222", NOW, reason="refused", added_by="op01")[1]
        assert add_dnc(db, "midori", "+819011112222", NOW + 5, reason="again")[1] is False
        add_dnc(db, "midori", "+819033334444", NOW, campaign_key="c1", reason="request")
        db.commit()
        assert blocking_dnc(db, "midori", "any", "+819011112222") is not None
        assert blocking_dnc(db, "midori", "c1", "+819033334444") is not None
        assert blocking_dnc(db, "midori", "c2", "+819033334444") is None
        assert blocking_dnc(db, "aozora", "c1", "+819011112222") is None
        registry = dnc_registry(db, "midori")
        found = registry.blocking("midori", "x", "+819011112222")
        assert found is not None
        assert (found.reason, found.added_by, found.added_at) == ("refused", "op01", NOW)


def test_given_attempts_and_blocks_when_folded_then_the_report_counts_them(engine: Engine) -> None:
    with Session(engine) as db:
        row = campaign(db)
        import_records(db, row, parse_call_list("phone\n03-5555-0101\n", "l.csv"), NOW)
        record = db.scalars(select(ListRecordRow)).one()
        log_block(db, row, "+819011112222", "do_not_call", NOW)
        db.add(
            DialAttemptRow(
                tenant="midori", campaign_id=row.id, record_id=record.id, number=record.number,
                attempt=1, agent_id="op01", placed_at=datetime.fromtimestamp(NOW + 60, UTC),
                outcome="answered", ring_s=5.0, connected=True, talk_s=90.0,
                disposition="appointment", notes="",
                ended_at=datetime.fromtimestamp(NOW + 200, UTC),
            )
        )  # fmt: skip
        db.commit()
        events = attempt_events(db, row)
        figures = OutboundReport({"c1": 1}).apply_all(events).campaign("c1")
        assert figures.total.attempts == 1
        assert figures.total.blocked == 1
        assert figures.total.connects == 1
        assert figures.agents["op01"].appointments == 1
        assert figures.agents["op01"].talk_s == 90.0
        assert figures.penetration == 1.0
