"""The outbox: messages persisted with the change behind them, then delivered.

Rows move pending → sending → sent (or failed). A claim takes due rows and leases them by
pushing `next_attempt_at` forward, so a second replica skips them (on PostgreSQL with
`FOR UPDATE SKIP LOCKED`) and a crashed sender's rows come back once the lease is over.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import Session, col, select

from storage.models import OutboxMessage
from storage.tickets import _insert

LEASE = dt.timedelta(seconds=60)


def enqueue(
    session: Session,
    *,
    platform: str,
    scope: str,
    target: dict[str, Any],
    message: dict[str, Any],
    now: dt.datetime,
    dedupe_key: str | None = None,
) -> None:
    """Add a message to post; a second row with the same dedupe key is ignored."""
    values = {
        "platform": platform,
        "scope": scope,
        "target": target,
        "message": message,
        "dedupe_key": dedupe_key,
        "status": "pending",
        "attempts": 0,
        "created_at": now,
        "next_attempt_at": now,
        "last_error": "",
    }
    stmt = _insert(session, OutboxMessage).values(**values)
    if dedupe_key is not None:
        stmt = stmt.on_conflict_do_nothing(index_elements=["dedupe_key"])
    session.execute(stmt)


def claim(
    session: Session, platform: str, now: dt.datetime, limit: int = 20
) -> list[OutboxMessage]:
    """Due rows of a platform, oldest first, leased to the caller."""
    query = (
        select(OutboxMessage)
        .where(
            OutboxMessage.platform == platform,
            col(OutboxMessage.status).in_(("pending", "sending")),
            OutboxMessage.next_attempt_at <= now,
        )
        .order_by(col(OutboxMessage.id))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    rows = list(session.exec(query))
    for row in rows:
        row.status = "sending"
        row.attempts += 1
        row.next_attempt_at = now + LEASE
        session.add(row)
    session.flush()
    return rows


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


def mark_failed(session: Session, row_id: int, error: str) -> None:
    row = session.get(OutboxMessage, row_id)
    if row is not None:
        row.status, row.last_error = "failed", error[:2000]
        session.add(row)


def by_key(session: Session, dedupe_key: str) -> OutboxMessage | None:
    """An earlier post, e.g. the ticket card a reply threads under."""
    return session.exec(select(OutboxMessage).where(OutboxMessage.dedupe_key == dedupe_key)).first()
