"""Slack through HTTP: the real server and bolt app, signed requests, a fake Slack Web API.

`FakeSlack` is a local aiohttp server standing in for slack.com: it records every Web API
call and every response_url post, and answers 429 or 500 when a test asks it to.
`SlackServer` runs deskbot's own aiohttp app (bot.server.build_app with the Slack platform)
on a random local port and signs what tests send it with the test signing secret, at the
time of the test's ManualClock.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import itertools
import json
import time
import urllib.parse
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot import after_ack
from bot.config import Settings
from bot.server import build_app, platforms_from
from handlers.desk import Desk, ManualClock
from storage.models import InboundEvent, OutboxMessage, Ticket
from tests.serve_process import Served, database_url
from tests.slack.fake_slack import BOT_USER, TEAM, FakeSlack
from tests.slack.fake_socket import FakeSocketMode

SECRET = "test-signing-secret"
TOKEN = "xoxb-test-token"
QUEUE = "C0QUEUE"  # the sample team's queue channel
# seconds a test may poll for background work (never for time itself); a chart's first
# delivery draws it, matplotlib's import included, which takes seconds on a busy machine
WAIT = 15.0


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    fake = FakeSlack()
    app = web.Application()
    app.router.add_route("*", "/api/{method}", fake.api)
    app.router.add_post("/response/{name}", fake.response)
    app.router.add_post("/upload/{file_id}", fake.upload)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    fake.url = str(server.make_url("")).rstrip("/")
    yield fake
    await server.close()


@pytest.fixture
async def socket_mode(fake_slack: FakeSlack) -> AsyncIterator[FakeSocketMode]:
    """Slack's Socket Mode endpoint, handed out by the fake Web API's apps.connections.open."""
    fake = FakeSocketMode()
    server = await fake.start()
    fake_slack.socket_url = fake.url
    yield fake
    await fake.close()
    await server.close()


def sign(body: bytes, timestamp: int, secret: str = SECRET) -> str:
    base = b"v0:" + str(timestamp).encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


class SlackServer:
    """deskbot's server with Slack on, and a client that sends what Slack would."""

    def __init__(self, desk: Desk, clock: ManualClock, fake: FakeSlack, worker: Any = None) -> None:
        """`worker`: stands in for the inbox worker process (bot.inbox_worker); the server
        then only persists and acks."""
        self.desk = desk
        self.clock = clock
        self.fake = fake
        self.triggers = itertools.count(1)
        self.settings = Settings(
            slack_bot_token=TOKEN, slack_signing_secret=SECRET, slack_api_url=fake.api_url
        )
        self.platforms = platforms_from(self.settings, desk, worker)
        slack = next(p for p in self.platforms if p.name == "slack")
        self.runtime = slack.install.__self__  # type: ignore[attr-defined]  # SlackRuntime
        self.app = build_app(desk, [p for p in self.platforms if p.name == "slack"])
        self.server = TestServer(self.app, host="127.0.0.1")
        self.http: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        await self.server.start_server()
        self.http = aiohttp.ClientSession()

    async def stop(self) -> None:
        if self.http is not None:
            await self.http.close()
        await self.server.close()

    @property
    def url(self) -> str:
        return str(self.server.make_url("/slack/events"))

    # -- raw requests --------------------------------------------------------------------

    async def post(
        self,
        body: bytes,
        content_type: str,
        *,
        timestamp: int | None = None,
        signature: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, str]:
        ts = timestamp if timestamp is not None else int(self.clock.now().timestamp())
        sent = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": str(ts),
            "X-Slack-Signature": signature if signature is not None else sign(body, ts),
            **(headers or {}),
        }
        sent = {k: v for k, v in sent.items() if v != ""}
        assert self.http is not None
        async with self.http.post(self.url, data=body, headers=sent) as resp:
            return resp.status, await resp.text()

    async def form(self, fields: dict[str, str], **kw: Any) -> tuple[int, str]:
        body = urllib.parse.urlencode(fields).encode()
        return await self.post(body, "application/x-www-form-urlencoded", **kw)

    async def json(self, payload: dict[str, Any], **kw: Any) -> tuple[int, str]:
        return await self.post(json.dumps(payload).encode(), "application/json", **kw)

    # -- what Slack sends ------------------------------------------------------------------

    async def command(
        self, command: str, text: str = "", user: str = "U0LEE", team: str = TEAM, **kw: Any
    ) -> tuple[int, str]:
        fields = command_body(self.fake, self.triggers, command, text, user, team)
        return await self.form(fields, **kw)

    async def interact(self, payload: dict[str, Any], **kw: Any) -> tuple[int, str]:
        return await self.form({"payload": json.dumps(payload)}, **kw)

    async def press(
        self, action_id: str, value: str, user: str = "U0LEE", message_ts: str = "1.0"
    ) -> tuple[int, str]:
        return await self.interact(
            press_body(self.fake, self.triggers, action_id, value, user, message_ts)
        )

    async def event(
        self, event: dict[str, Any], event_id: str = "Ev1", **kw: Any
    ) -> tuple[int, str]:
        return await self.json(event_body(event, event_id, self.clock.now()), **kw)

    async def mention(self, text: str, user: str = "U0LEE", event_id: str = "Ev1", **kw: Any):  # type: ignore[no-untyped-def]
        return await self.event(mention_event(text, user), event_id=event_id, **kw)

    # -- waiting for background work (bounded polls, never for time) ------------------------

    async def until(self, check: Callable[[], Any], what: str = "condition") -> Any:
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            value = check()
            if value:
                return value
            await asyncio.sleep(0.02)
        raise AssertionError(f"timed out waiting for {what}")

    async def settle(self, steps: int = 20) -> None:
        """Let every post go out, moving the clock to each waiting post's time (pacing,
        retries) instead of waiting for it."""
        for _ in range(steps):
            await self.until(lambda: not self.due() and not self.sending(), "due posts to go out")
            pending = self.pending()
            if not pending:
                return
            self.clock.set(max(self.clock.now(), min(r.next_attempt_at for r in pending)))
        raise AssertionError(f"outbox did not settle: {self.pending()}")

    # -- the database ------------------------------------------------------------------------

    def rows(self, model: Any) -> list[Any]:
        with Session(self.desk.engine) as session:
            return list(session.exec(select(model)))

    def tickets(self) -> list[Ticket]:
        return self.rows(Ticket)

    def pending(self) -> list[OutboxMessage]:
        return [r for r in self.rows(OutboxMessage) if r.status in ("pending", "sending")]

    def sending(self) -> list[OutboxMessage]:
        return [r for r in self.rows(OutboxMessage) if r.status == "sending"]

    def due(self) -> list[OutboxMessage]:
        now = self.clock.now()
        return [r for r in self.pending() if r.next_attempt_at <= now]

    def unfinished(self) -> list[InboundEvent]:
        return [r for r in self.rows(InboundEvent) if r.done_at is None]


@pytest.fixture
async def slack(
    desk: Desk, clock: ManualClock, fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[SlackServer]:
    monkeypatch.setattr("bot.server.POLL_SECONDS", 0.02)  # the idle outbox loop looks often
    fake_slack.clock = clock
    server = SlackServer(desk, clock, fake_slack)
    await server.start()
    yield server
    await server.stop()


def blocks_text(blocks: list[dict[str, Any]]) -> str:
    """Every text in a Block Kit tree, for assertions."""
    return "\n".join(block_texts(blocks))


def block_texts(blocks: Any) -> list[str]:
    """Every text in a Block Kit tree, one by one."""
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("text"), str):
                out.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(blocks)
    return out


# -- what Slack sends, over HTTP or in a Socket Mode envelope ---------------------------------


def command_body(
    fake: FakeSlack,
    ids: Iterator[int],
    command: str,
    text: str,
    user: str = "U0LEE",
    team: str = TEAM,
) -> dict[str, str]:
    return {
        "token": "legacy",
        "team_id": team,
        "channel_id": QUEUE,
        "channel_name": "service-desk",
        "user_id": user,
        "user_name": user.lower(),
        "command": command,
        "text": text,
        "response_url": fake.response_url(f"cmd{next(ids)}"),
        "trigger_id": f"trigger.{next(ids)}",
        "api_app_id": "A0APP",
    }


def press_body(
    fake: FakeSlack,
    ids: Iterator[int],
    action_id: str,
    value: str,
    user: str = "U0LEE",
    message_ts: str = "1.0",
) -> dict[str, Any]:
    return {
        "type": "block_actions",
        "team": {"id": TEAM, "domain": "example"},
        "user": {"id": user, "username": user.lower(), "team_id": TEAM},
        "api_app_id": "A0APP",
        "trigger_id": f"trigger.{next(ids)}",
        "container": {"type": "message", "message_ts": message_ts, "channel_id": QUEUE},
        "channel": {"id": QUEUE, "name": "service-desk"},
        "message": {"ts": message_ts, "text": "card"},
        "response_url": fake.response_url(f"act{next(ids)}"),
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": "b1",
                "value": value,
                "action_ts": f"{time.time():.6f}",
                "text": {"type": "plain_text", "text": "x"},
            }
        ],
    }


def event_body(event: dict[str, Any], event_id: str, now: dt.datetime) -> dict[str, Any]:
    return {
        "token": "legacy",
        "team_id": TEAM,
        "api_app_id": "A0APP",
        "type": "event_callback",
        "event_id": event_id,
        "event_time": int(now.timestamp()),
        "authorizations": [
            {"team_id": TEAM, "user_id": BOT_USER, "is_bot": True, "enterprise_id": None}
        ],
        "event": event,
    }


def mention_event(text: str, user: str = "U0LEE") -> dict[str, Any]:
    return {
        "type": "app_mention",
        "user": user,
        "text": f"<@{BOT_USER}> {text}",
        "ts": "1700000100.000100",
        "channel": QUEUE,
        "event_ts": "1700000100.000100",
    }


@pytest.fixture
def served(tmp_path: Path, engine: Engine, fake_slack: FakeSlack) -> Iterator[Served]:
    """`deskbot serve` as a process of its own, on the test's database and fake Slack."""
    process = Served(
        tmp_path,
        {
            "DESKBOT_DATABASE_URL": database_url(engine),
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": fake_slack.url + "/api/",
        },
    )
    yield process
    process.stop()


class Counted:
    """Jobs for `bot.after_ack` that count how many ran at once (`most`) and in all."""

    def __init__(self) -> None:
        self.running = self.most = self.done = 0

    async def job(self) -> None:
        self.running += 1
        self.most = max(self.most, self.running)
        await asyncio.sleep(0)
        self.running -= 1
        self.done += 1

    @staticmethod
    async def nothing_waiting(_skip: set[str]) -> list[tuple[str, after_ack.Job]]:
        return []
