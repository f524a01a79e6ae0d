"""A window's whole local days read from the day sums (`storage.kpi_days`), and what came
after the window's end, read from small index ranges of the facts (`handlers.kpis.days`
takes it off the day sums).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, NamedTuple

from sqlalchemy import and_, case, func, or_
from sqlmodel import Session, col, select

from storage.kpi_days import KpiBreachDay, KpiEventDay, KpiLoggedDay, KpiResolverDay, count_of
from storage.kpi_facts import KpiEventFact, KpiTicketFact

_F = KpiTicketFact
_E = KpiEventFact


# -- whole days of a window ----------------------------------------------------------------


class LoggedDay(NamedTuple):
    day: dt.date
    priority: str
    logged: int
    answered: int
    in_time: int
    wait_us: int
    dispatched: int
    waiting: int
    waiting_us: int


def logged_days(session: Session, scope: str, first: dt.date, end: dt.date) -> list[LoggedDay]:
    """The rows of the days [first, end), per day and priority."""
    t = KpiLoggedDay
    query = select(*(c for c in t.__table__.columns if c.name != "scope")).where(  # type: ignore[attr-defined]
        t.scope == scope, col(t.day) >= first, col(t.day) < end
    )
    return [LoggedDay(*row) for row in session.connection().execute(query)]


def resolver_days(
    session: Session, scope: str, first: dt.date, end: dt.date, left_out: Sequence[str]
) -> dict[str, tuple[int, int]]:
    t = KpiResolverDay
    query = (
        select(t.resolver, func.sum(t.total), func.sum(t.clean))
        .where(
            t.scope == scope,
            col(t.day) >= first,
            col(t.day) < end,
            col(t.close_reason).not_in(list(left_out)),
        )
        .group_by(col(t.resolver))
    )
    return {str(r): (int(n), int(c)) for r, n, c in session.connection().execute(query)}


class EventDays(NamedTuple):
    resolved: int
    knowledge: int
    reopened: int
    dispatched: int
    stopped_in_time: int


def event_days(
    session: Session, scope: str, first: dt.date, end: dt.date, left_out: Sequence[str]
) -> EventDays:
    t = KpiEventDay
    kind = col(t.kind)
    resolved = and_(kind == "resolve", col(t.close_reason).not_in(list(left_out)))

    def total(condition: Any, column: Any) -> Any:
        return func.coalesce(func.sum(case((condition, column), else_=0)), 0)

    query = select(
        total(resolved, t.events),
        total(resolved, t.knowledge),
        total(kind == "reopen", t.events),
        total(kind == "dispatch", t.events),
        total(kind == "dispatch", t.stopped_in_time),
    ).where(t.scope == scope, col(t.day) >= first, col(t.day) < end)
    return EventDays(*(int(v) for v in session.connection().execute(query).one()))


def breach_days(session: Session, scope: str, first: dt.date, end: dt.date) -> int:
    t = KpiBreachDay
    query = select(func.coalesce(func.sum(t.response + t.root_cause), 0)).where(
        t.scope == scope, col(t.day) >= first, col(t.day) < end
    )
    return int(session.connection().execute(query).scalar_one())


# -- what happened at or after a window's end, of its whole days ---------------------------


class LateAnswer(NamedTuple):
    priority: str
    created_at: dt.datetime
    due: dt.datetime
    wait_us: int
    answered_at: dt.datetime


def late_answers(
    session: Session, scope: str, start: dt.datetime, end: dt.datetime, at: dt.datetime
) -> list[LateAnswer]:
    """The tickets logged in [start, end) (whole days) first answered at or after `at`:
    answered on a later day than logged, a small partial index."""
    late = col(_F.late_answer_at)
    query = select(
        _F.priority, _F.created_at, _F.first_response_due, _F.first_response_wait_us, late
    ).where(
        _F.scope == scope,
        late.is_not(None),
        late >= at,
        col(_F.created_at) >= start,
        col(_F.created_at) < end,
    )
    return [LateAnswer(*row) for row in session.connection().execute(query)]


def late_dispatches(
    session: Session, scope: str, start: dt.datetime, end: dt.datetime, at: dt.datetime
) -> int:
    """The tickets logged in [start, end) first dispatched after `at`."""
    late = col(_F.late_dispatch_at)
    query = select(func.count()).where(
        _F.scope == scope,
        late.is_not(None),
        late > at,
        col(_F.created_at) >= start,
        col(_F.created_at) < end,
    )
    return int(session.connection().execute(query).scalar_one())


def pending_unanswered(
    session: Session, scope: str, start: dt.datetime, end: dt.datetime, at: dt.datetime
) -> list[tuple[str, dt.datetime]]:
    """(priority, logged at) of the tickets logged in [start, end), never answered, whose
    deadline is at or after `at` (still ahead then)."""
    due = col(_F.first_response_due)
    query = select(_F.priority, _F.created_at).where(
        _F.scope == scope,
        col(_F.first_response_at).is_(None),
        due >= at,
        col(_F.created_at) >= start,
        col(_F.created_at) < end,
    )
    return [(p, c) for p, c in session.connection().execute(query)]


class Repeats(NamedTuple):
    resolved: int  # resolutions (counted reasons) of a ticket resolved earlier in the window
    knowledge: int  # of those, naming an entry
    dispatched: int  # dispatches of a ticket dispatched earlier in the window


def repeats(
    session: Session,
    scope: str,
    start: dt.datetime,
    end: dt.datetime,
    since: dt.datetime,
    left_out: Sequence[str],
) -> Repeats:
    """Events in [start, end) whose ticket had one of the same kind at or after `since`."""
    kind, previous = col(_E.kind), col(_E.previous_at)
    resolved = and_(kind == "resolve", col(_E.close_reason).not_in(list(left_out)))
    query = select(
        count_of(resolved),
        count_of(and_(resolved, col(_E.knowledge))),
        count_of(kind == "dispatch"),
    ).where(
        _E.scope == scope,
        kind.in_(("resolve", "dispatch")),
        previous.is_not(None),
        previous >= since,
        col(_E.at) >= start,
        col(_E.at) < end,
    )
    return Repeats(*(int(v) for v in session.connection().execute(query).one()))


def open_root_causes(
    session: Session, scope: str, start: dt.datetime, end: dt.datetime, at: dt.datetime
) -> tuple[int, int]:
    """Of the dispatches in [start, end) whose root-cause deadline is at or after `at`: how
    many had not stopped before `at`, and how many stopped at or after it in time."""
    due, stopped = col(_E.due), col(_E.stopped)
    query = select(
        count_of(or_(stopped.is_(None), stopped >= at)),
        count_of(and_(stopped.is_not(None), stopped >= at, stopped <= due)),
    ).where(_E.scope == scope, due >= at, col(_E.at) >= start, col(_E.at) < end)  # dispatches
    open_, later = session.connection().execute(query).one()
    return int(open_), int(later)
