"""When a scheduled job fires, as the configuration writes it.

    "09:30"                    every working day at 09:30
    "daily 18:00"              every calendar day, weekends and holidays too
    "fri 15:00", "mon,thu 10"  those weekdays, when they are working days
    "first-working-day 10:00"  the first working day of each month
    "last-working-day 16:00"   the last working day of each month

Times are the team's local wall-clock time. Working days come from the team's calendar
(`handlers.config.workdays`): its working weekdays, minus public holidays, plus make-up
working days.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import AfterValidator

WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Days = Literal["working", "daily", "weekdays", "first-working-day", "last-working-day"]
_TIME = re.compile(r"^([01]?\d|2[0-3])(?::([0-5]\d))?$")


@dataclass(frozen=True)
class When:
    days: Days
    time: dt.time
    weekdays: tuple[int, ...] = ()  # Monday = 0, for days == "weekdays"

    def __str__(self) -> str:
        clock = self.time.strftime("%H:%M")
        if self.days == "working":
            return clock
        if self.days == "weekdays":
            return f"{','.join(WEEKDAY_NAMES[d] for d in self.weekdays)} {clock}"
        return f"{self.days} {clock}"


def parse_when(text: str) -> When:
    """Parse a `when`; raises ValueError with the reason (pydantic shows it with the place)."""
    words = text.strip().lower().split()
    if not words or len(words) > 2:
        raise ValueError(f"{text!r} is not a time like '09:30', 'fri 15:00' or 'daily 18:00'")
    match = _TIME.match(words[-1])
    if not match:
        raise ValueError(f"{words[-1]!r} is not a time of day (HH:MM, 24-hour)")
    time = dt.time(int(match.group(1)), int(match.group(2) or 0))
    if len(words) == 1:
        return When("working", time)
    days = words[0]
    if days in ("daily", "first-working-day", "last-working-day"):
        return When(days, time)  # type: ignore[arg-type]
    names = days.split(",")
    unknown = [n for n in names if n not in WEEKDAY_NAMES]
    if unknown:
        raise ValueError(
            f"{unknown[0]!r} is not a weekday or one of daily, first-working-day, last-working-day"
        )
    return When("weekdays", time, tuple(sorted({WEEKDAY_NAMES.index(n) for n in names})))


def _check(text: str) -> str:
    parse_when(text)
    return text


# A `when` string in the configuration: kept as written, checked on load.
WhenText = Annotated[str, AfterValidator(_check)]
