"""Slack's work after the acks in a process of its own, beside `deskbot serve`.

One process has one GIL: a use case running beside the acks slowed every ack (bench
`slack_ack.py`: the after-ack work held the acks to ~40 % of a minimal durable peer). So
the serving process only persists and acknowledges (its inbox's role "ack", see bot.inbox);
this child takes the work from the inbox table (a compare-and-set on the row's lease, so a
restart or a second replica never runs a row twice at once), runs it, answers the asker, and
recovers what a stopped process left. While the parent has acks in flight (a count in
shared memory) the work gives way as it did beside the acks (bot.after_ack: one job at a
time, resting), so it holds neither the cores nor the database from the acks; what waits,
waits in the table, bounded in memory by the queue of bot.after_ack, not by the burst.
(A lower CPU priority, tried first, did not keep the work's database load from the acks
and slowed the drain on a busy machine.)

The children (one on SQLite, two on PostgreSQL: `processes`) are forked at the start of
`deskbot serve`, before any thread or connection exists (so they share no socket with the
parent), and die with their parent. A byte on a pipe tells a child that new work waits, sent
only while it waits for one (a flag in shared memory: a busy child reads the table again by
itself); each also reads the table every POLL_SECONDS, so a lost nudge costs a delay, never
a request. Several children take different rows: the lease decides.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import multiprocessing
import os
import signal
import time
from collections.abc import AsyncIterator
from typing import Any

from bot.config import Settings
from handlers.desk import Desk

log = logging.getLogger(__name__)
POLL_SECONDS = 1.0
WATCH_SECONDS = 1.0
FOLLOW = 0.005  # seconds between two looks at the parent's acks in flight
# Worker processes on PostgreSQL (at most one a core): one runs its requests one after the
# other (bot.db_threads, `inline`), so a second overlaps their round trips (bench/slack_ack.py
# end to end, one run each: 329 -> 409 tickets/s). On SQLite, one: its single writer made a
# second one no faster (611-636 -> 623) for ~60 MB more.
POSTGRES_PROCESSES = 2
STOP_SECONDS = 15.0  # the child drains for bot.inbox.DRAIN_SECONDS, then is killed
_PR_SET_PDEATHSIG = 1


class WorkerProcess:
    """One worker process, from the parent: nudge it, stop it."""

    def __init__(
        self, process: multiprocessing.process.BaseProcess, pipe: int, waiting: Any
    ) -> None:
        self.process = process
        self._pipe = pipe
        self.waiting = waiting  # set by the child while it waits for a nudge (shared memory)
        self._nudged = False

    @property
    def pid(self) -> int | None:
        return self.process.pid

    def nudge(self) -> None:
        """Work waits in the table: one byte, only when the child waits for one. A busy
        child reads the table again by itself, and a write per request during a burst held
        the acks back (each write gives up the GIL and waits to take it back)."""
        if self.waiting.value and not self._nudged:
            self.waiting.value = 0
            self._nudged = True
            asyncio.get_running_loop().call_soon(self._send)

    def _send(self) -> None:
        self._nudged = False
        try:
            os.write(self._pipe, b"\0")
        except BlockingIOError:  # the pipe is full of nudges not yet read: one is enough
            pass
        except OSError:
            log.exception("slack inbox worker: could not nudge (it reads the table anyway)")

    def terminate(self) -> None:
        """SIGTERM: the child finishes its work in progress (bounded), the rest waits in the
        table for the next start."""
        with contextlib.suppress(OSError):
            os.close(self._pipe)
        if self.process.is_alive():
            self.process.terminate()


class WorkerProcesses:
    """The parent's handle on its worker processes: nudge them, watch them, stop them."""

    def __init__(self, children: list[WorkerProcess], acks: Any) -> None:
        self.children = children
        self.acks = acks  # acks in flight in the parent, read by every child (shared memory)
        self.died = False

    def nudge(self) -> None:
        for child in self.children:  # those waiting: each reads the next rows nobody took
            child.nudge()

    async def watching(self) -> AsyncIterator[None]:
        """For the server's cleanup context: a worker that dies leaves the acked work
        undone, so the server stops too (SIGTERM to itself) and its supervisor restarts all;
        the work waits in the table meanwhile."""

        async def watch() -> None:
            while all(child.process.is_alive() for child in self.children):
                await asyncio.sleep(WATCH_SECONDS)
            self.died = True
            codes = [child.process.exitcode for child in self.children]
            log.critical("slack inbox worker exited (%s); stopping", codes)
            os.kill(os.getpid(), signal.SIGTERM)

        task = asyncio.create_task(watch())
        yield
        task.cancel()

    def stop(self, timeout: float = STOP_SECONDS) -> None:
        """Every child drains at once; all of them within `timeout`, then killed."""
        for child in self.children:
            child.terminate()
        deadline = time.monotonic() + timeout
        for child in self.children:
            child.process.join(max(0.0, deadline - time.monotonic()))
            if child.process.is_alive():
                log.warning("slack inbox worker did not stop in %.0f s; killed", timeout)
                child.process.kill()
                child.process.join()


def processes(desk: Desk) -> int:
    if desk.engine.dialect.name != "postgresql":
        return 1
    return max(1, min(POSTGRES_PROCESSES, os.cpu_count() or 1))


def start(settings: Settings, desk: Desk, count: int | None = None) -> WorkerProcesses:
    """Fork the workers (after the parent built the schema, before any thread starts)."""
    count = count or processes(desk)
    desk.engine.dispose()  # no pooled connection crosses the fork
    context = multiprocessing.get_context("fork")
    acks = context.Value("i", 0, lock=False)  # written by the parent's event loop only
    children = []
    for _ in range(count):
        read_end, write_end = os.pipe()
        os.set_blocking(write_end, False)
        # 1 while the child waits for a nudge: set by the child, cleared by the parent's nudge
        waiting = context.Value("b", 1, lock=False)
        process = context.Process(
            target=_main,
            args=(settings, read_end, write_end, acks, waiting, count),
            name="deskbot-inbox-worker",
        )
        process.start()
        os.close(read_end)
        children.append(WorkerProcess(process, write_end, waiting))
    pids = ", ".join(str(child.pid) for child in children)
    log.info("slack: work after the acks runs in process %s", pids)
    return WorkerProcesses(children, acks)


def _main(
    settings: Settings, read_end: int, write_end: int, acks: Any, waiting: Any, count: int
) -> None:
    os.close(write_end)
    with contextlib.suppress(OSError, AttributeError):  # Linux: die when the parent dies
        ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    asyncio.run(run(settings, read_end, acks, waiting, count))


async def run(
    settings: Settings, nudges: int, acks: Any = None, waiting: Any = None, count: int = 1
) -> None:
    """The child's life: Slack's inbox in role "work" until SIGTERM or the parent's end;
    one of `count` worker processes."""
    from bot import rooms
    from bot.app import build_desk
    from bot.slack import SlackRuntime

    desk = build_desk(settings)
    rooms.install(settings, desk)  # huddle links from the platform services
    runtime = SlackRuntime(settings, desk, role="work")
    runtime.inbox.after_ack.waiting_flag = waiting
    runtime.inbox.after_ack.rest *= count  # together, as much work beside the acks as one
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    def readable() -> None:
        try:
            data = os.read(nudges, 4096)
        except BlockingIOError:
            return
        if data:
            runtime.inbox.poke()
        else:  # the parent closed its end: it is stopping
            loop.remove_reader(nudges)
            stop.set()

    os.set_blocking(nudges, False)
    loop.add_reader(nudges, readable)

    async def poll() -> None:
        while True:
            runtime.inbox.poke()
            await asyncio.sleep(POLL_SECONDS)

    life = runtime.worker_lifetime()
    await anext(life)
    background = [asyncio.create_task(poll())]
    if acks is not None:  # the work gives way while the parent acks (its database too)
        background.append(asyncio.create_task(runtime.inbox.after_ack.follow(acks, FOLLOW)))
    await stop.wait()
    for task in background:
        task.cancel()
    with contextlib.suppress(StopAsyncIteration):
        await anext(life)
