"""Outbox delivery to Slack: pacing per channel, measured where Slack would see it.

200 posts to 50 channels go through the real delivery loop (`bot.server.run_delivery`, the
Slack sender, slack_sdk's AsyncWebClient) to a fake Web API on 127.0.0.1 that stamps each
post's arrival. One channel answers its first post with 429 and `Retry-After: 2`. Printed
per run: posts/s, the closest two posts to one channel came (target: never under the 1-s
pacing interval), how many 429s were seen (target: exactly one) and how long after the 429
that channel's next post came (target: >= Retry-After).

    .venv/bin/python bench/delivery.py [--database-url URL] [--posts 200] [--channels 50]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import itertools

from bot.config import load_team
from bot.delivery import Pacer
from bot.server import run_delivery
from bot.slack import PACE_SECONDS, retries
from bot.slack.sender import SlackSender
from handlers.chat.model import Message, Post, Target, Text
from handlers.desk import Desk, SystemClock
from storage.db import make_engine, session_scope, upgrade

HOT = "C00000"  # the channel whose first post is rate limited
RETRY_AFTER = 2


class FakeSlack:
    def __init__(self) -> None:
        self.arrivals: dict[str, list[float]] = defaultdict(list)
        self.limited: list[tuple[str, float]] = []
        self.count = 0

    async def post(self, request: web.Request) -> web.Response:
        form = dict(await request.post()) if request.content_type != "application/json" else {}
        body = form or await request.json()
        channel = str(body["channel"])
        now = time.monotonic()
        if channel == HOT and not self.limited:
            self.limited.append((channel, now))
            return web.json_response(
                {"ok": False, "error": "ratelimited"},
                status=429,
                headers={"Retry-After": str(RETRY_AFTER)},
            )
        self.arrivals[channel].append(now)
        self.count += 1
        return web.json_response({"ok": True, "channel": channel, "ts": f"{now:.6f}"})


async def one_run(url: str, posts: int, channels: int) -> dict[str, float]:
    from slack_sdk.web.async_client import AsyncWebClient

    fake = FakeSlack()
    app = web.Application()
    app.router.add_post("/api/chat.postMessage", fake.post)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    engine = make_engine(url)
    upgrade(engine)
    config = load_team(None)
    desk = Desk(config=config, engine=engine, clock=SystemClock())
    with session_scope(engine) as session:
        for i in range(posts):
            target = Target("conversation", f"slack:T0SAMPLE:C{i % channels:05d}")
            desk.post(
                session, "slack", "slack:T0SAMPLE", Post(target, Message((Text("hi"),), "hi"))
            )
    client = AsyncWebClient(
        token="xoxb-bench",
        base_url=f"http://127.0.0.1:{port}/api/",
        retry_handlers=retries.handlers(),
    )
    sender = SlackSender(config, client)
    stop = asyncio.Event()
    started = time.monotonic()
    task = asyncio.create_task(run_delivery(desk, "slack", sender, Pacer(PACE_SECONDS), stop))
    while fake.count < posts and time.monotonic() - started < 120:
        await asyncio.sleep(0.05)
    took = time.monotonic() - started
    stop.set()
    await task
    await runner.cleanup()
    engine.dispose()

    gaps = [b - a for times in fake.arrivals.values() for a, b in itertools.pairwise(times)]
    after_429 = fake.arrivals[HOT][0] - fake.limited[0][1] if fake.limited else float("nan")
    return {
        "posts_per_s": fake.count / took,
        "min_gap": min(gaps) if gaps else float("nan"),
        "limited": len(fake.limited),
        "after_429": after_429,
        "delivered": fake.count,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url")
    parser.add_argument("--posts", type=int, default=200)
    parser.add_argument("--channels", type=int, default=50)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    results = []
    for run in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            url = args.database_url or f"sqlite:///{Path(tmp) / 'delivery.db'}"
            if args.database_url:
                _empty(url)
            result = asyncio.run(one_run(url, args.posts, args.channels))
        assert result["delivered"] == args.posts, f"run {run}: only {result['delivered']} posted"
        results.append(result)

    def line(name: str, fmt: str, unit: str) -> None:
        values = sorted(r[name] for r in results)
        shown = " / ".join(
            format(v, fmt) for v in (values[0], statistics.median(values), values[-1])
        )
        print(f"{name:<12} {shown} {unit}  (min / median / max of {len(results)} runs)")

    print(f"{args.posts} posts to {args.channels} channels, pacing {PACE_SECONDS:.1f} s/channel")
    line("posts_per_s", ".1f", "posts/s")
    line("min_gap", ".3f", f"s between two posts to one channel (target >= {PACE_SECONDS})")
    line("limited", ".0f", "429s seen (target: exactly 1)")
    line("after_429", ".2f", f"s from the 429 to that channel's next post (>= {RETRY_AFTER})")


def _empty(url: str) -> None:
    """A PostgreSQL database is reused across runs: start each from no outbox rows."""
    from sqlalchemy import text

    engine = make_engine(url)
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM outbox_message"))
    engine.dispose()


if __name__ == "__main__":
    main()
