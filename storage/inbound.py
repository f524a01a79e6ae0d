"""Inbound deliveries already handled: the unique (source, event_id) makes a redelivery a no-op.

A platform may deliver the same event twice (a retry after a slow answer, a replica restart).
`claim` inserts the id before the work runs; the database, not memory, decides who does it.
A claim whose work never finished (the process died) can be taken again once it is stale.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete, update
from sqlmodel import Session, col

from storage.models import InboundEvent
from storage.tickets import _insert

# A claim older than this with no `done_at` belongs to a process that died mid-work.
STALE = dt.timedelta(minutes=2)


def claim(
    session: Session,
    source: str,
    event_id: str,
    now: dt.datetime,
    payload: dict[str, Any] | None = None,
) -> bool:
    """True when the caller should do the work: first delivery, or a stale unfinished one."""
    stmt = (
        _insert(session, InboundEvent)
        .values(source=source, event_id=event_id, received_at=now, payload=payload)
        .on_conflict_do_nothing(index_elements=["source", "event_id"])
        .returning(col(InboundEvent.id))
    )
    # RETURNING, not rowcount: through the ORM session an INSERT reports rowcount -1
    if session.execute(stmt).first() is not None:
        return True
    retake = (
        update(InboundEvent)
        .where(
            col(InboundEvent.source) == source,
            col(InboundEvent.event_id) == event_id,
            col(InboundEvent.done_at).is_(None),
            col(InboundEvent.received_at) < now - STALE,
        )
        .values(received_at=now)
        .returning(col(InboundEvent.id))
        .execution_options(synchronize_session=False)
    )
    return session.execute(retake).first() is not None


def finish(session: Session, source: str, event_id: str, now: dt.datetime) -> None:
    """The work is done: keep the id (so redeliveries stay no-ops), drop the payload."""
    session.execute(
        update(InboundEvent)
        .where(
            col(InboundEvent.source) == source,
            col(InboundEvent.event_id) == event_id,
            col(InboundEvent.done_at).is_(None),
        )
        .values(done_at=now, payload=None)
    )


def release(session: Session, source: str, event_id: str) -> None:
    """The work failed before it changed anything: let a redelivery try again."""
    session.execute(
        delete(InboundEvent).where(
            col(InboundEvent.source) == source,
            col(InboundEvent.event_id) == event_id,
            col(InboundEvent.done_at).is_(None),
        )
    )
