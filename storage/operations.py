"""Figures an operator watches, read from the database (so every replica reports the same):
backlogs of inbound work and of the outbox, scheduled fires, clock stages, open huddles."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func
from sqlmodel import Session, col, select

from storage.huddles import Huddle
from storage.models import ClockStage, InboundEvent, OutboxMessage, ScheduleFire


def inbound_pending(session: Session) -> dict[str, int]:
    """Requests taken (acked) but not yet done, by source."""
    query = (
        select(InboundEvent.source, func.count())
        .where(col(InboundEvent.done_at).is_(None))
        .group_by(col(InboundEvent.source))
    )
    return {source: count for source, count in session.exec(query)}


def outbox_backlog(session: Session, now: dt.datetime) -> dict[str, tuple[int, float]]:
    """Per platform: posts not yet out (pending or being sent), and the oldest one's age in
    seconds."""
    query = (
        select(OutboxMessage.platform, func.count(), func.min(OutboxMessage.created_at))
        .where(col(OutboxMessage.status).in_(("pending", "sending")))
        .group_by(col(OutboxMessage.platform))
    )
    out: dict[str, tuple[int, float]] = {}
    for platform, count, oldest in session.exec(query):
        if oldest is not None and oldest.tzinfo is None:  # SQLite's MIN drops the type
            oldest = dt.datetime.fromisoformat(str(oldest)).replace(tzinfo=dt.UTC)
        age = max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0
        out[platform] = (count, age)
    return out


def outbox_failed(session: Session) -> dict[str, int]:
    query = (
        select(OutboxMessage.platform, func.count())
        .where(OutboxMessage.status == "failed")
        .group_by(col(OutboxMessage.platform))
    )
    return {platform: count for platform, count in session.exec(query)}


def fires_by_result(session: Session) -> dict[tuple[str, str], int]:
    """Scheduled fires claimed, by (job, status): posted, late, skipped, manual."""
    query = select(ScheduleFire.job, ScheduleFire.status, func.count()).group_by(
        col(ScheduleFire.job), col(ScheduleFire.status)
    )
    return {(job, status): count for job, status, count in session.exec(query)}


def clock_stages(session: Session) -> dict[tuple[str, str], int]:
    """Response-clock stages fired, by (stage, status); `progress:<since>` counts as progress."""
    query = select(ClockStage.stage, ClockStage.status, func.count()).group_by(
        col(ClockStage.stage), col(ClockStage.status)
    )
    out: dict[tuple[str, str], int] = {}
    for stage, status, count in session.exec(query):
        key = (stage.split(":", 1)[0], status)
        out[key] = out.get(key, 0) + count
    return out


def huddles_open(session: Session) -> int:
    query = select(func.count()).select_from(Huddle).where(col(Huddle.outcome_at).is_(None))
    return int(session.exec(query).one())
