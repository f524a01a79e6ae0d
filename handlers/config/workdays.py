"""The team's working calendar: working weekdays, public holidays, make-up working days.

Holidays come from the `holidays` package (`team.holidays_country`, e.g. "CN", or "DE-BY"
for a subdivision). Where the calendar knows make-up working days (China moves weekend days
around its Golden Weeks: Sunday 2026-09-20 and Saturday 2026-10-10 are working days), those
count as working days whatever the weekday. Years the package does not know yet simply have
no make-up days.
"""

from __future__ import annotations

import datetime as dt
import threading
from functools import cache

import holidays

from handlers.config.base import WEEKDAYS
from handlers.config.team import TeamInfo


class WorkCalendar:
    def __init__(self, working_days: tuple[str, ...], country: str | None) -> None:
        self._weekdays = frozenset(WEEKDAYS.index(d) for d in working_days)  # type: ignore[arg-type]
        self._holidays: holidays.HolidayBase | None = None
        if country:
            code, _, subdivision = country.partition("-")
            self._holidays = holidays.country_holidays(code, subdiv=subdivision or None)
        self._lock = threading.Lock()  # the package fills in years lazily

    def holiday(self, day: dt.date) -> str | None:
        """The holiday's name when `day` is a public holiday."""
        if self._holidays is None:
            return None
        with self._lock:
            return self._holidays.get(day)

    def is_working_day(self, day: dt.date) -> bool:
        if self._holidays is not None:
            with self._lock:
                if day in self._holidays:  # also loads the year, make-up days included
                    return False
                if day in self._holidays.weekend_workdays:
                    return True
        return day.weekday() in self._weekdays

    def working_days(self, start: dt.date, end: dt.date) -> list[dt.date]:
        """Working days from `start` to `end`, both included."""
        days = (start + dt.timedelta(n) for n in range((end - start).days + 1))
        return [d for d in days if self.is_working_day(d)]

    def previous_working_day(self, day: dt.date, limit: int = 60) -> dt.date | None:
        for n in range(1, limit + 1):
            if self.is_working_day(day - dt.timedelta(n)):
                return day - dt.timedelta(n)
        return None

    def next_working_day(self, day: dt.date, limit: int = 60) -> dt.date | None:
        for n in range(1, limit + 1):
            if self.is_working_day(day + dt.timedelta(n)):
                return day + dt.timedelta(n)
        return None


@cache
def _calendar(working_days: tuple[str, ...], country: str | None) -> WorkCalendar:
    return WorkCalendar(working_days, country)


def calendar(team: TeamInfo) -> WorkCalendar:
    """The team's calendar; one per distinct setting, shared (holiday tables are built once)."""
    return _calendar(tuple(team.working_days), team.holidays_country)


def known_country(country: str) -> bool:
    # Building the one calendar asked for: listing all supported countries would import
    # every country's module, a tenth of a second on each start.
    code, _, subdivision = country.partition("-")
    try:
        holidays.country_holidays(code, subdiv=subdivision or None)
    except NotImplementedError:
        return False
    return True


def local_day_bounds(team: TeamInfo, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Local midnight to the next local midnight of `day`, in UTC (DST days are 23 or 25 h)."""
    zone = team.zone
    start = dt.datetime.combine(day, dt.time(0), zone).astimezone(dt.UTC)
    end = dt.datetime.combine(day + dt.timedelta(1), dt.time(0), zone).astimezone(dt.UTC)
    return start, end


def working_hours(team: TeamInfo, day: dt.date) -> tuple[dt.datetime, dt.datetime] | None:
    """The working hours of `day` in UTC, or None when it is not a working day."""
    if not calendar(team).is_working_day(day):
        return None
    zone, hours = team.zone, team.working_hours
    start = dt.datetime.combine(day, hours.start, zone).astimezone(dt.UTC)
    end = dt.datetime.combine(day, hours.end, zone).astimezone(dt.UTC)
    return (start, end) if end > start else None


def in_working_hours(team: TeamInfo, at: dt.datetime) -> bool:
    hours = working_hours(team, at.astimezone(team.zone).date())
    return hours is not None and hours[0] <= at < hours[1]
