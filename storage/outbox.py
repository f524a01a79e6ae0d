"""The outbox: messages persisted with the change behind them, then delivered.

Rows move pending → sending → sent (or failed). A claim takes due rows and leases them by
pushing `next_attempt_at` forward, so a second replica skips them (on PostgreSQL with
`FOR UPDATE SKIP LOCKED`) and a crashed sender's rows come back once the lease is over.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import bindparam, case, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from storage import driver
from storage.models import OutboxMessage

LEASE = dt.timedelta(seconds=60)


def row(
    *,
    platform: str,
    scope: str,
    target: dict[str, Any],
    message: dict[str, Any],
    now: dt.datetime,
    dedupe_key: str | None = None,
    not_before: dt.datetime | None = None,
) -> dict[str, Any]:
    """A message to post (due now, or at `not_before`), as `enqueue` writes it."""
    return {
        "platform": platform,
        "scope": scope,
        "target": target,
        "message": message,
        "dedupe_key": dedupe_key,
        "status": "pending",
        "attempts": 0,
        "created_at": now,
        "next_attempt_at": max(now, not_before or now),
        "last_error": "",
    }


def enqueue(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Add messages to post (`row`), one INSERT for up to `_ROWS` of them: a clock stage
    pages several people at once. A second row with the same dedupe key is ignored."""
    for start in range(0, len(rows), _ROWS):
        chunk = rows[start : start + _ROWS]
        stmt = driver.prepared(session, ("outbox.enqueue", len(chunk)), _insert_stmt(len(chunk)))
        values = {f"{key}_{n}": value for n, r in enumerate(chunk) for key, value in r.items()}
        driver.run(session, stmt, values)


_ROWS = 50  # rows per INSERT: 500 bound values, and one prebuilt statement per size


def _insert_stmt(rows: int) -> Callable[[str], tuple[Any, tuple[str, ...]]]:
    # Prebuilt on the driver: every ticket logged or changed posts. A NULL dedupe key never
    # conflicts, so one statement serves rows with and without a key.
    def build(dialect: str) -> tuple[Any, tuple[str, ...]]:
        columns = OutboxMessage.__table__.c  # type: ignore[attr-defined]
        values = [
            {key: bindparam(f"{key}_{n}", type_=columns[key].type) for key in _ENQUEUED}
            for n in range(rows)
        ]
        insert = (postgresql if dialect == "postgresql" else sqlite).insert
        stmt = insert(OutboxMessage).values(values)
        return stmt.on_conflict_do_nothing(index_elements=["dedupe_key"]), ()

    return build


_ENQUEUED = (
    "platform",
    "scope",
    "target",
    "message",
    "dedupe_key",
    "status",
    "attempts",
    "created_at",
    "next_attempt_at",
    "last_error",
)


def claim(
    session: Session, platform: str, now: dt.datetime, limit: int = 20
) -> list[OutboxMessage]:
    """Due rows of a platform, oldest first, leased to the caller.

    One UPDATE ... RETURNING, so the pick and the lease are atomic on SQLite too (which has
    no row locks); on PostgreSQL the inner SELECT skips rows another replica holds.
    """
    due = (
        select(OutboxMessage.id)
        .where(
            OutboxMessage.platform == platform,
            col(OutboxMessage.status).in_(("pending", "sending")),
            OutboxMessage.next_attempt_at <= now,
        )
        .order_by(col(OutboxMessage.id))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    stmt = (
        update(OutboxMessage)
        .where(col(OutboxMessage.id).in_(due.scalar_subquery()))
        .values(
            status="sending",
            attempts=OutboxMessage.attempts + 1,
            next_attempt_at=now + LEASE,
        )
        .returning(OutboxMessage)
        .execution_options(synchronize_session=False)
    )
    rows = list(session.scalars(stmt))
    return sorted(rows, key=lambda row: row.id or 0)


def mark_sent(session: Session, row_id: int, now: dt.datetime, ref: dict[str, Any] | None) -> None:
    row = session.get(OutboxMessage, row_id)
    if row is not None:
        row.status, row.sent_at, row.platform_ref, row.last_error = "sent", now, ref, ""
        session.add(row)


def mark_retry(session: Session, row_id: int, when: dt.datetime, error: str) -> None:
    row = session.get(OutboxMessage, row_id)
    if row is not None:
        row.status, row.next_attempt_at, row.last_error = "pending", when, error[:2000]
        session.add(row)


def defer(session: Session, until: dict[int, dt.datetime]) -> None:
    """Not their turn yet (pacing, or a parent post is not out): rows wait without spending
    an attempt, since the claim that picked them counted one. One statement for a batch."""
    if not until:
        return
    session.execute(
        update(OutboxMessage)
        .where(col(OutboxMessage.id).in_(list(until)))
        .values(
            status="pending",
            next_attempt_at=case(until, value=OutboxMessage.id),
            attempts=OutboxMessage.attempts - 1,
        )
        .execution_options(synchronize_session=False)
    )


def mark_failed(session: Session, row_id: int, error: str, status: str = "failed") -> None:
    """Given up: `failed`, or `skipped` when the destination is known to be gone."""
    row = session.get(OutboxMessage, row_id)
    if row is not None:
        row.status, row.last_error = status, error[:2000]
        session.add(row)


def by_key(session: Session, dedupe_key: str) -> OutboxMessage | None:
    """An earlier post, e.g. the ticket card a reply threads under."""
    return session.exec(select(OutboxMessage).where(OutboxMessage.dedupe_key == dedupe_key)).first()
