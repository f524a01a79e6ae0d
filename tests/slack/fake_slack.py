"""A fake Slack on a local port: the Web API and response URLs, recording every call.

It answers like Slack (ts, channel ids, permalinks) and fails on demand: `fail_next` makes
the next call of a method answer an HTTP status (429 with Retry-After, 500) or `ok: false`;
`reset_next` reads the next call's request and closes the connection without an answer
(having done the call, or not). Posts are kept with their metadata, so
`conversations.history` / `conversations.replies` can find them.
"""

from __future__ import annotations

import asyncio
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


def manifest_scopes() -> list[str]:
    """What an app installed from `manifest.yaml` is granted."""
    from bot.slack import manifest

    return list(manifest.load("https://example.org")["oauth_config"]["scopes"]["bot"])


@dataclass
class FakeSlack:
    """The far side of the network: Slack's Web API and response URLs."""

    calls: list[Call] = field(default_factory=list)
    failures: dict[str, list[tuple[int, dict[str, str], str]]] = field(default_factory=dict)
    url: str = ""
    clock: ManualClock | None = None
    resets: dict[str, list[bool]] = field(default_factory=dict)  # method -> done before reset?
    messages: list[dict[str, Any]] = field(default_factory=list)  # what the channels hold
    uploads: dict[str, bytes] = field(default_factory=dict)  # file id -> bytes
    locales: dict[str, str] = field(default_factory=dict)  # users.info: user id -> locale
    _ts: itertools.count = field(default_factory=lambda: itertools.count(1))
    socket_url: str = ""  # apps.connections.open answers this (a local fake Socket Mode)
    # for `deskbot doctor`: the scopes granted, the channels (with whether the bot is a
    # member) and the people the workspace has; None: every id asked about exists
    scopes: tuple[str, ...] = field(default_factory=lambda: tuple(manifest_scopes()))
    channels: dict[str, bool] | None = None
    users: set[str] | None = None
    hang: set[str] = field(default_factory=set)  # methods that never answer (a stuck Slack)

    def add_message(self, channel: str, message: dict[str, Any]) -> None:
        """A message someone wrote in a channel (what conversations.* then read)."""
        self.messages.append({"channel": channel, "thread_ts": None, **message})

    def reset_next(self, method: str, done: bool = True) -> None:
        """The next call of `method` is read, done (or not), and its connection reset."""
        self.resets.setdefault(method, []).append(done)

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
        resets = self.resets.get(method)
        if resets:
            done = resets.pop(0)
            self.calls.append(Call(method, params, 200 if done else -1, at))
            if done:
                self._answer(method, params)
            assert request.transport is not None
            request.transport.close()  # the request arrived; no answer ever comes
            return web.Response(status=500)
        queued = self.failures.get(method)
        if queued:
            status, headers, error = queued.pop(0)
            self.calls.append(Call(method, params, -1 if status == 200 else status, at))
            body = {"ok": False, "error": error}
            return web.json_response(body, status=status, headers=headers)
        if method in self.hang:
            self.calls.append(Call(method, params, 0, at))  # taken, never answered
            await asyncio.Event().wait()
        self.calls.append(Call(method, params, 200, at))
        headers = {"x-oauth-scopes": ",".join(self.scopes)} if method == "auth.test" else {}
        return web.json_response(self._answer(method, params), headers=headers)

    def _answer(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {"ok": True, "user_id": BOT_USER, "bot_id": "B0BOT", "team_id": TEAM}
        if method == "apps.connections.open":
            return {"ok": True, "url": self.socket_url}
        if method == "conversations.info":
            channel = str(params.get("channel"))
            if self.channels is not None and channel not in self.channels:
                return {"ok": False, "error": "channel_not_found"}
            member = self.channels is None or self.channels[channel]
            return {"ok": True, "channel": {"id": channel, "name": channel, "is_member": member}}
        if method == "users.info":
            user = str(params.get("user"))
            if self.users is not None and user not in self.users:
                return {"ok": False, "error": "user_not_found"}
            info: dict[str, Any] = {"id": user, "name": user.lower(), "team_id": TEAM}
            if str(params.get("include_locale", "")).lower() in ("true", "1"):
                info["locale"] = self.locales.get(user, "en-US")
            return {"ok": True, "user": info}
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": "D" + str(params.get("users", "X"))}}
        if method in ("chat.postMessage", "chat.update"):
            ts = params.get("ts") or f"1700000000.{next(self._ts):06d}"
            if method == "chat.postMessage":
                self.messages.append(
                    {
                        "channel": params.get("channel"),
                        "ts": ts,
                        "thread_ts": params.get("thread_ts"),
                        "text": params.get("text", ""),
                        "metadata": params.get("metadata"),
                    }
                )
            return {"ok": True, "channel": params.get("channel"), "ts": ts}
        if method in ("conversations.history", "conversations.replies"):
            return {"ok": True, "messages": self._read(method, params), "has_more": False}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": f"1700000000.{next(self._ts):06d}"}
        if method == "files.getUploadURLExternal":
            file_id = f"F{next(self._ts):06d}"
            return {"ok": True, "file_id": file_id, "upload_url": f"{self.url}/upload/{file_id}"}
        if method == "files.completeUploadExternal":
            files = json.loads(params["files"]) if isinstance(params["files"], str) else []
            return {"ok": True, "files": [{"id": f["id"], "title": f.get("title")} for f in files]}
        if method == "chat.getPermalink":
            ts = str(params.get("message_ts", "")).replace(".", "")
            return {"ok": True, "permalink": f"https://example.slack.com/archives/C1/p{ts}"}
        return {"ok": True}

    def _read(self, method: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        """A channel's top-level messages, or one thread, newest first, as Slack lists them;
        metadata only when asked for."""
        channel, thread = params.get("channel"), params.get("ts")
        found = [
            m
            for m in self.messages
            if m["channel"] == channel
            and (
                (not m["thread_ts"] or m["thread_ts"] == m["ts"])
                if method == "conversations.history"
                else thread in (m["ts"], m["thread_ts"])
            )
        ]
        with_metadata = params.get("include_all_metadata") in (True, "true", "1", 1)
        return [
            {k: v for k, v in m.items() if k != "metadata" or (with_metadata and v)}
            for m in reversed(found)
        ]

    async def upload(self, request: web.Request) -> web.Response:
        """A file's bytes, sent to the URL files.getUploadURLExternal gave."""
        self.uploads[request.match_info["file_id"]] = await request.read()
        return web.Response(text="OK - uploaded")

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
