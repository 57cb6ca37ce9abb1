"""The in-memory CRM database (tests, development server): one connection, many threads."""

from __future__ import annotations

import threading

from sqlalchemy import text
from sqlalchemy.orm import Session

from madoguchi.store.crm import create_crm_engine


def test_threads_take_turns_on_the_one_connection_and_lose_no_commit() -> None:
    engine = create_crm_engine("sqlite://")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE hits (thread INTEGER, n INTEGER)"))
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def work(thread: int) -> None:
        try:
            start.wait()
            for n in range(200):
                with Session(engine) as db:
                    db.execute(text("INSERT INTO hits VALUES (:t, :n)"), {"t": thread, "n": n})
                    db.commit()
        except BaseException as err:  # collected for the assertion below
            errors.append(err)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with Session(engine) as db:
        assert db.execute(text("SELECT count(*) FROM hits")).scalar_one() == 800


def test_a_session_may_be_closed_on_another_thread() -> None:
    engine = create_crm_engine("sqlite://")
    outer = Session(engine)
    outer.execute(text("SELECT 1"))
    closer = threading.Thread(target=outer.close)
    closer.start()
    closer.join()
    done = threading.Event()

    def other() -> None:
        with Session(engine) as db:
            db.execute(text("SELECT 3"))
        done.set()

    thread = threading.Thread(target=other)
    thread.start()
    thread.join(timeout=5)
    assert done.is_set(), "the connection was given back when the session closed"
