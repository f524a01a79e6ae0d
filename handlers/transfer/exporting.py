"""`deskbot export tickets|kpis`: for the managers' spreadsheets, streamed.

Tickets go out a batch at a time in (workspace, number) order, with their events on
request; KPIs one row per figure and period, with the unrounded value, the shown one, the
target and the verdict, computed by the same definitions as `/kpi`.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterator
from typing import Any, TextIO

from handlers.config.workdays import local_day_bounds
from handlers.desk import Desk
from handlers.kpis import figures
from handlers.kpis.windows import Period, Window, month_of, period_window
from handlers.transfer.rows import Format, Writer, row_of, when
from storage import transfer
from storage.db import session_scope

KPI_COLUMNS = (
    "scope",
    "period",
    "start",
    "end",
    "figure",
    "value",
    "shown",
    "target",
    "on_target",
    "hits",
    "total",
)


def export_tickets(
    desk: Desk,
    out: TextIO,
    fmt: Format,
    since: dt.date | None,
    until: dt.date | None,
    events: bool,
    scope: str | None = None,
) -> int:
    """Tickets logged from `since` to before `until` (local dates); returns how many."""
    team = desk.config.team
    start = local_day_bounds(team, since)[0] if since else None
    end = local_day_bounds(team, until)[0] if until else None
    writer = Writer(out, fmt, events)
    count = 0
    with session_scope(desk.engine) as session:
        for page in transfer.stream_tickets(session, start, end, scope):
            trails = transfer.events_of(session, [t.id for t in page if t.id]) if events else {}
            for t in page:
                writer.write(row_of(t, trails.get(t.id or 0, []) if events else None))
            count += len(page)
            session.expunge_all()
    return count


def _windows(desk: Desk, period: Period, since: dt.date | None) -> Iterator[Window]:
    """Each whole week or month from the one `since` falls in, then the current one so far."""
    now = desk.now()
    current = period_window(desk.config, period, now)
    day = since or current.first_day
    while True:
        if period == "week":
            first = day - dt.timedelta(days=day.weekday())
            start, _ = local_day_bounds(desk.config.team, first)
            end, _ = local_day_bounds(desk.config.team, first + dt.timedelta(days=7))
            window = Window("week", start, end, first, first + dt.timedelta(days=6))
        else:
            window = month_of(desk.config, day.replace(day=1), "month")
        if window.first_day >= current.first_day:
            yield current
            return
        yield window
        day = window.last_day + dt.timedelta(days=1)


def kpi_rows(
    desk: Desk, period: Period, since: dt.date | None, scope: str | None
) -> Iterator[dict[str, Any]]:
    with session_scope(desk.engine) as session:
        scopes = [scope] if scope else transfer.ticket_scopes(session)
        for s in scopes:
            for window in _windows(desk, period, since):
                k = figures.report(desk, s, window, session)
                base = {
                    "scope": s,
                    "period": period,
                    "start": when(window.start),
                    "end": when(window.end),
                }
                for name, value in (
                    ("logged", k.opened),
                    ("resolved", k.resolved),
                    ("reopened", k.reopened),
                    ("dispatched", k.dispatched),
                ):
                    yield {
                        **base,
                        "figure": name,
                        "value": value,
                        "shown": str(value),
                        "target": "",
                        "on_target": "",
                        "hits": "",
                        "total": "",
                    }
                for f in k.figures:
                    yield {
                        **base,
                        "figure": f.key,
                        "value": "" if f.value is None else f.value,
                        "shown": "" if f.shown is None else str(f.shown),
                        "target": "" if f.target is None else f.target,
                        "on_target": "" if f.on_target is None else str(f.on_target).lower(),
                        "hits": f.measure.hits if f.unit == "share" else "",
                        "total": f.measure.total if f.unit == "share" else "",
                    }


def export_kpis(
    desk: Desk,
    out: TextIO,
    fmt: Format,
    period: Period,
    since: dt.date | None,
    scope: str | None = None,
) -> int:
    count = 0
    writer = csv.DictWriter(out, KPI_COLUMNS, lineterminator="\n") if fmt == "csv" else None
    if writer is not None:
        writer.writeheader()
    for row in kpi_rows(desk, period, since, scope):
        if writer is not None:
            writer.writerow(row)
        else:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
        count += 1
    return count
