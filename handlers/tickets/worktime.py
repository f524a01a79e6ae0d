"""Working time as a cumulative calendar: the clocks' deadline and elapsed in a bisect.

`clocks.deadline` and `clocks.elapsed` used to walk the days one by one (a KPI month at
a million tickets made 125 k such walks). This keeps, per team setting (working days,
holidays, zone, hours), every local day's working hours as integer microseconds since the
epoch with the working time before each, so a duration is a difference of two cumulative
values and a deadline a bisect. A changed setting is another key: nothing goes stale.
The results equal the day walk's exactly (tests/test_worktime.py checks them against it).
"""

from __future__ import annotations

import datetime as dt
import threading
from bisect import bisect_left, bisect_right
from dataclasses import dataclass

from handlers.config.team import TeamInfo
from handlers.config.workdays import working_hours

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_US = dt.timedelta(microseconds=1)
_DAY_US = 86_400_000_000
_EPOCH_DAY = EPOCH.date().toordinal()
MAX_DAYS = 400  # a deadline never looks further than this for opening hours
_MARGIN = 800  # days built beyond what is asked, so a calendar is rarely rebuilt


def _us(at: dt.datetime) -> int:
    return (at - EPOCH) // _US


def _at(us: int) -> dt.datetime:
    return EPOCH + dt.timedelta(microseconds=us)


@dataclass(frozen=True)
class _Table:
    first: dt.date  # the first local day covered
    last: dt.date  # the last local day covered
    days: tuple[int, ...]  # each interval's local day, as an ordinal
    begins: tuple[int, ...]  # working hours of each working day, microseconds, in order
    ends: tuple[int, ...]
    before: tuple[int, ...]  # working time before each interval (cumulative)
    through: tuple[int, ...]  # working time up to each interval's end
    # [lo, hi) in microseconds: every moment in it has its local day in [first, last]
    # (a zone is less than a day off UTC), so the hot paths need no zone conversion
    lo: int
    hi: int


def _build(team: TeamInfo, first: dt.date, last: dt.date) -> _Table:
    days, begins, ends, before = [], [], [], []
    total = 0
    day = first
    while day <= last:
        hours = working_hours(team, day)
        if hours is not None:
            b, e = _us(hours[0]), _us(hours[1])
            days.append(day.toordinal())
            begins.append(b)
            ends.append(e)
            before.append(total)
            total += e - b
        day += dt.timedelta(days=1)
    through = tuple(w + e - b for w, b, e in zip(before, begins, ends, strict=True))
    lo, hi = ((d.toordinal() - _EPOCH_DAY) * _DAY_US for d in (first + dt.timedelta(days=1), last))
    return _Table(
        first, last, tuple(days), tuple(begins), tuple(ends), tuple(before), through, lo, hi
    )


class WorkTime:
    """The working time of one team setting; grows to cover whatever days are asked."""

    def __init__(self, team: TeamInfo) -> None:
        self._team = team
        self._zone = team.zone
        self._lock = threading.Lock()
        today = dt.datetime.now(dt.UTC).date()
        self._table = _build(team, today - dt.timedelta(days=_MARGIN), today)

    def _cover(self, first: dt.date, last: dt.date) -> _Table:
        table = self._table
        if table.first <= first and last <= table.last:
            return table
        with self._lock:
            table = self._table
            if not (table.first <= first and last <= table.last):
                lo = min(table.first, first - dt.timedelta(days=_MARGIN))
                hi = max(table.last, last + dt.timedelta(days=_MARGIN))
                table = self._table = _build(self._team, lo, hi)
        return table

    def _local(self, at: dt.datetime) -> dt.date:
        return at.astimezone(self._zone).date()

    @staticmethod
    def _worked(table: _Table, us: int) -> int:
        """Working time from the table's start up to `us`."""
        i = bisect_right(table.begins, us) - 1
        if i < 0:
            return 0
        return table.before[i] + min(us, table.ends[i]) - table.begins[i]

    def elapsed(self, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        """The working time between two moments (zero when `end` is not after `start`)."""
        if end <= start:
            return dt.timedelta(0)
        s, e = _us(start), _us(end)
        table = self._table
        if not (table.lo <= s and e < table.hi):
            table = self._cover(self._local(start), self._local(end))
        return (self._worked(table, e) - self._worked(table, s)) * _US

    def deadline(self, start: dt.datetime, minutes: int) -> dt.datetime:
        """`minutes` of working time after `start`: in the first working hours that hold the
        rest of the budget (a budget that exactly fills a day ends at its closing time)."""
        s = _us(start)
        table = self._table
        # the local day of `start` is at most a day past its UTC day: in the fast range,
        # the table covers it and the MAX_DAYS after it
        if not (table.lo <= s and s < table.hi - (MAX_DAYS + 1) * _DAY_US):
            first = self._local(start)
            table = self._cover(first, first + dt.timedelta(days=MAX_DAYS))
        budget = minutes * 60_000_000
        k = bisect_right(table.ends, s)  # the first working hours still open after `start`
        if budget > 0:
            target = self._worked(table, s) + budget
            # the first working hours whose end reaches the target
            k = bisect_left(table.through, target, lo=k)
        if k >= len(table.begins) or self._beyond(table.days[k], start, s):
            return start + dt.timedelta(minutes=minutes)  # no working hours in reach
        if budget > 0:
            return _at(table.begins[k] + target - table.before[k])
        return _at(max(table.begins[k], s) + budget)

    def _beyond(self, day: int, start: dt.datetime, s: int) -> bool:
        """Whether a local day (ordinal) is past the MAX_DAYS a deadline looks through from
        `start`; the zone is converted only when its UTC day cannot tell."""
        utc_day = s // _DAY_US + _EPOCH_DAY
        if day <= utc_day + MAX_DAYS - 2:  # the local day is at least the UTC day - 1
            return False
        return day > self._local(start).toordinal() + MAX_DAYS - 1

    def reach(self, end: dt.datetime, minutes: int) -> dt.datetime:
        """The earliest start whose `minutes` deadline can be at or after `end`: every
        earlier start has its deadline before `end` (deadlines grow with the start, and a
        deadline at or after `end` leaves at most `minutes` of working time before it)."""
        back = MAX_DAYS
        while True:
            last = self._local(end)
            table = self._cover(last - dt.timedelta(days=back), last)
            target = self._worked(table, _us(end)) - minutes * 60_000_000
            first_us = _us(dt.datetime.combine(table.first, dt.time(0), dt.UTC))
            if target > 0:
                k = bisect_left(table.through, target)
                found = table.begins[k] + target - table.before[k]
                return _at(found)
            if back >= 4 * MAX_DAYS:  # hardly any working hours: the wall-clock bound
                return min(_at(first_us), end - dt.timedelta(minutes=minutes))
            back *= 2


_CALENDARS: dict[tuple[object, ...], WorkTime] = {}


_BY_OBJECT: dict[int, tuple[TeamInfo, WorkTime]] = {}  # the settings asked lately, by identity


def worktime(team: TeamInfo) -> WorkTime:
    """The calendar of a team setting, shared by every setting equal to it."""
    # KPIs ask once per deadline, a hundred thousand times a report: the (frozen) setting
    # object itself is looked up first, before its key is built
    known = _BY_OBJECT.get(id(team))
    if known is not None and known[0] is team:
        return known[1]
    if len(_BY_OBJECT) > 64:
        _BY_OBJECT.clear()
    found = _calendar(team)
    _BY_OBJECT[id(team)] = (team, found)
    return found


def _calendar(team: TeamInfo) -> WorkTime:
    hours = team.working_hours
    key = (
        tuple(team.working_days),
        team.holidays_country,
        team.timezone,
        hours.start,
        hours.end,
    )
    found = _CALENDARS.get(key)
    if found is None:
        found = _CALENDARS.setdefault(key, WorkTime(team))
    return found
