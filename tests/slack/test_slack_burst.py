"""A burst of commands: every one acked is logged and answered once, while the work after
the acks holds a bounded queue (the rest waits in the inbox table) and gives way to acks."""

from __future__ import annotations

import asyncio

import pytest

from bot import after_ack
from tests.slack.conftest import Counted, SlackServer


async def test_a_burst_beyond_the_queue_is_logged_and_answered_once_each(
    slack: SlackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(after_ack, "QUEUE_MAX", 3)  # most of the burst waits in the table
    statuses = await asyncio.gather(
        *(slack.command("/ticket", f"new Printer {n} jams") for n in range(20))
    )
    assert [status for status, _ in statuses] == [200] * 20

    answers = await slack.until(
        lambda: len(slack.fake.responses()) >= 20 and slack.fake.responses()
    )
    await slack.until(lambda: not slack.unfinished(), "the inbox to empty")
    assert len(slack.fake.responses()) == len(answers) == 20  # none answered twice
    summaries = sorted(t.summary for t in slack.tickets())
    assert summaries == sorted(f"Printer {n} jams" for n in range(20))


async def test_work_after_the_acks_gives_way_while_acks_are_in_flight() -> None:
    counted = Counted()
    work = after_ack.AfterAck("test", set(), counted.nothing_waiting)
    with work.acking():
        for n in range(10):
            work.add(f"k{n}", counted.job)
        for _ in range(50):
            await asyncio.sleep(0)
        # one job at a time beside the acks, never none
        assert counted.most == 1 and counted.done >= 1
        assert work.busy
    while counted.done < 10:  # acks done: the rest runs side by side
        await asyncio.sleep(0.001)
    assert counted.most > 1
    work.stop()
    await asyncio.gather(*work.workers)


async def test_a_stop_finishes_the_queued_work_and_reads_no_more() -> None:
    done: list[str] = []
    read = 0

    async def waiting(_skip: set[str]) -> list[tuple[str, after_ack.Job]]:
        nonlocal read
        read += 1
        return []

    work = after_ack.AfterAck("test", set(), waiting)
    for n in range(5):
        work.add(f"k{n}", lambda n=n: asyncio.sleep(0, done.append(f"k{n}")))
    work.stop()
    work.add("late", lambda: asyncio.sleep(0, done.append("late")))  # left in the table
    await asyncio.wait_for(asyncio.gather(*work.workers), 5)
    assert sorted(done) == [f"k{n}" for n in range(5)] and read == 0


class _Looked:
    """The acking process's count of acks in flight, as the worker process reads it."""

    def __init__(self) -> None:
        self.count = 0
        self.looks = 0

    @property
    def value(self) -> int:
        self.looks += 1
        return self.count


async def test_an_idle_worker_stops_looking_at_the_acks_until_work_comes() -> None:
    counted = Counted()
    work = after_ack.AfterAck("test", set(), counted.nothing_waiting)
    acks = _Looked()
    follow = asyncio.create_task(work.follow(acks, 0))  # 0: look at every loop turn
    for _ in range(50):
        await asyncio.sleep(0)
    assert acks.looks == 0  # nothing to give way for: it waits, and costs nothing

    release = asyncio.Event()
    acks.count = 1  # the acking process is busy ...
    work.add("k0", lambda: release.wait())  # ... when work comes
    for _ in range(20):
        await asyncio.sleep(0)
    assert acks.looks > 0 and work._acking == 1  # looking, and giving way
    release.set()
    while not work.idle:
        await asyncio.sleep(0)
    looked = acks.looks
    for _ in range(50):
        await asyncio.sleep(0)
    assert acks.looks <= looked + 1 and work._acking == 0  # idle again: stopped looking
    follow.cancel()
    work.stop()
    await asyncio.gather(*work.workers)
