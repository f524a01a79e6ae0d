"""The figures summed over the stored KPI facts equal the figures worked out from the tickets.

`handlers.kpis.facts` stores what each definition computes per ticket and event; the
reports sum those in the database (`handlers.kpis.stored`). Random tickets over ten weeks
(old open ones, reopens, dispatches, answers across weekends and holidays, knowledge named
or not) must give the same figures, breaches, knowledge reuse and chart series both ways,
on both databases; and after a change, or a change of the time rules, the facts follow.
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import Engine, func, text, update
from sqlmodel import Session, col, select

from handlers.config.team import TeamConfig
from handlers.desk import Desk, ManualClock
from handlers.kpis import charts, facts, stored
from handlers.kpis.figures import Kpis, basis, compute, compute_stored
from handlers.kpis.windows import Window, period_window, previous_month
from handlers.quality import figures as quality
from schedules.driver import Scheduler
from schedules.kpi_facts import KPI_FACTS
from storage import kpi_days, kpi_facts
from storage import tickets as repo
from storage.models import Ticket, TicketEvent
from tests.test_kpi_basis import NOW, SCOPE, fill, seen, windows

EVERY = 10**6  # list every breach, so both lists compare whole


def summed(config: TeamConfig, session: Session, window: Window) -> Kpis:
    return compute_stored(
        config, session, SCOPE, stored.sums(config, session, SCOPE, window), listed=EVERY
    )


def walked(config: TeamConfig, session: Session, window: Window) -> Kpis:
    return compute(config, basis(config, session, SCOPE, window))


def name_knowledge(engine: Engine) -> None:
    """Every third resolution names a knowledge entry."""
    with engine.begin() as conn:
        kind, ident = col(TicketEvent.kind), col(TicketEvent.id)
        found = update(TicketEvent).where(kind == "resolve", ident % 3 == 0)
        conn.execute(found.values(detail={"knowledge": 3}))


def work_out(config: TeamConfig, session: Session) -> None:
    """Every ticket's facts, as the scheduler's refresh leaves them (`fill` wrote none)."""
    facts.follow_rules(config, session, NOW)
    facts.refresh(config, session, limit=10_000)


def marked(session: Session) -> int:
    query = select(func.count()).where(col(Ticket.kpi_marked_at).is_not(None))
    return int(session.exec(query).one())


def test_stored_sums_give_the_figures_the_tickets_give(sample: TeamConfig, engine: Engine) -> None:
    fill(engine)
    name_knowledge(engine)
    breaches = reused = 0
    last_month = previous_month(sample, NOW)
    with Session(engine) as session:
        # 600 tickets without facts: too many for a read to work out itself
        assert not facts.ready(sample, session, SCOPE, NOW)
        assert marked(session) == 600
        assert facts.refresh(sample, session, limit=10_000) == 600
        assert facts.ready(sample, session, SCOPE, NOW)
        for window in windows(sample):
            expected, got = walked(sample, session, window), summed(sample, session, window)
            assert seen(got) == seen(expected), window
            breaches += len(expected.breaches)
            now = basis(sample, session, SCOPE, window)
            resolved = {t.id for t, _ in now.in_window("resolve") if now.counted(t)}
            sums = stored.sums(sample, session, SCOPE, window)
            reuse = quality.Ratio(sums.events.with_knowledge, sums.events.resolved_tickets)
            assert reuse == quality.reuse_of(session, resolved), window
            reused += reuse.hits
        for whole in (*(period_window(sample, p, NOW) for p in ("week", "month")), last_month):
            assert charts.stored_series(sample, session, SCOPE, whole, "m") == charts.series(
                sample, basis(sample, session, SCOPE, whole), "m"
            )
    assert breaches > 20 and reused > 5  # the data has something to disagree about


def test_a_post_lists_the_first_breaches_and_counts_the_rest(
    sample: TeamConfig, engine: Engine
) -> None:
    fill(engine)
    with Session(engine) as session:
        work_out(sample, session)
        month = period_window(sample, "month", NOW)
        every = list(walked(sample, session, month).breaches)
        listing = compute_stored(
            sample, session, SCOPE, stored.sums(sample, session, SCOPE, month)
        ).breaches
    assert len(listing) == len(every) > 20
    assert listing[:20] == every[:20]


def test_a_change_is_in_the_next_read(sample: TeamConfig, engine: Engine) -> None:
    """A ticket resolved after the facts were stored: the change marks it, and the next
    read works its facts out before summing."""
    fill(engine)
    week = period_window(sample, "week", NOW)
    with Session(engine) as session:
        work_out(sample, session)
        before = summed(sample, session, week)
        query = select(Ticket).where(
            Ticket.scope == SCOPE, col(Ticket.resolved_at).is_(None), Ticket.close_reason == ""
        )
        ticket = session.exec(query.order_by(col(Ticket.id).desc())).first()
        assert ticket is not None
        at = NOW - dt.timedelta(minutes=5)
        ticket.status, ticket.resolved_at = "resolved", at
        ticket.first_response_at = ticket.first_response_at or at
        session.add(ticket)
        session.flush()
        repo.record(session, ticket, "lee", "resolve", at)
        assert marked(session) == 1
        assert facts.ready(sample, session, SCOPE, NOW)  # worked it out itself
        assert marked(session) == 0
        after = summed(sample, session, week)
        assert after.resolved == before.resolved + 1
        assert seen(after) == seen(walked(sample, session, week))


def test_other_time_rules_work_every_fact_out_again(sample: TeamConfig, engine: Engine) -> None:
    fill(engine)
    rules = sample.time_rules
    slower = sample.model_copy(
        update={
            "time_rules": rules.model_copy(
                update={"first_response": rules.first_response * 4, "root_cause": 60}
            )
        }
    )
    month = period_window(sample, "month", NOW)
    with Session(engine) as session:
        work_out(sample, session)
        assert facts.ready(sample, session, SCOPE, NOW)
        assert not facts.ready(slower, session, SCOPE, NOW)  # marks every ticket
        assert marked(session) == 600
        facts.refresh(slower, session, limit=10_000)
        assert facts.ready(slower, session, SCOPE, NOW)
        assert seen(summed(slower, session, month)) == seen(walked(slower, session, month))
        assert seen(summed(slower, session, month)) != seen(walked(sample, session, month))


def test_a_refresh_keeps_a_mark_made_meanwhile(sample: TeamConfig, engine: Engine) -> None:
    """A change between a refresh's read and its write marked the ticket again: the facts
    written are of the earlier state, so the mark stays and the next refresh redoes it."""
    fill(engine, count=3)
    with Session(engine) as session:
        facts.follow_rules(sample, session, NOW)
        tickets, events = kpi_facts.marked_batch(session, 10)
        session.execute(
            update(Ticket)
            .where(col(Ticket.id) == tickets[0].id)
            .values(kpi_marked_at=NOW + dt.timedelta(seconds=1))
        )
        rows = [facts.ticket_facts(sample, t, events.get(t.id, [])) for t in tickets]
        kpi_facts.store(session, tickets, [f for f, _ in rows], [e for _, es in rows for e in es])
        assert marked(session) == 1
        assert facts.refresh(sample, session) == 1
        assert marked(session) == 0


def test_the_scheduler_works_the_marked_facts_out(sample: TeamConfig, engine: Engine) -> None:
    """The `kpi_facts` timer, on a real-time tick, does what a read would have left to do
    (a batch at a time, each its own transaction), and a second tick has nothing left."""
    fill(engine)
    desk = Desk(config=sample, engine=engine, clock=ManualClock(NOW))
    scheduler = Scheduler(desk, [], timers=[KPI_FACTS])
    assert scheduler.fire_timers(NOW) == 0  # it posts nothing
    with Session(engine) as session:
        assert marked(session) == 0
        assert facts.ready(sample, session, SCOPE, NOW)
        month = period_window(sample, "month", NOW)
        assert seen(summed(sample, session, month)) == seen(walked(sample, session, month))
    assert KPI_FACTS.next_due(desk, NOW) is None  # no wake-up of its own


def test_a_change_while_the_timer_works_is_redone_next_tick(
    sample: TeamConfig, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The timer works a batch out outside the write (SQLite: from a snapshot): a ticket
    changed meanwhile keeps its mark, and the next tick's figures are the tickets' own."""
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL works a batch out under its rows' locks: a change waits")
    fill(engine, count=6)
    desk = Desk(config=sample, engine=engine, clock=ManualClock(NOW))
    scheduler = Scheduler(desk, [], timers=[KPI_FACTS])
    worked_out = facts.Batch.worked_out
    changed: list[int] = []

    def meanwhile(batch: facts.Batch, config: TeamConfig):  # type: ignore[no-untyped-def]
        if not changed:  # a use case on the first ticket, between the read and the write
            changed.append(batch.tickets[0].id)
            with engine.begin() as conn:
                later = NOW + dt.timedelta(seconds=1)
                conn.execute(
                    update(Ticket).where(col(Ticket.id) == changed[0]).values(kpi_marked_at=later)
                )
        return worked_out(batch, config)

    monkeypatch.setattr(facts.Batch, "worked_out", meanwhile)
    scheduler.fire_timers(NOW)
    with Session(engine) as session:
        assert marked(session) == 1
    scheduler.fire_timers(NOW)
    with Session(engine) as session:
        assert marked(session) == 0
        month = period_window(sample, "month", NOW)
        assert seen(summed(sample, session, month)) == seen(walked(sample, session, month))


def day_rows(session: Session) -> dict[str, list[tuple[object, ...]]]:
    return {
        t.__tablename__: sorted(tuple(r) for r in session.exec(select(t)).all())  # type: ignore[misc]
        for t in kpi_days.TABLES
    }


def test_two_refreshes_at_once_leave_every_day_whole(sample: TeamConfig, engine: Engine) -> None:
    """Two replicas refresh different tickets of the same days at once (PostgreSQL): the
    second works the days out after the first committed, so the days count both."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time")
    fill(engine)
    with Session(engine) as session:
        work_out(sample, session)
        session.commit()
        expected = day_rows(session)
        session.execute(update(Ticket).values(kpi_marked_at=NOW))  # every ticket again
        session.commit()
    first, second = Session(engine), Session(engine)
    assert facts.refresh(sample, first, limit=300) == 300  # holds the days' lock, not committed
    done: list[int] = []
    other = threading.Thread(
        target=lambda: (done.append(facts.refresh(sample, second, limit=300)), second.commit())
    )
    other.start()
    with engine.connect() as watch:  # the second refresh waits for the first one's commit
        waiting = text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
        for _ in range(10_000):
            if watch.execute(waiting).scalar_one():
                break
            watch.rollback()
    first.commit()
    other.join(timeout=60)
    first.close()
    second.close()
    assert done == [300]
    with Session(engine) as session:
        assert marked(session) == 0
        assert day_rows(session) == expected
