"""Slack's work after the acks in the inbox worker process (bot.inbox_worker): the serving
process persists and acks only; the worker takes the work from the table and answers each
request once, however many workers (replicas) read at the same time; a worker that dies
stops `deskbot serve`, so its supervisor restarts both."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot import after_ack, inbox_worker
from bot.slack import SlackRuntime
from handlers.desk import Desk, ManualClock
from tests.serve_process import BOOT, Served
from tests.slack.conftest import Counted, SlackServer
from tests.slack.fake_slack import FakeSlack
from tests.slack.test_slack_interactivity import _submission


class Shared:
    value = 0


class Nudges:
    """Stands in for the worker process's handle in the serving process."""

    def __init__(self) -> None:
        self.count = 0
        self.acks = Shared()  # acks in flight, as the worker process would read them

    def nudge(self) -> None:
        self.count += 1

    async def watching(self) -> AsyncIterator[None]:
        yield


@pytest.fixture
async def acking(
    desk: Desk, clock: ManualClock, fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[SlackServer, Nudges]]:
    monkeypatch.setattr("bot.server.POLL_SECONDS", 0.02)
    fake_slack.clock = clock
    nudges = Nudges()
    server = SlackServer(desk, clock, fake_slack, worker=nudges)
    await server.start()
    yield server, nudges
    await server.stop()


@contextlib.asynccontextmanager
async def working(server: SlackServer, count: int) -> AsyncIterator[list[SlackRuntime]]:
    """`count` worker processes' runtimes (in this process: the same code and table)."""
    runtimes = [SlackRuntime(server.settings, server.desk, role="work") for _ in range(count)]
    lives = [runtime.worker_lifetime() for runtime in runtimes]
    for life in lives:
        await anext(life)
    try:
        yield runtimes
    finally:
        for life in lives:
            with contextlib.suppress(StopAsyncIteration):
                await anext(life)


async def test_acked_work_waits_in_the_table_for_the_worker_process(
    acking: tuple[SlackServer, Nudges],
) -> None:
    server, nudges = acking
    statuses = await asyncio.gather(
        *(server.command("/ticket", f"new Printer {n} jams") for n in range(12))
    )
    assert [status for status, _ in statuses] == [200] * 12
    assert nudges.count >= 1
    waiting = server.unfinished()
    assert len(waiting) == 12 and all(row.taken_at is None for row in waiting)
    await asyncio.sleep(0.1)  # (a real pause: nothing in this process may run the work)
    assert server.tickets() == [] and server.fake.responses() == []

    async with working(server, 2) as workers:  # two replicas' workers read at once
        for worker in workers:
            worker.inbox.poke()
        await server.until(lambda: not server.unfinished(), "the work to be done")
        await server.until(lambda: len(server.fake.responses()) >= 12, "the answers")
    assert len(server.fake.responses()) == 12  # none answered twice
    summaries = sorted(t.summary for t in server.tickets())
    assert summaries == sorted(f"Printer {n} jams" for n in range(12))


async def test_a_form_submission_still_runs_before_its_ack(
    acking: tuple[SlackServer, Nudges],
) -> None:
    """Work that is not the plain run (a modal's inline errors travel in its ack) is taken
    and run by the serving process itself, never left to the worker."""
    server, _ = acking
    await server.command("/ticket", "new")  # no text: the worker opens the form
    async with working(server, 1) as workers:
        workers[0].inbox.poke()
        call = await server.until(lambda: server.fake.of("views.open"), "the form")
        status, body = await server.interact(_submission(call[0].params["view"], {}))
    assert status == 200
    assert json.loads(body)["response_action"] == "errors"  # checked before the ack
    assert server.unfinished() == []  # the serving process took and finished it


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


async def test_serve_stops_when_its_worker_process_dies(served: Served) -> None:
    import os
    import signal

    await served.start()
    assert served.process is not None
    workers = _children(served.process.pid)
    postgres = served.env["DESKBOT_DATABASE_URL"].startswith("postgresql")
    assert len(workers) == (2 if postgres and (os.cpu_count() or 1) > 1 else 1)
    os.kill(workers[-1], signal.SIGKILL)  # one of them: the server stops all
    deadline = time.monotonic() + BOOT
    while served.process.poll() is None:
        assert time.monotonic() < deadline, "deskbot serve went on without its worker"
        await asyncio.sleep(0.05)
    assert served.process.returncode == 1
    served.process = None


async def test_the_worker_gives_way_while_the_acking_process_acks() -> None:
    """The count of acks in flight lives in memory both processes share; the worker
    follows it as if the acks were its own (bot.after_ack)."""
    counted = Counted()
    acks = Shared()
    acks.value = 3  # the parent is acknowledging three requests
    work = after_ack.AfterAck("test", set(), counted.nothing_waiting)
    following = asyncio.create_task(work.follow(acks, 0))
    await asyncio.sleep(0)
    for n in range(10):
        work.add(f"k{n}", counted.job)
    for _ in range(50):
        await asyncio.sleep(0)
    assert counted.most == 1 and counted.done >= 1  # one job at a time beside the acks, never none
    acks.value = 0
    deadline = time.monotonic() + 5
    while counted.done < 10:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.001)
    assert counted.most > 1
    following.cancel()
    work.stop()
    await asyncio.gather(*work.workers)


async def test_the_acking_process_nudges_only_a_waiting_worker() -> None:
    """One byte on the pipe when the worker waits for one, none while it is busy: a write
    per request held the acks back during a burst."""
    read_end, write_end = os.pipe()
    os.set_blocking(read_end, False)
    waiting = Shared()
    handle = inbox_worker.WorkerProcess(None, write_end, waiting)  # type: ignore[arg-type]
    try:
        handle.nudge()  # busy (the flag is down): nothing sent
        await asyncio.sleep(0)
        with pytest.raises(BlockingIOError):
            os.read(read_end, 16)
        waiting.value = 1
        for _ in range(3):  # a burst of writes while it waits: one nudge, and the flag down
            handle.nudge()
            await asyncio.sleep(0)
        assert os.read(read_end, 16) == b"\0"
        assert waiting.value == 0
    finally:
        os.close(read_end)
        os.close(write_end)


async def test_a_worker_going_to_wait_reads_the_table_once_more() -> None:
    """A row written while the worker was busy (no nudge sent) and found by no read yet is
    still run: the worker raises its flag, then reads once more before it waits."""
    counted = Counted()
    table: list[str] = []
    flags: list[int] = []
    waiting = Shared()

    async def read(skip: set[str]) -> list[tuple[str, after_ack.Job]]:
        flags.append(waiting.value)
        found = [(key, counted.job) for key in table if key not in skip]
        table.clear()
        if len(flags) == 1:  # written just after this read, by a parent that saw no flag
            table.append("late")
        return found

    work = after_ack.AfterAck("test", set(), read)
    work.waiting_flag = waiting
    work.poke()
    deadline = time.monotonic() + 5
    while counted.done < 1:
        assert time.monotonic() < deadline, "the row written without a nudge was never run"
        await asyncio.sleep(0.001)
    for _ in range(20):
        await asyncio.sleep(0)
    assert waiting.value == 1  # waits for a nudge now
    assert flags[0] == 0 and flags[-1] == 1  # the last read came after the flag went up
    work.stop()
    await asyncio.gather(*work.workers)


async def test_jobs_that_await_nothing_still_let_the_loop_run() -> None:
    """In the worker process a job's database work runs on the loop's thread: a backlog of
    jobs that send nothing must not hold the loop (a stop signal, a nudge) until it drains."""
    done: list[int] = []
    seen_at: list[int] = []

    async def quiet() -> None:  # awaits nothing, like a run whose reply sends nothing
        done.append(1)

    work = after_ack.AfterAck("test", set(), Counted.nothing_waiting)
    for n in range(200):
        work.add(f"k{n}", quiet)

    async def other() -> None:
        while len(done) < 200:
            seen_at.append(len(done))
            await asyncio.sleep(0)

    await asyncio.wait_for(other(), 5)
    assert len(seen_at) > 10 and seen_at[1] < 200  # it ran while the backlog drained
    work.stop()
    await asyncio.gather(*work.workers)


def test_postgresql_gets_two_worker_processes_sqlite_one(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL runs the work of two processes at once; SQLite's one writer would not."""
    postgres = desk.engine.dialect.name == "postgresql"
    assert inbox_worker.processes(desk) == (2 if postgres else 1)
    monkeypatch.setattr(os, "cpu_count", lambda: 1)  # never more processes than cores
    assert inbox_worker.processes(desk) == 1


async def test_each_waiting_worker_is_nudged_once() -> None:
    pipes = [os.pipe(), os.pipe()]
    flags = [Shared(), Shared()]
    flags[0].value = 1  # the first waits for a nudge, the second is busy
    children = [
        inbox_worker.WorkerProcess(None, write_end, flag)  # type: ignore[arg-type]
        for (_, write_end), flag in zip(pipes, flags, strict=True)
    ]
    handle = inbox_worker.WorkerProcesses(children, Shared())
    try:
        for read_end, _ in pipes:
            os.set_blocking(read_end, False)
        handle.nudge()
        handle.nudge()
        await asyncio.sleep(0)
        assert os.read(pipes[0][0], 16) == b"\0"
        with pytest.raises(BlockingIOError):
            os.read(pipes[1][0], 16)
    finally:
        for read_end, write_end in pipes:
            os.close(read_end)
            os.close(write_end)
