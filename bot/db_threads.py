"""Threads for an adapter's database work, with the writes an ack waits for going first.

On PostgreSQL the ack path and the work after it get pools of their own. On SQLite (one
writer at a time, and a busy-wait that sleeps up to 100 ms when two connections collide)
both share one thread that always takes an ack's write before any other job, so the two
never meet on SQLite's lock and a backlog of work never holds an ack back.

Where no ack waits on the event loop (`inline`: the inbox worker process, which only works),
the jobs run on the loop's own thread instead. Handing each job to a thread and its result
back cost a quarter of that process's throughput: the two threads took turns at the GIL,
waking each other every few statements (bench/slack_ack.py, end to end: SQLite ~474 -> 611
tickets/s, PostgreSQL ~270 -> 329, although PostgreSQL's round trips no longer overlap).
"""

from __future__ import annotations

import asyncio
import itertools
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
ACK, WORK = 0, 1  # priorities: lower goes first


class _PriorityThread:
    """One thread running jobs by priority, then in the order they came."""

    def __init__(self, name: str) -> None:
        self._jobs: queue.PriorityQueue[tuple[int, int, Any]] = queue.PriorityQueue()
        self._order = itertools.count()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def submit(self, priority: int, fn: Callable[..., T], *args: Any) -> Future[T]:
        future: Future[T] = Future()
        self._jobs.put((priority, next(self._order), (future, fn, args)))
        return future

    def _run(self) -> None:
        while True:
            _, _, job = self._jobs.get()
            if job is None:
                return
            future, fn, args = job
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(fn(*args))
            except BaseException as exc:
                future.set_exception(exc)

    def shutdown(self) -> None:
        self._jobs.put((-1, -1, None))


class DbThreads:
    def __init__(self, dialect: str, name: str, threads: int = 4, inline: bool = False) -> None:
        self._inline = inline
        self._single = _PriorityThread(f"{name}-db") if dialect == "sqlite" and not inline else None
        self._pools = (
            {}
            if self._single or inline
            else {
                ACK: ThreadPoolExecutor(2, thread_name_prefix=f"{name}-ack"),
                WORK: ThreadPoolExecutor(threads, thread_name_prefix=f"{name}-work"),
            }
        )

    def run(self, priority: int, fn: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        if self._inline:  # here, now: the future is done when the caller gets it
            future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
            try:
                future.set_result(fn(*args))
            except Exception as exc:
                future.set_exception(exc)
            return future
        if self._single is not None:
            return asyncio.wrap_future(self._single.submit(priority, fn, *args))
        return asyncio.get_running_loop().run_in_executor(self._pools[priority], fn, *args)

    def shutdown(self) -> None:
        if self._single is not None:
            self._single.shutdown()
        for pool in self._pools.values():
            pool.shutdown(wait=False, cancel_futures=True)
