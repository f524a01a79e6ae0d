"""The scheduler in the bot's processes: the console, `deskbot serve`, `deskbot schedule`.

Outlets (where scheduled posts go): the console posts to `console:local`; the server to each
platform it serves with a sender, scoped as that platform scopes tickets:
`slack:<team.slack_team_id>` and `teams:<team.teams_tenant_id>` (a platform whose id is not
configured gets no scheduled posts, since its tickets' scope is unknown). `deskbot schedule
run` posts to the platforms the environment configures (Slack token, Teams app id), else to
the console.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import sys
from collections.abc import AsyncIterator, Iterable
from typing import TYPE_CHECKING

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.config import Settings
from handlers.config.team import TeamConfig
from handlers.desk import Desk
from schedules import realtime
from schedules.driver import Outlet, Scheduler, UnknownJob
from schedules.jobs import jobs_for
from schedules.triggers import next_times

if TYPE_CHECKING:
    from aiohttp import web


log = logging.getLogger(__name__)
CONSOLE_OUTLET = Outlet("console", "console:local")


def outlets_for(config: TeamConfig, platforms: Iterable[str]) -> list[Outlet]:
    team, out = config.team, []
    for name in platforms:
        if name == "console":
            out.append(CONSOLE_OUTLET)
        elif name == "slack" and team.slack_team_id:
            out.append(Outlet("slack", f"slack:{team.slack_team_id}"))
        elif name == "teams" and team.teams_tenant_id:
            out.append(Outlet("teams", f"teams:{team.teams_tenant_id}"))
    return out


def configured_platforms(settings: Settings) -> list[str]:
    names = [
        name
        for name, on in (
            ("slack", bool(settings.slack_bot_token)),
            ("teams", bool(settings.microsoft_app_id)),
        )
        if on
    ]
    return names or ["console"]


# -- the server ----------------------------------------------------------------------------


def server_context(desk: Desk, platforms: Iterable[str]):  # type: ignore[no-untyped-def]
    """An aiohttp cleanup context running the scheduler for the app's lifetime. Ticks run in
    APScheduler's executor threads, so the event loop keeps answering requests."""
    names = list(platforms)

    async def ctx(_app: web.Application) -> AsyncIterator[None]:
        scheduler = Scheduler(desk, outlets_for(desk.config, names))
        aps = AsyncIOScheduler(timezone=desk.config.team.zone)
        realtime.install(aps, scheduler, scheduler.tick)
        aps.start()
        yield
        aps.pause()
        await _ticks_done(aps)
        aps.shutdown(wait=False)

    return ctx


STOP_TICK_SECONDS = 10.0  # at shutdown, a tick in progress gets this long to finish


async def _ticks_done(aps: AsyncIOScheduler) -> None:
    """Let a tick in progress finish before the scheduler stops: its shutdown would cancel
    the tick's future (the thread runs on regardless) and log that as an error."""
    executor = aps._lookup_executor("default")
    pending = set(getattr(executor, "_pending_futures", ()))  # APScheduler 3.x, pinned
    if pending:
        await asyncio.wait(pending, timeout=STOP_TICK_SECONDS)


# -- deskbot schedule list|run ---------------------------------------------------------------


def schedule_command(settings: Settings, action: str, job_id: str | None) -> int:
    if action == "list":
        try:
            return schedule_list(settings.team, dt.datetime.now(dt.UTC))
        except BrokenPipeError:  # `deskbot schedule list | head`: the reader has enough
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 0
    if not job_id:
        print("deskbot schedule run: which job? " + _known(settings.team), file=sys.stderr)
        return 2
    return schedule_run(settings, job_id)


def schedule_list(config: TeamConfig, now: dt.datetime) -> int:
    team = config.team
    zone = team.zone
    holidays = f", holidays {team.holidays_country}" if team.holidays_country else ""
    print(
        f"{team.name} · {team.timezone} · working days {','.join(team.working_days)}"
        f"{holidays} · now {now.astimezone(zone):%a %Y-%m-%d %H:%M}"
    )
    for job in jobs_for(config):
        when = ", ".join(job.whens)
        if job.enabled:
            times = " · ".join(
                f"{t.astimezone(zone):%a %Y-%m-%d %H:%M}" for t in next_times(job.trigger, now, 3)
            )
        else:
            times = "off"
        kind = "" if job.kind == job.id else f" ({job.kind})"
        print(f"{job.id:<18} {when:<26} {times}")
        print(f"{'':<18} {job.title}{kind}")
    return 0


def schedule_run(settings: Settings, job_id: str) -> int:
    from bot.app import build_desk

    desk = build_desk(settings)
    scheduler = Scheduler(desk, outlets_for(desk.config, configured_platforms(settings)))
    try:
        outcomes = scheduler.run_now(job_id)
    except UnknownJob:
        print(f"deskbot schedule run: no job {job_id!r}; " + _known(desk.config), file=sys.stderr)
        return 1
    for o in outcomes:
        if o.status == "taken":
            print(f"{o.job}: already posted to {o.scope} at this moment")
        else:
            print(f"{o.job}: queued {o.posts} post(s) for {o.scope}")
    return 0


def _known(config: TeamConfig) -> str:
    return "jobs: " + ", ".join(job.id for job in jobs_for(config))
