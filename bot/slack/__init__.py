"""Slack adapter: every `slack_bolt` and `slack_sdk` import of deskbot lives in this package.

`platform(settings, desk)` is what `deskbot serve` mounts when SLACK_BOT_TOKEN is set: the
bolt app at POST /slack/events, the outbox sender, and the start/stop work (the bot's
identity, recovery of work a stopped process left, one HTTP session for every Web API call).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
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

    from bot.platform import Platform

log = logging.getLogger(__name__)
PACE_SECONDS = 1.0  # Slack: about one message per second per channel
RECOVER_EVERY = 60.0  # seconds between passes over work left unfinished
DRAIN_SECONDS = 10.0  # at shutdown, work in progress gets this long to finish


class SlackRuntime:
    """The pieces of one Slack installation (single token) and their lifetime."""

    def __init__(self, settings: Settings, desk: Desk) -> None:
        from bot.slack.answer import Responder
        from bot.slack.app import SlackApp
        from bot.slack.sender import SlackSender
        from bot.slack.work import Inbox

        assert settings.slack_bot_token and settings.slack_signing_secret
        self.desk = desk
        self.token = settings.slack_bot_token
        self.api_url = settings.slack_api_url.rstrip("/") + "/"
        self._http: aiohttp.ClientSession | None = None
        self._web: AsyncWebClient | None = None
        self.responder = Responder(desk, self.web, self.http)
        self.inbox = Inbox(desk, self.responder)
        self.app = SlackApp(
            desk, self.token, settings.slack_signing_secret, self.api_url, self.inbox, self.web
        )
        self.sender = SlackSender(
            desk.config, self.web, lambda token: chart_png(desk.engine, token, desk.now())
        )

    def http(self) -> aiohttp.ClientSession:
        """One connection pool for the Web API and response URLs, made inside the loop."""
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
            self._web = None
        return self._http

    def web(self) -> AsyncWebClient:
        from slack_sdk.http_retry.builtin_async_handlers import (
            AsyncConnectionErrorRetryHandler,
            AsyncServerErrorRetryHandler,
        )
        from slack_sdk.web.async_client import AsyncWebClient

        session = self.http()
        if self._web is None:
            self._web = AsyncWebClient(
                token=self.token,
                base_url=self.api_url,
                session=session,
                timeout=15,  # well inside the outbox lease (60 s), retries included
                retry_handlers=[AsyncConnectionErrorRetryHandler(), AsyncServerErrorRetryHandler()],
            )
        return self._web

    def install(self, app: web.Application) -> None:
        from bot.slack.app import ROUTE

        app.router.add_post(ROUTE, self.app.handle)
        # Added before the delivery loop's context, so it starts first and stops last.
        app.cleanup_ctx.append(self.lifetime)

    async def lifetime(self, _app: web.Application) -> AsyncIterator[None]:
        background = [
            asyncio.create_task(self.app.learn_identity()),
            asyncio.create_task(self._recover_forever()),
        ]
        yield
        for task in background:
            task.cancel()
        await self.inbox.drain(DRAIN_SECONDS)
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*background, return_exceptions=True)
        self.inbox.close()
        if self._http is not None:
            await self._http.close()

    async def _recover_forever(self) -> None:
        """At start, everything unfinished; then, now and again, what went stale."""
        from bot.slack.work import STALE

        stale = None
        while True:
            try:
                await self.inbox.recover(stale)
            except Exception:
                log.exception("slack recovery pass")
            stale = STALE
            await asyncio.sleep(RECOVER_EVERY)


def platform(settings: Settings, desk: Desk) -> Platform:
    """Slack for `deskbot serve`; a token without a signing secret stops the start."""
    from bot.platform import Platform

    if not settings.slack_signing_secret:
        raise ConfigError(
            "environment",
            [
                Problem(
                    "error",
                    "SLACK_SIGNING_SECRET",
                    "is not set, but SLACK_BOT_TOKEN is: the Slack endpoint cannot check that "
                    "requests come from Slack (find it under Basic Information > App "
                    "Credentials)",
                )
            ],
        )
    runtime = SlackRuntime(settings, desk)
    return Platform("slack", runtime.install, runtime.sender, pace=PACE_SECONDS)
