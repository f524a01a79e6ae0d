"""A window's KPI sums over the stored facts (`storage.kpi_facts`): each a range of one
covering index, counted in the database; `handlers.kpis.stored` turns them into figures.

Every time is compared as stored: a window is [start, end), and a time at or after the end
had not happened yet as the window saw it (`Basis.known`). A statement can also sum part of
a window: the range [start, end) as seen at `at` (the window's end), its events' tickets
counted once from `since` (the window's start); `handlers.kpis.days` adds the whole days.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import (
    BigInteger,
    Integer,
    and_,
    bindparam,
    case,
    func,
    literal,
    not_,
    or_,
    union_all,
)
from sqlmodel import Session, col, select

from storage.kpi_facts import EVENT_KINDS, KpiEventFact, KpiTicketFact
from storage.models import UTCDateTime

_F = KpiTicketFact
_E = KpiEventFact
_FACTS = KpiTicketFact.__table__  # type: ignore[attr-defined]

# A window's statements are built once with these in place of its values (`_window`):
# building the expressions anew each time cost a /kpi day as much as running them.
_SCOPE = bindparam("scope")
_START = bindparam("start", type_=UTCDateTime)
_END = bindparam("end", type_=UTCDateTime)
_AT = bindparam("at", type_=UTCDateTime)  # as seen then: the window's end
_SINCE = bindparam("since", type_=UTCDateTime)  # the window's start
_LEFT_OUT = bindparam("left_out", expanding=True)  # `kpi_rules.excluded_close_reasons`


class Part(NamedTuple):
    """The range [start, end) of a window, seen at `at`, its tickets counted from `since`."""

    start: dt.datetime
    end: dt.datetime
    at: dt.datetime
    since: dt.datetime

    @classmethod
    def whole(cls, start: dt.datetime, end: dt.datetime) -> Part:
        return cls(start, end, end, start)


def _window(scope: str, part: Part, left_out: tuple[str, ...] = (), **more: Any) -> dict[str, Any]:
    values = {"scope": scope, "left_out": list(left_out), **more}
    return {**part._asdict(), **values}


def _count(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


class Logged(NamedTuple):
    """The tickets logged in a window."""

    logged: int
    answered: int  # answered by the window's end
    in_time: int  # of those, by the first-response deadline
    overdue: int  # not answered by the end, the deadline passed
    pending: int  # not answered by the end, the deadline still ahead
    wait_us: int  # the answered ones' waits, summed (clock time)
    dispatched: int  # dispatched at or before the end


def _logged_sums(c: Any, end: Any) -> tuple[Any, ...]:
    """`Logged`'s columns over the fact columns `c`, as at `end` (a time, or a column)."""
    answered_at, due = c.first_response_at, c.first_response_due
    answered = and_(answered_at.is_not(None), answered_at < end)
    waiting = not_(answered)
    return (
        func.count(),
        _count(answered),
        _count(and_(answered, answered_at <= due)),
        _count(and_(waiting, due < end)),
        _count(and_(waiting, due >= end)),
        func.coalesce(func.sum(case((answered, c.first_response_wait_us), else_=0)), 0),
        _count(c.first_dispatched_at <= end),
    )


def logged(session: Session, scope: str, part: Part) -> Logged:
    row = session.connection().execute(_logged_stmt(), _window(scope, part)).one()
    return Logged(*(int(v) for v in row))


@cache
def _logged_stmt() -> Any:
    logged_at = col(_F.created_at)
    return select(*_logged_sums(_FACTS.c, _AT)).where(
        _F.scope == _SCOPE, logged_at >= _START, logged_at < _END
    )


def overdue_waits(session: Session, scope: str, part: Part) -> list[tuple[str, dt.datetime]]:
    """(priority, logged at) of the tickets logged in the part, not answered by its `at`
    and past their deadline: their wait so far is `at` less their logging, in their clock
    time (worked out by the caller)."""
    rows = session.connection().execute(_overdue_stmt(), _window(scope, part))
    return [(p, at) for p, at in rows]


@cache
def _overdue_stmt() -> Any:
    answered_at, due, logged_at = (
        col(_F.first_response_at),
        col(_F.first_response_due),
        col(_F.created_at),
    )
    in_window = (_F.scope == _SCOPE, logged_at >= _START, logged_at < _END, due < _AT)
    # two small index ranges: never answered (a partial index), and answered after the end
    # (none for a window ending now); one range over the window's tickets would read them all
    never = select(_F.priority, _F.created_at).where(*in_window, answered_at.is_(None))
    later = select(_F.priority, _F.created_at).where(*in_window, answered_at >= _AT)
    return union_all(never, later)


def first_resolutions(
    session: Session, scope: str, part: Part, left_out: tuple[str, ...], reopen_within_us: int
) -> dict[str, tuple[int, int]]:
    """Per first resolver: the tickets first resolved in the part (closed for a reason of
    `left_out` not counted), and of those the ones not dispatched by then nor reopened
    within `reopen_within_us` of it."""
    values = _window(scope, part, left_out, reopen_within_us=reopen_within_us)
    rows = session.connection().execute(_first_resolutions_stmt(), values)
    return {str(who): (int(total), int(hits)) for who, total, hits in rows}


@cache
def _first_resolutions_stmt() -> Any:
    resolved_at, gap = col(_F.first_resolved_at), col(_F.reopen_gap_us)
    clean = and_(
        or_(col(_F.first_dispatched_at).is_(None), col(_F.first_dispatched_at) > resolved_at),
        or_(gap.is_(None), gap > bindparam("reopen_within_us", type_=BigInteger)),
    )
    return (
        select(_F.first_resolver, func.count(), _count(clean))
        .where(
            _F.scope == _SCOPE,
            resolved_at >= _START,
            resolved_at < _END,
            col(_F.close_reason).not_in(_LEFT_OUT),
        )
        .group_by(col(_F.first_resolver))
    )


class Events(NamedTuple):
    """The counted events in a window."""

    resolved: int  # resolutions, of tickets counted
    resolved_tickets: int  # the tickets those are
    with_knowledge: int  # of those, the ones whose latest resolution named an entry
    reopened: int
    dispatched_tickets: int
    root_cause_settled: int  # dispatches whose root-cause clock stopped or ran out
    root_cause_in_time: int  # of those, stopped by the deadline


def events(session: Session, scope: str, part: Part, left_out: tuple[str, ...]) -> Events:
    values = _window(scope, part, left_out)
    row = session.connection().execute(_events_stmt(), values).one()
    return Events(*(int(v) for v in row))


@cache
def _events_stmt() -> Any:
    kind, stopped, due = col(_E.kind), col(_E.stopped), col(_E.due)
    resolved = and_(kind == "resolve", col(_E.close_reason).not_in(_LEFT_OUT))
    dispatch = kind == "dispatch"
    # a ticket's first event of its kind in the window: counts the ticket once
    first = or_(col(_E.previous_at).is_(None), col(_E.previous_at) < _SINCE)
    stopped_by_end = and_(stopped.is_not(None), stopped < _AT)
    return select(
        _count(resolved),
        _count(and_(resolved, first)),
        _count(and_(resolved, first, col(_E.knowledge))),
        _count(kind == "reopen"),
        _count(and_(dispatch, first)),
        _count(and_(dispatch, or_(stopped_by_end, due < _AT))),
        _count(and_(dispatch, stopped_by_end, stopped <= due)),
    ).where(
        _E.scope == _SCOPE,
        kind.in_(EVENT_KINDS),
        col(_E.at) >= _START,
        col(_E.at) < _END,
    )


# -- breaches: deadlines in the window, missed -------------------------------------------------


def _response_breaches(scope: Any = _SCOPE, start: Any = _START, end: Any = _END) -> Any:
    due, answered = col(_F.first_response_due), col(_F.first_response_at)
    return select(
        col(_F.ticket_id).label("ticket_id"),
        col(_F.number).label("number"),
        literal("first_response").label("kind"),
        due.label("due"),
        answered.label("stopped"),
    ).where(
        _F.scope == scope,
        due >= start,
        due < end,
        or_(answered.is_(None), answered > due),
    )


def _root_cause_breaches(
    scope: Any = _SCOPE, start: Any = _START, end: Any = _END, at: Any = None
) -> Any:
    at = end if at is None else at  # dispatched before it: a part of a window says
    due, stopped = col(_E.due), col(_E.stopped)
    number = select(_F.number).where(col(_F.ticket_id) == col(_E.ticket_id)).scalar_subquery()
    return select(
        col(_E.ticket_id).label("ticket_id"),
        number.label("number"),
        literal("root_cause").label("kind"),
        due.label("due"),
        stopped.label("stopped"),
    ).where(
        _E.scope == scope,
        due >= start,
        due < end,
        col(_E.at) < at,
        or_(stopped.is_(None), stopped > due),
    )


def breach_count(session: Session, scope: str, part: Part) -> int:
    values = _window(scope, part)
    return sum(int(session.connection().execute(q, values).scalar_one()) for q in _counts())


@cache
def _counts() -> tuple[Any, ...]:
    parts = (_response_breaches(), _root_cause_breaches(at=_AT))
    return tuple(part.with_only_columns(func.count()) for part in parts)


class BreachRow(NamedTuple):
    ticket_id: int
    number: int
    kind: str
    due: dt.datetime
    stopped: dt.datetime | None  # as stored: the caller drops a time at or after the end


def first_breaches(
    session: Session, scope: str, start: dt.datetime, end: dt.datetime, limit: int
) -> list[BreachRow]:
    """The first `limit` breaches by deadline, ticket number and kind."""
    values = _window(scope, Part.whole(start, end), limit=limit)
    rows = session.connection().execute(_first_stmt(), values)
    return [BreachRow(*row) for row in rows]


@cache
def _first_stmt() -> Any:
    limit = bindparam("limit", type_=Integer)
    # the first of each kind, then the first of both: PostgreSQL otherwise read a month's
    # breaches (and each root-cause one's number) to keep 20
    firsts = []
    for part in (_response_breaches(), _root_cause_breaches()):
        rows = part.subquery()
        first = select(rows).order_by(rows.c.due, rows.c.number).limit(limit).subquery()
        firsts.append(select(first))
    both = union_all(*firsts).subquery()
    order = (both.c.due, both.c.number, both.c.kind)
    return select(both).order_by(*order).limit(limit)
