"""`deskbot serve`: one aiohttp server for every platform, plus its background workers.

Platform adapters plug in as `Platform` objects: each adds its routes and, when it posts,
an outbox sender. The server runs one delivery loop per sender.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

from aiohttp import web

from bot.config import Settings
from bot.delivery import Sender, deliver_due
from handlers.desk import Desk

log = logging.getLogger(__name__)
DESK: web.AppKey[Desk] = web.AppKey("desk", Desk)
POLL_SECONDS = 0.5


@dataclass
class Platform:
    name: str  # the outbox platform it delivers: "slack", "teams"
    install: Callable[[web.Application], None]  # adds routes
    sender: Sender | None = None
    background: list[Callable[[], AsyncIterator[None]]] = field(default_factory=list)


def build_app(desk: Desk, platforms: list[Platform]) -> web.Application:
    app = web.Application()
    app[DESK] = desk
    app.router.add_get("/healthz", _healthz)
    for platform in platforms:
        platform.install(app)
        if platform.sender is not None:
            app.cleanup_ctx.append(_delivery_loop(desk, platform.name, platform.sender))
        for ctx in platform.background:
            app.cleanup_ctx.append(lambda _app, ctx=ctx: ctx())
    return app


async def _healthz(request: web.Request) -> web.Response:
    desk = request.app[DESK]
    return web.json_response({"ok": True, "team": desk.config.team.name})


def _delivery_loop(desk: Desk, platform: str, sender: Sender):  # type: ignore[no-untyped-def]
    async def ctx(_app: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(run_delivery(desk, platform, sender))
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    return ctx


async def run_delivery(desk: Desk, platform: str, sender: Sender) -> None:
    """Deliver the outbox for ever; rows left by a crash are picked up here on restart."""
    while True:
        try:
            handled = await deliver_due(desk.engine, platform, sender, desk.now())
        except Exception:
            log.exception("%s delivery loop", platform)
            handled = 0
        if not handled:
            await asyncio.sleep(POLL_SECONDS)


def platforms_from(settings: Settings, desk: Desk) -> list[Platform]:
    """The platforms this environment turns on; adapters register here."""
    return []
