"""`/ticket new` as the Slack inbox worker runs it, on SQLite (or DATABASE_URL), no HTTP.

COUNT command items are persisted untaken, as the acking process leaves them (not timed);
then an `Inbox` of role "work" takes them from the table, runs each in its `Unit` (the
ticket, the done mark and the stored answer in one commit), answers (a no-op) and marks
them answered. Timed: from the nudge until every request is answered and marked. Three
runs, each on a fresh SQLite file.

    .venv/bin/python bench/inbox_tickets.py [COUNT] [DATABASE_URL]
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import Engine, func, select

from bot.config import load_team
from bot.inbox import Inbox
from bot.work_items import Command, WorkItem
from handlers.chat.model import Reply
from handlers.desk import Desk, SystemClock
from storage import inbound
from storage.db import make_engine, upgrade
from storage.models import InboundEvent, Ticket

RUNS = 3
SOURCE = "slack"
PERSIST_BATCH = 200  # as the acking process writes a burst


def _persist(desk: Desk, count: int, run: str) -> None:
    categories = ["#network", "#system", "#application"]
    items = [
        (
            f"command:bench-{run}-{i}",  # new keys each run (a database given is reused)
            Command(
                platform="slack",
                workspace="T1",
                user="U1",
                channel="C1",
                person="lee",
                text=f"ticket new Printer {i} jams {categories[i % 3]} p{1 + i % 4} via:phone",
                via={"response_url": f"http://127.0.0.1:9/{i}"},
            ).to_json(),
            False,  # left untaken for the worker
        )
        for i in range(count)
    ]
    for start in range(0, count, PERSIST_BATCH):
        with desk.engine.begin() as conn:
            inbound.claim_many(conn, SOURCE, items[start : start + PERSIST_BATCH], desk.now())


def _counts(engine: Engine) -> tuple[int, int]:
    """Tickets logged, requests answered and marked."""
    with engine.connect() as conn:
        tickets = conn.scalar(select(func.count()).select_from(Ticket))
        marked = conn.scalar(
            select(func.count()).where(InboundEvent.answered_at.is_not(None))  # type: ignore[union-attr]
        )
    return tickets or 0, marked or 0


async def _work(desk: Desk, count: int) -> None:
    answered = 0
    refused: list[Reply] = []
    all_answered = asyncio.Event()

    async def answer(_item: WorkItem, reply: Reply, _live: bool) -> None:
        nonlocal answered
        answered += 1
        if not reply.ok:
            refused.append(reply)
        if answered == count:
            all_answered.set()

    inbox = Inbox(desk, SOURCE, answer, role="work")
    inbox.poke()
    await all_answered.wait()
    await inbox.drain(60)  # the answered marks still lingering are written
    inbox.close()
    assert not refused, f"{len(refused)} refused, the first: {refused[0]}"


def once(count: int, url: str | None) -> tuple[float, float]:
    """Seconds (wall, CPU of every thread) for the worker to finish `count` requests."""
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(url or f"sqlite:///{Path(tmp) / 'bench.db'}")
        upgrade(engine)
        desk = Desk(config=load_team(None), engine=engine, clock=SystemClock())
        _persist(desk, count, f"{time.time_ns()}")
        before = _counts(engine)
        start, cpu = time.perf_counter(), time.process_time()
        asyncio.run(_work(desk, count))
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        after = _counts(engine)
        assert (after[0] - before[0], after[1] - before[1]) == (count, count), (before, after)
        engine.dispose()
    return elapsed, cpu


def spread(values: list[float], scale: float = 1.0) -> str:
    low, mid, high = min(values), statistics.median(values), max(values)
    return f"{low * scale:.2f} / {mid * scale:.2f} / {high * scale:.2f}"


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 3_000
    url = sys.argv[2] if len(sys.argv) > 2 else None
    runs = [once(count, url) for _ in range(RUNS)]
    walls, cpus = [r[0] for r in runs], [r[1] for r in runs]
    print(f"{count} `/ticket new` through the inbox worker, min / median / max of {RUNS} runs:")
    print(f"  wall {spread(walls)} s; CPU {spread(cpus)} s")
    per = 1000 / count
    print(f"  per ticket: wall {spread(walls, per)} ms; CPU {spread(cpus, per)} ms")


if __name__ == "__main__":
    main()
