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

The child is forked at the start of `deskbot serve`, before any thread or connection exists
(so it shares no socket with the parent), and dies with its parent. A byte on a pipe tells
it that new work waits, sent only while the child waits for one (a flag in shared memory:
a busy child reads the table again by itself); it also reads the table every POLL_SECONDS,
so a lost nudge costs a delay, never a request.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import multiprocessing
import os
import signal
from collections.abc import AsyncIterator
from typing import Any

from bot.config import Settings
from handlers.desk import Desk

log = logging.getLogger(__name__)
POLL_SECONDS = 1.0
WATCH_SECONDS = 1.0
FOLLOW = 0.005  # seconds between two looks at the parent's acks in flight
STOP_SECONDS = 15.0  # the child drains for bot.inbox.DRAIN_SECONDS, then is killed
_PR_SET_PDEATHSIG = 1


class WorkerProcess:
    """The parent's handle: nudge it, stop it."""

    def __init__(
        self, process: multiprocessing.process.BaseProcess, pipe: int, acks: Any, waiting: Any
    ) -> None:
        self.process = process
        self._pipe = pipe
        self.acks = acks  # acks in flight in the parent, read by the child (shared memory)
        self.waiting = waiting  # set by the child while it waits for a nudge (shared memory)
        self._nudged = False
        self.died = False

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

    async def watching(self) -> AsyncIterator[None]:
        """For the server's cleanup context: a worker that dies leaves the acked work
        undone, so the server stops too (SIGTERM to itself) and its supervisor restarts both;
        the work waits in the table meanwhile."""

        async def watch() -> None:
            while self.process.is_alive():
                await asyncio.sleep(WATCH_SECONDS)
            self.died = True
            log.critical("slack inbox worker exited (%s); stopping", self.process.exitcode)
            os.kill(os.getpid(), signal.SIGTERM)

        task = asyncio.create_task(watch())
        yield
        task.cancel()

    def stop(self, timeout: float = STOP_SECONDS) -> None:
        """SIGTERM: the child finishes its work in progress (bounded), the rest waits in the
        table for the next start."""
        with contextlib.suppress(OSError):
            os.close(self._pipe)
        if self.process.is_alive():
            self.process.terminate()
        self.process.join(timeout)
        if self.process.is_alive():
            log.warning("slack inbox worker did not stop in %.0f s; killed", timeout)
            self.process.kill()
            self.process.join()


def start(settings: Settings, desk: Desk) -> WorkerProcess:
    """Fork the worker (after the parent built the schema, before any thread starts)."""
    desk.engine.dispose()  # no pooled connection crosses the fork
    read_end, write_end = os.pipe()
    os.set_blocking(write_end, False)
    context = multiprocessing.get_context("fork")
    acks = context.Value("i", 0, lock=False)  # written by the parent's event loop only
    # 1 while the child waits for a nudge: set by the child, cleared by the parent's nudge
    waiting = context.Value("b", 1, lock=False)
    process = context.Process(
        target=_main,
        args=(settings, read_end, write_end, acks, waiting),
        name="deskbot-inbox-worker",
    )
    process.start()
    os.close(read_end)
    log.info("slack: work after the acks runs in process %s", process.pid)
    return WorkerProcess(process, write_end, acks, waiting)


def _main(settings: Settings, read_end: int, write_end: int, acks: Any, waiting: Any) -> None:
    os.close(write_end)
    with contextlib.suppress(OSError, AttributeError):  # Linux: die when the parent dies
        ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    asyncio.run(run(settings, read_end, acks, waiting))


async def run(settings: Settings, nudges: int, acks: Any = None, waiting: Any = None) -> None:
    """The child's life: Slack's inbox in role "work" until SIGTERM or the parent's end."""
    from bot import rooms
    from bot.app import build_desk
    from bot.slack import SlackRuntime

    desk = build_desk(settings)
    rooms.install(settings, desk)  # huddle links from the platform services
    runtime = SlackRuntime(settings, desk, role="work")
    runtime.inbox.after_ack.waiting_flag = waiting
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
