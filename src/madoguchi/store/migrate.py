"""Run the store's Alembic migrations from code (no ``alembic.ini`` needed).

The migration scripts ship inside the package (``madoguchi/store/migrations``);
:func:`upgrade` brings a database to the newest revision and is what
:func:`madoguchi.store.open_store` and ``madoguchi db upgrade`` call. On PostgreSQL an advisory
lock keeps two processes starting at once from migrating the same schema together.
"""

from __future__ import annotations

from collections.abc import Callable

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import OperationalError

from madoguchi.store.errors import StoreUnavailable

#: Where Alembic finds env.py and the revisions (a package resource path).
SCRIPT_LOCATION = "madoguchi.store:migrations"

#: Key of the PostgreSQL advisory lock taken while migrating.
MIGRATION_LOCK_KEY = 0x6D69677261  # "migra"


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic configuration for the packaged migrations, bound to ``connection``."""
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest revision the package ships."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None when it has never been migrated."""
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    except OperationalError as err:
        raise StoreUnavailable(f"cannot reach the database: {err.orig}") from err


def upgrade(engine: Engine, revision: str = "head") -> str | None:
    """Migrate the database up to ``revision`` (the newest by default); return where it ends."""
    return _migrate(engine, command.upgrade, revision)


def downgrade(engine: Engine, revision: str) -> str | None:
    """Migrate the database down to ``revision`` (``"base"``: drop every table, the log too)."""
    return _migrate(engine, command.downgrade, revision)


def _migrate(engine: Engine, step: Callable[[Config, str], None], revision: str) -> str | None:
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
                )
            step(alembic_config(conn), revision)
    except OperationalError as err:
        raise StoreUnavailable(f"cannot migrate the database: {err.orig}") from err
    return current_revision(engine)
