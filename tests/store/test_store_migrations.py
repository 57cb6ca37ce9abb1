"""The packaged Alembic migrations build exactly the ORM schema, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from madoguchi.store import (
    InMemoryEventStore,
    SchemaOutOfDate,
    SqlEventStore,
    StoreUnavailable,
    StoreUrlError,
    open_store,
)
from madoguchi.store.engine import create_store_engine, parse_url
from madoguchi.store.migrate import current_revision, downgrade, head_revision, upgrade
from madoguchi.store.schema import metadata

BACKENDS = ["sqlite_url", pytest.param("postgres_url", marks=pytest.mark.postgres)]


@pytest.mark.parametrize("url_fixture", BACKENDS)
def test_migrated_schema_has_no_difference_from_the_orm_metadata(
    url_fixture: str, request: pytest.FixtureRequest
) -> None:
    engine = create_store_engine(request.getfixturevalue(url_fixture))
    try:
        assert current_revision(engine) is None
        assert upgrade(engine) == head_revision()
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, metadata) == []
        tables = set(inspect(engine).get_table_names())
        assert {"event_log", "contact_record", "runtime_meta"} <= tables
    finally:
        engine.dispose()


@pytest.mark.parametrize("url_fixture", BACKENDS)
def test_opening_a_store_twice_migrates_once_and_keeps_the_log(
    url_fixture: str, request: pytest.FixtureRequest
) -> None:
    url = request.getfixturevalue(url_fixture)
    with open_store(url) as first:
        first.append_records([{"type": "Kept", "v": 1, "at": 1.0}])
    with open_store(url) as second:
        assert isinstance(second, SqlEventStore)
        assert current_revision(second.engine) == head_revision()
        assert second.last_id() == 1


@pytest.mark.parametrize("url_fixture", BACKENDS)
def test_downgrade_to_base_drops_every_table(
    url_fixture: str, request: pytest.FixtureRequest
) -> None:
    engine = create_store_engine(request.getfixturevalue(url_fixture))
    try:
        upgrade(engine)
        assert downgrade(engine, "base") is None
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()


def test_opening_without_migrating_refuses_a_database_not_at_the_newest_revision(
    sqlite_url: str,
) -> None:
    with pytest.raises(SchemaOutOfDate, match="run `madoguchi db upgrade`"):
        open_store(sqlite_url, migrate=False)
    open_store(sqlite_url).close()
    with open_store(sqlite_url, migrate=False) as store:
        assert store.last_id() == 0


def test_memory_url_gives_an_in_memory_store() -> None:
    assert isinstance(open_store("memory://"), InMemoryEventStore)


@pytest.mark.parametrize(
    ("url", "driver"),
    [
        ("postgresql://postgres@db/x", "postgresql+psycopg"),
        ("postgresql+psycopg://postgres@db/x", "postgresql+psycopg"),
        ("sqlite:///a.sqlite3", "sqlite"),
    ],
)
def test_postgres_urls_are_run_through_psycopg3(url: str, driver: str) -> None:
    assert parse_url(url).drivername == driver


@pytest.mark.parametrize(
    "url", ["mysql://root@db/x", "postgresql+asyncpg://db/x", "not a url", "sqlite+aiosqlite:///a"]
)
def test_unsupported_urls_are_refused_with_a_store_error(url: str) -> None:
    with pytest.raises(StoreUrlError):
        open_store(url)


def test_unreachable_database_is_a_store_unavailable_error() -> None:
    with pytest.raises(StoreUnavailable, match="cannot migrate"):
        open_store("postgresql://postgres@127.0.0.1:1/test?connect_timeout=2")


def test_the_packaged_revisions_form_one_chain_with_a_single_head() -> None:
    from alembic.script import ScriptDirectory

    from madoguchi.store.migrate import alembic_config

    scripts = ScriptDirectory.from_config(alembic_config())
    assert scripts.get_heads() == [head_revision()]
    assert scripts.get_bases() == ["0001"]
