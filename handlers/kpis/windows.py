"""The stretches of time a KPI report covers, in the team's zone.

Every window is [start, end) in UTC. Digests run from the previous digest's end, so no
ticket falls between two of them; the weekly and monthly figures compare with the period
before (the same span one week earlier, the month before).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Literal

from handlers.config.team import TeamConfig
from handlers.config.workdays import calendar, local_day_bounds

Period = Literal["day", "week", "month"]
_INSTANT = dt.timedelta(microseconds=1)  # the smallest step of a stored time


@dataclass(frozen=True)
class Window:
    """[start, end) in UTC; `kind` names it in messages (day, week, month, yesterday, ...)."""

    kind: str
    start: dt.datetime
    end: dt.datetime
    first_day: dt.date  # local dates, for headings
    last_day: dt.date


def local_date(config: TeamConfig, when: dt.datetime) -> dt.date:
    """The team-local date of a moment."""
    return when.astimezone(config.team.zone).date()


def period_window(config: TeamConfig, period: Period, now: dt.datetime) -> Window:
    """Today, this week (from Monday) or this month, from local midnight to now (what
    happened at this very moment included: it has happened)."""
    today = local_date(config, now)
    first = {
        "day": today,
        "week": today - dt.timedelta(days=today.weekday()),
        "month": today.replace(day=1),
    }[period]
    start, _ = local_day_bounds(config.team, first)
    return Window(period, start, now + _INSTANT, first, today)


def since(config: TeamConfig, start: dt.datetime, now: dt.datetime) -> Window:
    """From a moment (the previous digest's end) to now: nothing between two digests is left
    out, whatever time of day it happened."""
    kind = "day" if local_date(config, start) == local_date(config, now) else "since"
    return Window(kind, start, now, local_date(config, start), local_date(config, now))


def previous_working_day(config: TeamConfig, now: dt.datetime) -> Window:
    """From the start of the previous working day to the start of today: on a Monday that
    is Friday and the weekend, so nothing logged in between is left out."""
    today = local_date(config, now)
    first = calendar(config.team).previous_working_day(today) or today - dt.timedelta(days=1)
    start, _ = local_day_bounds(config.team, first)
    end, _ = local_day_bounds(config.team, today)
    return Window("yesterday", start, end, first, today - dt.timedelta(days=1))


def month_of(config: TeamConfig, first: dt.date, kind: str = "last_month") -> Window:
    """The whole calendar month starting on `first`."""
    following = (first + dt.timedelta(days=32)).replace(day=1)
    start, _ = local_day_bounds(config.team, first)
    end, _ = local_day_bounds(config.team, following)
    return Window(kind, start, end, first, following - dt.timedelta(days=1))


def previous_month(config: TeamConfig, now: dt.datetime) -> Window:
    """The calendar month before the one `now` is in (what monthly planning looks back on)."""
    last_day = local_date(config, now).replace(day=1) - dt.timedelta(days=1)
    return month_of(config, last_day.replace(day=1))


def previous(config: TeamConfig, window: Window) -> Window | None:
    """The period a week or month is compared with: the same span one week earlier (the
    week so far against last week up to the same moment), or the month before."""
    if window.kind == "week":
        week = dt.timedelta(days=7)
        return replace(
            window,
            kind="previous_week",
            start=window.start - week,
            end=window.end - week,
            first_day=window.first_day - week,
            last_day=window.last_day - week,
        )
    if window.kind in ("month", "last_month"):
        before = window.first_day - dt.timedelta(days=1)
        whole = month_of(config, before.replace(day=1), "previous_month")
        if window.kind == "last_month":
            return whole
        # the month so far against the month before up to the same point
        span = window.end - window.start
        return replace(whole, end=min(whole.end, whole.start + span))
    return None
