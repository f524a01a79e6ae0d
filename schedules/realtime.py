"""Real time: APScheduler wakes the scheduler at each job's trigger time and every few
seconds for the timers (response clocks, huddles), whose deadlines come from the database.

Every wake-up runs the same `Scheduler.tick`, which works out from the database what is due,
so a wake-up that comes late, early or twice changes nothing; the claims decide. The first
run is at start-up: it catches up on what a restart missed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.interval import IntervalTrigger

from schedules.driver import Scheduler

POLL_SECONDS = 15  # how often timers are checked; clock stages are minutes apart


def install(aps: BaseScheduler, scheduler: Scheduler, run: Callable[[], object]) -> None:
    """Add the wake-ups to an APScheduler scheduler (not yet started)."""
    options = {"misfire_grace_time": None, "coalesce": True, "max_instances": 1}
    for job in scheduler.enabled():
        aps.add_job(run, trigger=job.trigger, id=f"job:{job.id}", name=job.id, **options)
    aps.add_job(
        run,
        trigger=IntervalTrigger(seconds=POLL_SECONDS),
        id="tick",
        name="timers and catch-up",
        next_run_time=dt.datetime.now(dt.UTC),  # start-up: catch up now
        **options,
    )
