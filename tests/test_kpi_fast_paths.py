"""The faster KPI paths give what the plain ones gave.

- `storage.kpis` reads SQLite's stored times as text and parses them itself;
- a chart's days compute only what the chart draws;
- the working-time calendar skips the zone conversion inside its built range.

Each is checked against the plain form on random tickets (both databases where one is
read) or random moments.
"""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import Engine
from sqlmodel import Session

from handlers.config.team import TeamConfig
from handlers.kpis import charts
from handlers.kpis.figures import basis, compute, period_window
from handlers.tickets.worktime import worktime
from storage import kpis
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
