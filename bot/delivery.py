"""Delivering the outbox: claim due rows, hand each to the platform's sender, record the result.

A sender says what happened (`Sent`, `Retry`, `Failed`); the retry policy is here, once for
every platform: exponential backoff with jitter, or the platform's own `Retry-After`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import random
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import Engine

from handlers.chat import Message, Target
from storage import outbox
from storage.db import session_scope
from storage.models import OutboxMessage

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8


@dataclass(frozen=True)
class Sent:
    ref: dict[str, Any] | None = None  # the platform's id of the post (Slack ts, Teams id)


@dataclass(frozen=True)
class Retry:
    error: str
    after: float | None = None  # seconds the platform asked for (Retry-After)


@dataclass(frozen=True)
class Failed:
    error: str


Outcome = Sent | Retry | Failed


@dataclass(frozen=True)
class Delivery:
    """One outbox row, decoded, with the platform refs of the posts it points at."""

    row_id: int
    scope: str
    target: Target
    message: Message
    attempts: int
    thread_ref: dict[str, Any] | None  # the post to reply under, once delivered
    replace_ref: dict[str, Any] | None  # the post to edit in place, once delivered


class Sender(Protocol):
    async def send(self, delivery: Delivery) -> Outcome: ...


def backoff(attempts: int, base: float = 1.0, cap: float = 300.0) -> float:
    """Full-jitter exponential backoff, in seconds."""
    return random.uniform(0, min(cap, base * 2 ** max(0, attempts - 1)))


def claim(engine: Engine, platform: str, now: dt.datetime, limit: int = 20) -> list[Delivery]:
    with session_scope(engine) as session:
        rows = outbox.claim(session, platform, now, limit)
        return [_decode(session, row) for row in rows]


def record(engine: Engine, delivery: Delivery, outcome: Outcome, now: dt.datetime) -> None:
    with session_scope(engine) as session:
        match outcome:
            case Sent(ref=ref):
                outbox.mark_sent(session, delivery.row_id, now, ref)
            case Retry(error=error, after=after) if delivery.attempts < MAX_ATTEMPTS:
                wait = after if after is not None else backoff(delivery.attempts)
                outbox.mark_retry(session, delivery.row_id, now + dt.timedelta(seconds=wait), error)
                log.warning("outbox %s: retry in %.1fs: %s", delivery.row_id, wait, error)
            case Retry(error=error) | Failed(error=error):
                outbox.mark_failed(session, delivery.row_id, error)
                log.error("outbox %s: failed: %s", delivery.row_id, error)


async def deliver_due(engine: Engine, platform: str, sender: Sender, now: dt.datetime) -> int:
    """Deliver what is due now, in order; returns how many were handled.

    Database work runs in a thread so a server's event loop keeps answering requests.
    """
    deliveries = await asyncio.to_thread(claim, engine, platform, now)
    for delivery in deliveries:
        try:
            outcome = await sender.send(delivery)
        except Exception as exc:  # a sender bug must not lose the row
            log.exception("outbox %s: sender raised", delivery.row_id)
            outcome = Retry(f"{type(exc).__name__}: {exc}")
        await asyncio.to_thread(record, engine, delivery, outcome, now)
    return len(deliveries)


def _decode(session: Any, row: OutboxMessage) -> Delivery:
    target = Target.from_dict(row.target)

    def ref_of(key: str | None) -> dict[str, Any] | None:
        parent = outbox.by_key(session, key) if key else None
        return parent.platform_ref if parent is not None else None

    assert row.id is not None
    return Delivery(
        row_id=row.id,
        scope=row.scope,
        target=target,
        message=Message.from_dict(row.message),
        attempts=row.attempts,
        thread_ref=ref_of(target.thread),
        replace_ref=ref_of(target.replace),
    )
