"""`deskbot serve` memory on a big database: idle with its scheduler, then after a few reads.

Target (issue 16): VmHWM < 200 MB idle with 1 M tickets, on SQLite and PostgreSQL. Starts
the server as `bench/slack_ack.py` does (Slack's side a local fake), lets it run its startup
and a few scheduler ticks (the response clocks tick every 15 s; the first ones on a fresh
database re-evaluate every open ticket), reads VmHWM/VmRSS, then sends `/queue`, `/queue all`
and `/kpi month` through signed requests and reads them again.

    .venv/bin/python bench/serve_memory.py DATABASE_URL [--idle 45]

The database must already hold the data set (`bench/dataset.py` fill, or `bench/scale.py`).
Its years-overdue open tickets are first brought to a quiet state as `bench/clock_tick.py`
does (every stage due by now claimed as skipped), so "idle" is not a 100 k-post catch-up.
"""

from __future__ import annotations

import argparse
import asyncio
import time

import aiohttp
import clock_tick
from slack_ack import _free_port, _healthy, _signed, _start, memories

from bot.config import load_team
from handlers.desk import Desk, SystemClock
from storage.db import make_engine, upgrade


async def command(port: int, name: str, text: str, response_url: str) -> float:
    body, headers = _signed(
        {
            "team_id": "T0SAMPLE",
            "channel_id": "C0QUEUE",
            "user_id": "U0GRACE",
            "user_name": "grace",
            "command": name,
            "text": text,
            "response_url": response_url,
            "trigger_id": f"mem.{time.time_ns()}",
        }
    )
    start = time.perf_counter()
    url = f"http://127.0.0.1:{port}/slack/events"
    async with aiohttp.ClientSession() as session, session.post(url, data=body, headers=headers):
        return time.perf_counter() - start


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database_url")
    parser.add_argument("--idle", type=float, default=45.0, help="seconds left idle")
    args = parser.parse_args()
    engine = make_engine(args.database_url)
    upgrade(engine)
    desk = Desk(config=load_team(None), engine=engine, clock=SystemClock())
    clock_tick.quiet(desk, desk.now())
    engine.dispose()
    fake_port, port = _free_port(), _free_port()
    fake = _start(["fake", str(fake_port)])
    api_url = f"http://127.0.0.1:{fake_port}/api/"
    server = _start(["deskbot", str(port), api_url, args.database_url, "on"])
    try:
        await _healthy(fake_port)
        await _healthy(port)
        print(f"started: {memories(server.pid)}")
        await asyncio.sleep(args.idle)  # a benchmark, not a test: the real scheduler runs
        print(f"idle {args.idle:.0f} s: {memories(server.pid)} (target < 200 MB)")
        response_url = f"http://127.0.0.1:{fake_port}/response"
        for name, text in (("/queue", ""), ("/queue", "all"), ("/kpi", "month")):
            await command(port, name, text, response_url)
        await asyncio.sleep(5)  # the answers are after-ack work
        print(f"after /queue, /queue all, /kpi month: {memories(server.pid)}")
    finally:
        for proc in (server, fake):
            proc.terminate()
            proc.wait()


if __name__ == "__main__":
    asyncio.run(main())
