"""The scheduler inside a console: `:time` walks every fire due on the way, in order;
until `:time` is used it fires on real time, between commands (never mid-command)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from apscheduler.schedulers.background import BackgroundScheduler

from bot.scheduling import CONSOLE_OUTLET
from schedules import realtime
from schedules.driver import Scheduler

if TYPE_CHECKING:
    from bot.console.session import Console

log = logging.getLogger(__name__)


def attach_console(console: Console) -> Callable[[], None]:
    """Hook the scheduler into a console: `:time` walks through everything due on the way;
    until `:time` is used, it fires on real time, between commands (never mid-command).
    Returns the function that stops it."""
    desk, clock = console.desk, console.clock
    scheduler = Scheduler(desk, [CONSOLE_OUTLET])

    if clock is not None:

        def moved(old: dt.datetime, new: dt.datetime) -> None:
            for _ in scheduler.walk(old, new, clock.set):
                console.flush()  # show each moment's posts before the next one fires

        console.on_time.append(moved)

    def on_real_time() -> None:
        with console.lock:
            if clock is not None and clock.fixed:
                return  # `:time` has taken over: time moves only when told
            try:
                scheduler.tick()
                console.flush()
            except Exception:  # the session goes on; the next wake-up tries again
                log.exception("console scheduler")

    aps = BackgroundScheduler(timezone=desk.config.team.zone, daemon=True)
    realtime.install(aps, scheduler, on_real_time)
    on_real_time()  # a restart's catch-up, shown as soon as the scheduler starts
    aps.start()
    # wait: a tick in progress finishes before the console (and its interpreter) exits
    return lambda: aps.shutdown(wait=True)
