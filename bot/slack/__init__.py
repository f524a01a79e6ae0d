"""Slack adapter: every `slack_bolt` and `slack_sdk` import of deskbot lives in this package.

`platform(settings, desk)` is what `deskbot serve` mounts when SLACK_BOT_TOKEN is set: the
bolt app at POST /slack/events, the outbox sender, and the start/stop work (the bot's
identity, recovery of work a stopped process left, one HTTP session for every Web API call).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import aiohttp
from aiohttp import web

from bot.chart_files import chart_png
from bot.config import ConfigError, Settings
from handlers.config.rules import Problem
from handlers.desk import Desk

if TYPE_CHECKING:
    from slack_sdk.web.async_client import AsyncWebClient

    from bot.inbox import Role
    from bot.inbox_worker import WorkerProcesses
    from bot.platform import Platform
    from bot.slack.socket_mode import SocketMode

log = logging.getLogger(__name__)
PACE_SECONDS = 1.0  # Slack: about one message per second per channel


class SlackRuntime:
    """The pieces of one Slack installation (single token) and their lifetime."""

    def __init__(self, settings: Settings, desk: Desk, role: Role = "all") -> None:
        from bot.inbox import Inbox
        from bot.slack.answer import Responder
        from bot.slack.app import SlackApp
        from bot.slack.sender import SlackSender

        assert settings.slack_bot_token
        self.desk = desk
        self.token = settings.slack_bot_token
        self.api_url = settings.slack_api_url.rstrip("/") + "/"
        self._http: aiohttp.ClientSession | None = None
        self._web: AsyncWebClient | None = None
        self.responder = Responder(desk, self.web, self.http)
        # (role "work", the worker process: its database work runs on its loop's thread)
        self.inbox = Inbox(desk, "slack", self.responder, role=role)
        # Socket Mode needs no signing secret: without one, no HTTP endpoint is mounted.
        self.signing_secret = settings.slack_signing_secret or ""
        # (bolt wants one anyway: an unguessable one, for a route that is not there)
        secret = self.signing_secret or secrets.token_hex(32)
        self.app = SlackApp(desk, self.token, secret, self.api_url, self.inbox, self.web)
        self.sender = SlackSender(
            desk.config, self.web, lambda token: chart_png(desk.engine, token, desk.now())
        )
        self.socket: SocketMode | None = None
        if settings.slack_app_token:
            from bot.slack.socket_mode import SocketMode

            self.socket = SocketMode(self.app, settings.slack_app_token, self.web)

    def http(self) -> aiohttp.ClientSession:
        """One connection pool for the Web API and response URLs, made inside the loop."""
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
            self._web = None
        return self._http

    def web(self) -> AsyncWebClient:
        from slack_sdk.web.async_client import AsyncWebClient

        from bot.slack import retries

        session = self.http()
        if self._web is None:
            self._web = AsyncWebClient(
                token=self.token,
                base_url=self.api_url,
                session=session,
                timeout=15,  # well inside the outbox lease (60 s), retries included
                retry_handlers=retries.handlers(),
            )
        return self._web

    def install(self, app: web.Application) -> None:
        from bot.slack.app import ROUTE

        if self.signing_secret:
            app.router.add_post(ROUTE, self.app.handle)
        # Added before the delivery loop's context, so it starts first and stops last.
        app.cleanup_ctx.append(self.lifetime)
        if self.socket is not None:  # after: the socket closes before the inbox drains
            app.cleanup_ctx.append(self.socket.lifetime)
            # A stop takes no new envelopes from the moment the listening socket closes.
            app.on_shutdown.append(self.socket.on_shutdown)

    async def lifetime(self, _app: web.Application) -> AsyncIterator[None]:
        async for _ in self.inbox.lifetime([asyncio.create_task(self.app.learn_identity())]):
            yield
        if self._http is not None:
            await self._http.close()

    async def worker_lifetime(self) -> AsyncIterator[None]:
        """The inbox worker process's (bot.inbox_worker): no route, no identity needed."""
        async for _ in self.inbox.lifetime([]):
            yield
        if self._http is not None:
            await self._http.close()


def platform(settings: Settings, desk: Desk, worker: WorkerProcesses | None = None) -> Platform:
    """Slack for `deskbot serve`; a token without a signing secret stops the start. With
    `worker`, the work after the acks is that process's (see bot.inbox_worker)."""
    from bot.platform import Platform

    if not settings.slack_signing_secret and not settings.slack_app_token:
        raise ConfigError(
            "environment",
            [
                Problem(
                    "error",
                    "SLACK_SIGNING_SECRET",
                    "is not set, but SLACK_BOT_TOKEN is: the Slack endpoint cannot check that "
                    "requests come from Slack (find it under Basic Information > App "
                    "Credentials), or set SLACK_APP_TOKEN for Socket Mode",
                )
            ],
        )
    runtime = SlackRuntime(settings, desk, "ack" if worker is not None else "all")
    slack = Platform("slack", runtime.install, runtime.sender, pace=PACE_SECONDS)
    if worker is not None:
        runtime.inbox.nudge = worker.nudge
        runtime.inbox.after_ack.shared_acks = worker.acks
        slack.background.append(worker.watching)
    return slack
