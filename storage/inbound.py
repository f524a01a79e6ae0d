"""Inbound work in `inbound_event`: taken once, done once, answered once.

An adapter writes a request (what was asked, by whom, where, how to answer) with `claim` or
`claim_many` before it acknowledges the platform; the unique (source, event_id) makes a
redelivery a no-op, decided by the database, not memory. The work then runs inside a `Unit`:
the use case's writes, the done mark and the answer to the asker are one commit, so a crash
leaves all of them or none. A row left unfinished (the process died) is found by `unfinished`
and run again; a row done but not yet answered by `unanswered`.

Who runs a row is its lease, `taken_at`: set when the claimer runs the work itself, or left
None for the inbox worker process to take (`retake`, a compare-and-set, so of several
readers one wins); a lease older than STALE belongs to a runner that died.
"""

from __future__ import annotations

import datetime as dt
import json
from contextlib import suppress
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, delete, or_, update
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, select

from storage import driver
from storage.db import DriverTx, dialect_insert
from storage.driver import Tx
from storage.models import InboundEvent

# A claim older than this with no `done_at` belongs to a process that died mid-work.
STALE = dt.timedelta(minutes=2)
PAGE = 100  # rows `unfinished` and `unanswered` read at a time


def claim(
    session: Session,
    source: str,
    event_id: str,
    now: dt.datetime,
    payload: dict[str, Any] | None = None,
    taken: bool = True,
) -> bool:
    """True when the caller should do the work: first delivery, or a stale unfinished one.
    `taken=False`: the row waits for the worker process (the caller only acknowledges)."""
    stmt = (
        dialect_insert(session, InboundEvent)
        .values(
            source=source,
            event_id=event_id,
            received_at=now,
            taken_at=now if taken else None,
            payload=payload,
        )
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
            col(InboundEvent.taken_at) < now - STALE,
        )
        .values(taken_at=now if taken else None)
        .returning(col(InboundEvent.id))
        .execution_options(synchronize_session=False)
    )
    return session.execute(retake).first() is not None


def claim_many(
    conn: Connection | DriverTx,
    source: str,
    items: list[tuple[str, dict[str, Any] | driver.JsonText, bool]],
    now: dt.datetime,
) -> list[bool]:
    """`claim` for a batch of (key, payload, taken), in prebuilt multi-row INSERTs on a Core
    connection or a driver's transaction (group commit on the ack path: no ORM session). A repeat
    inside the batch loses to its first; an id already stored gets `claim`'s answer (a stale
    unfinished row is retaken)."""
    params = [
        {
            "source": source,
            "event_id": key,
            "received_at": now,
            "taken_at": now if taken else None,
            "payload": payload,
        }
        for key, payload, taken in items
    ]
    # (SQLAlchemy's insertmanyvalues cost twice the database's own work per row)
    table = InboundEvent.__table__  # type: ignore[attr-defined]
    landed = driver.insert_all(conn, table, params, ["source", "event_id"], ["event_id"])
    inserted = {key for (key,) in landed}
    out: list[bool] = []
    seen: set[str] = set()
    for key, payload, taken in items:
        if key in seen:
            out.append(False)
        elif key in inserted:
            out.append(True)
        else:  # stored before: a repeat, or a stale leftover (rare, so the ORM is fine)
            if isinstance(payload, driver.JsonText):  # the ORM's statement encodes it itself
                payload = json.loads(payload)
            with driver.orm(conn) as session:
                out.append(claim(session, source, key, now, payload, taken))
        seen.add(key)
    return out


def release(session: Session, source: str, event_id: str) -> None:
    """The work changed nothing (a form to correct): let the same request be taken again."""
    session.execute(
        delete(InboundEvent).where(
            col(InboundEvent.source) == source,
            col(InboundEvent.event_id) == event_id,
            col(InboundEvent.done_at).is_(None),
        )
    )


def mark_done(
    session: Tx,
    source: str,
    event_id: str,
    now: dt.datetime,
    answer: dict[str, Any] | driver.JsonText | None = None,
) -> bool:
    """Compare-and-set the done mark, with the answer still to send (None: nothing to send);
    False when another runner finished it already. Prebuilt: every request runs it."""
    params = {
        "source": source,
        "event_id": event_id,
        "now": now,
        "answer": answer,
        "answered": None if answer is not None else now,
    }
    stmt = driver.prepared(session, "inbound.mark_done", _mark_done)
    return driver.run(session, stmt, params) is not None


def _mark_done(_dialect: str) -> tuple[Any, tuple[str, ...]]:
    table = InboundEvent.__table__  # type: ignore[attr-defined]
    stmt = (
        update(table)
        .where(
            table.c.source == bindparam("source"),
            table.c.event_id == bindparam("event_id"),
            table.c.done_at.is_(None),
        )
        .values(
            done_at=bindparam("now", type_=table.c.done_at.type),
            answer=bindparam("answer", type_=table.c.answer.type),
            answered_at=bindparam("answered", type_=table.c.answered_at.type),
        )
        .returning(table.c.id)  # the row it marked: none when another runner had
    )
    return stmt, ()


def answered(session: Session, source: str, event_ids: list[str], now: dt.datetime) -> bool:
    """Compare-and-set: the answers went out (or are being sent by this caller); True when
    any row changed. The requests' payload and answer are dropped; their ids stay, so
    redeliveries remain no-ops."""
    result = session.execute(
        update(InboundEvent)
        .where(
            col(InboundEvent.source) == source,
            col(InboundEvent.event_id).in_(event_ids),
            col(InboundEvent.done_at).is_not(None),
            col(InboundEvent.answered_at).is_(None),
        )
        .values(answered_at=now, payload=None, answer=None)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def unfinished(
    session: Session,
    source: str,
    taken_before: dt.datetime | None = None,
    limit: int = PAGE,
    untaken: bool = True,
) -> list[InboundEvent]:
    """Work not finished, oldest first: all of it, or (`taken_before`) what nobody took yet
    (unless not `untaken`) or whose runner took it before that time (it stopped, or is
    another process's)."""
    waiting = [
        col(InboundEvent.answered_at).is_(None),  # (the partial index's condition)
        col(InboundEvent.done_at).is_(None),
        col(InboundEvent.payload).is_not(None),
    ]
    if taken_before is not None:
        stale = col(InboundEvent.taken_at) < taken_before
        waiting.append(or_(col(InboundEvent.taken_at).is_(None), stale) if untaken else stale)
    elif not untaken:
        waiting.append(col(InboundEvent.taken_at).is_not(None))
    return _oldest(session, source, waiting, limit)


def unanswered(
    session: Session, source: str, done_before: dt.datetime | None = None, limit: int = PAGE
) -> list[InboundEvent]:
    """Work done whose answer was committed with it but not sent (the process stopped)."""
    waiting = [
        col(InboundEvent.done_at).is_not(None),
        col(InboundEvent.answered_at).is_(None),
        col(InboundEvent.answer).is_not(None),
    ]
    if done_before is not None:
        waiting.append(col(InboundEvent.done_at) < done_before)
    return _oldest(session, source, waiting, limit)


def _oldest(session: Session, source: str, where: list[Any], limit: int) -> list[InboundEvent]:
    query = select(InboundEvent).where(InboundEvent.source == source, *where)
    return list(session.exec(query.order_by(col(InboundEvent.id)).limit(limit)))


def take(
    session: Session, rows: list[InboundEvent], now: dt.datetime, taken_before: dt.datetime | None
) -> set[int]:
    """Take rows `unfinished` read for a run; the ids taken. With `taken_before`, one
    statement for the page, compare-and-set on the read's own condition (a row another
    reader took meanwhile has a lease newer than that); else one `retake` each."""
    if taken_before is None:
        return {row.id for row in rows if row.id is not None and retake(session, row, now)}
    if not rows:
        return set()
    taken = session.execute(
        update(InboundEvent)
        .where(
            col(InboundEvent.id).in_([row.id for row in rows]),  # a page: PAGE ids at most
            col(InboundEvent.done_at).is_(None),
            or_(col(InboundEvent.taken_at).is_(None), col(InboundEvent.taken_at) < taken_before),
        )
        .values(taken_at=now)
        .returning(col(InboundEvent.id))
        .execution_options(synchronize_session=False)
    )
    return set(taken.scalars())


def retake(session: Session, row: InboundEvent, now: dt.datetime) -> bool:
    """Take an unfinished row for a new run (compare-and-set on its lease), so a second
    reader elsewhere skips it while this one works."""
    later = now if row.taken_at is None else max(now, row.taken_at + dt.timedelta(microseconds=1))
    result = session.execute(
        update(InboundEvent)
        .where(
            col(InboundEvent.id) == row.id,
            col(InboundEvent.taken_at).is_not_distinct_from(row.taken_at),
            col(InboundEvent.done_at).is_(None),
        )
        .values(taken_at=later)  # the value must change
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


class Unit:
    """The one transaction of an inbound request's work.

    The use case writes through `tx()` (prebuilt statements, `storage.driver`) or
    `session()` (an ORM session joined to that transaction; see
    `handlers.desk.Desk.writing`); `commit` adds the done mark and the answer and commits
    all of it, or nothing when another runner finished first. Nothing here is implicit: the
    use case's path begins the transaction, the inbox commits it. A transaction on the
    driver carries it (`storage.db.DriverTx`), not a session: a session's begin, flush and
    commit cost about as much as logging a ticket's SQL, and a request that runs only
    prebuilt statements needs none.
    """

    def __init__(self, engine: Engine, source: str, event_id: str, now: dt.datetime) -> None:
        self.engine = engine
        self.source = source
        self.event_id = event_id
        self.now = now
        self._tx: DriverTx | None = None
        self._session: Session | None = None

    @property
    def wrote(self) -> bool:
        return self._tx is not None

    def tx(self) -> DriverTx:
        """The unit's transaction, begun at the first write."""
        if self._tx is None:
            tx = DriverTx(self.engine)
            try:
                tx.begin()
            except BaseException:
                tx.close()
                raise
            self._tx = tx
        return self._tx

    def session(self) -> Session:
        """An ORM session in the unit's transaction. It never commits it (`commit` does);
        its rollback, on a failed flush, rolls the whole unit back."""
        if self._session is None:
            self._session = Session(
                self.tx().core(), join_transaction_mode="rollback_only", expire_on_commit=False
            )
        return self._session

    def discard(self) -> None:
        """Roll back what the work wrote (it failed, or was refused)."""
        self._end(rollback=True)

    def _end(self, rollback: bool) -> None:
        session, tx = self._session, self._tx
        self._session = self._tx = None
        if session is not None:
            session.close()  # joined: leaves the transaction to `tx`
        if tx is not None:
            try:
                if rollback:
                    with suppress(DBAPIError):  # lost with its connection: nothing is kept
                        tx.rollback()
            finally:
                tx.close()

    def commit(self, answer: dict[str, Any] | driver.JsonText | None) -> bool:
        """The work, its done mark and its answer in one commit; False (nothing committed)
        when another runner had finished it."""
        tx = self.tx()
        try:
            if self._session is not None:
                self._session.flush()
            if not mark_done(tx, self.source, self.event_id, self.now, answer):
                self.discard()
                return False
            tx.commit()
        except BaseException:
            self.discard()
            raise
        self._end(rollback=False)
        return True
