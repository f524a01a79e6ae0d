"""`read_scope`: a unit that only reads holds no writer back (SQLite's write lock is
taken by every other transaction, `storage.db._sqlite_begin`), and sees its snapshot."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import Engine, func
from sqlmodel import select

from storage import tickets as repo
from storage.db import read_scope, session_scope
from storage.models import Ticket
from tests.conftest import START


def _log(engine: Engine, summary: str) -> None:
    with session_scope(engine) as session:
        number = repo.next_number(session, "x")
        session.add(
            Ticket(
                scope="x",
                number=number,
                summary=summary,
                logged_by="lee",
                created_at=START,
                updated_at=START,
            )
        )


def _count(session) -> int:  # type: ignore[no-untyped-def]
    return int(session.exec(select(func.count()).select_from(Ticket)).one())


def _writer_gets_the_lock_at_once(engine: Engine) -> bool:
    path = engine.url.database
    assert path is not None
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:  # database is locked
        return False
    finally:
        other.close()


def test_a_read_holds_no_writer_back_and_sees_its_snapshot(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL locks rows, not the database")
    _log(engine, "Printer jams")
    with read_scope(engine) as session:
        assert _count(session) == 1
        assert _writer_gets_the_lock_at_once(engine)
        _log(engine, "VPN down")  # written meanwhile
        assert _count(session) == 1  # the snapshot it began with
    with session_scope(engine) as session:  # an ordinary unit still takes the lock
        assert _count(session) == 2
        assert not _writer_gets_the_lock_at_once(engine)


def test_the_next_unit_on_the_connection_takes_the_lock_again(engine: Engine) -> None:
    """The mark is for one transaction: a unit on the same connection after a read (or
    after a read unit that ran nothing) writes under the lock as before."""
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL locks rows, not the database")
    with engine.connect() as conn:
        with read_scope(conn):
            pass  # began nothing
        with read_scope(conn) as session:
            _count(session)
        with session_scope(conn) as session:
            _count(session)
            assert not _writer_gets_the_lock_at_once(engine)


def test_a_read_unit_reads_on_every_database(engine: Engine) -> None:
    _log(engine, "Printer jams")
    with read_scope(engine) as session:
        assert _count(session) == 1
