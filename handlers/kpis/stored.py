"""A window's KPI figures summed in the database over the stored facts
(`handlers.kpis.facts`, `storage.kpi_sums`): the same definitions, each in the form of a
sum, for a read that must not walk a month of tickets.

`Sums` is what one window's statements return; each definition's `stored` function makes
its measure of them, equal to its measure of a `Basis` over the same tickets
(`tests/test_kpi_stored.py` checks both forms on varied tickets, on both databases).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session, col, select

from handlers.config.team import TeamConfig
from handlers.config.workdays import local_day_bounds
from handlers.kpis import days
from handlers.kpis.backlog import Listing
from handlers.kpis.basis import Breach
from handlers.kpis.windows import Window
from handlers.tickets import clocks
from storage import kpi_sums
from storage.kpi_sums import Part
from storage.kpis import TICKET_COLUMNS, read_tickets
from storage.models import Ticket


@dataclass(frozen=True)
class Sums:
    """One window's sums (see `storage.kpi_sums`)."""

    config: TeamConfig
    window: Window
    logged: kpi_sums.Logged
    overdue_us: int  # the overdue unanswered tickets' waits so far, in their clock time
    first_resolutions: dict[str, tuple[int, int]]  # per resolver: (total, clean)
    events: kpi_sums.Events
    breaches: int


def overdue_us(config: TeamConfig, waiting: list[tuple[str, dt.datetime]], end: dt.datetime) -> int:
    """The waits so far, at `end`, of tickets still unanswered then, in microseconds."""
    total = dt.timedelta(0)
    for priority, logged_at in waiting:
        total += clocks.elapsed(config, priority, logged_at, end)
    return total // dt.timedelta(microseconds=1)


def sums(config: TeamConfig, session: Session, scope: str, window: Window) -> Sums:
    parts, whole = days.split(config, window)
    totals = [part_totals(config, session, scope, part) for part in parts]
    if whole is not None:
        totals.append(days.whole_days(config, session, scope, whole))
    total = totals[0]
    for more in totals[1:]:
        total += more
    return Sums(config, window, *total)


def part_totals(config: TeamConfig, session: Session, scope: str, part: Part) -> days.Totals:
    """The sums of a part of a window, from the facts."""
    rules = config.kpi_rules
    left_out = tuple(rules.excluded_close_reasons)
    waiting = kpi_sums.overdue_waits(session, scope, part)
    within = days.reopen_within_us(config)
    return days.Totals(
        kpi_sums.logged(session, scope, part),
        overdue_us(config, waiting, part.at),
        kpi_sums.first_resolutions(session, scope, part, left_out, within),
        kpi_sums.events(session, scope, part, left_out),
        kpi_sums.breach_count(session, scope, part),
    )


def day_sums(config: TeamConfig, session: Session, scope: str, each: list[Window]) -> list[Sums]:
    """What a chart draws of each of consecutive days, each seen at its own end: the tickets
    logged and their first responses, the resolutions and the breaches (the rest of each
    `Sums` left empty). Whole days from the day sums, a part day (today) from the facts."""
    whole = [d for d in each if (d.start, d.end) == local_day_bounds(config.team, d.first_day)]
    by_day = days.each_day(config, session, scope, [d.first_day for d in whole])
    drawn = []
    for day in each:
        totals = by_day.get(day.first_day) if day in whole else None
        if totals is None:
            totals = part_totals(config, session, scope, Part.whole(day.start, day.end))
        drawn.append(Sums(config, day, *totals))
    return drawn


def breaches(
    config: TeamConfig, session: Session, scope: str, window: Window, total: int, listed: int
) -> Listing[Breach]:
    """The window's breaches as a post shows them: their count and the first `listed`."""
    rows = kpi_sums.first_breaches(session, scope, window.start, window.end, listed)
    ids = {row.ticket_id for row in rows}
    query = select(*TICKET_COLUMNS).where(col(Ticket.id).in_(ids))  # at most `listed`
    tickets = {t.id: t for t in read_tickets(session, query)}
    head = []
    for row in rows:
        stopped = row.stopped if row.stopped is not None and row.stopped < window.end else None
        head.append(Breach.of(config, tickets[row.ticket_id], row.kind, stopped, row.due))  # type: ignore[arg-type]
    return Listing(tuple(head), total)
