"""Each ticket's KPI facts, stored: what the figures count, so a window's figures are SQL
sums over an index range instead of tens of thousands of rows walked in Python.

A fact row holds what does not depend on the window: the first-response deadline and wait,
the first dispatch, the first resolution (when, by whom) and how soon a reopen followed it;
an event fact, a counted event (resolve, reopen, dispatch) with a dispatch's root-cause
deadline and the moment its clock stopped. `handlers.kpis.facts` works them out (the rule
lives there); this module keeps them.

Kept like the response clocks' due times: every change of a ticket marks it
(`ticket.kpi_marked_at`, set by `storage.tickets.record` and at logging), and a refresh
recomputes the marked tickets in bounded batches, clearing each mark only if nothing marked
the ticket again meanwhile. Figures read the facts only when the scope has no marked ticket
left and the stored rules fingerprint is the configuration's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import BigInteger, Column, Index, bindparam, delete, update
from sqlmodel import Field, Session, SQLModel, col, select

from storage.db import by_other_index
from storage.driver import insert_rows
from storage.models import Ticket, TicketEvent, UTCDateTime, _when, partial_index

RULES = "kpi_facts"  # their fingerprint's name in `clock_rules` (`storage.clock_due.rules`)
EVENT_KINDS = ("resolve", "reopen", "dispatch")  # the events the figures count
UNANSWERED_WHERE = "first_response_at IS NULL"
LATE_ANSWER_WHERE = "late_answer_at IS NOT NULL"
LATE_DISPATCH_WHERE = "late_dispatch_at IS NOT NULL"
REPEAT_WHERE = "previous_at IS NOT NULL"


def _micros() -> Any:
    return Field(default=None, sa_column=Column(BigInteger, nullable=True))


class KpiTicketFact(SQLModel, table=True):
    """A ticket's facts (see the module's docstring); one row per ticket once refreshed."""

    __tablename__ = "kpi_ticket_fact"
    __table_args__ = (
        # each index holds every column its sums read: a window is one index range
        Index(
            "ix_kpi_fact_logged",
            *("scope", "created_at", "first_response_at", "first_response_due"),
            *("first_response_wait_us", "first_dispatched_at", "priority"),
        ),
        Index(
            "ix_kpi_fact_resolved",
            *("scope", "first_resolved_at", "first_resolver", "close_reason"),
            *("first_dispatched_at", "reopen_gap_us"),
        ),
        Index("ix_kpi_fact_response_due", "scope", "first_response_due", "first_response_at"),
        # the tickets still unanswered at a window's end: never answered, or answered after
        partial_index(
            "ix_kpi_fact_unanswered",
            UNANSWERED_WHERE,
            *("scope", "created_at", "first_response_due", "priority"),
        ),
        Index(
            "ix_kpi_fact_answered",
            *("scope", "first_response_at", "created_at", "first_response_due", "priority"),
        ),
        # a window's whole days (`storage.kpi_days`) take off what came after its end: the
        # few answers and dispatches on a later day than the logging, the deadlines ahead
        partial_index(
            "ix_kpi_fact_late_answer",
            LATE_ANSWER_WHERE,
            *("scope", "late_answer_at", "created_at", "first_response_due"),
            *("first_response_wait_us", "priority"),
        ),
        partial_index(
            "ix_kpi_fact_late_dispatch",
            LATE_DISPATCH_WHERE,
            *("scope", "late_dispatch_at", "created_at"),
        ),
        partial_index(
            "ix_kpi_fact_unanswered_due",
            UNANSWERED_WHERE,
            *("scope", "first_response_due", "created_at", "priority"),
        ),
    )

    ticket_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    scope: str = Field(max_length=200)
    number: int
    priority: str = Field(max_length=2)
    close_reason: str = Field(default="", max_length=20)
    created_at: dt.datetime = _when(nullable=False)
    first_response_at: dt.datetime | None = _when()
    first_response_due: dt.datetime = _when(nullable=False)
    first_response_wait_us: int | None = _micros()  # clock time from logging to the answer
    first_dispatched_at: dt.datetime | None = _when()
    first_resolved_at: dt.datetime | None = _when()
    first_resolver: str | None = Field(default=None, max_length=200)
    reopen_gap_us: int | None = _micros()  # wall time from the first resolution to a reopen
    # the first answer and dispatch again, when on a later local day than the logging
    late_answer_at: dt.datetime | None = _when()
    late_dispatch_at: dt.datetime | None = _when()
    # never answered: the clock time from logging to the end of its local day (what the
    # day sums add up of the waiting tickets' waits, `storage.kpi_days`)
    day_rest_us: int | None = _micros()


class KpiEventFact(SQLModel, table=True):
    """A counted event of a ticket, with what its figures need."""

    __tablename__ = "kpi_event_fact"
    __table_args__ = (
        Index("ix_kpi_event_ticket", "ticket_id"),
        Index(
            "ix_kpi_event_at",
            *("scope", "kind", "at", "close_reason", "due", "stopped", "previous_at"),
            "knowledge",
        ),
        # the root-cause breaches: dispatches by their deadline
        Index("ix_kpi_event_due", "scope", "due", "at", "stopped"),
        # the events of a ticket that had one of the kind before (`storage.kpi_days`)
        partial_index(
            "ix_kpi_event_repeat",
            REPEAT_WHERE,
            *("scope", "previous_at", "kind", "at", "close_reason", "knowledge"),
        ),
    )

    event_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    ticket_id: int
    scope: str = Field(max_length=200)
    kind: str = Field(max_length=40)
    at: dt.datetime = _when(nullable=False)
    close_reason: str = Field(default="", max_length=20)  # the ticket's
    due: dt.datetime | None = _when()  # a dispatch's root-cause deadline
    stopped: dt.datetime | None = _when()  # when a dispatch's root-cause clock stopped
    knowledge: bool = False  # a resolve: the ticket's latest resolution named an entry
    previous_at: dt.datetime | None = _when()  # the ticket's previous event of this kind


# -- the marked tickets ----------------------------------------------------------------------


class MarkedTicket(NamedTuple):
    """What a ticket's facts are worked out from."""

    id: int
    scope: str
    number: int
    priority: str
    close_reason: str
    created_at: dt.datetime
    first_response_at: dt.datetime | None
    root_cause_at: dt.datetime | None
    kpi_marked_at: dt.datetime


class CountedEvent(NamedTuple):
    id: int
    ticket_id: int
    at: dt.datetime
    actor: str
    kind: str
    detail: dict[str, Any]


def marked_batch(
    session: Session, limit: int, scope: str | None = None
) -> tuple[list[MarkedTicket], dict[int, list[CountedEvent]]]:
    """Up to `limit` marked tickets (of one scope, or any), oldest mark first, with their
    counted events in order; on PostgreSQL locked, skipping those another refresh holds."""
    query = select(
        Ticket.id,
        Ticket.scope,
        Ticket.number,
        Ticket.priority,
        Ticket.close_reason,
        Ticket.created_at,
        Ticket.first_response_at,
        Ticket.root_cause_at,
        Ticket.kpi_marked_at,
    ).where(col(Ticket.kpi_marked_at).is_not(None))
    if scope is not None:
        query = query.where(Ticket.scope == scope)
    query = query.order_by(col(Ticket.kpi_marked_at), col(Ticket.id)).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    tickets = [MarkedTicket(*row) for row in session.exec(query)]
    events: dict[int, list[CountedEvent]] = {}
    if tickets:
        ids = [t.id for t in tickets]  # a bounded batch
        trail = (
            select(
                TicketEvent.id,
                TicketEvent.ticket_id,
                TicketEvent.at,
                TicketEvent.actor,
                TicketEvent.kind,
                TicketEvent.detail,
            )
            .where(
                col(TicketEvent.ticket_id).in_(ids),
                by_other_index(col(TicketEvent.kind)).in_(EVENT_KINDS),
            )
            .order_by(col(TicketEvent.at), col(TicketEvent.id))
        )
        for row in session.exec(trail):
            events.setdefault(row[1], []).append(CountedEvent(*row))
    return tickets, events


def stored_times(session: Session, ids: Sequence[int]) -> list[tuple[str, dt.datetime]]:
    """(scope, time) of every time the stored facts of `ids` are summed by a day at
    (`storage.kpi_days`): logging, first resolution, deadlines, events."""
    conn = session.connection()
    f, e = KpiTicketFact, KpiEventFact
    found: list[tuple[str, dt.datetime]] = []
    facts = select(f.scope, f.created_at, f.first_resolved_at, f.first_response_due)
    for scope, *times in conn.execute(facts.where(col(f.ticket_id).in_(ids))):
        found += [(scope, t) for t in times if t is not None]
    events = select(e.scope, e.at, e.due).where(col(e.ticket_id).in_(ids))
    for scope, *times in conn.execute(events):
        found += [(scope, t) for t in times if t is not None]
    return found


def store(
    session: Session,
    tickets: Sequence[MarkedTicket],
    ticket_facts: list[dict[str, Any]],
    event_facts: list[dict[str, Any]],
) -> None:
    """Replace the facts of `tickets` and clear their marks, each only where the ticket
    still has the mark read (a change meanwhile marked it again: the next refresh redoes it)."""
    if not tickets:
        return
    conn = session.connection()
    ids = [t.id for t in tickets]
    conn.execute(delete(KpiEventFact).where(col(KpiEventFact.ticket_id).in_(ids)))
    conn.execute(delete(KpiTicketFact).where(col(KpiTicketFact.ticket_id).in_(ids)))
    for table, rows in ((KpiTicketFact, ticket_facts), (KpiEventFact, event_facts)):
        if rows:
            names = tuple(rows[0])
            insert_rows(conn, table.__table__, names, [tuple(r.values()) for r in rows])  # type: ignore[attr-defined]
    seen = [{"tid": t.id, "seen": t.kpi_marked_at} for t in tickets]
    conn.execute(_clear_stmt(), seen)


@cache
def _clear_stmt() -> Any:
    return (
        update(Ticket)
        .where(
            col(Ticket.id) == bindparam("tid"),
            col(Ticket.kpi_marked_at) == bindparam("seen", type_=UTCDateTime),
        )
        .values(kpi_marked_at=None)
    )


def marked_in(session: Session, scope: str, limit: int) -> int:
    """How many of the scope's tickets are marked, counted up to `limit`."""
    marked = col(Ticket.kpi_marked_at)
    some = select(Ticket.id).where(marked.is_not(None), Ticket.scope == scope).limit(limit)
    return len(session.exec(some).all())


def next_marked_after(session: Session, after: dt.datetime) -> dt.datetime | None:
    """The earliest mark after `after`."""
    marked = col(Ticket.kpi_marked_at)
    query = select(marked).where(marked > after).order_by(marked).limit(1)
    return session.exec(query).first()


def mark_all(session: Session, at: dt.datetime) -> int:
    """Mark every ticket (the rules the facts follow changed): one UPDATE."""
    stmt = update(Ticket).where(col(Ticket.kpi_marked_at).is_(None)).values(kpi_marked_at=at)
    return int(session.connection().execute(stmt).rowcount or 0)
