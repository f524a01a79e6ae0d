"""The KPI facts summed per local day (`storage.kpi_facts`): a week or a month of figures is
then a few dozen rows, not tens of thousands of facts.

Each day's sums are "as now": every time the facts hold counts, however late it came (an
answer days after the logging counts for the logging's day). A window ending earlier sees
less: `handlers.kpis.days` takes off what happened at or after its end, read from small
index ranges of the facts (`storage.kpi_day_reads`: answers and dispatches on a later day
than the logging, open root-cause clocks, repeated events). Days are the team's local
dates, so the refresh that writes the facts works each touched day out again in the same
transaction (`handlers.kpis.days.recompute`); the rules fingerprint covers the zone.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import BigInteger, Column, and_, bindparam, case, delete, func, or_, text
from sqlmodel import Field, Session, SQLModel, col, select

from storage.driver import insert_rows
from storage.kpi_facts import EVENT_KINDS, KpiEventFact, KpiTicketFact
from storage.models import UTCDateTime

_F = KpiTicketFact
_E = KpiEventFact


def _sum() -> Any:
    return Field(default=0, sa_column=Column(BigInteger, nullable=False))


class KpiLoggedDay(SQLModel, table=True):
    """The tickets logged on a day, per priority (a priority is a clock)."""

    __tablename__ = "kpi_logged_day"

    scope: str = Field(primary_key=True, max_length=200)
    day: dt.date = Field(primary_key=True)
    priority: str = Field(primary_key=True, max_length=2)
    logged: int = _sum()
    answered: int = _sum()
    in_time: int = _sum()  # answered by the first-response deadline
    wait_us: int = _sum()  # the answered ones' waits (clock time)
    dispatched: int = _sum()
    waiting: int = _sum()  # never answered
    waiting_us: int = _sum()  # their clock time from logging to the day's end, summed


class KpiResolverDay(SQLModel, table=True):
    """The tickets first resolved on a day, per resolver and close reason."""

    __tablename__ = "kpi_resolver_day"

    scope: str = Field(primary_key=True, max_length=200)
    day: dt.date = Field(primary_key=True)
    resolver: str = Field(primary_key=True, max_length=200)
    close_reason: str = Field(primary_key=True, max_length=20)
    total: int = _sum()
    clean: int = _sum()  # not dispatched before, nor reopened soon after (`kpi_rules`)


class KpiEventDay(SQLModel, table=True):
    """The counted events of a day, per kind and the ticket's close reason."""

    __tablename__ = "kpi_event_day"

    scope: str = Field(primary_key=True, max_length=200)
    day: dt.date = Field(primary_key=True)
    kind: str = Field(primary_key=True, max_length=40)
    close_reason: str = Field(primary_key=True, max_length=20)
    events: int = _sum()
    knowledge: int = _sum()  # resolutions whose ticket's latest resolution named an entry
    stopped_in_time: int = _sum()  # dispatches whose root-cause clock stopped by the deadline


class KpiBreachDay(SQLModel, table=True):
    """The deadlines falling on a day that were missed."""

    __tablename__ = "kpi_breach_day"

    scope: str = Field(primary_key=True, max_length=200)
    day: dt.date = Field(primary_key=True)
    response: int = _sum()
    root_cause: int = _sum()


TABLES = (KpiLoggedDay, KpiResolverDay, KpiEventDay, KpiBreachDay)


# -- one day worked out from the facts -----------------------------------------------------


class DayTotals(NamedTuple):
    """One day's rows as the facts give them."""

    logged: list[tuple[Any, ...]]  # `KpiLoggedDay`'s columns from the priority on
    resolvers: list[tuple[Any, ...]]  # resolver, close_reason, total, clean
    events: list[tuple[Any, ...]]  # kind, close_reason, events, knowledge, stopped in time
    breaches: tuple[int, int]  # response, root cause


def count_of(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


_SCOPE = bindparam("scope")
_START = bindparam("start", type_=UTCDateTime)
_END = bindparam("end", type_=UTCDateTime)


@cache
def _day_stmts() -> tuple[Any, ...]:
    answered_at, due = col(_F.first_response_at), col(_F.first_response_due)
    answered = answered_at.is_not(None)
    logged = (
        select(
            _F.priority,
            func.count(),
            count_of(answered),
            count_of(and_(answered, answered_at <= due)),
            func.coalesce(func.sum(_F.first_response_wait_us), 0),
            count_of(col(_F.first_dispatched_at).is_not(None)),
            count_of(answered_at.is_(None)),
            func.coalesce(func.sum(case((answered_at.is_(None), _F.day_rest_us), else_=0)), 0),
        )
        .where(_F.scope == _SCOPE, col(_F.created_at) >= _START, col(_F.created_at) < _END)
        .group_by(col(_F.priority))
    )
    resolved_at, gap = col(_F.first_resolved_at), col(_F.reopen_gap_us)
    clean = and_(
        or_(col(_F.first_dispatched_at).is_(None), col(_F.first_dispatched_at) > resolved_at),
        or_(gap.is_(None), gap > bindparam("reopen_within_us", type_=BigInteger)),
    )
    resolvers = (
        select(_F.first_resolver, _F.close_reason, func.count(), count_of(clean))
        .where(_F.scope == _SCOPE, resolved_at >= _START, resolved_at < _END)
        .group_by(col(_F.first_resolver), col(_F.close_reason))
    )
    kind, stopped, e_due = col(_E.kind), col(_E.stopped), col(_E.due)
    events = (
        select(
            _E.kind,
            _E.close_reason,
            func.count(),
            count_of(and_(kind == "resolve", col(_E.knowledge))),
            count_of(and_(kind == "dispatch", stopped.is_not(None), stopped <= e_due)),
        )
        .where(
            _E.scope == _SCOPE,
            kind.in_(EVENT_KINDS),
            col(_E.at) >= _START,
            col(_E.at) < _END,
        )
        .group_by(kind, col(_E.close_reason))
    )
    response = select(func.count()).where(
        _F.scope == _SCOPE,
        due >= _START,
        due < _END,
        or_(answered_at.is_(None), answered_at > due),
    )
    root_cause = select(func.count()).where(
        _E.scope == _SCOPE,
        e_due >= _START,
        e_due < _END,
        or_(stopped.is_(None), stopped > e_due),
    )
    return logged, resolvers, events, response, root_cause


def day_totals(
    session: Session, scope: str, start: dt.datetime, end: dt.datetime, reopen_within_us: int
) -> DayTotals:
    """What the facts give for the day [start, end)."""
    conn = session.connection()
    values = {"scope": scope, "start": start, "end": end, "reopen_within_us": reopen_within_us}
    logged, resolvers, events, response, root_cause = _day_stmts()
    return DayTotals(
        [tuple(r) for r in conn.execute(logged, values)],
        [tuple(r) for r in conn.execute(resolvers, values)],
        [tuple(r) for r in conn.execute(events, values)],
        (
            int(conn.execute(response, values).scalar_one()),
            int(conn.execute(root_cause, values).scalar_one()),
        ),
    )


def replace_days(session: Session, scope: str, rows: dict[dt.date, dict[str, list[tuple]]]) -> None:
    """Replace the scope's rows of each day of `rows` ({day: {table name: rows}}); a day
    given with no rows is left empty."""
    if not rows:
        return
    conn = session.connection()
    days = list(rows)  # a refresh batch's days: bounded
    for table in TABLES:
        conn.execute(delete(table).where(table.scope == scope, col(table.day).in_(days)))
    for table in TABLES:
        name = table.__tablename__
        written = [(scope, day, *r) for day, tables in rows.items() for r in tables.get(name, [])]
        if written:
            names = tuple(c.name for c in table.__table__.columns)  # type: ignore[attr-defined]
            insert_rows(conn, table.__table__, names, written)  # type: ignore[attr-defined]


def clear(session: Session) -> None:
    """Every day's sums gone (the rules changed: the refresh writes them again)."""
    for table in TABLES:
        session.connection().execute(delete(table))


def lock(session: Session) -> None:
    """Serialize the days' rewrites between replicas (PostgreSQL): a day is worked out from
    the facts as committed, so a second refresh must wait for the first one's commit."""
    if session.get_bind().dialect.name == "postgresql":
        session.connection().execute(text("SELECT pg_advisory_xact_lock(7364901)"))
