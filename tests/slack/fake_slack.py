"""A fake Slack on a local port: the Web API and response URLs, recording every call.

It answers like Slack (ts, channel ids, permalinks) and fails on demand: `fail_next` makes
the next call of a method answer an HTTP status (429 with Retry-After, 500) or `ok: false`.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from handlers.desk import ManualClock

TEAM = "T0SAMPLE"
BOT_USER = "U0BOT"


@dataclass
class Call:
    method: str  # "chat.postMessage", or "response" for a response_url post
    params: dict[str, Any]
    status: int = 200
    at: dt.datetime | None = None  # the test clock's time when the call came


@dataclass
class FakeSlack:
    """The far side of the network: Slack's Web API and response URLs."""

    calls: list[Call] = field(default_factory=list)
    failures: dict[str, list[tuple[int, dict[str, str], str]]] = field(default_factory=dict)
    url: str = ""
    clock: ManualClock | None = None
    locales: dict[str, str] = field(default_factory=dict)  # users.info: user id -> locale
    _ts: itertools.count = field(default_factory=lambda: itertools.count(1))

    def fail_next(
        self, method: str, status: int, headers: dict[str, str] | None = None, error: str = ""
    ) -> None:
        """The next call of `method` fails: an HTTP status, or a 200 with `ok: false`."""
        default = "ratelimited" if status == 429 else "internal_error"
        self.failures.setdefault(method, []).append((status, headers or {}, error or default))

    def of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method and c.status == 200]

    def posts(self, channel: str | None = None) -> list[Call]:
        return [
            c
            for c in self.of("chat.postMessage")
            if channel is None or c.params["channel"] == channel
        ]

    def responses(self) -> list[dict[str, Any]]:
        return [c.params for c in self.of("response")]

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    def response_url(self, name: str = "r") -> str:
        return f"{self.url}/response/{name}"

    async def api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await _params(request)
        at = self.clock.now() if self.clock else None
        queued = self.failures.get(method)
        if queued:
            status, headers, error = queued.pop(0)
            self.calls.append(Call(method, params, -1 if status == 200 else status, at))
            body = {"ok": False, "error": error}
            return web.json_response(body, status=status, headers=headers)
        self.calls.append(Call(method, params, 200, at))
        return web.json_response(self._answer(method, params))

    def _answer(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {"ok": True, "user_id": BOT_USER, "bot_id": "B0BOT", "team_id": TEAM}
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": "D" + str(params.get("users", "X"))}}
        if method in ("chat.postMessage", "chat.update"):
            ts = params.get("ts") or f"1700000000.{next(self._ts):06d}"
            return {"ok": True, "channel": params.get("channel"), "ts": ts}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": f"1700000000.{next(self._ts):06d}"}
        if method == "users.info":
            user = str(params.get("user", ""))
            info: dict[str, Any] = {"id": user, "team_id": TEAM}
            if str(params.get("include_locale", "")).lower() in ("true", "1"):
                info["locale"] = self.locales.get(user, "en-US")
            return {"ok": True, "user": info}
        if method == "chat.getPermalink":
            ts = str(params.get("message_ts", "")).replace(".", "")
            return {"ok": True, "permalink": f"https://example.slack.com/archives/C1/p{ts}"}
        return {"ok": True}

    async def response(self, request: web.Request) -> web.Response:
        self.calls.append(Call("response", await request.json()))
        return web.Response(text="ok")


async def _params(request: web.Request) -> dict[str, Any]:
    params: dict[str, Any] = dict(request.query)  # some methods send their arguments here
    if request.content_type == "application/json":
        return {**params, **(await request.json())}
    params.update(await request.post())
    for key in ("blocks", "view"):
        if isinstance(params.get(key), str):
            params[key] = json.loads(params[key])
    return params
