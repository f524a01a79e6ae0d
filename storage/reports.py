"""Ticket reads for the response clocks, KPIs and agendas."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from sqlalchemy import or_, union_all
from sqlmodel import Session, col, select

from storage.db import by_other_index, chunked
from storage.models import Ticket, TicketEvent
from storage.tickets import L1_POOL, status_in

_UNION = 100  # scopes per UNION ALL of pool reads
# Ticket events that count as progress on a dispatched ticket (restart its progress clock).
PROGRESS = ("note", "rca", "huddle_outcome")


def unassigned_pools(
    session: Session, scopes: Sequence[str], limit: int
) -> dict[str, list[Ticket]]:
    """The unassigned pool of many scopes at once, each oldest first and at most `limit`
    long, as `tickets.queue` gives it for one: a thousand workspaces' 09:00 reminders read
    in a few queries instead of a thousand. Each scope is its own LIMITed branch of a
    UNION ALL, so each reads `limit` rows of the pool's partial index however long the
    pool is (a window over the whole pool ranked every waiting ticket)."""
    pools: dict[str, list[Ticket]] = {scope: [] for scope in scopes}
    for start in range(0, len(scopes), _UNION):
        branches = [
            select(col(Ticket.id))
            .where(
                Ticket.scope == scope,
                status_in(L1_POOL),
                col(Ticket.assignee).is_(None),
            )
            .order_by(col(Ticket.created_at), col(Ticket.id))
            .limit(limit)
            .subquery()
            .select()
            for scope in scopes[start : start + _UNION]
        ]
        ids = union_all(*branches).subquery() if len(branches) > 1 else branches[0].subquery()
        query = (
            select(Ticket)
            .where(col(Ticket.id).in_(select(ids.c.id)))
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


def ticket_events(
    session: Session, ticket_ids: Iterable[int], kinds: tuple[str, ...]
) -> dict[int, list[TicketEvent]]:
    """The events of these kinds of each ticket, in order (the KPIs count by event time:
    a resolution stays where it happened even if the ticket is reopened later)."""
    found: dict[int, list[TicketEvent]] = {}
    for chunk in chunked(ticket_ids):
        query = (
            select(TicketEvent)
            .where(
                col(TicketEvent.ticket_id).in_(chunk),
                by_other_index(col(TicketEvent.kind)).in_(kinds),
            )
            .order_by(col(TicketEvent.ticket_id), col(TicketEvent.at), col(TicketEvent.id))
        )
        for event in session.exec(query):
            found.setdefault(event.ticket_id, []).append(event)
    return found
