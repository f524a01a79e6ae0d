"""The faster KPI paths give what the plain ones gave.

- `storage.kpis` reads SQLite's stored times as text and parses them itself;
- `running_clocks` reads through the open tickets' partial index;
- `overdue` works each first-response deadline out once, and takes the root-cause clocks a
  caller already has;
- a chart's days compute only what the chart draws;
- the working-time calendar skips the zone conversion inside its built range.

Each is checked against the plain form on random tickets (both databases where one is
read) or random moments.
"""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import Engine
from sqlmodel import Session, select

from handlers.config.team import TeamConfig
from handlers.kpis import charts
from handlers.kpis.basis import AnyTicket, Breach
from handlers.kpis.figures import basis, compute, period_window
from handlers.kpis.overdue import overdue
from handlers.tickets import clocks
from handlers.tickets.worktime import worktime
from storage import kpis
from storage.models import Ticket
from storage.tickets import OPEN
from tests.test_kpi_basis import NOW, SCOPE, fill
from tests.test_worktime import teams, walk_deadline, walk_elapsed


def test_sqlite_times_parse_to_aware_utc() -> None:
    utc = dt.UTC
    parse = kpis._utc
    assert parse(None) is None
    assert parse("2026-11-26 07:03:10") == dt.datetime(2026, 11, 26, 7, 3, 10, tzinfo=utc)
    assert parse("2026-11-26 07:03:10.072000") == dt.datetime(
        2026, 11, 26, 7, 3, 10, 72000, tzinfo=utc
    )
    # written with an offset by some other tool: the same moment, in UTC
    shanghai = parse("2026-11-26 15:03:10+08:00")
    assert shanghai == dt.datetime(2026, 11, 26, 7, 3, 10, tzinfo=utc)
    assert shanghai.utcoffset() == dt.timedelta(0)
    aware = dt.datetime(2026, 11, 26, 7, 3, tzinfo=utc)
    assert parse(aware) is aware  # PostgreSQL's come parsed


def _plain_overdue(config: TeamConfig, tickets: list[AnyTicket], now: dt.datetime) -> list[Breach]:
    """The rule through the ticket's clocks, as `overdue` read before (the reference)."""
    found: list[Breach] = []
    for t in tickets:
        if t.created_at > now:
            continue
        if t.first_response_at is None and clocks.first_response(config, t, now).breached:  # type: ignore[arg-type]
            found.append(Breach.of(config, t, "first_response", None))
        rca = clocks.root_cause(config, t, now) if t.status == "dispatched" else None  # type: ignore[arg-type]
        if rca is not None and rca.breached and t.root_cause_at is None:
            found.append(Breach.of(config, t, "root_cause", None, rca.due))
    return sorted(found, key=lambda b: (b.due, b.ticket.number))


def _shown(found: list[Breach]) -> list[tuple[object, ...]]:
    return [(b.ticket.number, b.kind, b.due, b.stopped, b.late, b.working_time) for b in found]


def test_running_clocks_and_overdue_equal_the_plain_rules(
    sample: TeamConfig, engine: Engine
) -> None:
    fill(engine)
    with Session(engine) as session:
        every = list(session.exec(select(Ticket).where(Ticket.scope == SCOPE)))
        for now in (NOW, NOW - dt.timedelta(days=3, hours=5), NOW - dt.timedelta(days=40)):
            for dispatched in (False, True):
                running = kpis.running_clocks(session, SCOPE, now, dispatched)
                expected = sorted(
                    (
                        t
                        for t in every
                        if t.status in OPEN
                        and t.created_at <= now
                        and (
                            t.first_response_at is None
                            or (t.status == "dispatched" and t.root_cause_at is None)
                            or (dispatched and t.status == "dispatched")
                        )
                    ),
                    key=lambda t: (t.created_at, t.id or 0),
                )
                assert [t.number for t in running] == [t.number for t in expected]
                assert running and all(
                    r.created_at == e.created_at for r, e in zip(running, expected, strict=True)
                )
            tickets: list[AnyTicket] = list(kpis.running_clocks(session, SCOPE, now, True))
            reference = _shown(_plain_overdue(sample, tickets, now))
            assert reference  # the data has something to disagree about
            assert _shown(overdue(sample, tickets, now)) == reference
            root_causes = {
                t.id: clocks.root_cause(sample, t, now)  # type: ignore[arg-type]
                for t in tickets
                if t.status == "dispatched"
            }
            assert _shown(overdue(sample, tickets, now, root_causes)) == reference


def test_a_charts_days_equal_the_tables_figures_of_each_day(
    sample: TeamConfig, engine: Engine
) -> None:
    fill(engine)
    with Session(engine) as session:
        for period in ("week", "month"):
            whole = basis(sample, session, SCOPE, period_window(sample, period, NOW))  # type: ignore[arg-type]
            drawn = charts.series(sample, whole, "t")
            days = [compute(sample, whole.narrowed(w)) for w in charts._days(sample, whole.window)]
            assert drawn.logged == [k.opened for k in days]
            assert drawn.resolved == [k.resolved for k in days]
            assert drawn.breaches == [len(k.breaches) for k in days]
            assert drawn.first_response == [k.figure("avg_first_response").value for k in days]
            assert sum(drawn.breaches) > 0


def test_the_calendar_equals_the_day_walk_far_outside_its_built_range(
    sample: TeamConfig,
) -> None:
    """Moments years before and after the days built so far (the zone-converting path, and
    the calendar growing), and again once grown (the fast path over those days)."""
    rng = random.Random(5)
    for team in teams(sample)[:2]:
        calendar = worktime(team)
        for _ in range(2):
            for year in (2009, 2031, 2042):
                for _ in range(60):
                    start = dt.datetime(year, 1, 1, tzinfo=dt.UTC) + dt.timedelta(
                        seconds=rng.randint(0, 365 * 86400)
                    )
                    minutes = rng.choice([0, 30, 240, 4 * 60 * 24])
                    assert calendar.deadline(start, minutes) == walk_deadline(team, start, minutes)
                    end = start + dt.timedelta(minutes=rng.randint(1, 20_000))
                    assert calendar.elapsed(start, end) == walk_elapsed(team, start, end)
