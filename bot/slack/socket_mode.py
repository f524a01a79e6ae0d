"""Slack Socket Mode: the same bolt app, reached over an outgoing WebSocket (no public URL).

With SLACK_APP_TOKEN set, `deskbot serve` opens a Socket Mode connection (slack-bolt's
aiohttp handler; slack_sdk reconnects with backoff when it drops). Each envelope goes through
the bolt app exactly like a signed HTTP request, so the work is persisted before the ack
goes back over the socket, a redelivered envelope finds its key taken, and work acked but
not finished is recovered at the next start. Several replicas may each hold a connection:
Slack spreads envelopes across them, and the database decides who runs what.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.adapter.socket_mode.async_internals import send_async_response
from slack_bolt.adapter.socket_mode.internals import build_headers
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.socket_mode.async_client import AsyncBaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.web.async_client import AsyncWebClient

from bot import metrics
from bot.slack.app import AFTER_ACK, AFTER_ACK_KEY, SlackApp

log = logging.getLogger(__name__)
PING_SECONDS = 10.0  # slack_sdk checks the connection this often and reconnects when dead
KIND = {"slash_commands": "command", "interactive": "interaction", "events_api": "event"}


class Handler(AsyncSocketModeHandler):
    """bolt's handler, plus the one thing HTTP does in `SlackApp.handle`: the work a
    listener left for after the ack starts only once the ack is on the socket."""

    def __init__(self, slack: SlackApp, app_token: str, web_client: AsyncWebClient) -> None:
        super().__init__(slack.bolt, app_token, web_client=web_client, ping_interval=PING_SECONDS)
        self.slack = slack

    async def handle(self, client: AsyncBaseSocketModeClient, req: SocketModeRequest) -> None:  # type: ignore[override]
        started = time.monotonic()
        kind = KIND.get(req.type, req.type)
        metrics.request("slack", kind)
        bolt_req = AsyncBoltRequest(
            mode="socket_mode", body=req.payload, headers=build_headers(req)
        )
        response = await self.slack.bolt.async_dispatch(bolt_req)
        # Not 200 (the database did not answer in time): no ack, so Slack sends it again.
        await send_async_response(client, req, response, started)
        metrics.acked("slack", started)
        job: Callable[[], Coroutine[Any, Any, Any]] | None = bolt_req.context.get(AFTER_ACK)
        if job is not None:
            self.slack.inbox.later(job, bolt_req.context.get(AFTER_ACK_KEY))


class SocketMode:
    """One Socket Mode connection for the server's lifetime."""

    def __init__(
        self, slack: SlackApp, app_token: str, web_client: Callable[[], AsyncWebClient]
    ) -> None:
        self.slack = slack
        self.app_token = app_token
        self.web = web_client
        self.handler: Handler | None = None

    async def lifetime(self, _app: web.Application) -> AsyncIterator[None]:
        self.handler = Handler(self.slack, self.app_token, self.web())
        # connect() retries apps.connections.open itself; it must not hold up the start.
        connecting = asyncio.create_task(self._connect(self.handler))
        yield
        await self.stop()
        connecting.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await connecting

    async def on_shutdown(self, _app: web.Application) -> None:
        await self.stop()

    async def stop(self) -> None:
        """Take no more envelopes (a SIGTERM): what Slack has not had an ack for goes to
        another connection."""
        if self.handler is not None:
            handler, self.handler = self.handler, None
            with contextlib.suppress(Exception):
                await handler.close_async()

    async def _connect(self, handler: Handler) -> None:
        try:
            await handler.connect_async()
            log.info("slack socket mode connected")
        except Exception:
            log.exception("slack socket mode: could not connect")
