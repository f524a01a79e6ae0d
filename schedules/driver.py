"""The scheduler: every job's fires and every registered timer, each posted exactly once.

Where posts go: a fire is posted once per *outlet*, a (platform, scope) pair the process
serves: `console:local` in the console, `slack:<team.slack_team_id>` and
`teams:<team.teams_tenant_id>` when serving those platforms. Tickets are scoped the same way,
so each outlet's queue reminder lists that workspace's tickets. Timers post to the scope of
the ticket (or huddle) they belong to.

Exactly once: each (scope, job, fire time) is claimed by a unique `schedule_fire` row in the
transaction that queues its posts (see `storage.fires`). Fires are found from the last
recorded one: on a restart, those missed by less than the grace window
(`schedules.grace_minutes`) run once, late, and say so; older ones are recorded as skipped.

Time is injected. `tick(now)` is the real-time step (APScheduler wakes it at each job's
trigger time and every few seconds for the timers). `walk(old, new)` is the console's
`:time`: every fire and timer due on the way, in time order, each at its own moment.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

from handlers.chat.model import Post
from handlers.desk import Desk
from schedules.fire import FIRST_POST
from schedules.jobs import Fire, Job, jobs_for
from schedules.timers import TIMERS, Timer
from schedules.triggers import fire_times, next_times
from storage import fires, outbox
from storage.db import read_scope, session_scope

log = logging.getLogger(__name__)

LATE_AFTER = dt.timedelta(minutes=1)  # a fire run later than this says it is late
# A tick runs a little after the fire time it woke for: a fire this recent is on time and
# is posted whatever `schedules.grace_minutes` says (a zero grace must not skip it).
ON_TIME = LATE_AFTER
LOOKBACK = dt.timedelta(days=31)  # how far back missed fires are recorded as skipped
WALK_LIMIT = dt.timedelta(days=31)  # a longer `:time` jump skips the fires before this


@dataclass(frozen=True)
class Outlet:
    platform: str  # who delivers: console, slack, teams
    scope: str  # platform:workspace, as tickets are scoped


@dataclass(frozen=True)
class Outcome:
    job: str
    scope: str
    at: dt.datetime
    status: str  # posted, late, manual, skipped; taken: another process or run had it
    posts: int = 0


class UnknownJob(LookupError):
    pass


class Scheduler:
    def __init__(
        self,
        desk: Desk,
        outlets: Sequence[Outlet],
        *,
        timers: Sequence[Timer] | None = None,
    ) -> None:
        self.desk = desk
        self.outlets = tuple(outlets)
        self.jobs = jobs_for(desk.config)
        self._timers = timers  # None: the registry, read at each use
        self._lock = threading.Lock()  # one tick at a time in this process

    # -- the jobs ------------------------------------------------------------------------

    @property
    def timers(self) -> list[Timer]:
        return list(TIMERS if self._timers is None else self._timers)

    def job(self, job_id: str) -> Job:
        for job in self.jobs:
            if job.id == job_id:
                return job
        raise UnknownJob(job_id)

    def enabled(self) -> list[Job]:
        return [job for job in self.jobs if job.enabled]

    def upcoming(self, job: Job, after: dt.datetime, count: int = 3) -> list[dt.datetime]:
        return next_times(job.trigger, after, count)

    # -- firing --------------------------------------------------------------------------

    def fire(
        self, job: Job, at: dt.datetime, status: str, outlets: Sequence[Outlet] | None = None
    ) -> list[Outcome]:
        """Claim and queue one fire for each outlet (status: posted, late or manual).

        Content is built first (reads only); the claims and their posts are then written in
        one transaction, so a fire is either claimed with its posts or not at all.
        """
        desk, targets = self.desk, list(outlets or self.outlets)
        with session_scope(desk.engine) as session:
            taken = fires.claimed_scopes(session, job.id, at, [o.scope for o in targets])
            todo = [outlet for outlet in targets if outlet.scope not in taken]
            fire = Fire(at, late=status == "late", scopes=tuple(o.scope for o in todo))
            with desk.for_channel():  # scheduled posts go to channels
                built = [(outlet, job.build(desk, session, outlet.scope, fire)) for outlet in todo]
        out = [Outcome(job.id, o.scope, at, "taken") for o in targets if o.scope in taken]
        stamp = f"{at.astimezone(dt.UTC):%Y%m%dT%H%M%S%f}"
        with session_scope(desk.engine) as session:
            counts = {outlet.scope: len(posts) for outlet, posts in built}
            mine = fires.claim_fires(session, job.id, at, status, desk.now(), counts)
            rows: list[dict[str, Any]] = []  # every scope's posts in one INSERT (a few)
            for outlet, posts in built:
                scope = outlet.scope
                if scope not in mine:
                    out.append(Outcome(job.id, scope, at, "taken"))  # another process won
                    continue
                for n, post in enumerate(posts):
                    key = f"fire:{scope}:{job.id}:{stamp}:{n}"
                    target = post.target
                    if target.thread == FIRST_POST:
                        target = replace(target, thread=f"fire:{scope}:{job.id}:{stamp}:0")
                    post = Post(target, post.message, key)
                    rows += desk.outbox_rows(outlet.platform, scope, [post])
                out.append(Outcome(job.id, scope, at, status, len(posts)))
            outbox.enqueue(session, rows)
        return out

    def skip(self, job: Job, at: dt.datetime, outlets: Sequence[Outlet] | None = None) -> None:
        with session_scope(self.desk.engine) as session:
            for outlet in outlets or self.outlets:
                fires.claim_fire(session, outlet.scope, job.id, at, "skipped", self.desk.now())

    def catch_up(self, now: dt.datetime | None = None) -> list[Outcome]:
        """Every fire due by `now` since the last recorded one: on time, late, or skipped."""
        now = now or self.desk.now()
        # the grace only decides about late fires; on-time ones never depend on it
        grace = max(ON_TIME, dt.timedelta(minutes=self.desk.config.schedules.grace_minutes))
        due: list[tuple[dt.datetime, int, Job, Outlet]] = []
        with read_scope(self.desk.engine) as session:
            latest = {o.scope: fires.latest_fires(session, o.scope, now) for o in self.outlets}
        for outlet in self.outlets:
            # Since a job's own last fire; a job that never fired here, since the scope's last
            # fire of any job (the scheduler was running then); a first start: the grace.
            known = latest[outlet.scope]
            alive = max(known.values(), default=None)
            for order, job in enumerate(self.enabled()):
                last = known.get(job.id, alive)
                start = max(last, now - LOOKBACK) if last else now - grace
                due += [(at, order, job, outlet) for at in fire_times(job.trigger, start, now)]
        out: list[Outcome] = []
        for at, _, job, outlet in sorted(due, key=lambda d: (d[0], d[1])):
            lag = now - at
            try:
                if lag > grace:
                    self.skip(job, at, [outlet])
                    out.append(Outcome(job.id, outlet.scope, at, "skipped"))
                else:
                    status = "late" if lag > LATE_AFTER else "posted"
                    out += self.fire(job, at, status, [outlet])
            except Exception:  # left unclaimed: the next tick tries again within the grace
                log.exception("scheduled job %s at %s failed", job.id, at.isoformat())
        return out

    def fire_timers(self, now: dt.datetime) -> int:
        fired = 0
        for timer in self.timers:
            try:
                fired += timer.fire_due(self.desk, now)
            except Exception:
                log.exception("timer %s failed", timer.name)
        return fired

    def tick(self, now: dt.datetime | None = None) -> list[Outcome]:
        """The real-time step: jobs due by now (catching up after a restart), then timers."""
        with self._lock:
            now = now or self.desk.now()
            out = self.catch_up(now)
            self.fire_timers(now)
            return out

    def run_now(self, job_id: str) -> list[Outcome]:
        """`deskbot schedule run JOB`: post it now, whatever its schedule (even when off)."""
        job = self.job(job_id)
        return self.fire(job, self.desk.now(), "manual")

    # -- the console's clock ----------------------------------------------------------------

    def walk(
        self, old: dt.datetime, new: dt.datetime, set_clock: Callable[[dt.datetime], None]
    ) -> Iterator[dt.datetime]:
        """Move time from `old` to `new`: at each moment something falls due on the way
        (a job's fire or a timer's deadline, interleaved in time order), set the clock
        there and fire it; then end at `new`. Yields each moment after firing it, so the
        caller can show what was posted. Moving back fires nothing."""
        if new <= old:
            return
        jobs = self.enabled()
        pending = sorted(
            (
                (at, order, job)
                for order, job in enumerate(jobs)
                for at in fire_times(job.trigger, old, new)
            ),
            key=lambda p: (p[0], p[1]),
        )
        cutoff = new - WALK_LIMIT
        for at, _, job in (p for p in pending if p[0] < cutoff):
            self.skip(job, at)  # a jump of months would otherwise replay every day of it
        pending = [p for p in pending if p[0] >= cutoff]
        cursor, index = old, 0
        while True:
            moments = [pending[index][0]] if index < len(pending) else []
            timer_due = self._next_timer_due(cursor)
            if timer_due is not None:
                moments.append(timer_due)
            if not moments or min(moments) > new:
                break
            step = min(moments)
            set_clock(step)
            self.fire_timers(step)  # a deadline at this moment comes before what reports it
            while index < len(pending) and pending[index][0] <= step:
                at, _, job = pending[index]
                self.fire(job, at, "posted")
                index += 1
            cursor = step
            yield step
        set_clock(new)
        self.fire_timers(new)
        yield new

    def _next_timer_due(self, after: dt.datetime) -> dt.datetime | None:
        dues = []
        for timer in self.timers:
            try:
                due = timer.next_due(self.desk, after)
            except Exception:
                log.exception("timer %s failed", timer.name)
                continue
            if due is not None and due > after:
                dues.append(due)
        return min(dues, default=None)
