"""Where an adapter's database work runs (bot.db_threads): an ack's write before any other
job on SQLite's one thread; on the event loop's own thread in the inbox worker process."""

from __future__ import annotations

import threading

import pytest

from bot.db_threads import ACK, WORK, DbThreads


async def test_inline_jobs_run_on_the_loops_thread_and_raise_there() -> None:
    threads = DbThreads("sqlite", "test", inline=True)
    before = threading.active_count()
    assert await threads.run(WORK, threading.get_ident) == threading.get_ident()
    with pytest.raises(ZeroDivisionError):
        await threads.run(WORK, lambda: 1 / 0)
    assert threading.active_count() == before  # no thread of its own
    threads.shutdown()


async def test_on_sqlite_an_acks_write_goes_before_work_queued_earlier() -> None:
    threads = DbThreads("sqlite", "test")
    order: list[str] = []
    gate = threading.Event()
    busy = threads.run(WORK, gate.wait)  # the thread is busy: the next jobs queue
    work = threads.run(WORK, order.append, "work")
    ack = threads.run(ACK, order.append, "ack")
    gate.set()
    await busy
    await work
    await ack
    assert order == ["ack", "work"]
    assert await threads.run(WORK, threading.get_ident) != threading.get_ident()
    threads.shutdown()
