"""Delivering the outbox: claim due rows, hand each to the platform's sender, record the result.

A sender says what happened (`Sent`, `Retry`, `Failed`); the retry policy is here, once for
every platform: exponential backoff with jitter, or the platform's own `Retry-After`. So is
the pacing (`Pacer`: about one post per second to one destination) and the rule that a
reply or an edit waits until the post it points at is out.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import Engine

from bot import metrics
from handlers.chat.model import Message, Target
from storage import outbox
from storage.db import read_scope, session_scope
from storage.models import OutboxMessage

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
PARENT_WAIT = dt.timedelta(seconds=1)  # a reply whose parent post is not out yet looks again


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


@dataclass(frozen=True)
class Skipped:
    """Not posted, on purpose: the destination is known to be gone (e.g. the bot was removed
    from a Teams conversation). Kept as a `skipped` row, logged once, not an error."""

    reason: str


Outcome = Sent | Retry | Failed | Skipped


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
    last_error: str = ""  # why the previous attempt did not go out (a sender may need it)


class Sender(Protocol):
    async def send(self, delivery: Delivery) -> Outcome: ...


# Spacing added to a destination's interval (bench/delivery.py on a loaded 2-core machine:
# posts handed exactly 1 s apart arrived as little as 0.997 s apart; 50 ms cost a tenth of
# the posts per second, 10 ms nothing measurable).
TRANSIT = dt.timedelta(milliseconds=10)
# Rows held to a turn at most (a few MB): a backlog beyond waits untouched in the outbox.
# (bench/slack_ack.py: 36 k cards a burst to one channel, all held, cost the serving process
# 5-13 MB of peak memory by the third burst.)
HELD_MAX = 10_000
SORTED_MAX = 200  # due rows a claim sorts at most (ids and destinations only)


class Pacer:
    """At most one post per `interval` seconds to one destination, in the delivery clock.

    Slack allows about one message per second per channel. A post that comes too soon gets
    the destination's next free turn (its row waits in the outbox until then, without
    spending an attempt) while other destinations go on; a backlog to one channel is thus
    spread out once, instead of being claimed and put back over and over (up to `held_max`
    rows held in memory; beyond, a row waits for the end of the turns given, then takes its
    own). Keyed by scope and target, so a thread reply and a card edit share their
    channel's pace.

    Turns count from the moment a post is handed to the platform, not from the batch's
    start (a batch takes time to send), and are TRANSIT further apart than the interval: two
    posts' trips to the platform differ by a few milliseconds, and the platform counts their
    arrivals. A platform's Retry-After closes the destination until then, so its
    already-given turns move behind it and only one post sees the 429.
    """

    def __init__(self, interval: float = 1.0, held_max: int = HELD_MAX) -> None:
        self.interval = dt.timedelta(seconds=interval) + TRANSIT
        self.held_max = held_max
        self._next: dict[str, dt.datetime] = {}  # destination -> its next free turn
        self._held: dict[int, dt.datetime] = {}  # outbox row -> the turn it was given
        self._last: dict[str, dt.datetime] = {}  # destination -> its last post + interval
        self._closed: dict[str, dt.datetime] = {}  # destination -> closed until (Retry-After)

    @staticmethod
    def key(delivery: Delivery) -> str:
        return Pacer.key_of(delivery.scope, delivery.target.kind, delivery.target.name)

    @staticmethod
    def key_of(scope: str, kind: str, name: str) -> str:
        return f"{scope}|{kind}:{name}"

    def turn(self, delivery: Delivery, now: dt.datetime) -> dt.datetime | None:
        """Take this delivery's turn: None when it may go now, else the (later) time it
        has been given."""
        return self._turn(delivery.row_id, self.key(delivery), now)

    def waiting(self, row_id: int, key: str, now: dt.datetime) -> dt.datetime | None:
        """At the claim, before any lease: the turn of a due row whose destination has none
        free now (it waits for it without a lease, its message not even read); None when
        it may be leased (its destination is free, or its own turn has come), and it takes
        its turn as it goes (`turn`)."""
        held = self._held.get(row_id)
        if held is not None:
            return held if held > now else None
        bounds = (self._last.get(key), self._closed.get(key), self._next.get(key))
        if all(bound is None or bound <= now for bound in bounds):
            return None
        return self._turn(row_id, key, now)

    def _turn(self, row_id: int, key: str, now: dt.datetime) -> dt.datetime | None:
        held = self._held.pop(row_id, None)
        if len(self._next) > 10_000:  # forget destinations that are free anyway
            self._forget(now)
        earliest = now
        for bound in (self._last.get(key), self._closed.get(key)):
            if bound is not None:
                earliest = max(earliest, bound)
        if held is None:  # a new post queues behind the turns already given
            earliest = max(earliest, self._next.get(key, earliest))
        if earliest <= now:
            self._last[key] = now + self.interval
            self._next[key] = max(self._next.get(key, now), now + self.interval)
            return None
        if held is None and len(self._held) >= self.held_max:
            # No turn is given: the row comes back once the turns given so far are over
            # and takes one then, so the held rows stay bounded however long the backlog.
            return earliest
        self._held[row_id] = earliest
        self._next[key] = max(self._next.get(key, earliest), earliest + self.interval)
        return earliest

    def _forget(self, now: dt.datetime) -> None:
        self._next = {k: t for k, t in self._next.items() if t > now}
        self._last = {k: t for k, t in self._last.items() if t > now}
        self._held = {r: t for r, t in self._held.items() if t > now}
        self._closed = {k: t for k, t in self._closed.items() if t > now}

    def close(self, delivery: Delivery, until: dt.datetime) -> None:
        """The platform said wait (429 Retry-After): this row goes first when it reopens."""
        key = self.key(delivery)
        self._closed[key] = until
        self._held[delivery.row_id] = until
        self._next[key] = max(self._next.get(key, until), until + self.interval)


def backoff(attempts: int, base: float = 1.0, cap: float = 300.0) -> float:
    """Full-jitter exponential backoff, in seconds."""
    return random.uniform(0, min(cap, base * 2 ** max(0, attempts - 1)))


def claim(
    engine: Engine, platform: str, now: dt.datetime, limit: int = 20, pacer: Pacer | None = None
) -> tuple[list[Delivery], int]:
    """Lease up to `limit` due rows; returns them and how many were put back to wait.

    With a pacer, the due rows are sorted first, in the same transaction: one whose
    destination has no free turn now gets its turn there (`Pacer.waiting`), without a lease
    nor its message decoded. A backlog to one channel was otherwise leased, decoded and
    put back 20 rows at a time, two write transactions a pass, as fast as the rows came
    (bench/slack_ack.py: that loop took a fifth of the inbox worker's throughput on SQLite,
    whose one writer both need). A pass with nothing due takes no write lock at all."""
    with read_scope(engine) as session:
        if not outbox.any_due(session, platform, now):
            return [], 0
    with session_scope(engine) as session:
        if pacer is None:
            rows = outbox.claim(session, platform, now, limit)
            return [_decode(session, row) for row in rows], 0
        leasing: list[int] = []
        waits: dict[int, dt.datetime] = {}
        for row_id, scope, target in outbox.due(session, platform, now, SORTED_MAX):
            key = Pacer.key_of(scope, target.get("kind", ""), target.get("name", ""))
            turn = pacer.waiting(row_id, key, now)
            if turn is not None:
                waits[row_id] = turn
            elif len(leasing) < limit:
                leasing.append(row_id)
        outbox.defer(session, waits, claimed=False)
        rows = outbox.lease(session, leasing, now)
        return [_decode(session, row) for row in rows], len(waits)


def record(engine: Engine, delivery: Delivery, outcome: Outcome, now: dt.datetime) -> str:
    """Write what happened; returns it as a word: sent, retried, rate_limited or failed."""
    extra = {"outbox_id": delivery.row_id, "workspace": delivery.scope}
    with session_scope(engine) as session:
        match outcome:
            case Sent(ref=ref):
                outbox.mark_sent(session, delivery.row_id, now, ref)
                return "sent"
            case Retry(error=error, after=after) if delivery.attempts < MAX_ATTEMPTS:
                wait = after if after is not None else backoff(delivery.attempts)
                outbox.mark_retry(session, delivery.row_id, now + dt.timedelta(seconds=wait), error)
                log.warning(
                    "outbox %s: retry in %.1fs: %s", delivery.row_id, wait, error, extra=extra
                )
                return "retried" if after is None else "rate_limited"
            case Skipped(reason=reason):
                outbox.mark_failed(session, delivery.row_id, reason, status="skipped")
                log.info("outbox %s: skipped: %s", delivery.row_id, reason, extra=extra)
                return "skipped"
            case Retry(error=error) | Failed(error=error):
                outbox.mark_failed(session, delivery.row_id, error)
                log.error("outbox %s: failed: %s", delivery.row_id, error, extra=extra)
    return "failed"


def defer(engine: Engine, waits: list[tuple[int, dt.datetime]]) -> None:
    with session_scope(engine) as session:
        outbox.defer(session, dict(waits))


def with_parents(engine: Engine, delivery: Delivery) -> tuple[Delivery, bool]:
    """The delivery with the refs of its parent posts read again (a parent may have gone out
    earlier in the same batch), and whether a parent is still waiting to go out."""
    waiting = False
    refs: dict[str, dict[str, Any] | None] = {}
    with session_scope(engine) as session:
        for name, key in (
            ("thread_ref", delivery.target.thread),
            ("replace_ref", delivery.target.replace),
        ):
            if key is None or getattr(delivery, name) is not None:
                continue
            parent = outbox.by_key(session, key)
            if parent is not None and parent.platform_ref is None:
                waiting = waiting or parent.status in ("pending", "sending")
            refs[name] = parent.platform_ref if parent is not None else None
    return dataclasses.replace(delivery, **refs), waiting


async def deliver_due(
    engine: Engine,
    platform: str,
    sender: Sender,
    now: dt.datetime,
    pacer: Pacer | None = None,
    clock: Callable[[], dt.datetime] | None = None,
) -> int:
    """Deliver what is due `now`, in order; returns how many were handled.

    Database work runs in a thread so a server's event loop keeps answering requests.
    Without a pacer (the console) every due post goes at once. `clock` is read as each
    post goes (a batch takes time), for the pacer's turns and a Retry-After's start.
    """
    deliveries, waiting = await asyncio.to_thread(claim, engine, platform, now, 20, pacer)
    clock = clock or (lambda: now)
    waits: list[tuple[int, dt.datetime]] = []  # rows put back for later, written together
    handed: set[int] = set()  # rows given to the sender: their fate is the platform's now
    try:
        await _deliver(engine, platform, sender, now, pacer, clock, deliveries, waits, handed)
    except asyncio.CancelledError:
        # Stopping: rows claimed but not handed to the platform go back at once (not after
        # the lease), so the next start or another replica sends them. One in flight keeps
        # its lease: whether the platform got it is unknown, and it must not go twice.
        waits += [(d.row_id, now) for d in deliveries if d.row_id not in handed]
        waits = list(dict(waits).items())
        defer(engine, waits)
        raise
    if waits:
        await asyncio.to_thread(defer, engine, waits)
    return len(deliveries) + waiting


async def _deliver(
    engine: Engine,
    platform: str,
    sender: Sender,
    now: dt.datetime,
    pacer: Pacer | None,
    clock: Callable[[], dt.datetime],
    deliveries: list[Delivery],
    waits: list[tuple[int, dt.datetime]],
    handed: set[int],
) -> None:
    for delivery in deliveries:
        missing = (delivery.target.thread and delivery.thread_ref is None) or (
            delivery.target.replace and delivery.replace_ref is None
        )
        if missing:
            delivery, waiting = await asyncio.to_thread(with_parents, engine, delivery)
            if waiting:
                waits.append((delivery.row_id, now + PARENT_WAIT))
                continue
        turn = pacer.turn(delivery, clock()) if pacer is not None else None
        if turn is not None:
            waits.append((delivery.row_id, turn))
            continue
        handed.add(delivery.row_id)
        try:
            outcome = await sender.send(delivery)
        except Exception as exc:  # a sender bug must not lose the row
            log.exception("outbox %s: sender raised", delivery.row_id)
            outcome = Retry(f"{type(exc).__name__}: {exc}")
        if pacer is not None and isinstance(outcome, Retry) and outcome.after is not None:
            pacer.close(delivery, clock() + dt.timedelta(seconds=outcome.after))
        result = await asyncio.to_thread(record, engine, delivery, outcome, now)
        metrics.delivered(platform, result)


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
        last_error=row.last_error or "",
    )
