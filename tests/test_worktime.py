"""The working-time calendar gives exactly what walking the days one by one gave."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from handlers.config.team import TeamConfig, TeamInfo, WorkingHours
from handlers.config.workdays import working_hours
from handlers.tickets.worktime import MAX_DAYS, worktime


def walk_deadline(team: TeamInfo, start: dt.datetime, minutes: int) -> dt.datetime:
    """The day-by-day walk `clocks.deadline` did before the calendar (the reference)."""
    budget = dt.timedelta(minutes=minutes)
    day = start.astimezone(team.zone).date()
    for _ in range(MAX_DAYS):
        hours = working_hours(team, day)
        if hours is not None:
            begin, end = max(hours[0], start), hours[1]
            if begin < end:
                if begin + budget <= end:
                    return begin + budget
                budget -= end - begin
        day += dt.timedelta(days=1)
    return start + dt.timedelta(minutes=minutes)


def walk_elapsed(team: TeamInfo, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
    if end <= start:
        return dt.timedelta(0)
    total = dt.timedelta(0)
    day = start.astimezone(team.zone).date()
    last = end.astimezone(team.zone).date()
    while day <= last:
        hours = working_hours(team, day)
        if hours is not None:
            begin, finish = max(hours[0], start), min(hours[1], end)
            if finish > begin:
                total += finish - begin
        day += dt.timedelta(days=1)
    return total


def teams(sample: TeamConfig) -> list[TeamInfo]:
    base = sample.team
    return [
        base,  # Asia/Shanghai with China's holidays and make-up working days
        base.model_copy(
            update={
                "timezone": "Europe/Berlin",  # DST days of 23 and 25 hours
                "holidays_country": "DE-BY",
                "working_hours": WorkingHours(start=dt.time(8, 30), end=dt.time(17, 15)),
            }
        ),
        base.model_copy(update={"timezone": "America/New_York", "working_days": ("sat",)}),
        base.model_copy(update={"working_days": ()}),  # no working hours at all
    ]


def moments(rng: random.Random, n: int) -> list[dt.datetime]:
    start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    found = []
    for _ in range(n):
        at = start + dt.timedelta(seconds=rng.randint(0, 3 * 365 * 86400))
        # on the hour, at a second, or at an odd microsecond: boundaries and in between
        at = rng.choice([at.replace(minute=0, second=0), at, at + dt.timedelta(microseconds=7)])
        found.append(at)
    return found


@pytest.mark.parametrize("which", range(4))
def test_deadline_equals_the_day_walk(sample: TeamConfig, which: int) -> None:
    team = teams(sample)[which]
    rng = random.Random(which)
    calendar = worktime(team)
    for start in moments(rng, 1500):
        minutes = rng.choice([-5, 0, 1, 15, 30, 240, 540, 525, 1080, 4 * 60 * 24, 20_000])
        assert calendar.deadline(start, minutes) == walk_deadline(team, start, minutes), (
            start,
            minutes,
        )


@pytest.mark.parametrize("which", range(4))
def test_elapsed_equals_the_day_walk(sample: TeamConfig, which: int) -> None:
    team = teams(sample)[which]
    rng = random.Random(100 + which)
    calendar = worktime(team)
    for start in moments(rng, 1500):
        end = start + rng.choice(
            [
                dt.timedelta(0),
                -dt.timedelta(hours=1),
                dt.timedelta(minutes=rng.randint(1, 600)),
                dt.timedelta(days=rng.randint(1, 40), seconds=rng.randint(0, 86400)),
            ]
        )
        assert calendar.elapsed(start, end) == walk_elapsed(team, start, end), (start, end)


def test_a_deadline_at_the_closing_time_stays_on_that_day(sample: TeamConfig) -> None:
    """A budget that exactly fills the rest of the day ends at the closing time, not at the
    next day's opening (a ticket answered then is in time)."""
    team = sample.team
    zone = team.zone
    start = dt.datetime(2026, 11, 23, 17, 30, tzinfo=zone)  # a Monday, 30 min before 18:00
    due = worktime(team).deadline(start.astimezone(dt.UTC), 30)
    assert due == dt.datetime(2026, 11, 23, 18, 0, tzinfo=zone)
    # a start on a holiday waits for the next working day's opening
    national_day = dt.datetime(2026, 10, 1, 10, 0, tzinfo=zone)
    assert worktime(team).deadline(national_day, 30) == walk_deadline(team, national_day, 30)
