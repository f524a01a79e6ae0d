"""The response clocks' stored due times: the tick reads only what is due, and every change
that moves a clock (a reopen, an import, other time rules) is seen; tens of thousands of
open tickets bind no parameter each, so past PostgreSQL's 65,535 the clocks still fire."""

from __future__ import annotations

import datetime as dt
import io
from contextlib import ExitStack
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, bindparam, event, func, text
from sqlmodel import Session, col, select

from handlers.config.team import TeamConfig
from handlers.desk import Desk, ManualClock
from handlers.transfer import importing
from schedules.response_clocks import RESPONSE_CLOCKS
from storage.db import alembic_config, make_engine, upgrade
from storage.models import ClockStage, Ticket, UTCDateTime
from tests.conftest import BACKENDS, PG_URL
from tests.support import scratch_database
from tests.test_response_clocks import MINUTE, clock_posts, run_until, say

MANY = 70_000  # open tickets: past psycopg's 65,535 bound parameters per statement
BATCHES = 1_200  # tickets all due at once: several of the tick's batches


def _backlog(desk: Desk, many: int) -> None:
    """T-1 and `many` copies of it, open and answered (only the 2-h common-problem clock
    runs), each due for re-evaluation; every common-problem stage already claimed but
    those of T-1, T-2 and T-3."""
    say(desk, "lee", "/ticket new Printer jam #system p3")
    say(desk, "lee", "/ticket take T-1")
    RESPONSE_CLOCKS.next_due(desk, desk.now())  # a tick ran: the rules are on record
    _clone(desk.engine, many, desk.engine.dialect.name == "postgresql")
    with desk.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO clock_stage (ticket_id, stage, due_at, status, fired_at)"
                " SELECT id, 'common_problem', created_at, 'posted', created_at"
                " FROM ticket WHERE number > 3"
            )
        )


def _fired_now(desk: Desk) -> list[int]:
    with Session(desk.engine) as s:
        found = s.exec(
            select(Ticket.number)
            .join(ClockStage, col(ClockStage.ticket_id) == col(Ticket.id))
            .where(ClockStage.fired_at == desk.now())
        )
        return sorted(found)


def _running(desk: Desk) -> int:
    with Session(desk.engine) as s:
        return s.exec(select(func.count()).where(col(Ticket.clock_due_at).is_not(None))).one()


def test_past_65535_open_tickets_the_due_stages_fire_once(desk: Desk, clock: ManualClock) -> None:
    start = clock.now()  # Monday 09:00
    _backlog(desk, MANY)
    with desk.engine.begin() as conn:  # as earlier ticks left them: no clock left to run
        conn.execute(text("UPDATE ticket SET clock_due_at = NULL WHERE number > 3"))
    widest: list[int] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        if not executemany:
            widest.append(len(parameters or ()))

    clock.set(start + 3 * 60 * MINUTE)
    event.listen(desk.engine, "before_cursor_execute", count)
    try:
        assert RESPONSE_CLOCKS.fire_due(desk, clock.now()) == 3
    finally:
        event.remove(desk.engine, "before_cursor_execute", count)
    assert max(widest) < 20, max(widest)
    assert _fired_now(desk) == [1, 2, 3]
    assert RESPONSE_CLOCKS.fire_due(desk, clock.now()) == 0  # once, never twice
    assert RESPONSE_CLOCKS.next_due(desk, clock.now()) is None
    assert _running(desk) == 0


def test_a_backlog_due_at_once_is_worked_through_in_batches(desk: Desk, clock: ManualClock) -> None:
    start = clock.now()
    _backlog(desk, BATCHES)  # all due (a migration or other rules mark them so)
    clock.set(start + 3 * 60 * MINUTE)
    assert RESPONSE_CLOCKS.fire_due(desk, clock.now()) == 3
    assert _fired_now(desk) == [1, 2, 3]
    assert RESPONSE_CLOCKS.fire_due(desk, clock.now()) == 0
    assert _running(desk) == 0  # every ticket looked at, and its clocks found done


def _clone(engine: Engine, many: int, postgres: bool) -> None:
    """`many` copies of T-1 numbered after it, in one INSERT ... SELECT (seconds, not
    minutes, for tens of thousands)."""
    columns = [c.name for c in Ticket.__table__.columns if c.name not in ("id", "number")]  # type: ignore[attr-defined]
    names = ", ".join(columns)
    series = (
        "generate_series(1, :many) AS g(n)"
        if postgres
        else "(WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < :many)"
        " SELECT n FROM s) AS g"
    )
    with engine.begin() as conn:
        conn.execute(
            text(
                f"INSERT INTO ticket (number, {names})"
                f" SELECT t.number + g.n, {names.replace('summary', 't.summary')}"
                f" FROM ticket t, {series} WHERE t.number = 1"
            ),
            {"many": many},
        )


def test_other_time_rules_re_evaluate_the_open_tickets(
    desk: Desk, clock: ManualClock, sample: TeamConfig
) -> None:
    start = clock.now()
    say(desk, "lee", "/ticket new Stale VPN #network p3")
    assert RESPONSE_CLOCKS.next_due(desk, start) == start + 20 * MINUTE
    data = sample.model_dump()
    data["time_rules"]["first_response_nudge"] = 10  # the nudge 10 min after logging
    earlier = Desk(TeamConfig.model_validate(data), desk.engine, clock)
    assert RESPONSE_CLOCKS.next_due(earlier, start) == start + 10 * MINUTE
    run_until(earlier, clock, start + 11 * MINUTE)
    [(_, nudge)] = clock_posts(desk.engine)
    assert "has waited 10 min of working time without a first response" in nudge.fallback


def test_rules_another_process_stored_are_replaced_at_the_next_tick(
    desk: Desk, clock: ManualClock, sample: TeamConfig
) -> None:
    """A replica still on other time rules (or a restored database) stored its due times:
    this process re-evaluates them under its own rules at its next tick, not only when
    they come due (a nudge 5 min late)."""
    start = clock.now()
    say(desk, "lee", "/ticket new Stale VPN #network p3")
    assert RESPONSE_CLOCKS.next_due(desk, start) == start + 20 * MINUTE
    data = sample.model_dump()
    data["time_rules"]["first_response_nudge"] = 25
    other = make_engine(desk.engine.url.render_as_string(hide_password=False))
    try:
        replica = Desk(TeamConfig.model_validate(data), other, clock)
        assert RESPONSE_CLOCKS.next_due(replica, start) == start + 25 * MINUTE
    finally:
        other.dispose()
    assert RESPONSE_CLOCKS.next_due(desk, start) == start + 20 * MINUTE


def test_a_reopened_ticket_runs_its_clocks_again(desk: Desk, clock: ManualClock) -> None:
    start = clock.now()
    say(desk, "lee", "/ticket new Stale VPN #network p3")
    say(desk, "lee", "/ticket take T-1")
    say(desk, "lee", "/ticket resolve T-1 cleared the cache")
    run_until(desk, clock, start + 10 * MINUTE)
    assert RESPONSE_CLOCKS.next_due(desk, clock.now()) is None  # no clock runs
    say(desk, "lee", "/ticket reopen T-1 back again")
    # with L1 again: the common-problem clock from logging (2 h of working time)
    assert RESPONSE_CLOCKS.next_due(desk, clock.now()) == start + 120 * MINUTE
    run_until(desk, clock, start + 121 * MINUTE, step=5 * MINUTE)
    with Session(desk.engine) as s:
        assert [c.stage for c in s.exec(select(ClockStage))] == ["common_problem"]


def test_a_ticket_logged_after_a_tick_is_due_at_once(desk: Desk, clock: ManualClock) -> None:
    start = clock.now()
    RESPONSE_CLOCKS.next_due(desk, start)  # a tick ran: the rules are on record
    say(desk, "lee", "/ticket new Core switch down #network p2")
    # p2 runs around the clock: its first level is due within the half hour
    due = RESPONSE_CLOCKS.next_due(desk, start)
    assert due is not None and start < due <= start + 30 * MINUTE
    run_until(desk, clock, due + MINUTE)
    assert any("T-1" in post.fallback for _, post in clock_posts(desk.engine))


def test_an_imported_open_ticket_is_due_at_once(desk: Desk, clock: ManualClock) -> None:
    data = (
        "number,summary,logged_by,intake,priority,status,created_at,assignee,events\n"
        "7,Core switch down,lee,chat,p2,new,2026-11-23T08:00,,\n"
    )
    RESPONSE_CLOCKS.next_due(desk, clock.now())  # a tick ran: the rules are on record
    outcome = importing.import_tickets(desk, io.StringIO(data), "csv", "console:local", False)  # type: ignore[arg-type]
    assert outcome.added == 1, outcome.problems
    # an hour unanswered at 09:00: only the latest level of its clock is posted
    assert RESPONSE_CLOCKS.fire_due(desk, clock.now()) == 1
    [(_, breach)] = clock_posts(desk.engine)
    assert "Breach: T-7" in breach.fallback
    with Session(desk.engine) as s:
        found = {c.stage: c.status for c in s.exec(select(ClockStage))}
    # p2 repeats its breach every 15 min: the third is the one due now
    assert found == {
        "nudge": "skipped",
        "breach": "skipped",
        "breach#2": "skipped",
        "breach#3": "posted",
    }


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_migration_marks_open_tickets_due(backend: str, tmp_path: Path) -> None:
    with ExitStack() as stack:
        if backend == "sqlite":
            url = f"sqlite:///{tmp_path / 'old.db'}"
        else:
            url = stack.enter_context(scratch_database(PG_URL or "", "deskbot_clocks"))
        engine = make_engine(url)
        stack.callback(engine.dispose)
        command.upgrade(alembic_config(engine), "0010_kpis")  # a database of before
        logged = dt.datetime(2026, 11, 20, 1, 0, tzinfo=dt.UTC)
        with engine.begin() as conn:
            for number, status in ((1, "new"), (2, "dispatched"), (3, "closed")):
                conn.execute(
                    text(
                        "INSERT INTO ticket (scope, number, summary, description, reporter,"
                        " logged_by, intake, priority, environment, links, tried, status,"
                        " root_cause, resolution, created_at, updated_at, close_reason)"
                        " VALUES ('console:local', :n, 's', '', '', 'lee', 'chat', 'p3', '',"
                        " '[]', '', :status, '', '', :at, :at, '')"
                    ).bindparams(bindparam("at", type_=UTCDateTime)),
                    {"n": number, "status": status, "at": logged},
                )
        upgrade(engine)
        with Session(engine) as s:
            dues = {t.number: t.clock_due_at for t in s.exec(select(Ticket))}
        assert dues == {1: logged, 2: logged, 3: None}  # open ones due for the first tick
