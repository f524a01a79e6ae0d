"""Reads and writes of ticket export and import: streamed reads in id order, the ticket
counter raised past imported numbers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Dialect, func, text
from sqlmodel import Session, col, select

from storage.db import chunked
from storage.db import dialect_insert as _insert
from storage.driver import bound_rows, insert_bound
from storage.models import Ticket, TicketCounter, TicketEvent
from storage.tickets import mark_logged

BATCH = 500


def stream_tickets(
    session: Session,
    since: dt.datetime | None,
    until: dt.datetime | None,
    scope: str | None = None,
    batch: int = BATCH,
) -> Iterator[list[Ticket]]:
    """Tickets logged in [since, until), by scope and number, a batch at a time (keyset
    pages: memory stays bounded whatever the table's size)."""
    last: tuple[str, int] = ("", 0)
    while True:
        query = select(Ticket).where(
            (col(Ticket.scope) > last[0])
            | ((col(Ticket.scope) == last[0]) & (col(Ticket.number) > last[1]))
        )
        if since is not None:
            query = query.where(col(Ticket.created_at) >= since)
        if until is not None:
            query = query.where(col(Ticket.created_at) < until)
        if scope is not None:
            query = query.where(Ticket.scope == scope)
        page = list(
            session.exec(query.order_by(col(Ticket.scope), col(Ticket.number)).limit(batch))
        )
        if not page:
            return
        session.expunge_all()  # nothing kept between pages
        yield page
        last = (page[-1].scope, page[-1].number)


def find_same(session: Session, scope: str, created_at: dt.datetime, summary: str) -> Ticket | None:
    """A ticket already imported without a number: same workspace, time and summary."""
    query = select(Ticket).where(
        Ticket.scope == scope, Ticket.created_at == created_at, Ticket.summary == summary
    )
    return session.exec(query).first()


def refresh_statistics(session: Session, batches: int) -> None:
    """PostgreSQL's planner knows a table by statistics that cannot see rows nobody has
    committed yet: an import adds its tickets in one transaction, so it would take the
    growing table for an empty one and scan it for each batch's look-ups (a million-ticket
    import crawled). ANALYZE in the transaction sees its own rows; run each time the batches
    written double, it costs a few sampling passes in all."""
    if batches & (batches - 1) == 0 and session.get_bind().dialect.name == "postgresql":
        session.execute(text("ANALYZE ticket"))
        session.execute(text("ANALYZE ticket_event"))


def raise_counter(session: Session, scope: str, number: int) -> None:
    """Numbers handed out later start after the highest imported one."""
    postgres = session.get_bind().dialect.name == "postgresql"
    bigger = func.greatest if postgres else func.max  # SQLite's max(a, b) is scalar
    stmt = (
        _insert(session, TicketCounter)
        .values(scope=scope, last=number)
        .on_conflict_do_update(
            index_elements=["scope"], set_={"last": bigger(TicketCounter.last, number)}
        )
    )
    session.execute(stmt)


def numbers_there(session: Session, scope: str, numbers: list[int]) -> set[int]:
    """Which of a batch of ticket numbers a scope already has (one query per batch)."""
    return {n for (n,) in _by_number(session.connection(), "number", scope, numbers)}


def allot_numbers(session: Session, scope: str, count: int) -> int:
    """Take `count` numbers at once; returns the last (they are last - count + 1 .. last)."""
    stmt = (
        _insert(session, TicketCounter)
        .values(scope=scope, last=count)
        .on_conflict_do_update(index_elements=["scope"], set_={"last": TicketCounter.last + count})
        .returning(TicketCounter.last)
    )
    return int(session.execute(stmt).scalar_one())


# An imported event: (at, actor, kind, detail).
EventRow = tuple[dt.datetime, str, str, dict[str, Any]]
_EVENT_COLUMNS = ("ticket_id", "at", "actor", "kind", "detail")


def bind_tickets(
    dialect: Dialect, tickets: list[dict[str, Any]]
) -> tuple[tuple[str, ...], list[tuple[Any, ...]]]:
    """New tickets' rows (dicts with the same keys) marked as logged and bound for
    `dialect` (`driver.bound_rows`): the column names, and each ticket's values in their
    order. Plain values: the checking processes of a big import work them out."""
    if not tickets:
        return (), []
    for t in tickets:
        mark_logged(t)
    names = tuple(tickets[0])
    rows = list(map(itemgetter(*names), tickets))
    return names, bound_rows(dialect, Ticket.__table__, names, rows)  # type: ignore[attr-defined]


def bind_events(dialect: Dialect, trails: list[list[EventRow]]) -> list[list[tuple[Any, ...]]]:
    """Audit trails bound for `dialect`, each (at, actor, kind, detail) as the driver takes
    it; the ticket's id goes in front when the ticket is written."""
    table = TicketEvent.__table__  # type: ignore[attr-defined]
    flat = bound_rows(dialect, table, _EVENT_COLUMNS[1:], [e for t in trails for e in t])
    out, start = [], 0
    for trail in trails:
        out.append(flat[start : start + len(trail)])
        start += len(trail)
    return out


def add_bound(
    session: Session,
    scope: str,
    names: tuple[str, ...],
    tickets: list[tuple[Any, ...]],
    numbers: list[int],
    trails: list[list[tuple[Any, ...]]],
) -> None:
    """Insert a batch of numbered tickets of one scope and their audit trails, bound by
    `bind_tickets` and `bind_events` (`numbers`: the tickets' numbers, in order): two
    executemany INSERTs and one read of the new ids by number (RETURNING in the
    parameters' order costs a statement per row on SQLite)."""
    conn = session.connection()
    insert_bound(conn, Ticket.__table__, names, tickets)  # type: ignore[attr-defined]
    ids = dict(_by_number(conn, "number, id", scope, numbers))
    events = [
        (ticket_id, *event)
        for ticket_id, trail in zip(map(ids.__getitem__, numbers), trails, strict=True)
        for event in trail
    ]
    if events:
        insert_bound(conn, TicketEvent.__table__, _EVENT_COLUMNS, events)  # type: ignore[attr-defined]


def _by_number(
    conn: Connection, columns: str, scope: str, numbers: list[int]
) -> list[tuple[Any, ...]]:
    """`columns` of a scope's tickets of some numbers (a batch's), on the driver: building
    the IN list through SQLAlchemy (a coercion and a rendered name per number) and its
    per-row result handling cost more than the look-up itself."""
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    sql = (
        f"SELECT {columns} FROM ticket WHERE scope = {mark} "
        f"AND number IN ({', '.join([mark] * len(numbers))})"
    )
    return list(conn.exec_driver_sql(sql, (scope, *numbers)).fetchall())


def ticket_scopes(session: Session) -> list[str]:
    """Every workspace that has tickets."""
    return sorted(session.exec(select(Ticket.scope).distinct()))


def events_of(session: Session, ticket_ids: list[int]) -> dict[int, list[TicketEvent]]:
    """The audit trail of a batch of tickets, each in order."""
    found: dict[int, list[TicketEvent]] = {}
    for chunk in chunked(ticket_ids):  # an export page; bounded whatever its size
        query = (
            select(TicketEvent)
            .where(col(TicketEvent.ticket_id).in_(chunk))
            .order_by(col(TicketEvent.ticket_id), col(TicketEvent.id))
        )
        for event in session.exec(query):
            found.setdefault(event.ticket_id, []).append(event)
    return found
