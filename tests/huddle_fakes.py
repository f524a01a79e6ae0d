"""The far side of the huddle rooms' networks, on a local port: Slack's Web API, Microsoft's
login service and Graph. Each runs as an aiohttp app in its own thread, because the ports it
answers are synchronous (the core runs them from the router)."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import requests
from aiohttp import web

from bot.teams.graph import LOGIN_URL


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    form: dict[str, str]
    json: Any


@dataclass
class FakeService:
    """What the fake was asked, and how it should answer."""

    url: str = ""
    seen: list[Seen] = field(default_factory=list)
    meeting_status: int = 201  # Graph's answer to onlineMeetings
    slack_error: str | None = None  # e.g. "missing_scope" for calls.add

    def paths(self) -> list[str]:
        return [s.path for s in self.seen]


def _app(fake: FakeService) -> web.Application:
    async def record(request: web.Request) -> Seen:
        body = await request.read()
        form: dict[str, str] = {}
        data: Any = None
        if request.content_type == "application/json" and body:
            data = await request.json()
        elif body:
            form = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
        seen = Seen(request.method, request.path, dict(request.headers), form, data)
        fake.seen.append(seen)
        return seen

    async def openid(request: web.Request) -> web.Response:
        await record(request)
        tenant = request.match_info["tenant"]
        return web.json_response(
            {
                "authorization_endpoint": f"{LOGIN_URL}/{tenant}/oauth2/v2.0/authorize",
                "token_endpoint": f"{LOGIN_URL}/{tenant}/oauth2/v2.0/token",
                "issuer": f"{LOGIN_URL}/{tenant}/v2.0",
            }
        )

    async def token(request: web.Request) -> web.Response:
        seen = await record(request)
        if seen.form.get("client_secret") != "app-secret":
            return web.json_response(
                {"error": "invalid_client", "error_description": "bad secret"}, status=401
            )
        return web.json_response(
            {"access_token": "graph-token", "token_type": "Bearer", "expires_in": 3600}
        )

    async def meeting(request: web.Request) -> web.Response:
        seen = await record(request)
        if seen.headers.get("Authorization") != "Bearer graph-token":
            return web.json_response({"error": {"message": "no token"}}, status=401)
        if fake.meeting_status != 201:
            return web.json_response(
                {"error": {"code": "Forbidden", "message": "No application access policy"}},
                status=fake.meeting_status,
            )
        return web.json_response(
            {
                "id": "MSpkYzE3",
                "joinWebUrl": "https://teams.microsoft.com/l/meetup-join/19%3ameeting_abc%40thread.v2/0",
                "subject": seen.json["subject"],
            },
            status=201,
        )

    async def slack(request: web.Request) -> web.Response:
        seen = await record(request)
        if seen.headers.get("Authorization") != "Bearer xoxb-test":
            return web.json_response({"ok": False, "error": "invalid_auth"})
        if fake.slack_error:
            return web.json_response({"ok": False, "error": fake.slack_error})
        if request.match_info["method"] == "calls.add":
            return web.json_response({"ok": True, "call": {"id": "R0CALL1"}})
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_get("/{tenant}/v2.0/.well-known/openid-configuration", openid)
    app.router.add_post("/{tenant}/oauth2/v2.0/token", token)
    app.router.add_post("/v1.0/users/{user}/onlineMeetings", meeting)
    app.router.add_post("/api/{method}", slack)
    return app


@contextmanager
def fake_service() -> Iterator[FakeService]:
    """The fake on 127.0.0.1 and a random port, for the length of a test."""
    fake = FakeService()
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(_app(fake))

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    fake.url = f"http://127.0.0.1:{sock.getsockname()[1]}"

    async def start() -> None:
        await runner.setup()
        await web.SockSite(runner, sock).start()

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(start(), loop).result(10)
    try:
        yield fake
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


class LoginAt(requests.Session):
    """What msal talks to: Microsoft's login host, sent to the fake instead.

    msal only accepts an https authority, so the host is swapped under it, through the
    `http_client` it is documented to take.
    """

    def __init__(self, base: str) -> None:
        super().__init__()
        self.base = base

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        if isinstance(url, str) and url.startswith(LOGIN_URL):
            url = self.base + url[len(LOGIN_URL) :]
        return super().request(method, url, *args, **kwargs)
