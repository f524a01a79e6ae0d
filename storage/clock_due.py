"""The response clocks' due times stored on the tickets: what the tick reads and writes.

`ticket.clock_due_at` is when the clocks must look at a ticket next: its earliest unclaimed
stage, or the moment it changed (`storage.tickets.record` marks it) so the tick recomputes
its stages; NULL when no clock runs. The tick reads only rows at or before now through the
partial index `ix_ticket_clock_due`, a bounded batch at a time (keyset on the due time and
id), and writes each result back only if nothing marked the ticket meanwhile.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import bindparam, case, literal, literal_column, or_, tuple_, update
from sqlalchemy.orm import class_mapper, make_transient_to_detached
from sqlmodel import Session, col, select

from storage import driver
from storage.db import by_other_index, dialect_insert
from storage.models import ClockRules, ClockStage, Ticket, TicketEvent, UTCDateTime
from storage.reports import PROGRESS
from storage.tickets import OPEN

RULES = "response_clocks"


@dataclass
class Batch:
    """Due tickets with what their stages need: the latest progress event of each, and the
    stages already claimed."""

    tickets: list[Ticket]
    progress: dict[int, dt.datetime]
    claimed: set[tuple[int, str]]


def due_batch(
    session: Session, until: dt.datetime, after: tuple[dt.datetime, int] | None, limit: int
) -> Batch:
    """Up to `limit` tickets due at or before `until`, by due time then id, after `after`
    (the last row of the previous batch), each with its latest progress; then their claims,
    joined to the same keyset query: a handful of bound values whatever the batch."""
    due = col(Ticket.clock_due_at)
    ids = select(Ticket.id).where(due <= until)
    if after is not None:
        # a row value comparison: an index range on both databases, where an OR is not
        seen = tuple_(literal(after[0], UTCDateTime), literal(after[1]))
        ids = ids.where(tuple_(due, col(Ticket.id)) > seen)
    ids = ids.order_by(due, col(Ticket.id)).limit(limit)
    chosen = col(Ticket.id).in_(ids.scalar_subquery())
    rows = session.exec(select(Ticket, _latest_progress(col(Ticket.id))).where(chosen)).all()
    if not rows:  # the usual tick: one statement
        return Batch([], {}, set())
    claimed = select(ClockStage.ticket_id, ClockStage.stage).where(
        col(ClockStage.ticket_id).in_(ids.scalar_subquery())
    )
    return Batch(
        sorted((t for t, _ in rows), key=lambda t: (t.clock_due_at or until, t.id or 0)),
        {t.id or 0: at for t, at in rows if at is not None},
        {(ticket_id, stage) for ticket_id, stage in session.exec(claimed)},
    )


def _latest_progress(ticket_id: Any) -> Any:
    """When the ticket's latest progress event was (a correlated subquery): the newest of its
    notes, root causes and huddle outcomes, a backward walk of its (ticket_id, id) index."""
    kind = by_other_index(col(TicketEvent.kind))
    kinds = [literal_column(f"'{k}'") for k in PROGRESS]  # our constants, inline: few binds
    return (
        select(TicketEvent.at)
        .where(col(TicketEvent.ticket_id) == ticket_id, or_(*(kind == k for k in kinds)))
        .order_by(col(TicketEvent.id).desc())
        .limit(1)
        .scalar_subquery()
    )


def locked(session: Session, ticket_id: int) -> tuple[Ticket, dt.datetime | None] | None:
    """A due ticket re-read under a row lock (a ticket action in flight lands first, or
    waits), then its latest progress event: read after the lock, so one the action just
    recorded counts. Prebuilt statements on the driver: the tick runs them per ticket it
    fires, and the ORM's machinery cost several times the two look-ups."""
    found = driver.rows(
        session, driver.prepared(session, "clock_due.locked", _locked), {"id": ticket_id}
    )
    if not found:
        return None
    ticket = class_mapper(Ticket).class_manager.new_instance()
    ticket.__dict__.update(zip(_TICKET_KEYS, found[0], strict=True))
    make_transient_to_detached(ticket)  # as a session would leave it after the read
    progress = driver.rows(
        session, driver.prepared(session, "clock_due.progress", _progress), {"id": ticket_id}
    )
    return ticket, progress[0][0]


_TICKET_KEYS = tuple(c.key for c in Ticket.__table__.columns)  # type: ignore[attr-defined]


def _locked(_dialect: str) -> tuple[Any, tuple[str, ...]]:
    table = Ticket.__table__  # type: ignore[attr-defined]
    return select(table).where(table.c.id == bindparam("id")).with_for_update(), ()


def _progress(_dialect: str) -> tuple[Any, tuple[str, ...]]:
    return select(_latest_progress(bindparam("id"))), ()


def next_after(session: Session, after: dt.datetime) -> dt.datetime | None:
    """The earliest stored due time after `after` (the index's first entry past it)."""
    due = col(Ticket.clock_due_at)
    query = select(Ticket.clock_due_at).where(due > after).order_by(due).limit(1)
    return session.exec(query).first()


def store(session: Session, changes: Sequence[tuple[int, dt.datetime, dt.datetime | None]]) -> None:
    """Write (ticket id, due time read, new due time) back, each only where the ticket still
    has the due time read: a change recorded meanwhile marked it again, and that mark wins
    (the next tick recomputes it). One executemany."""
    rows = [{"tid": tid, "seen": seen, "due": due} for tid, seen, due in changes if due != seen]
    if rows:
        session.connection().execute(_store_stmt(), rows)


@cache
def _store_stmt() -> Any:
    return (
        update(Ticket)
        .where(
            col(Ticket.id) == bindparam("tid"),
            col(Ticket.clock_due_at) == bindparam("seen", type_=UTCDateTime),
        )
        .values(clock_due_at=bindparam("due", type_=UTCDateTime))
    )


def recheck_open(session: Session, at: dt.datetime) -> int:
    """Mark every open ticket due at `at` (the rules changed): one UPDATE; the tick then
    works through them in batches."""
    # at its logging time (never later than `at`): distinct keys keep the keyset walk short
    since = case(
        (col(Ticket.created_at) < at, col(Ticket.created_at)), else_=literal(at, UTCDateTime)
    )
    stmt = update(Ticket).where(col(Ticket.status).in_(OPEN)).values(clock_due_at=since)
    return int(session.connection().execute(stmt).rowcount or 0)


def rules(tx: driver.Tx, name: str = RULES) -> str | None:
    """The fingerprint of the rules the stored due times (or what `name` says) were
    computed with. A prebuilt statement: the tick reads it every time."""
    found = driver.rows(tx, driver.prepared(tx, "clock_due.rules", _rules), {"name": name})
    return found[0][0] if found else None


def _rules(_dialect: str) -> tuple[Any, tuple[str, ...]]:
    table = ClockRules.__table__  # type: ignore[attr-defined]
    return select(table.c.fingerprint).where(table.c.name == bindparam("name")), ()


def set_rules(session: Session, fingerprint: str, at: dt.datetime, name: str = RULES) -> None:
    stmt = (
        dialect_insert(session, ClockRules)
        .values(name=name, fingerprint=fingerprint, changed_at=at)
        .on_conflict_do_update(
            index_elements=["name"], set_={"fingerprint": fingerprint, "changed_at": at}
        )
    )
    session.execute(stmt)
