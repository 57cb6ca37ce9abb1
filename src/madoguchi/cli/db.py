"""``madoguchi db ...``: the database behind the event log.

``upgrade`` migrates a database to the newest schema revision (creating a SQLite file when
missing); ``current`` prints the revision it is at; ``derive-records`` folds the whole event log
into contact records again (they are derived data). Both take ``--url`` (or the environment
variable ``MADOGUCHI_DATABASE_URL``); without either they use ``sqlite:///madoguchi.sqlite3``.
A URL the store does not understand or cannot reach is reported naming ``--url``, with a
non-zero exit.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from sqlalchemy import Engine

app = typer.Typer(help="Database: migrate the schema, show its revision.", no_args_is_help=True)

UrlOpt = Annotated[
    str | None,
    typer.Option(
        "--url",
        envvar="MADOGUCHI_DATABASE_URL",
        help="Database URL: sqlite:///FILE or postgresql://USER@HOST:PORT/DB "
        "[default: sqlite:///madoguchi.sqlite3].",
        show_default=False,
    ),
]


@contextmanager
def _engine(url: str | None, *, must_exist: bool = False) -> Iterator[tuple[Engine, str]]:
    from pathlib import Path

    from madoguchi.store import DEFAULT_URL, StoreUnavailable, StoreUrlError, create_store_engine
    from madoguchi.store.engine import parse_url, redact

    chosen = url or DEFAULT_URL
    shown = redact(chosen)
    try:
        parsed = parse_url(chosen)
        engine = create_store_engine(chosen)
    except StoreUrlError as err:
        typer.echo(f"--url {shown}: {err}", err=True)
        raise typer.Exit(2) from None
    file = parsed.database if parsed.get_backend_name() == "sqlite" else None
    if must_exist and file and file != ":memory:" and not Path(file).exists():
        engine.dispose()
        typer.echo(f"--url {shown}: no such database file {file}", err=True)
        raise typer.Exit(1)
    try:
        yield engine, shown
    except StoreUnavailable as err:
        typer.echo(f"--url {shown}: {err}", err=True)
        raise typer.Exit(1) from None
    finally:
        engine.dispose()


@app.command("upgrade")
def upgrade(url: UrlOpt = None) -> None:
    """Migrate the database to the newest schema revision (safe to run again)."""
    from madoguchi.store.migrate import current_revision, head_revision
    from madoguchi.store.migrate import upgrade as migrate_up

    with _engine(url) as (engine, shown):
        before = current_revision(engine)
        after = migrate_up(engine)
    if before == after:
        typer.echo(f"{shown}: already at revision {after} (head {head_revision()})")
    else:
        typer.echo(f"{shown}: migrated from {before or 'empty'} to revision {after}")


@app.command("current")
def current(url: UrlOpt = None) -> None:
    """Print the schema revision the database is at, and the newest this version ships."""
    from madoguchi.store.migrate import current_revision, head_revision

    with _engine(url, must_exist=True) as (engine, shown):
        revision = current_revision(engine)
    head = head_revision()
    state = "up to date" if revision == head else "needs `madoguchi db upgrade`"
    typer.echo(f"{shown}: revision {revision or 'none (empty)'}, head {head}: {state}")


@app.command("derive-records")
def derive_records(url: UrlOpt = None) -> None:
    """Fold the event log into contact records and write every completed one (idempotent)."""
    from madoguchi.store import SqlEventStore, derive_contact_records
    from madoguchi.store.migrate import upgrade as migrate_up

    skipped: list[int] = []
    with _engine(url, must_exist=True) as (engine, shown):
        migrate_up(engine)
        store = SqlEventStore(engine)
        written = derive_contact_records(
            store, on_undecodable=lambda error: skipped.append(error.event_id)
        )
    typer.echo(f"{shown}: {written} contact records written")
    if skipped:
        shown_ids = ", ".join(str(i) for i in skipped[:10]) + (" …" if len(skipped) > 10 else "")
        typer.echo(f"{len(skipped)} undecodable events skipped (ids {shown_ids})", err=True)
