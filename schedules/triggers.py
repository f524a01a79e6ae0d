"""APScheduler triggers for the team's `when`s: cron times in its zone, on its working days.

A `WorkdayTrigger` is APScheduler's `CronTrigger` (which keeps local wall-clock times across
DST changes) with the dates the team's calendar rules out filtered away: holidays, and
weekends unless they are make-up working days. Several `when`s of one job combine with
APScheduler's `OrTrigger`. The same trigger objects drive the real-time scheduler and the
injected-clock walks, so both agree on every fire time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.combining import OrTrigger
from apscheduler.triggers.cron import CronTrigger

from handlers.config.team import TeamInfo
from handlers.config.when import WEEKDAY_NAMES, When, parse_when
from handlers.config.workdays import calendar

_SEARCH_DAYS = 800  # give up looking for a matching day after this many candidates
_TICK = dt.timedelta(microseconds=1)


class WorkdayTrigger(BaseTrigger):
    __slots__ = ("_cron", "team", "when")

    def __init__(self, team: TeamInfo, when: When) -> None:
        self.team = team
        self.when = when
        weekdays = None
        if when.days == "weekdays":
            weekdays = ",".join(WEEKDAY_NAMES[d] for d in when.weekdays)
        self._cron = CronTrigger(
            day_of_week=weekdays,
            hour=when.time.hour,
            minute=when.time.minute,
            second=0,
            timezone=team.zone,
        )

    def get_next_fire_time(
        self, previous_fire_time: dt.datetime | None, now: dt.datetime
    ) -> dt.datetime | None:
        candidate = self._cron.get_next_fire_time(previous_fire_time, now)
        for _ in range(_SEARCH_DAYS):
            if candidate is None:
                return None
            if self._fits(candidate.date()) and not _repeated(candidate):
                return candidate
            candidate = self._cron.get_next_fire_time(None, _after(candidate))
        return None

    def _fits(self, day: dt.date) -> bool:
        days = self.when.days
        if days == "daily":
            return True
        work = calendar(self.team)
        if not work.is_working_day(day):
            return False
        if days == "first-working-day":
            return not work.working_days(day.replace(day=1), day - dt.timedelta(days=1))
        if days == "last-working-day":
            month_end = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
            return not work.working_days(day + dt.timedelta(days=1), month_end - dt.timedelta(1))
        return True  # working days, or the listed weekdays (the cron part checked those)

    def __str__(self) -> str:
        return f"workday[{self.when}]"


def _after(at: dt.datetime) -> dt.datetime:
    """The instant after `at`. In UTC: adding to a local time keeps the wall clock and drops
    `fold`, which would land before the second 02:30 of a DST fall-back night."""
    return at.astimezone(dt.UTC) + _TICK


def _repeated(at: dt.datetime) -> bool:
    """The second pass of a wall-clock time the DST fall-back repeats: a job fires once."""
    if not at.fold:
        return False
    return at.replace(fold=0).utcoffset() != at.utcoffset()


def trigger_for(team: TeamInfo, whens: tuple[str, ...]) -> BaseTrigger:
    triggers = [WorkdayTrigger(team, parse_when(w)) for w in whens]
    return triggers[0] if len(triggers) == 1 else OrTrigger(triggers)


def fire_times(
    trigger: BaseTrigger, after: dt.datetime, until: dt.datetime
) -> Iterator[dt.datetime]:
    """Fire times in (after, until], in order, as aware UTC datetimes."""
    at = trigger.get_next_fire_time(None, _after(after))
    while at is not None and at <= until:
        yield at.astimezone(dt.UTC)
        at = trigger.get_next_fire_time(None, _after(at))


def next_times(trigger: BaseTrigger, after: dt.datetime, count: int) -> list[dt.datetime]:
    out: list[dt.datetime] = []
    at = trigger.get_next_fire_time(None, _after(after))
    while at is not None and len(out) < count:
        out.append(at.astimezone(dt.UTC))
        at = trigger.get_next_fire_time(None, _after(at))
    return out
