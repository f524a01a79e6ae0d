"""Inbound work kept in `inbound_event` until it is finished, and finished exactly once.

An adapter writes the work (what was asked, by whom, where) with `storage.inbound.claim`
before it acknowledges the platform, and runs it afterwards inside `finishing(...)`. The first
transaction that writes anything inside that block also marks the row done, in the same
commit: a crash can leave the work undone (it is found by `unfinished` and run again) but
never done without its mark. When two runners race for one row (a recovery pass and a late
original, two replicas), the mark is a compare-and-set, so the loser's transaction is rolled
back with `AlreadyDone` and its change never lands.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, event, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col, select

from storage.models import InboundEvent


class AlreadyDone(Exception):
    """Another runner finished this work first; this runner's transaction is rolled back."""


@dataclass
class Finishing:
    source: str
    event_id: str
    now: dt.datetime
    done: bool = False  # set once a commit carried the mark
    wrote: bool = False  # the open transaction has changed something


_current: ContextVar[Finishing | None] = ContextVar("deskbot_finishing", default=None)


@contextmanager
def finishing(source: str, event_id: str, now: dt.datetime) -> Iterator[Finishing]:
    """Run work whose first writing commit also marks the inbound row done (same thread)."""
    state = Finishing(source, event_id, now)
    token = _current.set(state)
    try:
        yield state
    finally:
        _current.reset(token)


def claim_many(
    conn: Connection, source: str, items: list[tuple[str, dict[str, Any]]], now: dt.datetime
) -> list[bool]:
    """`storage.inbound.claim` for a batch, in one prepared statement on a Core connection
    (group commit on the ack path: no ORM session, one executemany): for each
    (event_id, payload), whether the caller should do the work. A repeat inside the batch
    loses to its first; an id already stored gets `inbound.claim`'s answer (a stale
    unfinished row may be taken again)."""
    from storage import inbound

    params = [
        {"source": source, "event_id": key, "received_at": now, "payload": payload}
        for key, payload in items
    ]
    inserted = set(conn.execute(_insert_ignore(conn.dialect.name), params).scalars())
    out: list[bool] = []
    seen: set[str] = set()
    for key, payload in items:
        if key in seen:
            out.append(False)
        elif key in inserted:
            out.append(True)
        else:  # stored before: a repeat, or a stale leftover (rare, so the ORM is fine)
            with Session(bind=conn) as session:
                out.append(inbound.claim(session, source, key, now, payload))
        seen.add(key)
    return out


@cache
def _insert_ignore(dialect: str) -> Any:
    module = postgresql if dialect == "postgresql" else sqlite
    return (
        module.insert(InboundEvent)
        .on_conflict_do_nothing(index_elements=["source", "event_id"])
        .returning(col(InboundEvent.event_id))
    )


def mark_done(session: Session, source: str, event_id: str, now: dt.datetime) -> bool:
    """Compare-and-set the done mark; False when someone else finished it already."""
    params = {"b_source": source, "b_event_id": event_id, "b_now": now}
    result = session.connection().execute(_MARK_DONE, params)  # Core: cheap on every request
    return bool(result.rowcount)


_MARK_DONE = (
    update(InboundEvent)
    .where(
        col(InboundEvent.source) == bindparam("b_source"),
        col(InboundEvent.event_id) == bindparam("b_event_id"),
        col(InboundEvent.done_at).is_(None),
    )
    .values(done_at=bindparam("b_now"), payload=None)
)


def unfinished(
    session: Session, source: str, received_before: dt.datetime | None = None, limit: int = 100
) -> list[InboundEvent]:
    """Work taken but not finished (the process stopped), oldest first."""
    query = select(InboundEvent).where(
        InboundEvent.source == source,
        col(InboundEvent.done_at).is_(None),
        col(InboundEvent.payload).is_not(None),
    )
    if received_before is not None:
        query = query.where(InboundEvent.received_at < received_before)
    return list(session.exec(query.order_by(col(InboundEvent.id)).limit(limit)))


def retake(session: Session, row: InboundEvent, now: dt.datetime) -> bool:
    """Take an unfinished row for a new run (compare-and-set on its time), so a second
    recovery pass elsewhere skips it while this one works."""
    assert row.received_at is not None
    later = max(now, row.received_at + dt.timedelta(microseconds=1))  # the value must change
    result = session.execute(
        update(InboundEvent)
        .where(
            col(InboundEvent.id) == row.id,
            col(InboundEvent.received_at) == row.received_at,
            col(InboundEvent.done_at).is_(None),
        )
        .values(received_at=later)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


# -- the hooks that tie the mark to the work's own commit ---------------------------------
# Writes are seen where they run (Core statements on the session's connection as well as ORM
# flushes), in the thread and context of the work; a commit that carries one also carries
# the mark.


@event.listens_for(Engine, "after_cursor_execute")
def _executed(conn: Any, cursor: Any, statement: Any, params: Any, context: Any, many: Any) -> None:
    current = _current.get()
    if current is not None and context is not None and _is_dml(context):
        current.wrote = True


@event.listens_for(OrmSession, "before_commit")
def _before_commit(session: OrmSession) -> None:
    current = _current.get()
    if current is None or current.done:
        return
    if not (current.wrote or session.new or session.dirty or session.deleted):
        return  # a read: the work may still write in a later transaction
    done = mark_done(session, current.source, current.event_id, current.now)  # type: ignore[arg-type]
    current.wrote = False
    if not done:
        raise AlreadyDone(f"{current.source}:{current.event_id}")
    current.done = True


@event.listens_for(OrmSession, "after_rollback")
def _rolled_back(session: OrmSession) -> None:
    current = _current.get()
    if current is not None:
        current.wrote = False


def _is_dml(context: Any) -> bool:
    return bool(context.isinsert or context.isupdate or context.isdelete)
