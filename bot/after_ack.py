"""The work after acks: a fixed set of workers, a bounded queue, and the inbox table beyond.

A burst of requests costs a queue of at most QUEUE_MAX jobs, not a task per request: what
does not fit is already persisted, and a worker reads it back from the table when the queue
runs dry. While acks are in flight the work gives way (one process, one GIL: a use case
running beside the acks slows every one of them), but never stops altogether.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from typing import Any

log = logging.getLogger(__name__)
WORKERS = 16  # jobs running at once when no ack waits (they wait on the database, the network)
QUEUE_MAX = 500  # jobs held in memory; the rest wait in the inbox table
# While acks are in flight only one worker runs, resting this many times a job's length
# after it: the work gets a fiftieth of the time then, and still goes on. (bench/slack_ack.py,
# 2 cores, work in its own process: resting 4 times held the acks to 78-84 % of a minimal
# durable peer, 20 times 82 %, 50 times 86-89 %; the drain after the burst was no slower.)
REST_WHILE_ACKING = 50.0

Job = Callable[[], Coroutine[Any, Any, Any]]
# Reads persisted work not queued nor running (the keys given), as jobs; [] when none is left.
Waiting = Callable[[set[str]], Awaitable[list[tuple[str, Job]]]]


class AfterAck:
    def __init__(self, source: str, running: set[str], waiting: Waiting) -> None:
        self.source = source
        self.running = running  # keys in progress (shared with the inbox's recovery)
        self.waiting = waiting
        self._jobs: deque[tuple[str, Job]] = deque()
        self._queued: set[str] = set()
        self._overflow = False  # acked work that did not fit the queue waits in the table
        self._wake: asyncio.Event | None = None
        self._workers: list[asyncio.Task[None]] = []
        self._stopping = False
        self._acking = 0  # requests being acknowledged right now
        self._acks_idle: asyncio.Event | None = None
        # (the inbox worker process) the acking process's count, in memory both share
        self.shared_acks: Any = None
        # (the inbox worker process) set while its workers wait for a nudge; the acking
        # process nudges only then (see `_work`), in memory both share
        self.waiting_flag: Any = None
        self._arrived: asyncio.Event | None = None  # work came: `follow` looks again
        self.rest = REST_WHILE_ACKING  # (several worker processes: each rests longer)

    @property
    def workers(self) -> list[asyncio.Task[None]]:
        return self._workers

    @property
    def busy(self) -> bool:
        """Jobs wait in the queue or the table."""
        return bool(self._jobs) or self._overflow

    @property
    def queued(self) -> set[str]:
        return self._queued

    def add(self, key: str, job: Job) -> None:
        if len(self._jobs) >= QUEUE_MAX or self._stopping:
            self._overflow = True
        else:
            self._jobs.append((key, job))
            self._queued.add(key)
        self._start()

    def poke(self) -> None:
        """Work waits in the table (written by another process): read it."""
        if not self._stopping:
            self._overflow = True
            self._start()

    def _start(self) -> None:
        if self._arrived is not None:
            self._arrived.set()
        if self._wake is None:
            self._wake = asyncio.Event()
            self._workers = [asyncio.create_task(self._work(n == 0)) for n in range(WORKERS)]
        self._wake.set()

    @contextlib.contextmanager
    def acking(self) -> Iterator[None]:
        """Around an ack: the work gives way while any is in flight."""
        if self._acks_idle is None:
            self._acks_idle = asyncio.Event()
        self._acking += 1
        self._acks_idle.clear()
        if self.shared_acks is not None:
            self.shared_acks.value += 1
        try:
            yield
        finally:
            self._acking -= 1
            if self.shared_acks is not None:
                self.shared_acks.value -= 1
            if not self._acking:
                self._acks_idle.set()

    @property
    def idle(self) -> bool:
        """No work queued, waiting in the table, or running."""
        return not (self._jobs or self._overflow or self.running)

    async def follow(self, acks: Any, every: float) -> None:
        """In the inbox worker process: give way while the acking process (whose count of
        acks in flight is `acks`, in shared memory) is acknowledging, as if here. Idle, it
        does not look (an idle worker looking every few ms cost ~1 % of a core)."""
        inside: contextlib.AbstractContextManager[None] | None = None
        if self._arrived is None:
            self._arrived = asyncio.Event()
        try:
            while True:
                if self.idle:
                    if inside is not None:
                        inside.__exit__(None, None, None)
                        inside = None
                    self._arrived.clear()
                    await self._arrived.wait()  # set when work arrives (`_start`)
                    continue
                if acks.value > 0 and inside is None:
                    inside = self.acking()
                    inside.__enter__()
                elif acks.value <= 0 and inside is not None:
                    inside.__exit__(None, None, None)
                    inside = None
                await asyncio.sleep(every)
        finally:
            if inside is not None:
                inside.__exit__(None, None, None)

    async def _work(self, first: bool) -> None:
        assert self._wake is not None
        while not self._stopping or self._jobs:  # at a stop, the queue still drains
            if self._acking and not first and not self._stopping:
                assert self._acks_idle is not None
                await self._acks_idle.wait()
            elif self._jobs:
                await self._run(*self._jobs.popleft())
            elif self._overflow and not self._stopping:
                self._overflow = False  # one worker reads; acks meanwhile set it again
                try:
                    for key, job in await self.waiting(self._queued | self.running):
                        if key not in self._queued and key not in self.running:
                            self._jobs.append((key, job))
                            self._queued.add(key)
                            self._overflow = True  # found some: more may wait
                except Exception:
                    log.exception("%s: reading waiting work", self.source)
            elif not self._stopping:
                if self.waiting_flag is not None and not self.waiting_flag.value:
                    # From now on the acking process nudges. One more read of the table
                    # first: a row it wrote before it saw the flag is found by this read.
                    self.waiting_flag.value = 1
                    self._overflow = True
                    continue
                self._wake.clear()
                await self._wake.wait()

    async def _run(self, key: str, job: Job) -> None:
        self._queued.discard(key)
        self.running.add(key)  # recovery and the overflow read skip it
        started = time.monotonic()
        try:
            await job()
        except Exception:
            log.exception("%s %s: work after the ack failed", self.source, key)
        finally:
            self.running.discard(key)
        # Resting, or at least one turn of the loop: a job whose database work runs on the
        # loop's thread (bot.db_threads, `inline`) and that sends nothing awaits nothing.
        acking = self._acking and not self._stopping
        await asyncio.sleep((time.monotonic() - started) * self.rest if acking else 0)

    def stop(self) -> None:
        """Take no new jobs and read no more from the table; the workers finish the queue
        and end (what the caller's time limit cuts off is recovered at the next start)."""
        self._stopping = True
        for event in (self._wake, self._acks_idle):
            if event is not None:
                event.set()
