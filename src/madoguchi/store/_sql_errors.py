"""Driver failures turned into store errors, for :mod:`madoguchi.store.sql`.

SQLAlchemy wraps most driver errors, but the bulk append path talks to the driver directly
(psycopg ``COPY``, sqlite3 ``executemany``) and psycopg calls the JSON serializer itself, so both
the wrapped and the raw forms are mapped here.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DataError, OperationalError, StatementError

from madoguchi.store.errors import MalformedRecord, StoreUnavailable


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """A connection whose failures to reach the database become :class:`StoreUnavailable`."""
    try:
        with engine.connect() as conn:
            yield conn
    except OperationalError as err:
        raise StoreUnavailable(f"database error: {err.orig}") from err


@contextmanager
def writing(what: str) -> Iterator[None]:
    """Map failures inside a write: unreachable database → :class:`StoreUnavailable`; a value
    the database or JSON cannot hold → :class:`MalformedRecord`. ``what`` starts the message."""
    try:
        yield
    except OperationalError as err:
        raise StoreUnavailable(f"{what}: {err.orig}") from err
    except (sqlite3.OperationalError, psycopg.OperationalError) as err:
        raise StoreUnavailable(f"{what}: {err}") from err
    except DataError as err:
        raise MalformedRecord(f"{what}: the database refused a value: {err.orig}") from err
    except psycopg.DataError as err:
        raise MalformedRecord(f"{what}: the database refused a value: {err}") from err
    except StatementError as err:
        if isinstance(err.orig, TypeError | ValueError):
            raise MalformedRecord(f"{what}: not storable as JSON: {err.orig}") from err
        raise
    except (TypeError, ValueError) as err:
        # psycopg calls the JSON serializer itself, outside SQLAlchemy's statement wrapper
        raise MalformedRecord(f"{what}: not storable as JSON: {err}") from err
