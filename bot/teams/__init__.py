"""Microsoft Teams adapter: every `botbuilder` import of deskbot lives in this package.

botbuilder-python is archived upstream (its successor is the Microsoft 365 Agents SDK);
keeping the SDK behind this package means a move changes these modules only.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from aiohttp import web

from bot.config import Settings
from handlers.desk import Desk

if TYPE_CHECKING:
    from bot.platform import Platform

log = logging.getLogger(__name__)


def platform(settings: Settings, desk: Desk, **sdk_overrides: str) -> Platform:
    """Teams for `deskbot serve`: the /api/messages route and the outbox sender."""
    from bot.platform import Platform
    from bot.teams.adapter import ROUTE, handler, make_adapter
    from bot.teams.bot import DeskBot
    from bot.teams.sender import TeamsSender

    if not settings.microsoft_app_id:
        log.warning(
            "TEAMS LOCAL MODE: MicrosoftAppId is empty, so %s accepts requests WITHOUT "
            "authentication (Bot Framework Emulator only). Set MicrosoftAppId and "
            "MicrosoftAppPassword before exposing this server.",
            ROUTE,
        )
    adapter = make_adapter(settings, **sdk_overrides)
    bot = DeskBot(desk)

    async def lifetime(_app: web.Application) -> AsyncIterator[None]:
        async for _ in bot.inbox.lifetime([]):  # replays work a crash left unfinished
            yield

    def install(app: web.Application) -> None:
        app.router.add_post(ROUTE, handler(adapter, bot))
        app.cleanup_ctx.append(lifetime)

    sender = TeamsSender(desk, adapter, settings.microsoft_app_id, settings.public_url)
    return Platform("teams", install, sender, pace=1.0)  # about one post a second per chat
