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

from handlers.config.jobs import OnHoliday
from handlers.config.team import TeamInfo
from handlers.config.when import WEEKDAY_NAMES, When, parse_when
from handlers.config.workdays import calendar

_SEARCH_DAYS = 800  # give up looking for a matching day after this many candidates
_TICK = dt.timedelta(microseconds=1)
_SHIFT_DAYS = 8  # how far a holiday can move a weekly fire


class WorkdayTrigger(BaseTrigger):
    """`on_holiday` (weekday `when`s only, e.g. "fri 15:00"): when the day is a public
    holiday, fire on the previous or next working day at the same time instead, or skip.
    A day off that is no holiday (a weekend) is skipped as before."""

    __slots__ = ("_cron", "on_holiday", "team", "when")

    def __init__(self, team: TeamInfo, when: When, on_holiday: OnHoliday = "skip") -> None:
        self.team = team
        self.when = when
        self.on_holiday: OnHoliday = on_holiday if when.days == "weekdays" else "skip"
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
        if self.on_holiday != "skip":
            return self._next_moved(now)
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

    def _moved_day(self, day: dt.date) -> dt.date | None:
        """Where a listed day's fire goes: itself, its holiday's neighbour, or nowhere."""
        work = calendar(self.team)
        if work.is_working_day(day):
            return day
        if work.holiday(day) is None:
            return None  # a weekend, not a holiday: skipped as always
        if self.on_holiday == "previous_working_day":
            return work.previous_working_day(day)
        return work.next_working_day(day)

    def _next_moved(self, now: dt.datetime) -> dt.datetime | None:
        # a holiday's fire may move up to a week either way: start the search a week early
        start = now.astimezone(self.team.zone).date() - dt.timedelta(days=_SHIFT_DAYS)
        for n in range(_SEARCH_DAYS):
            day = start + dt.timedelta(days=n)
            if day.weekday() not in self.when.weekdays:
                continue
            target = self._moved_day(day)
            if target is None:
                continue
            at = self._at(target)
            if at is not None and at >= now:
                return at
        return None

    def _at(self, day: dt.date) -> dt.datetime | None:
        """The wall-clock time on a day, via the cron (it knows DST gaps and folds)."""
        midnight = dt.datetime.combine(day, dt.time(0), tzinfo=self.team.zone)
        hit = CronTrigger(
            hour=self.when.time.hour,
            minute=self.when.time.minute,
            second=0,
            timezone=self.team.zone,
        ).get_next_fire_time(None, midnight)
        return hit if hit is not None and hit.date() == day else None

    def moved_from(self, at: dt.datetime) -> tuple[dt.date, str] | None:
        """The holiday a fire at `at` was moved from, with its name, if it was."""
        if self.on_holiday == "skip":
            return None
        day = at.astimezone(self.team.zone).date()
        for n in range(-_SHIFT_DAYS, _SHIFT_DAYS + 1):
            origin = day + dt.timedelta(days=n)
            if n and origin.weekday() in self.when.weekdays and self._moved_day(origin) == day:
                return origin, calendar(self.team).holiday(origin) or ""
        return None

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


def trigger_for(
    team: TeamInfo, whens: tuple[str, ...], on_holiday: OnHoliday = "skip"
) -> BaseTrigger:
    triggers = [WorkdayTrigger(team, parse_when(w), on_holiday) for w in whens]
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
