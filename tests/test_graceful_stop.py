"""Stopping with posts claimed: what was not handed to the platform goes back at once, the
post in flight keeps its lease (it may have gone out), and the next run sends the rest."""

from __future__ import annotations

import asyncio

from sqlmodel import Session, select

from bot.delivery import Delivery, Sent, deliver_due
from handlers.chat.model import Message, Post, Target, Text
from handlers.desk import Desk, ManualClock
from storage.db import session_scope
from storage.models import OutboxMessage


class Stuck:
    """A platform that takes the first post and never answers (a stop lands meanwhile)."""

    def __init__(self) -> None:
        self.sent: list[int] = []
        self.holding = asyncio.Event()

    async def send(self, delivery: Delivery) -> Sent:
        self.sent.append(delivery.row_id)
        if len(self.sent) == 1:
            self.holding.set()
            await asyncio.Event().wait()
        return Sent({"id": delivery.row_id})


def rows(desk: Desk) -> list[OutboxMessage]:
    with Session(desk.engine) as session:
        return sorted(session.exec(select(OutboxMessage)), key=lambda r: r.id or 0)


async def test_a_stop_releases_claimed_posts_not_yet_handed_over(
    desk: Desk, clock: ManualClock
) -> None:
    for name in ("queue", "managers", "raj"):
        with session_scope(desk.engine) as session:
            desk.post(
                session,
                "test",
                "test:w",
                Post(Target("channel", name), Message((Text("hi"),), "hi")),
            )
    sender = Stuck()
    task = asyncio.create_task(deliver_due(desk.engine, "test", sender, clock.now()))
    await asyncio.wait_for(sender.holding.wait(), 10)
    assert [r.status for r in rows(desk)] == ["sending"] * 3  # all three claimed
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)

    first, *rest = rows(desk)
    assert first.status == "sending" and first.next_attempt_at > clock.now()  # leased still
    assert [(r.status, r.attempts, r.next_attempt_at) for r in rest] == [
        ("pending", 0, clock.now())
    ] * 2  # back at once, no attempt spent

    after = Stuck()
    after.sent.append(-1)  # this platform answers at once
    await deliver_due(desk.engine, "test", after, clock.now())
    assert after.sent[1:] == [r.id for r in rest]
    assert [r.status for r in rows(desk)] == ["sending", "sent", "sent"]
