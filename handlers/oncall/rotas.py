"""A rota's schedule: which members are on at a moment, when the shift started and ends.

Pure arithmetic on the configuration (no overrides: see `handlers.oncall.duty`). Hand-offs
are local wall-clock times, so a 09:00 hand-off stays at 09:00 across DST changes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from handlers.config.oncall import Rota
from handlers.config.team import TeamInfo
from handlers.config.workdays import in_working_hours


@dataclass(frozen=True)
class Shift:
    members: tuple[str, ...]  # person ids on during the shift, in rota order
    starts: dt.datetime  # aware UTC
    ends: dt.datetime


def _period(rota: Rota) -> dt.timedelta:
    return dt.timedelta(days=7 if rota.every == "weekly" else 1)


def _anchor(rota: Rota) -> dt.datetime:
    """The first hand-off on or after `since`, as a naive local time."""
    day = rota.since
    if rota.weekday is not None:
        day += dt.timedelta(days=(rota.weekday - day.weekday()) % 7)
    return dt.datetime.combine(day, rota.time)


def _aware(team: TeamInfo, local: dt.datetime) -> dt.datetime:
    return local.replace(tzinfo=team.zone).astimezone(dt.UTC)


def shift(rota: Rota, team: TeamInfo, at: dt.datetime, ahead: int = 0) -> Shift:
    """The shift running at `at` (`ahead`: that many shifts later)."""
    local = at.astimezone(team.zone).replace(tzinfo=None)
    anchor, period = _anchor(rota), _period(rota)
    n = (local - anchor) // period + ahead
    size = len(rota.members)
    members = tuple(rota.members[(n + i) % size] for i in range(rota.at_once))
    starts = anchor + n * period
    return Shift(members, _aware(team, starts), _aware(team, starts + period))


def in_hours(rota: Rota, team: TeamInfo, at: dt.datetime) -> bool:
    """A working-hours rota is on only in the team's working hours; others always."""
    if rota.hours == "always":
        return True
    return in_working_hours(team, at)


def handoffs(
    rota: Rota, team: TeamInfo, after: dt.datetime, until: dt.datetime
) -> list[dt.datetime]:
    """Hand-off moments in (after, until], in order."""
    out: list[dt.datetime] = []
    current = shift(rota, team, after)
    at = current.ends
    while at <= until:
        out.append(at)
        at = shift(rota, team, at).ends
    return out
