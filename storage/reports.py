"""Ticket reads for the response clocks, KPIs and agendas."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from storage.models import Ticket, TicketEvent
from storage.tickets import L1_POOL, OPEN

_CHUNK = 500  # scopes per IN list
# Ticket events that count as progress on a dispatched ticket (restart its progress clock).
PROGRESS = ("note", "rca", "huddle_outcome")


def open_tickets(session: Session, scope: str | None = None) -> list[Ticket]:
    """Open tickets, oldest first; of every scope unless one is given (the response clocks
    run for all of them)."""
    query = select(Ticket).where(col(Ticket.status).in_(OPEN))
    if scope is not None:
        query = query.where(Ticket.scope == scope)
    return list(session.exec(query.order_by(col(Ticket.created_at), col(Ticket.id))))


def unassigned_pools(
    session: Session, scopes: Sequence[str], limit: int
) -> dict[str, list[Ticket]]:
    """The unassigned pool of many scopes at once, each oldest first and at most `limit`
    long, as `tickets.queue` gives it for one: a thousand workspaces' 09:00 reminders read
    in a few queries instead of a thousand."""
    pools: dict[str, list[Ticket]] = {scope: [] for scope in scopes}
    for start in range(0, len(scopes), _CHUNK):
        chunk = list(scopes[start : start + _CHUNK])
        rank = (
            func.row_number()
            .over(partition_by=col(Ticket.scope), order_by=(col(Ticket.created_at), col(Ticket.id)))
            .label("rank")
        )
        ranked = (
            select(col(Ticket.id).label("id"), rank)
            .where(
                col(Ticket.scope).in_(chunk),
                col(Ticket.status).in_(L1_POOL),
                col(Ticket.assignee).is_(None),
            )
            .subquery()
        )
        query = (
            select(Ticket)
            .join(ranked, col(Ticket.id) == ranked.c.id)
            .where(ranked.c.rank <= limit)
            .order_by(col(Ticket.scope), col(Ticket.created_at), col(Ticket.id))
        )
        for ticket in session.exec(query):
            pools[ticket.scope].append(ticket)
    return pools


def window_tickets(
    session: Session, scope: str, start: dt.datetime, end: dt.datetime
) -> list[Ticket]:
    """Tickets a report on [start, end) can involve: logged before its end and not resolved
    before its start (a ticket resolved earlier can have no figure or deadline inside)."""
    query = select(Ticket).where(
        Ticket.scope == scope,
        Ticket.created_at < end,
        or_(col(Ticket.resolved_at).is_(None), col(Ticket.resolved_at) >= start),
    )
    return list(session.exec(query.order_by(col(Ticket.created_at), col(Ticket.id))))


def resolved_between(
    session: Session, scope: str, start: dt.datetime, end: dt.datetime
) -> list[Ticket]:
    """Tickets whose current resolution is in [start, end), oldest first (by
    `ix_ticket_scope_resolved`: the open backlog is not read)."""
    query = select(Ticket).where(
        Ticket.scope == scope, col(Ticket.resolved_at) >= start, col(Ticket.resolved_at) < end
    )
    return list(session.exec(query.order_by(col(Ticket.created_at), col(Ticket.id))))


def dispatched_progress(
    session: Session, kinds: tuple[str, ...] = PROGRESS
) -> dict[int, dt.datetime]:
    """`last_progress` of every dispatched ticket, joined in the database (no bound
    parameter per ticket)."""
    latest = (
        select(col(TicketEvent.ticket_id).label("ticket_id"), func.max(TicketEvent.id).label("id"))
        .join(Ticket, col(Ticket.id) == col(TicketEvent.ticket_id))
        .where(Ticket.status == "dispatched", col(TicketEvent.kind).in_(kinds))
        .group_by(col(TicketEvent.ticket_id))
        .subquery()
    )
    query = select(TicketEvent.ticket_id, TicketEvent.at).join(
        latest, col(TicketEvent.id) == latest.c.id
    )
    return {ticket_id: at for ticket_id, at in session.exec(query)}


def last_progress(
    session: Session,
    ticket_ids: Iterable[int],
    kinds: tuple[str, ...] = ("note", "rca", "huddle_outcome"),
) -> dict[int, dt.datetime]:
    """The latest progress event of each ticket that has one: a note, a root cause, or a
    huddle outcome (a huddle that split the work is progress on the ticket)."""
    ids = list(ticket_ids)
    if not ids:
        return {}
    query = (
        select(TicketEvent.ticket_id, func.max(TicketEvent.id))
        .where(col(TicketEvent.ticket_id).in_(ids), col(TicketEvent.kind).in_(kinds))
        .group_by(col(TicketEvent.ticket_id))
    )
    latest_ids = [event_id for _, event_id in session.exec(query)]
    if not latest_ids:
        return {}
    events = session.exec(select(TicketEvent).where(col(TicketEvent.id).in_(latest_ids)))
    return {e.ticket_id: e.at for e in events}


def ticket_events(
    session: Session, ticket_ids: Iterable[int], kinds: tuple[str, ...]
) -> dict[int, list[TicketEvent]]:
    """The events of these kinds of each ticket, in order (the KPIs count by event time:
    a resolution stays where it happened even if the ticket is reopened later)."""
    ids = list(ticket_ids)
    found: dict[int, list[TicketEvent]] = {}
    for start in range(0, len(ids), _CHUNK):
        query = (
            select(TicketEvent)
            .where(
                col(TicketEvent.ticket_id).in_(ids[start : start + _CHUNK]),
                col(TicketEvent.kind).in_(kinds),
            )
            .order_by(col(TicketEvent.ticket_id), col(TicketEvent.at), col(TicketEvent.id))
        )
        for event in session.exec(query):
            found.setdefault(event.ticket_id, []).append(event)
    return found
