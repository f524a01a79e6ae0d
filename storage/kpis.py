"""The reads of a KPI window: the tickets it can involve and their counted events, as narrow
rows (a month at a million tickets is tens of thousands of them; ORM objects cost ten
times as much to build and the figures read a dozen fields)."""

from __future__ import annotations

import datetime as dt
from typing import Any, NamedTuple

from sqlalchemy import String, or_, type_coerce, union
from sqlmodel import Session, col, select

from storage.models import Ticket, TicketEvent, UTCDateTime


class KpiTicket(NamedTuple):
    """What the figures, breaches and their lines read of a ticket. (A named tuple: built
    six times faster than a frozen dataclass, and a backlog read builds ninety thousand.)"""

    id: int
    scope: str
    number: int
    summary: str
    priority: str
    category: str | None
    status: str
    created_at: dt.datetime
    first_response_at: dt.datetime | None
    dispatched_at: dt.datetime | None
    root_cause_at: dt.datetime | None
    resolved_at: dt.datetime | None
    close_reason: str

    @property
    def key(self) -> str:
        return f"T-{self.number}"


class KpiEvent(NamedTuple):
    ticket_id: int
    at: dt.datetime
    actor: str
    kind: str


def _utc(value: Any) -> Any:
    """A time of `_TIME`: SQLite's stored text (naive, in UTC) as an aware datetime, in one
    C-level parse; PostgreSQL's values come aware already. (The general `UTCDateTime` parses,
    then swaps the zone in with `datetime.replace`, which costs four times the parse: a
    month's window reads some 300,000 times.)"""
    if value is None or isinstance(value, dt.datetime):
        return value
    try:
        return dt.datetime.fromisoformat(value + "+00:00")
    except ValueError:  # written with an offset by some other tool
        return dt.datetime.fromisoformat(value).astimezone(dt.UTC)


# read as text on SQLite and parsed by `_utc` only where used (the window's rows repeat
# each ticket's times once per event)
_TIME = UTCDateTime().with_variant(String(), "sqlite")


def _time(column: Any) -> Any:
    return type_coerce(column, _TIME).label(column.key)


TICKET_COLUMNS = (  # what a `KpiTicket` is built of, in its order
    Ticket.id,
    Ticket.scope,
    Ticket.number,
    Ticket.summary,
    Ticket.priority,
    Ticket.category,
    Ticket.status,
    _time(Ticket.created_at),
    _time(Ticket.first_response_at),
    _time(Ticket.dispatched_at),
    _time(Ticket.root_cause_at),
    _time(Ticket.resolved_at),
    Ticket.close_reason,
)


def window_basis(
    session: Session,
    scope: str,
    start: dt.datetime,
    end: dt.datetime,
    reach: tuple[dt.datetime, dt.datetime],
    kinds: tuple[str, ...],
) -> tuple[list[KpiTicket], dict[int, list[KpiEvent]]]:
    """Tickets a report on [start, end) can involve, oldest first, with their events of
    `kinds` in order: logged from `reach[0]` (the earliest logging whose first-response
    deadline can fall at or after `start`) to the end, dispatched from `reach[1]` (the same
    for the root-cause deadline) to the end, or with an event of `kinds` in the window; of
    those, the ones not resolved before the start (a subset of `window_tickets`, which
    also held every open ticket, however old).

    Each part is an index range (`ix_ticket_scope_created`, `ix_ticket_event_kind_at`);
    the events are joined in the database, so nothing binds a parameter per ticket."""
    logged_from, dispatched_from = reach
    logged = select(col(Ticket.id).label("id")).where(
        Ticket.scope == scope, col(Ticket.created_at) >= logged_from, col(Ticket.created_at) < end
    )
    dispatched = select(col(TicketEvent.ticket_id).label("id")).where(
        TicketEvent.kind == "dispatch",
        col(TicketEvent.at) >= dispatched_from,
        col(TicketEvent.at) < end,
    )
    evented = select(col(TicketEvent.ticket_id).label("id")).where(
        col(TicketEvent.kind).in_(kinds), col(TicketEvent.at) >= start, col(TicketEvent.at) < end
    )
    ids = union(logged, dispatched, evented).subquery()
    chosen = (
        select(col(Ticket.id))
        .join(ids, ids.c.id == col(Ticket.id))
        .where(
            Ticket.scope == scope,
            col(Ticket.created_at) < end,
            or_(col(Ticket.resolved_at).is_(None), col(Ticket.resolved_at) >= start),
        )
    )
    # one pass: each ticket with its counted events (the candidate set is found once)
    event = (
        select(
            TicketEvent.ticket_id,
            TicketEvent.at,
            TicketEvent.actor,
            TicketEvent.kind,
            TicketEvent.id,
        )
        .where(col(TicketEvent.kind).in_(kinds))
        .subquery()
    )
    query = (
        select(*TICKET_COLUMNS, _time(event.c.at), event.c.actor, event.c.kind)
        .outerjoin(event, event.c.ticket_id == col(Ticket.id))
        .where(col(Ticket.id).in_(chosen))
        .order_by(col(Ticket.created_at), col(Ticket.id), event.c.at, event.c.id)
    )
    tickets: list[KpiTicket] = []
    events: dict[int, list[KpiEvent]] = {}
    width = len(TICKET_COLUMNS)
    # Core rows, not the ORM's: the same values at a fraction of the cost per row
    for row in session.connection().execute(query).all():
        if not tickets or tickets[-1].id != row[0]:
            tickets.append(_ticket(row))
        if row[width] is not None:
            event = KpiEvent(row[0], _utc(row[width]), row[width + 1], row[width + 2])
            events.setdefault(row[0], []).append(event)
    return tickets, events


def read_tickets(session: Session, query: Any) -> list[KpiTicket]:
    """The tickets of a query selecting `TICKET_COLUMNS`, as Core rows (see `window_basis`)."""
    return [_ticket(row) for row in session.connection().execute(query).all()]


def _ticket(row: Any) -> KpiTicket:
    return KpiTicket(*row[:7], *map(_utc, row[7:12]), row[12])
