"""`deskbot serve`: one aiohttp server for every platform, plus its background workers.

Platform adapters plug in as `Platform` objects: each adds its routes and, when it posts,
an outbox sender. The server runs one delivery loop per sender.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING

from aiohttp import web

from bot import chart_files, metrics, scheduling
from bot.config import Settings
from bot.delivery import Pacer, Sender, deliver_due
from bot.platform import Platform
from handlers.desk import Desk

if TYPE_CHECKING:
    from bot.inbox_worker import WorkerProcesses

log = logging.getLogger(__name__)
DESK: web.AppKey[Desk] = web.AppKey("desk", Desk)
POLL_SECONDS = 0.5
STOP_GRACE_SECONDS = 10.0  # a post in flight at shutdown is finished and recorded first


def build_app(desk: Desk, platforms: list[Platform], *, schedule: bool = False) -> web.Application:
    """`schedule`: run the scheduler too (`deskbot serve` does; tests of one adapter need not)."""
    app = web.Application(middlewares=[_measure])
    app[DESK] = desk
    app.router.add_get("/healthz", _healthz)
    metrics.install(app, desk)
    app.router.add_get(chart_files.ROUTE, _chart)
    for platform in platforms:
        platform.install(app)
        if platform.sender is not None:
            pacer = Pacer(platform.pace) if platform.pace > 0 else None
            app.cleanup_ctx.append(_delivery_loop(desk, platform.name, platform.sender, pacer))
        for ctx in platform.background:
            app.cleanup_ctx.append(lambda _app, ctx=ctx: ctx())
    if schedule:
        posting = [p.name for p in platforms if p.sender is not None]
        app.cleanup_ctx.append(scheduling.server_context(desk, posting))
    return app


# The platform routes whose requests are counted and whose ack time is measured.
INBOUND_ROUTES = {"/slack/events": "slack", "/api/messages": "teams"}


@web.middleware
async def _measure(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    platform = INBOUND_ROUTES.get(request.path)
    if platform is None:
        return await handler(request)
    started = time.monotonic()
    response = await handler(request)  # the ack (and nothing after it) is sent by now
    metrics.acked(platform, started)
    kind = (
        "unauthorized"
        if response.status == 401
        else metrics.http_kind(platform, request.content_type, await request.read())
    )
    metrics.request(platform, kind)
    return response


async def _healthz(request: web.Request) -> web.Response:
    desk = request.app[DESK]
    return web.json_response({"ok": True, "team": desk.config.team.name})


async def _chart(request: web.Request) -> web.Response:
    """`GET /charts/<token>.png`: a stored chart while it lasts (Teams cards show it), 404
    otherwise; the token is random, so the URL cannot be guessed."""
    desk = request.app[DESK]
    token = request.match_info["token"]
    png = await asyncio.to_thread(chart_files.chart_png, desk.engine, token, desk.now())
    if png is None:
        raise web.HTTPNotFound()
    headers = {"Cache-Control": "private, max-age=3600"}
    return web.Response(body=png, content_type="image/png", headers=headers)


def _delivery_loop(desk: Desk, platform: str, sender: Sender, pacer: Pacer | None):  # type: ignore[no-untyped-def]
    async def ctx(_app: web.Application) -> AsyncIterator[None]:
        stop = asyncio.Event()
        task = asyncio.create_task(run_delivery(desk, platform, sender, pacer, stop))
        yield
        # Let a batch in flight finish and record what the platform said (a post cut off
        # after the platform's ok but before the record would go out again on restart).
        stop.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(task), STOP_GRACE_SECONDS)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    return ctx


async def run_delivery(
    desk: Desk,
    platform: str,
    sender: Sender,
    pacer: Pacer | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Deliver the outbox until stopped; rows left by a crash are picked up here on restart."""
    stop = stop or asyncio.Event()
    while not stop.is_set():
        try:
            handled = await deliver_due(desk.engine, platform, sender, desk.now(), pacer, desk.now)
        except Exception:
            log.exception("%s delivery loop", platform)
            handled = 0
        if not handled:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), POLL_SECONDS)


def tune_runtime() -> None:
    """Process settings for a long-running server (not for tests or the console).

    Python's default collector runs a full pass over every live object far too often for a
    server holding queued work; that pause was the slowest 1 % of Slack acks. Objects made
    at start are frozen out of the passes, and the older generations are collected less
    often. Young collections stay frequent: the ORM's reference cycles left by each request's
    work are freed soon (a 10,000-allocation young threshold kept ~15 MB more after a burst).
    """
    import gc

    gc.collect()
    gc.freeze()
    gc.set_threshold(2_000, 10, 20)


def platforms_from(
    settings: Settings, desk: Desk, slack_worker: WorkerProcesses | None = None
) -> list[Platform]:
    """The platforms this environment turns on; adapters register here. `slack_worker`:
    Slack's work after the acks runs in that process (bot.inbox_worker)."""
    from bot import teams

    platforms: list[Platform] = []
    if settings.slack_bot_token:  # Teams-only installs need no Slack settings
        from bot import slack

        platforms.append(slack.platform(settings, desk, slack_worker))
    platforms.append(teams.platform(settings, desk))  # always on; local mode without an app id
    return platforms
