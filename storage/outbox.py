"""The outbox: messages persisted with the change behind them, then delivered.

Rows move pending → sending → sent (or failed). A claim takes due rows and leases them by
pushing `next_attempt_at` forward, so a second replica skips them (on PostgreSQL with
`FOR UPDATE SKIP LOCKED`) and a crashed sender's rows come back once the lease is over.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import case, update
from sqlmodel import Session, col, select

from storage import driver
from storage.models import OutboxMessage

LEASE = dt.timedelta(seconds=60)


def row(
    *,
    platform: str,
    scope: str,
    target: dict[str, Any],
    message: dict[str, Any] | driver.JsonText,
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


def enqueue(session: driver.Tx, rows: Sequence[dict[str, Any]]) -> None:
    """Add messages to post (`row`), in one INSERT (a clock stage pages several people at
    once; every ticket logged posts: prebuilt on the driver). A row whose dedupe key is
    taken is ignored (a NULL key never conflicts)."""
    driver.insert_all(session, OutboxMessage.__table__, rows, ["dedupe_key"])  # type: ignore[attr-defined]


def claim(
    session: Session, platform: str, now: dt.datetime, limit: int = 20
) -> list[OutboxMessage]:
    """Due rows of a platform, oldest first, leased to the caller.

    One UPDATE ... RETURNING, so the pick and the lease are atomic on SQLite too (which has
    no row locks); on PostgreSQL the inner SELECT skips rows another replica holds.
    """
    picked = _due(select(OutboxMessage.id), platform, now, limit)
    return _lease(session, col(OutboxMessage.id).in_(picked.scalar_subquery()), now)


def due(
    session: Session, platform: str, now: dt.datetime, limit: int
) -> list[tuple[int, str, dict[str, Any]]]:
    """Due rows' (id, scope, target), oldest first, not leased: what the delivery loop sorts
    before it leases some (`lease`, same transaction). On PostgreSQL they stay locked until
    it ends, and rows another replica holds are skipped."""
    query = select(OutboxMessage.id, OutboxMessage.scope, OutboxMessage.target)
    found = session.execute(_due(query, platform, now, limit))
    return [(row_id, scope, target) for row_id, scope, target in found]


def any_due(session: Session, platform: str, now: dt.datetime) -> bool:
    """Whether a row is due (a read: it locks nothing)."""
    query = _due(select(OutboxMessage.id), platform, now, 1, lock=False)
    return session.execute(query).first() is not None


def lease(session: Session, ids: list[int], now: dt.datetime) -> list[OutboxMessage]:
    """`claim` for rows `due` picked (a pass's rows: a bounded list)."""
    return _lease(session, col(OutboxMessage.id).in_(ids), now) if ids else []


def _due(query: Any, platform: str, now: dt.datetime, limit: int, lock: bool = True) -> Any:
    query = (
        query.where(
            OutboxMessage.platform == platform,
            col(OutboxMessage.status).in_(("pending", "sending")),
            OutboxMessage.next_attempt_at <= now,
        )
        .order_by(col(OutboxMessage.id))
        .limit(limit)
    )
    return query.with_for_update(skip_locked=True) if lock else query


def _lease(session: Session, which: Any, now: dt.datetime) -> list[OutboxMessage]:
    stmt = (
        update(OutboxMessage)
        .where(which)
        .values(status="sending", attempts=OutboxMessage.attempts + 1, next_attempt_at=now + LEASE)
        .returning(OutboxMessage)
        .execution_options(synchronize_session=False)
    )
    return sorted(session.scalars(stmt), key=lambda row: row.id or 0)


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


def defer(session: Session, until: dict[int, dt.datetime], claimed: bool = True) -> None:
    """Not their turn yet (pacing, or a parent post is not out): rows wait without spending
    an attempt (`claimed`: the claim that picked them counted one). One statement."""
    if not until:
        return
    # The statement is compiled, and cached, per number of rows: a count rounded up to a
    # power of two (the last row repeated) keeps that cache to a few entries (a claim puts
    # back up to 200 rows; one cached statement per count grew a server by ~30 MB).
    pairs = list(until.items())
    pairs += [pairs[-1]] * ((1 << (len(pairs) - 1).bit_length()) - len(pairs))
    attempts = OutboxMessage.attempts - 1 if claimed else OutboxMessage.attempts
    session.execute(
        update(OutboxMessage)
        .where(col(OutboxMessage.id).in_([row_id for row_id, _ in pairs]))
        .values(
            status="pending",
            next_attempt_at=case(*pairs, value=OutboxMessage.id),
            attempts=attempts,
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
