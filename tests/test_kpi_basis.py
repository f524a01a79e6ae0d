"""The narrow KPI read gives the figures the full read gave.

`figures.basis` reads only the tickets a window can involve (logged or dispatched late
enough for a deadline inside it, or with a counted event inside it) as narrow rows; the old
read took every ticket not resolved before the window, every open one included. Random
tickets over ten weeks (old open ones, reopens, dispatches, answers across weekends and
holidays) must give the same figures, breaches and chart series both ways.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import replace

from sqlalchemy import Engine, insert
from sqlmodel import Session

from handlers.config.team import TeamConfig
from handlers.kpis import charts
from handlers.kpis.basis import EVENT_KINDS, Basis
from handlers.kpis.figures import Kpis, basis, compute
from handlers.kpis.windows import Window, period_window, previous, previous_working_day, since
from storage import reports
from storage.models import Ticket, TicketEvent

SCOPE = "slack:T0TEST"
NOW = dt.datetime(2026, 11, 26, 7, 30, tzinfo=dt.UTC)  # Thursday 15:30 in Shanghai


def fill(engine: Engine, count: int = 600) -> None:
    rng = random.Random(7)
    start = NOW - dt.timedelta(days=70)
    tickets, trails = [], []
    for i in range(count):
        created = start + dt.timedelta(minutes=rng.randint(0, 70 * 24 * 60))
        t = {
            "scope": SCOPE,
            "number": i + 1,
            "summary": f"Ticket {i + 1}",
            "logged_by": "lee",
            "priority": rng.choice(("p1", "p2", "p3", "p4", "p4")),
            "category": "network",
            "status": "new",
            "created_at": created,
            "updated_at": created,
            "close_reason": rng.choice(("", "", "", "duplicate")),
            "assignee": None,
            "first_response_at": None,
            "dispatched_at": None,
            "root_cause_at": None,
            "resolved_at": None,
        }
        events: list[tuple[dt.datetime, str, str]] = []
        at = created
        if rng.random() < 0.8:  # answered, sometimes days later
            at += dt.timedelta(minutes=rng.choice((5, 20, 40, 600, 3000)))
            t.update(first_response_at=at, status="in_progress", assignee="lee")
        if rng.random() < 0.35:
            at += dt.timedelta(minutes=rng.randint(1, 900))
            t.update(status="dispatched", dispatched_at=at)
            events.append((at, "lee", "dispatch"))
            if rng.random() < 0.5:
                at += dt.timedelta(minutes=rng.choice((30, 200, 400, 2000)))
                t["root_cause_at"] = at
        for _ in range(rng.choice((0, 1, 1, 2))):  # resolved, maybe reopened and again
            at += dt.timedelta(minutes=rng.randint(5, 5000))
            events.append((at, rng.choice(("lee", "raj")), "resolve"))
            t.update(status="resolved", resolved_at=at)
            # every action but a reopen answers the ticket (`workflow`): a resolution too
            t["first_response_at"] = t["first_response_at"] or at
            if rng.random() < 0.3:
                at += dt.timedelta(days=rng.randint(0, 9), minutes=rng.randint(1, 600))
                events.append((at, "lee", "reopen"))
                t.update(status="in_progress", resolved_at=None)
        events = [e for e in events if e[0] <= NOW]
        if t.get("resolved_at") and t["resolved_at"] > NOW:
            t.update(status="in_progress", resolved_at=None)
        for name in ("first_response_at", "dispatched_at", "root_cause_at"):
            if t.get(name) and t[name] > NOW:
                t[name] = None
        tickets.append(t)
        trails.append(events)
    with engine.begin() as conn:
        ids = conn.execute(
            insert(Ticket).returning(Ticket.id, sort_by_parameter_order=True), tickets
        ).scalars()
        rows = [
            {"ticket_id": tid, "at": at, "actor": actor, "kind": kind, "detail": {}}
            for tid, trail in zip(ids, trails, strict=True)
            for at, actor, kind in trail
        ]
        conn.execute(insert(TicketEvent), rows)


def windows(config: TeamConfig) -> list[Window]:
    """The reports' windows now, and every day and week of the ten weeks (weekends, and
    China's October holidays)."""
    found = [
        period_window(config, "day", NOW),
        period_window(config, "week", NOW),
        period_window(config, "month", NOW),
        previous_working_day(config, NOW),
        since(config, NOW - dt.timedelta(hours=20), NOW),
        # part days at both ends of whole ones, seen at the end and earlier
        since(config, NOW - dt.timedelta(days=3, hours=5), NOW),
        since(config, NOW - dt.timedelta(days=30, hours=7), NOW - dt.timedelta(days=9, hours=2)),
    ]
    for period in ("week", "month"):
        compared = previous(config, period_window(config, period, NOW))  # type: ignore[arg-type]
        assert compared is not None
        found.append(compared)
    for days in range(1, 70):
        day = period_window(config, "day", NOW - dt.timedelta(days=days))
        found.append(replace(day, end=day.start + dt.timedelta(days=1)))
        if days % 7 == 0:
            found.append(since(config, day.start, day.start + dt.timedelta(days=7)))
    return found


def full_basis(config: TeamConfig, session: Session, window: Window) -> Basis:
    """The old read: every ticket not resolved before the window, as ORM objects."""
    tickets = reports.window_tickets(session, SCOPE, window.start, window.end)
    events = reports.ticket_events(session, [t.id for t in tickets if t.id], EVENT_KINDS)
    return Basis(config, window, tickets, events)  # type: ignore[arg-type]


def seen(k: Kpis) -> tuple[object, ...]:
    breaches = [(b.ticket.number, b.kind, b.due, b.stopped, b.late) for b in k.breaches]
    figures = [(f.key, f.measure) for f in k.figures]
    return (k.opened, k.resolved, k.reopened, k.dispatched, breaches, figures)


def test_narrow_read_gives_the_full_reads_figures(sample: TeamConfig, engine: Engine) -> None:
    fill(engine)
    breaches = 0
    with Session(engine) as session:
        for window in windows(sample):
            narrow = basis(sample, session, SCOPE, window)
            full = full_basis(sample, session, window)
            assert len(narrow.tickets) <= len(full.tickets)
            got, expected = compute(sample, narrow), compute(sample, full)
            assert seen(got) == seen(expected), window
            breaches += len(expected.breaches)
        month = period_window(sample, "month", NOW)
        assert charts.series(sample, basis(sample, session, SCOPE, month), "m") == charts.series(
            sample, full_basis(sample, session, month), "m"
        )
    assert breaches > 20  # the data has something to disagree about


def test_long_breach_lists_show_twenty_and_the_count_of_the_rest(sample: TeamConfig) -> None:
    """A stress backlog has tens of thousands of breaches: a post lists the first twenty
    and says how many more there are (the figure itself still counts them all)."""
    from handlers.chat.texts import render_in
    from handlers.kpis.basis import Breach
    from storage.kpis import KpiTicket

    def ticket(n: int) -> KpiTicket:
        at = NOW - dt.timedelta(hours=n)
        return KpiTicket(n, SCOPE, n, f"Printer {n}", "p1", None, "new", at, *[None] * 4, "")

    overdue = [Breach.of(sample, ticket(n), "first_response", None) for n in range(1, 26)]
    english = render_in("en", "kpi_breaches.md", breaches=overdue, config=sample)
    assert english.count("\n- **T-") + english.startswith("- **T-") == 20
    assert "T-20" in english and "T-21" not in english
    assert english.rstrip().endswith("- … and 5 more")
    chinese = render_in("zh", "kpi_breaches.md", breaches=overdue, config=sample)
    assert chinese.rstrip().endswith("- … 另有 5 项")
