"""Microsoft Teams adapter: every `botbuilder` import of deskbot lives in this package.

botbuilder-python is archived upstream (its successor is the Microsoft 365 Agents SDK);
keeping the SDK behind this package means a move changes these modules only.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from functools import cached_property, partial
from typing import TYPE_CHECKING

from aiohttp import web

from bot.config import Settings
from handlers.desk import Desk

if TYPE_CHECKING:
    from botbuilder.integration.aiohttp import CloudAdapter

    from bot.delivery import Delivery, Outcome
    from bot.inbox import Inbox
    from bot.platform import Platform
    from bot.teams.sender import TeamsSender

log = logging.getLogger(__name__)


ROUTE = "/api/messages"


class _Sdk:
    """The Bot Framework SDK's parts. Without an app id (local mode: a Slack-only install
    keeps the route for the emulator) they are built at the first Teams request or post:
    botbuilder is ~20 MB of each serving process's memory, and its import takes a second.
    The Teams inbox is SDK-free, so work a crash left is still recovered at the start."""

    def __init__(
        self, settings: Settings, desk: Desk, inbox: Inbox, overrides: dict[str, str]
    ) -> None:
        self.settings, self.desk, self.inbox, self.overrides = settings, desk, inbox, overrides

    def build(self) -> None:
        """Every part now, not at first use."""
        self.handler, self.sender  # noqa: B018 (cached properties: reading builds them)

    @cached_property
    def adapter(self) -> CloudAdapter:
        from bot.teams.adapter import make_adapter

        return make_adapter(self.settings, **self.overrides)

    @cached_property
    def handler(self) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        from bot.teams.adapter import handler
        from bot.teams.bot import DeskBot

        return handler(self.adapter, DeskBot(self.desk, self.inbox))  # type: ignore[no-any-return]

    @cached_property
    def sender(self) -> TeamsSender:
        from bot.teams.sender import TeamsSender

        settings = self.settings
        return TeamsSender(self.desk, self.adapter, settings.microsoft_app_id, settings.public_url)


class _Sender:
    """The outbox's sender for Teams: the SDK's, built when the first post goes."""

    def __init__(self, sdk: _Sdk) -> None:
        self.sdk = sdk

    async def send(self, delivery: Delivery) -> Outcome:
        return await self.sdk.sender.send(delivery)


def platform(settings: Settings, desk: Desk, **sdk_overrides: str) -> Platform:
    """Teams for `deskbot serve`: the /api/messages route and the outbox sender."""
    from bot.inbox import Inbox
    from bot.platform import Platform
    from bot.teams.later import PLATFORM, answer_later

    if not settings.microsoft_app_id:
        log.warning(
            "TEAMS LOCAL MODE: MicrosoftAppId is empty, so %s accepts requests WITHOUT "
            "authentication (Bot Framework Emulator only). Set MicrosoftAppId and "
            "MicrosoftAppPassword before exposing this server.",
            ROUTE,
        )
    inbox = Inbox(desk, PLATFORM, partial(answer_later, desk))
    sdk = _Sdk(settings, desk, inbox, sdk_overrides)
    if settings.microsoft_app_id:  # Teams is expected: no stall at its first request
        sdk.build()

    async def lifetime(_app: web.Application) -> AsyncIterator[None]:
        async for _ in inbox.lifetime([]):  # replays work a crash left unfinished
            yield

    async def messages(request: web.Request) -> web.StreamResponse:
        return await sdk.handler(request)

    def install(app: web.Application) -> None:
        app.router.add_post(ROUTE, messages)
        app.cleanup_ctx.append(lifetime)

    return Platform("teams", install, _Sender(sdk), pace=1.0)  # about one post a second per chat
