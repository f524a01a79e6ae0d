"""Ticket queries: numbering, look-ups, the queue, the audit trail."""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, bindparam, insert, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapper, class_mapper
from sqlalchemy.orm.attributes import instance_state
from sqlmodel import Session, col, select

from storage import driver
from storage.models import Ticket, TicketCounter, TicketEvent, UTCDateTime

OPEN = ("new", "in_progress", "dispatched")
# The L1's unassigned pool: a dispatched ticket nobody has taken waits in its category's L2
# pool instead (its experts are pinged by the clocks and see it with `/queue #category`).
L1_POOL = ("new", "in_progress")


def status_in(states: tuple[str, ...]) -> ColumnElement[bool]:
    """`status IN ('new', ...)` with the states written into the SQL instead of bound: SQLite
    uses a partial index (migration 0011) only when the query's WHERE contains the index's
    own terms, and a bound list is not known to match them when the plan is made."""
    return col(Ticket.status).in_(bindparam(None, states, expanding=True, literal_execute=True))


def _next_number_stmt(dialect: str) -> tuple[Any, tuple[str, ...]]:
    insert = (postgresql if dialect == "postgresql" else sqlite).insert
    stmt = (
        insert(TicketCounter)
        .on_conflict_do_update(index_elements=["scope"], set_={"last": TicketCounter.last + 1})
        .returning(TicketCounter.last)
    )
    return stmt, ("scope", "last")


def next_number(session: driver.Tx, scope: str) -> int:
    """The next ticket number of a scope, race-free: one atomic upsert on the counter row."""
    stmt = driver.prepared(session, "ticket.next_number", _next_number_stmt)
    return int(driver.run(session, stmt, {"scope": scope, "last": 1}))


def get(session: Session, scope: str, number: int, lock: bool = False) -> Ticket | None:
    query = select(Ticket).where(Ticket.scope == scope, Ticket.number == number)
    if lock:
        query = query.with_for_update()
    return session.exec(query).first()


# Inserts below run as prebuilt statements on the driver (`storage.driver`), in the
# session's transaction: the ORM's and even Core's per-statement machinery cost more than
# the SQL itself when logging many tickets.


def due_at_logging(row: dict[str, Any]) -> dt.datetime | None:
    """A new open ticket is due for the response clocks at once: the tick works out its
    stages (and stores the next one)."""
    if row.get("clock_due_at") is None and row["status"] in OPEN:
        return row["created_at"]  # type: ignore[no-any-return]
    return row.get("clock_due_at")


def mark_logged(row: dict[str, Any]) -> None:
    """The marks a new ticket's row carries: due for the response clocks (see
    `due_at_logging`), and its KPI facts to be worked out (`storage.kpi_facts`)."""
    row["clock_due_at"] = due_at_logging(row)
    row["kpi_marked_at"] = row["created_at"]


def insert_new(session: driver.Tx, values: dict[str, Any]) -> Ticket:
    """Insert a new ticket from its column values (the rest take their defaults) and return
    it as a row read back would be: built the way the ORM loads one, not through the
    model's constructor, which cost more than the INSERT (validation and ~25 instrumented
    attribute sets per ticket)."""
    row = {**_TICKET_DEFAULTS, **{k: make() for k, make in _TICKET_FACTORIES.items()}, **values}
    mark_logged(row)
    keys = tuple(row)
    stmt = driver.prepared(session, ("ticket", keys), lambda _: (_returning_id(Ticket), keys))
    row["id"] = int(driver.run(session, stmt, row))
    return _loaded(row)


def _loaded(row: dict[str, Any]) -> Ticket:
    """The ticket of a row just inserted, as the ORM loads one: detached with its identity
    key, so a later `session.add()` updates the row. What `make_transient_to_detached` does
    for an object built this way (nothing modified, nothing expired), at a third of its
    cost: the key alone."""
    mapper = _ticket_mapper()
    ticket = mapper.class_manager.new_instance()
    ticket.__dict__.update({name: row[name] for name in _TICKET_FIELDS})  # model order
    instance_state(ticket).key = mapper.identity_key_from_primary_key((row["id"],))
    return ticket


@cache
def _ticket_mapper() -> Mapper[Ticket]:
    return class_mapper(Ticket)


def add(session: Session, ticket: Ticket) -> Ticket:
    """Insert a new ticket and set its id (one prebuilt INSERT, no unit-of-work flush).
    An open one is due for the response clocks at once: the tick works out its stages."""
    values = ticket.model_dump(exclude={"id"})
    mark_logged(values)
    ticket.clock_due_at, ticket.kpi_marked_at = values["clock_due_at"], values["kpi_marked_at"]
    ticket.id = int(session.connection().execute(_returning_id(Ticket), values).scalar_one())
    return ticket


def record(
    session: driver.Tx,
    ticket: Ticket,
    actor: str,
    kind: str,
    at: dt.datetime,
    *,
    recheck: bool = True,
    **detail: Any,
) -> int:
    """Append to a ticket's audit trail; returns the new event's id.

    Every change of a ticket is recorded here, so this is where the response clocks and
    the KPI facts learn of it: the ticket is marked due at `at` and the next tick
    recomputes its stages, and its facts are marked stale (one place for the rule).
    `recheck=False` only where the ticket was just added (`add` marked it already)."""
    assert ticket.id is not None
    values = {"ticket_id": ticket.id, "at": at, "actor": actor, "kind": kind, "detail": detail}
    if recheck:
        driver.run(session, driver.prepared(session, "ticket.recheck", _recheck_stmt), values)
    stmt = driver.prepared(session, "ticket.event", _event_stmt)
    return int(driver.run(session, stmt, values))


def _recheck_stmt(_dialect: str) -> tuple[Any, tuple[str, ...]]:
    stmt = (
        update(Ticket)
        .where(col(Ticket.id) == bindparam("ticket_id"))
        .values(
            clock_due_at=bindparam("at", type_=UTCDateTime),
            kpi_marked_at=bindparam("at", type_=UTCDateTime),
        )
    )
    return stmt, ()


def _event_stmt(_dialect: str) -> tuple[Any, tuple[str, ...]]:
    return _returning_id(TicketEvent), ("ticket_id", "at", "actor", "kind", "detail")


# Column defaults of a new ticket; lists (mutable) are made fresh per row by their factory.
_TICKET_DEFAULTS = {
    name: field.default
    for name, field in Ticket.model_fields.items()
    if name != "id" and not field.is_required() and field.default_factory is None
}
_TICKET_FIELDS = tuple(Ticket.model_fields)
_TICKET_FACTORIES = {
    name: field.default_factory
    for name, field in Ticket.model_fields.items()
    if field.default_factory is not None
}


@cache
def _returning_id(table: Any) -> Any:
    return insert(table).returning(table.id)


def events(session: Session, ticket_id: int) -> list[TicketEvent]:
    query = (
        select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(col(TicketEvent.id))
    )
    return list(session.exec(query))


def queue(
    session: Session,
    scope: str,
    *,
    unassigned_only: bool = True,
    assignee: str | None = None,
    category: str | None = None,
    limit: int = 50,
) -> list[Ticket]:
    """Open tickets, oldest first: by default the unassigned pool (of one category: with the
    category's L2 pool)."""
    statuses = L1_POOL if unassigned_only and category is None else OPEN
    query = select(Ticket).where(Ticket.scope == scope, status_in(statuses))
    if unassigned_only:
        query = query.where(col(Ticket.assignee).is_(None))
    if assignee is not None:
        query = query.where(Ticket.assignee == assignee)
    if category is not None:
        query = query.where(Ticket.category == category)
    return list(session.exec(query.order_by(col(Ticket.created_at), col(Ticket.id)).limit(limit)))
