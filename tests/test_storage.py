"""Storage on every backend: migrations match the models, numbering, times, the outbox."""

from __future__ import annotations

import datetime as dt
import functools
import threading
from collections.abc import Callable

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, event
from sqlalchemy.dialects import sqlite
from sqlmodel import Session, SQLModel

from storage import backlog, outbox, reports
from storage import tickets as repo
from storage.db import session_scope
from storage.knowledge import not_search_index
from storage.models import Ticket, UTCDateTime
from tests.conftest import PG_URL, START


def test_migrations_create_exactly_the_models(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_name": not_search_index})
        diff = compare_metadata(context, SQLModel.metadata)
    assert diff == []


def test_ticket_numbers_count_per_scope(engine: Engine) -> None:
    with session_scope(engine) as s:
        numbers = [repo.next_number(s, "a") for _ in range(3)] + [repo.next_number(s, "b")]
    assert numbers == [1, 2, 3, 1]


def test_concurrent_numbering_never_repeats(engine: Engine) -> None:
    got: list[int] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(10):
            with session_scope(engine) as s:
                n = repo.next_number(s, "race")
            with lock:
                got.append(n)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(got) == list(range(1, 41))


def test_times_come_back_aware_utc(engine: Engine) -> None:
    local = START.astimezone(dt.timezone(dt.timedelta(hours=8)))
    with session_scope(engine) as s:
        t = Ticket(
            scope="x", number=1, summary="s", logged_by="lee", created_at=local, updated_at=local
        )
        s.add(t)
    with Session(engine) as s:
        back = repo.get(s, "x", 1)
    assert back is not None
    assert back.created_at == START and back.created_at.tzinfo is not None
    assert back.created_at.utcoffset() == dt.timedelta(0)


def test_times_are_stored_on_sqlite_as_sqlalchemy_would_store_them() -> None:
    # UTCDateTime's one-step SQLite binding must write SQLAlchemy's own text: stored times
    # are compared as text in SQL, old rows and new alike
    dialect = sqlite.dialect()
    fast = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)
    plain = sqlite.DATETIME().bind_processor(dialect)
    assert fast is not None and plain is not None
    zone = dt.timezone(dt.timedelta(hours=-5, minutes=-30))
    for at in (START, START.replace(microsecond=7), dt.datetime(812, 1, 2, 3, 4, 5, tzinfo=zone)):
        assert fast(at) == plain(at.astimezone(dt.UTC))
    assert fast(None) is None
    with pytest.raises(ValueError, match="naive"):
        fast(START.replace(tzinfo=None))


def test_outbox_dedupe_and_claim_lease(engine: Engine) -> None:
    with session_scope(engine) as s:
        for _ in range(2):
            row = outbox.row(
                platform="console",
                scope="x",
                target={"kind": "channel"},
                message={"blocks": [], "fallback": "hi"},
                now=START,
                dedupe_key="k1",
            )
            outbox.enqueue(s, [row])
    with session_scope(engine) as s:
        first = outbox.claim(s, "console", START)
    assert len(first) == 1  # the duplicate was ignored
    with session_scope(engine) as s:
        assert outbox.claim(s, "console", START) == []  # leased
    later = START + outbox.LEASE + dt.timedelta(seconds=1)
    with session_scope(engine) as s:
        again = outbox.claim(s, "console", later)  # a crashed sender's row comes back
    assert [r.id for r in again] == [first[0].id] and again[0].attempts == 2


def test_two_claimers_never_take_the_same_row(engine: Engine) -> None:
    with session_scope(engine) as s:
        rows = [
            outbox.row(
                platform="slack",
                scope="x",
                target={"kind": "channel"},
                message={"blocks": [], "fallback": str(i)},
                now=START,
            )
            for i in range(40)
        ]
        outbox.enqueue(s, rows)  # 50 rows a statement: one
    taken: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(2)

    def claimer() -> None:
        barrier.wait()
        while True:
            with session_scope(engine) as s:
                rows = outbox.claim(s, "slack", START, limit=3)
            if not rows:
                return
            with lock:
                taken.extend(r.id for r in rows if r.id is not None)

    threads = [threading.Thread(target=claimer) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(taken) == sorted(set(taken)) and len(taken) == 40


def test_postgres_is_covered_when_configured() -> None:
    # CI sets DESKBOT_TEST_DATABASE_URL; every `engine` test then runs there too.
    import os

    if os.environ.get("CI"):
        assert PG_URL, "CI must run the storage tests on PostgreSQL"


def test_migrations_are_one_line_and_go_down_and_up_again(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from alembic import command
    from alembic.script import ScriptDirectory
    from sqlalchemy import inspect

    from storage.db import HEAD, alembic_config, current_revision, make_engine, upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'roundtrip.db'}")
    config = alembic_config(engine)
    assert ScriptDirectory.from_config(config).get_heads() == [HEAD]
    upgrade(engine)
    tables = set(inspect(engine).get_table_names())
    command.downgrade(config, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(engine)
    assert set(inspect(engine).get_table_names()) == tables
    assert current_revision(engine) == HEAD


def test_the_queue_views_read_their_partial_index(engine: Engine) -> None:
    """At a million tickets a `/queue` that walks the table from the oldest ticket takes
    a fifth of a second; SQLite uses a partial index only when the query names its states
    literally, which a bound list does not."""
    if engine.dialect.name != "sqlite":
        return  # PostgreSQL's planner picks by statistics, not by the query's words
    views = {
        "ix_ticket_pool": {"unassigned_only": True},
        "ix_ticket_open": {"unassigned_only": False},
        "ix_ticket_open_assignee": {"unassigned_only": False, "assignee": "lee"},
        "ix_ticket_open_category": {"unassigned_only": True, "category": "network"},
    }
    for index, view in views.items():
        plans = _plans(engine, functools.partial(repo.queue, scope="a", limit=5, **view))
        assert f"USING INDEX {index} " in plans, (index, plans)


def test_escalations_and_resolutions_read_their_partial_index(engine: Engine) -> None:
    """A new ticket is kept out of the indexes of resolved, assigned and dispatched
    tickets (logging writes each index it falls in); their readers still use them."""
    if engine.dialect.name != "sqlite":
        return  # PostgreSQL's planner picks by statistics, not by the query's words
    plans = _plans(engine, lambda s: backlog.escalations(s, "a", START, 5))
    assert "COVERING INDEX ix_ticket_dispatched " in plans  # the count
    assert plans.count("ix_ticket_dispatched ") == 2  # and the list
    plans = _plans(engine, lambda s: reports.resolved_between(s, "a", START, START))
    assert "USING INDEX ix_ticket_scope_resolved " in plans


def _plans(engine: Engine, read: Callable[[Session], object]) -> str:
    """The query plans of the SELECTs `read(session)` runs, one after the other."""
    seen: list[tuple[str, tuple[object, ...]]] = []

    def note(conn, cursor, statement, params, context, many) -> None:  # type: ignore[no-untyped-def]
        seen.append((statement, params))

    event.listen(engine, "before_cursor_execute", note)
    try:
        with Session(engine) as s:
            read(s)
            steps = []
            for query, params in [q for q in seen if q[0].lstrip().startswith("SELECT")]:
                plan = s.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {query}", params)
                steps += [row[3] + " " for row in plan]
    finally:
        event.remove(engine, "before_cursor_execute", note)
    return "\n".join(steps)
