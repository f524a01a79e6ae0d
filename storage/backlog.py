"""The open backlog's running clocks at scale: counts in the database, the oldest page by page.

A stress backlog holds tens of thousands of open tickets whose first-response or root-cause
clock ran out long ago. A digest or standup shows how many there are and lists the first
twenty, so the long-settled ones are counted per priority here, and read only as far as the
list needs; the few whose clock may still be running (or stopped oddly) are read whole.

"Settled before `cut`": a first-response clock started (logged) before `cut`, a root-cause
clock started (dispatched) before `cut` and not stopped by a resolution; the caller picks
`cut` so that every such clock is past due (`handlers.kpis.basis.reach`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from sqlalchemy import and_, func, or_, text
from sqlmodel import Session, col, select

from storage.kpis import TICKET_COLUMNS, KpiTicket, read_tickets
from storage.models import UNEXPLAINED_WHERE, WAITING_WHERE, Ticket
from storage.tickets import status_in

Clock = Literal["first_response", "root_cause"]
DISPATCHED = ("dispatched",)  # `storage.models.DISPATCHED_WHERE`


def _unindexed(column: Any) -> Any:
    """The column in a form no index serves (SQLite, without statistics, would otherwise
    take a range of another index over the one the query is written for)."""
    return func.coalesce(column, column)


def _running(scope: str, at: dt.datetime, clock: Clock) -> list[Any]:
    """The open tickets logged by `at` whose `clock` runs, in the terms of its partial index
    (SQLite uses one only when the query holds the index's own terms, written out)."""
    where = WAITING_WHERE if clock == "first_response" else UNEXPLAINED_WHERE
    # "logged by `at`" unindexed: not a range of another index of the logging time
    return [Ticket.scope == scope, text(where), _unindexed(col(Ticket.created_at)) <= at]


def _start(clock: Clock) -> Any:
    return col(Ticket.created_at) if clock == "first_response" else col(Ticket.dispatched_at)


def _settled(clock: Clock, cut: dt.datetime, ranged: bool = True) -> Any:
    """Started before `cut` and not stopped; `ranged=False`: in a form no index range
    serves (a count walks the clock's whole partial index, which covers it)."""
    if clock == "first_response":
        logged = col(Ticket.created_at)
        return (logged if ranged else _unindexed(logged)) < cut
    resolved = col(Ticket.resolved_at)
    return and_(
        col(Ticket.dispatched_at) < cut,
        or_(resolved.is_(None), resolved < col(Ticket.dispatched_at)),
    )


def settled_counts(
    session: Session, scope: str, at: dt.datetime, clock: Clock, cut: dt.datetime
) -> dict[str, int]:
    """Per priority, the open tickets (logged by `at`) with a `clock` settled before `cut`."""
    query = (
        select(Ticket.priority, func.count())
        .where(*_running(scope, at, clock), _settled(clock, cut, ranged=False))
        .group_by(col(Ticket.priority))
    )
    return {priority: int(n) for priority, n in session.connection().execute(query).all()}


def settled_page(
    session: Session,
    scope: str,
    at: dt.datetime,
    clock: Clock,
    cut: dt.datetime,
    priority: str,
    offset: int,
    limit: int,
) -> list[KpiTicket]:
    """Those of one priority, oldest clock start first (their deadlines in the same order)."""
    query = (
        select(*TICKET_COLUMNS)
        .where(*_running(scope, at, clock), _settled(clock, cut), Ticket.priority == priority)
        .order_by(_start(clock), col(Ticket.id))
        .offset(offset)
        .limit(limit)
    )
    return read_tickets(session, query)


def unsettled(
    session: Session, scope: str, at: dt.datetime, clock: Clock, cut: dt.datetime
) -> list[KpiTicket]:
    """The open tickets (logged by `at`) whose `clock` runs and is not settled before `cut`."""
    ids = select(col(Ticket.id)).where(*_running(scope, at, clock))
    if clock == "first_response":  # logged from `cut`: a range of the open tickets' index
        ids = ids.where(~_settled(clock, cut))
    else:  # along the clock's partial index, which covers the test (asked in its order,
        # SQLite takes it over the queue's index)
        ids = ids.where(~_settled(clock, cut, False)).order_by(
            col(Ticket.priority), _start(clock), col(Ticket.id)
        )
    query = select(*TICKET_COLUMNS).where(col(Ticket.id).in_(ids.scalar_subquery()))
    return read_tickets(session, query)


def escalations(
    session: Session, scope: str, at: dt.datetime, limit: int
) -> tuple[int, list[KpiTicket]]:
    """The open escalations (dispatched, logged by `at`): how many, and the oldest `limit`.
    Both along their partial index (`ix_ticket_dispatched`: the state written out)."""
    dispatched = [Ticket.scope == scope, status_in(DISPATCHED)]
    # counted in the index (scope, logging time: all it needs), not a range of it
    logged = _unindexed(col(Ticket.created_at))
    count = select(func.count()).select_from(Ticket).where(*dispatched, logged <= at)
    total = session.connection().execute(count).scalar_one()
    query = (
        select(*TICKET_COLUMNS)
        .where(*dispatched, col(Ticket.created_at) <= at)
        .order_by(col(Ticket.created_at), col(Ticket.id))
        .limit(limit)
    )
    return int(total), read_tickets(session, query)
