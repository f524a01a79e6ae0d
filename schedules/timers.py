"""Deadline-driven work (response clocks, huddle timers): the protocol the scheduler drives.

A timer knows, from the database, when its next thing falls due and fires everything due up
to a given time, exactly once (each firing claimed by a unique row), in due order. The
scheduler asks `next_due` to know when to wake, and calls `fire_due` then; the console's
`:time` walks through every due time on the way.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from handlers.desk import Desk
from schedules.huddle_timer import HUDDLES
from schedules.kpi_facts import KPI_FACTS
from schedules.quality_timers import KNOWLEDGE_REVIEW, SURVEY_REMINDERS
from schedules.response_clocks import RESPONSE_CLOCKS


class Timer(Protocol):
    name: str

    def next_due(self, desk: Desk, after: dt.datetime) -> dt.datetime | None:
        """The earliest moment after `after` at which something falls due, if any."""
        ...

    def fire_due(self, desk: Desk, now: dt.datetime) -> int:
        """Post everything due at or before `now` not yet posted; returns how many fired."""
        ...


# Timers register here (response clocks, huddles); the scheduler drives all of them.
TIMERS: list[Timer] = []
TIMERS.append(HUDDLES)
TIMERS.append(RESPONSE_CLOCKS)
TIMERS.append(SURVEY_REMINDERS)
TIMERS.append(KNOWLEDGE_REVIEW)
TIMERS.append(KPI_FACTS)
