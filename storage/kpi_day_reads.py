"""A window's whole local days read from the day sums (`storage.kpi_days`), and what came
after the window's end, read from small index ranges of the facts (`handlers.kpis.days`
takes it off the day sums).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import Date, and_, bindparam, case, func, or_
from sqlmodel import Session, col, select

from storage.kpi_days import KpiBreachDay, KpiEventDay, KpiLoggedDay, KpiResolverDay, count_of
from storage.kpi_facts import KpiEventFact, KpiTicketFact
from storage.models import UTCDateTime

_F = KpiTicketFact
_E = KpiEventFact

# Each statement is built once with these in place of its values (see `storage.kpi_sums`).
_SCOPE = bindparam("scope")
_FIRST = bindparam("first", type_=Date)  # whole days [first, last)
_LAST = bindparam("last", type_=Date)
_START = bindparam("start", type_=UTCDateTime)  # the same days in UTC
_END = bindparam("end", type_=UTCDateTime)
_AT = bindparam("at", type_=UTCDateTime)  # the window's end
_SINCE = bindparam("since", type_=UTCDateTime)  # the window's start
_LEFT_OUT = bindparam("left_out", expanding=True)  # `kpi_rules.excluded_close_reasons`


class Days(NamedTuple):
    """Whole local days [first, last) of a window, [start, end) in UTC, seen at `at` (the
    window's end), its tickets counted from `since` (its start)."""

    first: dt.date
    last: dt.date
    start: dt.datetime
    end: dt.datetime
    at: dt.datetime
    since: dt.datetime


def _run(session: Session, stmt: Any, scope: str, days: Days, left_out: Sequence[str] = ()) -> Any:
    values = {"scope": scope, "left_out": list(left_out), **days._asdict()}
    return session.connection().execute(stmt, values)


def _in_days(table: Any) -> tuple[Any, ...]:
    return (table.scope == _SCOPE, col(table.day) >= _FIRST, col(table.day) < _LAST)


def _logged_in_days() -> tuple[Any, ...]:
    logged_at = col(_F.created_at)
    return (_F.scope == _SCOPE, logged_at >= _START, logged_at < _END)


def _total(condition: Any, column: Any) -> Any:
    return func.coalesce(func.sum(case((condition, column), else_=0)), 0)


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


def logged_days(session: Session, scope: str, days: Days) -> list[LoggedDay]:
    """The rows of the days, per day and priority."""
    return [LoggedDay(*row) for row in _run(session, _logged_days(), scope, days)]


@cache
def _logged_days() -> Any:
    columns = KpiLoggedDay.__table__.columns  # type: ignore[attr-defined]
    return select(*(c for c in columns if c.name != "scope")).where(*_in_days(KpiLoggedDay))


def resolver_days(
    session: Session, scope: str, days: Days, left_out: Sequence[str]
) -> dict[str, tuple[int, int]]:
    rows = _run(session, _resolver_days(), scope, days, left_out)
    return {str(r): (int(n), int(c)) for r, n, c in rows}


@cache
def _resolver_days() -> Any:
    t = KpiResolverDay
    return (
        select(t.resolver, func.sum(t.total), func.sum(t.clean))
        .where(*_in_days(t), col(t.close_reason).not_in(_LEFT_OUT))
        .group_by(col(t.resolver))
    )


class EventDays(NamedTuple):
    resolved: int
    knowledge: int
    reopened: int
    dispatched: int
    stopped_in_time: int


def event_days(session: Session, scope: str, days: Days, left_out: Sequence[str]) -> EventDays:
    row = _run(session, _event_days(), scope, days, left_out).one()
    return EventDays(*(int(v) for v in row))


def _resolved_day() -> Any:
    t = KpiEventDay
    return and_(col(t.kind) == "resolve", col(t.close_reason).not_in(_LEFT_OUT))


@cache
def _event_days() -> Any:
    t = KpiEventDay
    kind = col(t.kind)
    return select(
        _total(_resolved_day(), t.events),
        _total(_resolved_day(), t.knowledge),
        _total(kind == "reopen", t.events),
        _total(kind == "dispatch", t.events),
        _total(kind == "dispatch", t.stopped_in_time),
    ).where(*_in_days(t))


def resolved_by_day(
    session: Session, scope: str, days: Days, left_out: Sequence[str]
) -> dict[dt.date, int]:
    """The counted resolutions of each day (a chart's)."""
    rows = _run(session, _resolved_by_day(), scope, days, left_out)
    return {day: int(n) for day, n in rows}


@cache
def _resolved_by_day() -> Any:
    t = KpiEventDay
    return (
        select(t.day, func.sum(t.events)).where(*_in_days(t), _resolved_day()).group_by(col(t.day))
    )


def breach_days(session: Session, scope: str, days: Days) -> dict[dt.date, int]:
    """The breaches of each day (by deadline)."""
    return {day: int(n) for day, n in _run(session, _breach_days(), scope, days)}


@cache
def _breach_days() -> Any:
    t = KpiBreachDay
    return select(t.day, t.response + t.root_cause).where(*_in_days(t))


# -- what happened at or after a window's end, of its whole days ---------------------------


class LateAnswer(NamedTuple):
    priority: str
    created_at: dt.datetime
    due: dt.datetime
    wait_us: int
    answered_at: dt.datetime


def late_answers(session: Session, scope: str, days: Days) -> list[LateAnswer]:
    """The tickets logged in the days first answered at or after `at`: answered on a later
    day than logged, a small partial index."""
    return [LateAnswer(*row) for row in _run(session, _late_answers(), scope, days)]


@cache
def _late_answers() -> Any:
    late = col(_F.late_answer_at)
    return select(
        _F.priority, _F.created_at, _F.first_response_due, _F.first_response_wait_us, late
    ).where(*_logged_in_days(), late.is_not(None), late >= _AT)


def late_dispatches(session: Session, scope: str, days: Days) -> int:
    """The tickets logged in the days first dispatched after `at`."""
    return int(_run(session, _late_dispatches(), scope, days).scalar_one())


@cache
def _late_dispatches() -> Any:
    late = col(_F.late_dispatch_at)
    return select(func.count()).where(*_logged_in_days(), late.is_not(None), late > _AT)


def pending_unanswered(
    session: Session, scope: str, days: Days
) -> list[tuple[str, dt.datetime, dt.datetime]]:
    """(priority, logged at, deadline) of the tickets logged in the days, never answered,
    whose deadline is at or after `at` (still ahead then)."""
    return [(p, c, d) for p, c, d in _run(session, _pending_unanswered(), scope, days)]


@cache
def _pending_unanswered() -> Any:
    due = col(_F.first_response_due)
    return select(_F.priority, _F.created_at, due).where(
        *_logged_in_days(), col(_F.first_response_at).is_(None), due >= _AT
    )


class Repeats(NamedTuple):
    resolved: int  # resolutions (counted reasons) of a ticket resolved earlier in the window
    knowledge: int  # of those, naming an entry
    dispatched: int  # dispatches of a ticket dispatched earlier in the window


def repeats(session: Session, scope: str, days: Days, left_out: Sequence[str]) -> Repeats:
    """Events in the days whose ticket had one of the same kind at or after `since`."""
    row = _run(session, _repeats(), scope, days, left_out).one()
    return Repeats(*(int(v) for v in row))


@cache
def _repeats() -> Any:
    kind, previous = col(_E.kind), col(_E.previous_at)
    resolved = and_(kind == "resolve", col(_E.close_reason).not_in(_LEFT_OUT))
    return select(
        count_of(resolved),
        count_of(and_(resolved, col(_E.knowledge))),
        count_of(kind == "dispatch"),
    ).where(
        _E.scope == _SCOPE,
        kind.in_(("resolve", "dispatch")),
        previous.is_not(None),
        previous >= _SINCE,
        col(_E.at) >= _START,
        col(_E.at) < _END,
    )


def open_root_causes(session: Session, scope: str, days: Days) -> tuple[int, int]:
    """Of the dispatches in the days whose root-cause deadline is at or after `at`: how
    many had not stopped before `at`, and how many stopped at or after it in time."""
    still, later = _run(session, _open_root_causes(), scope, days).one()
    return int(still), int(later)


@cache
def _open_root_causes() -> Any:
    due, stopped = col(_E.due), col(_E.stopped)
    return select(
        count_of(or_(stopped.is_(None), stopped >= _AT)),
        count_of(and_(stopped.is_not(None), stopped >= _AT, stopped <= due)),
    ).where(  # a deadline: a dispatch
        _E.scope == _SCOPE, due >= _AT, col(_E.at) >= _START, col(_E.at) < _END
    )
