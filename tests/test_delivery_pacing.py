"""The outbox delivery loop: pacing per destination, replies after their parent, replicas."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import threading

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.delivery import TRANSIT, Delivery, Pacer, Retry, Sent, deliver_due
from handlers.chat.model import Message, Post, Target, Text
from handlers.desk import Desk, ManualClock
from storage.db import session_scope
from storage.models import OutboxMessage


def _post(desk: Desk, target: Target, key: str | None = None) -> None:
    with session_scope(desk.engine) as session:
        desk.post(session, "test", "test:w", Post(target, Message((Text("hi"),), "hi"), key))


def _rows(engine: Engine) -> dict[int, OutboxMessage]:
    with Session(engine) as session:
        return {r.id or 0: r for r in session.exec(select(OutboxMessage))}


class Recorder:
    def __init__(self) -> None:
        self.sent: list[Delivery] = []

    async def send(self, delivery: Delivery) -> Sent:
        self.sent.append(delivery)
        return Sent({"id": delivery.row_id})


async def test_one_post_per_second_per_destination(desk: Desk, clock: ManualClock) -> None:
    for _ in range(3):
        _post(desk, Target("channel", "queue"))
    _post(desk, Target("person", "raj"))
    sender, pacer = Recorder(), Pacer(1.0)
    await deliver_due(desk.engine, "test", sender, clock.now(), pacer)
    assert [d.target.name for d in sender.sent] == ["queue", "raj"]
    waiting = sorted(
        r.next_attempt_at for r in _rows(desk.engine).values() if r.status == "pending"
    )
    turn = dt.timedelta(seconds=1) + TRANSIT  # a second, and a margin for the trip
    assert waiting == [clock.now() + turn, clock.now() + 2 * turn]  # one turn each
    assert all(r.attempts == 0 for r in _rows(desk.engine).values() if r.status == "pending")
    for expected in (["queue", "raj", "queue"], ["queue", "raj", "queue", "queue"]):
        clock.advance(turn)
        await deliver_due(desk.engine, "test", sender, clock.now(), pacer)
        assert [d.target.name for d in sender.sent] == expected


class SlowChannel:
    """A platform that takes `latency` seconds per post, and answers the first post with a
    429 when `throttle` is set; it notes the delivery-clock time each post was sent at."""

    def __init__(self, clock: ManualClock, latency: float, throttle: float | None = None):
        self.clock, self.latency, self.throttle = clock, latency, throttle
        self.spent = 0.0  # the real time the batch has taken so far
        self.sent: list[tuple[str, dt.datetime]] = []  # (destination, when)
        self.throttled = 0

    def now(self) -> dt.datetime:
        """The delivery clock: the batch's start plus the time its posts have taken."""
        return self.clock.now() + dt.timedelta(seconds=self.spent)

    async def send(self, delivery: Delivery) -> Sent | Retry:
        at = self.now()
        self.spent += self.latency
        if self.throttle is not None and not self.throttled:
            self.throttled += 1
            return Retry("rate_limited", after=self.throttle)
        self.sent.append((delivery.target.name, at))
        return Sent({"id": delivery.row_id})


async def _drain(desk: Desk, clock: ManualClock, sender: SlowChannel, pacer: Pacer) -> None:
    """Run the delivery loop every 0.25 s of delivery time until the outbox is empty."""
    for _ in range(400):
        sender.spent = 0.0
        await deliver_due(desk.engine, "test", sender, clock.now(), pacer, sender.now)
        if all(r.status == "sent" for r in _rows(desk.engine).values()):
            return
        clock.advance(dt.timedelta(seconds=0.25))
    raise AssertionError("the outbox never drained")


async def test_turns_count_from_the_send_not_the_batch_start(
    desk: Desk, clock: ManualClock
) -> None:
    """Posts to other places make a batch slow; one channel's posts still leave at least a
    second apart, as the platform sees them."""
    for i in range(12):
        _post(desk, Target("channel", "queue") if i % 3 == 2 else Target("person", f"p{i}"))
    sender = SlowChannel(clock, latency=0.35)
    pacer = Pacer(1.0)
    await _drain(desk, clock, sender, pacer)
    times = [at for name, at in sender.sent if name == "queue"]
    assert len(times) == 4
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
    assert min(gaps) >= 1.0, gaps


async def test_a_429_moves_the_channel_behind_retry_after_once(
    desk: Desk, clock: ManualClock
) -> None:
    """The first post gets 429 Retry-After 5 s: the posts already given turns move behind
    it, so the platform sees one 429, and nothing goes to that channel before the 5 s."""
    for _ in range(5):
        _post(desk, Target("channel", "queue"))
    start = clock.now()
    sender = SlowChannel(clock, latency=0.0, throttle=5.0)
    pacer = Pacer(1.0)
    await _drain(desk, clock, sender, pacer)
    assert sender.throttled == 1
    times = [at for _, at in sender.sent]
    assert len(times) == 5
    assert min(times) >= start + dt.timedelta(seconds=5)
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
    assert min(gaps) >= 1.0, gaps


async def test_a_backlog_beyond_the_held_rows_still_goes_one_per_second_in_order(
    desk: Desk, clock: ManualClock
) -> None:
    """Memory stays bounded: with room for 3 held rows, a backlog of 10 to one channel (and
    posts to someone else meanwhile) all go, in the order they were queued, never closer
    than a second, and the pacer never holds more than 3."""
    for _ in range(10):
        _post(desk, Target("channel", "queue"))
    _post(desk, Target("person", "raj"))
    sender = SlowChannel(clock, latency=0.05)
    pacer = Pacer(1.0, held_max=3)
    most = 0
    for _ in range(400):
        sender.spent = 0.0
        await deliver_due(desk.engine, "test", sender, clock.now(), pacer, sender.now)
        most = max(most, len(pacer._held))
        if all(r.status == "sent" for r in _rows(desk.engine).values()):
            break
        clock.advance(dt.timedelta(seconds=0.25))
    queue = [at for name, at in sender.sent if name == "queue"]
    assert len(queue) == 10 and [name for name, _ in sender.sent].count("raj") == 1
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(queue)]
    assert min(gaps) >= 1.0, gaps
    assert max(gaps) < 2.5, gaps  # the rows waiting untouched lose no more than a tick
    assert most == 3
    rows = _rows(desk.engine)
    sent_order = sorted((r.sent_at, r.id) for r in rows.values() if r.target["name"] == "queue")
    assert [i for _, i in sent_order] == sorted(i for _, i in sent_order)
    assert all(r.attempts == 1 for r in rows.values())  # waiting spent no attempt


async def test_without_a_pacer_everything_goes_at_once(desk: Desk, clock: ManualClock) -> None:
    for _ in range(5):
        _post(desk, Target("channel", "queue"))
    sender = Recorder()
    await deliver_due(desk.engine, "test", sender, clock.now())
    assert len(sender.sent) == 5  # the console is never slowed


async def test_a_reply_gets_the_ref_of_a_parent_sent_in_the_same_batch(
    desk: Desk, clock: ManualClock
) -> None:
    _post(desk, Target("channel", "queue"), "card")
    _post(desk, Target("person", "raj", thread="card"))
    sender = Recorder()
    await deliver_due(desk.engine, "test", sender, clock.now())
    card, reply = sender.sent
    assert reply.thread_ref == {"id": card.row_id}


async def test_a_reply_waits_while_its_parent_is_not_out(desk: Desk, clock: ManualClock) -> None:
    _post(desk, Target("channel", "queue"), "card")
    with session_scope(desk.engine) as session:  # the card waits for a retry
        card = session.exec(select(OutboxMessage)).one()
        card.next_attempt_at = clock.now() + dt.timedelta(minutes=1)
        session.add(card)
    _post(desk, Target("person", "raj", thread="card"))
    sender = Recorder()
    await deliver_due(desk.engine, "test", sender, clock.now())
    assert sender.sent == []  # not sent as a top-level post
    clock.advance(dt.timedelta(minutes=1))
    await deliver_due(desk.engine, "test", sender, clock.now())
    await deliver_due(desk.engine, "test", sender, clock.now())
    assert [d.target.name for d in sender.sent] == ["queue", "raj"]
    assert sender.sent[1].thread_ref is not None


def test_two_replicas_never_deliver_a_row_twice(desk: Desk, clock: ManualClock) -> None:
    """Two delivery loops on one database (threads, each with its own event loop and
    connections) claim concurrently; each row goes out exactly once."""
    for i in range(120):
        _post(desk, Target("person", f"p{i % 7}"))
    delivered: list[int] = []
    lock = threading.Lock()
    both_claimed = threading.Barrier(2, timeout=10)

    class Replica:
        def __init__(self) -> None:
            self.first = True

        async def send(self, delivery: Delivery) -> Sent:
            if self.first:  # hold the first batch until the other replica holds one too
                self.first = False
                await asyncio.to_thread(both_claimed.wait)
            with lock:
                delivered.append(delivery.row_id)
            return Sent({})

    def run() -> None:
        async def loop() -> None:
            replica = Replica()
            while await deliver_due(desk.engine, "test", replica, clock.now()):
                pass

        asyncio.run(loop())

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(delivered) == sorted(set(delivered))
    assert len(delivered) == 120
    assert all(r.status == "sent" for r in _rows(desk.engine).values())


def test_a_claim_in_progress_is_skipped_not_waited_for(desk: Desk, clock: ManualClock) -> None:
    """PostgreSQL: while one replica's claim is still open, another claims other rows at once
    (FOR UPDATE SKIP LOCKED) instead of waiting or taking the same ones."""
    if desk.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time: a second claim waits, by design")
    from storage import outbox

    for _ in range(10):
        _post(desk, Target("channel", "queue"))
    with Session(desk.engine) as first:
        held = {r.id for r in outbox.claim(first, "test", clock.now(), limit=4)}  # not committed
        result: dict[str, set[int | None]] = {}

        def other() -> None:
            with session_scope(desk.engine) as second:
                result["rows"] = {r.id for r in outbox.claim(second, "test", clock.now(), 4)}

        thread = threading.Thread(target=other)
        thread.start()
        thread.join(5)
        assert not thread.is_alive(), "the second claim waited for the first"
        first.commit()
    assert len(held) == 4 and len(result["rows"]) == 4 and not held & result["rows"]


async def test_a_backlog_to_one_channel_waits_at_the_claim_and_others_go_past_it(
    desk: Desk, clock: ManualClock
) -> None:
    """100 cards to one channel, then a post to someone else: once the channel's turns are
    taken, the claim gives the rest of its rows their turns without leasing them, so the
    other post goes in the next pass (not after the backlog has been leased 20 at a time)."""
    for _ in range(100):
        _post(desk, Target("channel", "queue"))
    _post(desk, Target("person", "raj"))
    sender, pacer = Recorder(), Pacer(1.0)
    assert await deliver_due(desk.engine, "test", sender, clock.now(), pacer) == 20
    assert [d.target.name for d in sender.sent] == ["queue"]  # the other 19 got turns
    assert await deliver_due(desk.engine, "test", sender, clock.now(), pacer) == 81
    assert [d.target.name for d in sender.sent] == ["queue", "raj"]
    waiting = [r for r in _rows(desk.engine).values() if r.status == "pending"]
    assert len(waiting) == 99 and all(r.attempts == 0 for r in waiting)
    turns = sorted(r.next_attempt_at for r in waiting)
    assert len(set(turns)) == 99 and turns[0] > clock.now()  # one turn each, none now
    assert await deliver_due(desk.engine, "test", sender, clock.now(), pacer) == 0


async def test_a_pass_with_nothing_due_takes_no_write_lock(desk: Desk, clock: ManualClock) -> None:
    """An idle server's delivery pass (twice a second) only reads: on SQLite it does not
    wait for, nor take, the one write lock the inbox worker's requests need."""
    _post(desk, Target("channel", "queue"))
    clock.advance(dt.timedelta(seconds=-5))  # the post is not due yet
    with desk.engine.connect() as other:
        other.exec_driver_sql("SELECT 1")  # another writer holds the lock (SQLite: at BEGIN)
        handled = await asyncio.wait_for(
            deliver_due(desk.engine, "test", Recorder(), clock.now(), Pacer(1.0)), 5
        )
        assert handled == 0
        other.rollback()
