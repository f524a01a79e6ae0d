"""Slack ack latency and throughput: deskbot's `/ticket new` and `/queue` beside a bare bolt app.

Both servers run the same stack in a process of their own: aiohttp, slack_sdk's signature
check, slack-bolt's AsyncApp with `process_before_response=True`. The bare app's listener
only acks; deskbot's writes the request to the database, acks, and does the work after the
ack (the ticket, its card in the outbox, the answer to the response_url). 50 clients send
signed slash commands for a fixed time each; every request is timed from send to ack.

Targets (issue 3): p99 < 100 ms, and at least 60 % of the bare app's throughput.

    .venv/bin/python bench/slack_ack.py [--seconds 8] [--clients 50] [--database-url URL]

The Slack Web API and the response URLs are a local fake in this process; all traffic stays
on 127.0.0.1. Work done after the ack is reported too (how long the backlog took to drain).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import hmac
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from pathlib import Path

import aiohttp
from aiohttp import web

SECRET = "bench-secret"
TOKEN = "xoxb-bench"
ROOT = Path(__file__).resolve().parent.parent


# -- the servers (run in a child process) ------------------------------------------------------


def serve_deskbot(port: int, api_url: str, database_url: str) -> None:
    os.environ.update(
        SLACK_BOT_TOKEN=TOKEN,
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=api_url,
        DESKBOT_DATABASE_URL=database_url,
    )
    from bot.app import build_desk
    from bot.config import Settings
    from bot.server import build_app, platforms_from, tune_runtime

    settings = Settings()
    desk = build_desk(settings)
    slack = [p for p in platforms_from(settings, desk) if p.name == "slack"]
    app = build_app(desk, slack)
    tune_runtime()  # as `deskbot serve` does
    web.run_app(app, host="127.0.0.1", port=port, print=None)


def serve_bare(port: int) -> None:
    """slack-bolt acking a no-op, mounted the way deskbot mounts it."""
    from slack_bolt.adapter.aiohttp import to_aiohttp_response
    from slack_bolt.async_app import AsyncApp
    from slack_bolt.authorization import AuthorizeResult
    from slack_bolt.request.async_request import AsyncBoltRequest
    from slack_sdk.signature import SignatureVerifier

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

    @bolt.command("/ticket")
    @bolt.command("/queue")
    async def noop(ack):  # type: ignore[no-untyped-def]
        await ack()

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

    from bot.server import tune_runtime

    app = web.Application()
    app.router.add_post("/slack/events", handle)
    app.router.add_get("/healthz", healthz)
    tune_runtime()  # the same process settings as deskbot's server
    web.run_app(app, host="127.0.0.1", port=port, print=None)


# -- the far side: Slack's Web API and response URLs ------------------------------------------


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


async def answered(port: int) -> int:
    url = f"http://127.0.0.1:{port}/count"
    async with aiohttp.ClientSession() as session, session.get(url) as resp:
        return int((await resp.json())["responses"])


# -- the clients ---------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _signed(fields: dict[str, str]) -> tuple[bytes, dict[str, str]]:
    body = urllib.parse.urlencode(fields).encode()
    ts = str(int(time.time()))
    base = b"v0:" + ts.encode() + b":" + body
    signature = "v0=" + hmac.new(SECRET.encode(), base, hashlib.sha256).hexdigest()
    return body, {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": signature,
    }


async def load(
    url: str, command: str, text: str, seconds: float, clients: int, response_url: str
) -> tuple[list[float], float]:
    latencies: list[float] = []
    counter = iter(range(10**9))
    deadline = time.perf_counter() + seconds
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def client(n: int) -> None:
            while time.perf_counter() < deadline:
                i = next(counter)
                body, headers = _signed(
                    {
                        "team_id": "T0SAMPLE",
                        "channel_id": "C0QUEUE",
                        "user_id": "U0LEE",
                        "user_name": "lee",
                        "command": command,
                        "text": text.format(i=i),
                        "response_url": response_url,
                        "trigger_id": f"bench.{n}.{i}.{time.time_ns()}",
                    }
                )
                start = time.perf_counter()
                async with session.post(url, data=body, headers=headers) as resp:
                    await resp.read()
                    assert resp.status == 200, resp.status
                latencies.append(time.perf_counter() - start)

        started = time.perf_counter()
        await asyncio.gather(*(client(n) for n in range(clients)))
        elapsed = time.perf_counter() - started
    return latencies, elapsed


@contextlib.contextmanager
def _database(url: str | None, tmp: str) -> Iterator[str]:
    """A fresh database: a SQLite file, or a new PostgreSQL database on the given server
    (created from URL's database, dropped at the end; the named one is never written)."""
    if not url:
        yield f"sqlite:///{Path(tmp) / 'bench.db'}"
        return
    from sqlalchemy import create_engine, text

    name = f"deskbot_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(
        url.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{url.rpartition('/')[0]}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _start(args: list[str]) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, __file__, *args], env=env, cwd=ROOT)


async def _healthy(port: int) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(200):
            try:
                async with session.get(f"http://127.0.0.1:{port}/healthz") as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"server on port {port} did not start")


def _report(name: str, latencies: list[float], elapsed: float) -> float:
    ms = sorted(x * 1000 for x in latencies)
    p50 = statistics.median(ms)
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    rate = len(ms) / elapsed
    print(f"{name:<24} {len(ms):>6} acks  p50 {p50:6.1f} ms  p99 {p99:6.1f} ms  {rate:7.0f} req/s")
    return rate


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--database-url")
    args = parser.parse_args()

    fake_port = _free_port()
    fake = _start(["--serve", "fake", str(fake_port)])
    api_url = f"http://127.0.0.1:{fake_port}/api/"
    response_url = f"http://127.0.0.1:{fake_port}/response"

    with tempfile.TemporaryDirectory() as tmp, _database(args.database_url, tmp) as database_url:
        ours_port, bare_port = _free_port(), _free_port()
        ours = _start(["--serve", "deskbot", str(ours_port), api_url, database_url])
        bare = _start(["--serve", "bare", str(bare_port)])
        try:
            await _healthy(fake_port)
            await _healthy(ours_port)
            await _healthy(bare_port)
            ours_url = f"http://127.0.0.1:{ours_port}/slack/events"
            bare_url = f"http://127.0.0.1:{bare_port}/slack/events"
            db = "PostgreSQL" if database_url.startswith("postgresql") else "SQLite"
            print(f"{args.clients} clients, {args.seconds:.0f} s per run, deskbot on {db}")
            await load(bare_url, "/ticket", "new warm-up {i}", 1.0, args.clients, response_url)
            await load(ours_url, "/queue", "", 1.0, args.clients, response_url)

            bare_rate = _report(
                "bare bolt (no-op ack)",
                *await load(
                    bare_url, "/ticket", "new x {i}", args.seconds, args.clients, response_url
                ),
            )
            before = await answered(fake_port)
            latencies, elapsed = await load(
                ours_url,
                "/ticket",
                "new Printer {i} jams #network p2",
                args.seconds,
                args.clients,
                response_url,
            )
            new_rate = _report("deskbot /ticket new", latencies, elapsed)
            started = time.perf_counter()
            while await answered(fake_port) - before < len(latencies):  # work after the acks
                await asyncio.sleep(0.05)
                if time.perf_counter() - started > 300:
                    break
            drained = time.perf_counter() - started
            done = await answered(fake_port) - before
            print(
                f"{'':<24} work after the acks: {done} tickets logged and answered; "
                f"backlog drained {drained:.1f} s after the last ack "
                f"({done / (elapsed + drained):.0f} tickets/s end to end)"
            )
            queue_rate = _report(
                "deskbot /queue",
                *await load(ours_url, "/queue", "", args.seconds, args.clients, response_url),
            )
            print(
                f"throughput vs bare: /ticket new {new_rate / bare_rate:.0%}, "
                f"/queue {queue_rate / bare_rate:.0%} (target >= 60 %)"
            )
        finally:
            for proc in (ours, bare, fake):
                proc.terminate()
                try:
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--serve":
        if sys.argv[2] == "deskbot":
            serve_deskbot(int(sys.argv[3]), sys.argv[4], sys.argv[5])
        elif sys.argv[2] == "fake":
            serve_fake(int(sys.argv[3]))
        else:
            serve_bare(int(sys.argv[3]))
    else:
        asyncio.run(main())
