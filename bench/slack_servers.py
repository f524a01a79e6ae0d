"""The servers `bench/slack_ack.py` drives, each run in a process of its own.

    bare     slack-bolt acking a no-op: the stack's own ceiling.
    peer     the minimal durable peer: the same stack, and one writer thread that batches the
             inserts of concurrent requests into one SQLite transaction before the ack.
    deskbot  `deskbot serve` as the CLI builds it (scheduler included), Slack only.
    fake     Slack's side: the Web API and the response URLs, counting what arrives.

Started as `python bench/slack_servers.py NAME PORT [ARGS]`.
"""

from __future__ import annotations

import asyncio
import json
import os
import queue
import sqlite3
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web

SECRET = "bench-secret"
TOKEN = "xoxb-bench"


def _bolt_server(port: int, listener: Callable[..., Awaitable[Any]]) -> None:
    """aiohttp + slack_sdk's signature check + bolt's AsyncApp, mounted the way deskbot
    mounts it, with `listener` for /ticket and /queue."""
    from slack_bolt.adapter.aiohttp import to_aiohttp_response
    from slack_bolt.async_app import AsyncApp
    from slack_bolt.authorization import AuthorizeResult
    from slack_bolt.request.async_request import AsyncBoltRequest
    from slack_sdk.signature import SignatureVerifier

    from bot.server import tune_runtime

    async def authorize(enterprise_id, team_id, user_id):  # type: ignore[no-untyped-def]
        return AuthorizeResult(
            enterprise_id=enterprise_id, team_id=team_id, bot_token=TOKEN, bot_user_id="U0BOT"
        )

    bolt = AsyncApp(
        signing_secret=SECRET,
        authorize=authorize,
        process_before_response=True,
        request_verification_enabled=False,
    )
    bolt.command("/ticket")(listener)
    bolt.command("/queue")(listener)
    verifier = SignatureVerifier(SECRET)

    async def handle(request: web.Request) -> web.StreamResponse:
        body = await request.read()
        headers = dict(request.headers.items())
        if not verifier.is_valid_request(body, headers):
            return web.json_response({"error": "invalid signature"}, status=401)
        req = AsyncBoltRequest(body=body.decode(), query=request.query_string, headers=headers)
        return await to_aiohttp_response(await bolt.async_dispatch(req))

    async def healthz(_request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/slack/events", handle)
    app.router.add_get("/healthz", healthz)
    tune_runtime()  # the same process settings as deskbot's server
    web.run_app(app, host="127.0.0.1", port=port, print=None)


def serve_bare(port: int) -> None:
    async def noop(ack):  # type: ignore[no-untyped-def]
        await ack()

    _bolt_server(port, noop)


class Writer:
    """One thread; every insert that arrived while the last transaction ran goes in the next."""

    def __init__(self, path: str) -> None:
        self.db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")  # deskbot's SQLite setting too
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS request (id INTEGER PRIMARY KEY, key TEXT UNIQUE,"
            " payload TEXT, received_at REAL)"
        )
        self.jobs: queue.SimpleQueue[tuple[tuple[str, str], asyncio.Future[None]]] = (
            queue.SimpleQueue()
        )
        threading.Thread(target=self._run, daemon=True).start()

    def write(self, key: str, payload: str) -> asyncio.Future[None]:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.jobs.put(((key, payload), future))
        return future

    def _run(self) -> None:
        while True:
            batch = [self.jobs.get()]
            while len(batch) < 200:
                try:
                    batch.append(self.jobs.get_nowait())
                except queue.Empty:
                    break
            now = time.time()
            self.db.execute("BEGIN")
            self.db.executemany(
                "INSERT OR IGNORE INTO request (key, payload, received_at) VALUES (?, ?, ?)",
                [(key, payload, now) for (key, payload), _ in batch],
            )
            self.db.execute("COMMIT")
            for _, future in batch:
                future.get_loop().call_soon_threadsafe(_done, future)


def _done(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def serve_peer(port: int, path: str) -> None:
    writer = Writer(path)

    async def durable(ack, body):  # type: ignore[no-untyped-def]
        await writer.write(body["trigger_id"], json.dumps(body))
        await ack()

    _bolt_server(port, durable)


def serve_deskbot(
    port: int, api_url: str, database_url: str, scheduler: str = "on", work: str = "serve"
) -> None:
    """`work`: "serve" or "process", as `deskbot serve` runs (Slack's work after the acks
    in a worker process, bot.inbox_worker); "in-process": on a fixed set of workers beside
    the acks (the design before)."""
    os.environ.update(
        SLACK_BOT_TOKEN=TOKEN,
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=api_url,
        DESKBOT_DATABASE_URL=database_url,
    )
    from bot import inbox_worker
    from bot.app import build_desk
    from bot.config import Settings
    from bot.server import build_app, platforms_from, tune_runtime

    settings = Settings()
    desk = build_desk(settings, serving=True)
    worker = inbox_worker.start(settings, desk) if work in ("serve", "process") else None
    _snapshots_on_signal(os.environ.get("DESKBOT_BENCH_TRACEMALLOC"))  # the server only
    slack = [p for p in platforms_from(settings, desk, worker) if p.name == "slack"]
    # as `deskbot serve` builds it; "off" leaves the clock ticks out of the measurement
    app = build_app(desk, slack, schedule=scheduler == "on")
    tune_runtime()
    try:
        web.run_app(app, host="127.0.0.1", port=port, print=None)
    finally:
        if worker is not None:
            worker.stop()


def _snapshots_on_signal(directory: str | None) -> None:
    """With a directory (`bench/slack_ack.py --tracemalloc DIR`): trace allocations and write
    a snapshot there on each SIGUSR1, to diff what a burst leaves behind. Bench only."""
    if not directory:
        return
    import signal
    import tracemalloc

    tracemalloc.start(6)
    taken = iter(range(10**6))

    def dump(_signum: int, _frame: object) -> None:
        path = Path(directory) / f"{os.getpid()}-{next(taken)}.snapshot"
        tracemalloc.take_snapshot().dump(str(path))
        path.with_suffix(".done").touch()

    signal.signal(signal.SIGUSR1, dump)


class Fake:
    """Slack's side, in a process of its own so it does not slow the clients down."""

    def __init__(self) -> None:
        self.responses = 0
        self.posts = 0

    async def count(self, _request: web.Request) -> web.Response:
        return web.json_response({"responses": self.responses, "posts": self.posts})

    async def api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if method == "chat.postMessage":
            self.posts += 1
            return web.json_response({"ok": True, "channel": "C0QUEUE", "ts": f"{time.time():.6f}"})
        if method == "auth.test":
            return web.json_response({"ok": True, "user_id": "U0BOT", "bot_id": "B0BOT"})
        if method == "conversations.open":  # a DM channel per person
            form = await request.post()
            return web.json_response({"ok": True, "channel": {"id": f"D{form.get('users')}"}})
        if method == "users.info":
            return web.json_response({"ok": True, "user": {"id": "U0LEE", "locale": "en-US"}})
        return web.json_response({"ok": True})

    async def response(self, _request: web.Request) -> web.Response:
        self.responses += 1
        return web.Response(text="ok")


def serve_fake(port: int) -> None:
    fake = Fake()
    app = web.Application()
    app.router.add_route("*", "/api/{method}", fake.api)
    app.router.add_post("/response", fake.response)
    app.router.add_get("/count", fake.count)
    app.router.add_get("/healthz", fake.count)
    web.run_app(app, host="127.0.0.1", port=port, print=None)


if __name__ == "__main__":
    name, port, rest = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    if name == "deskbot":
        serve_deskbot(port, *rest)
    elif name == "peer":
        serve_peer(port, *rest)
    elif name == "fake":
        serve_fake(port)
    else:
        serve_bare(port)
