"""Response clocks: how long a ticket has waited against the team's time rules.

The one place that says when a clock is due, so the queue, reminders, nudges and KPIs agree.

Clocks of the priorities in `time_rules.round_the_clock_priorities` (p1 and p2 by default)
run around the clock; the others run only in working hours (`team.working_hours` on working
days: holidays off, make-up working days on). A p3 ticket logged at 17:50 on a Friday has
its 30-min first-response deadline at 09:20 on Monday.

A clock that stopped at or before its deadline is kept, one that stopped after it is
breached: a ticket answered or resolved one second before the deadline has no breach.

Stages, each fired at most once per ticket (see `schedules.response_clocks`):
- `nudge`: no first response `first_response_nudge` minutes after logging (on-duty L1);
- `breach`: no first response after `first_response` minutes (L1 and the breach roles);
- `progress:<since>`: dispatched, no progress note for `progress_update` minutes since the
  dispatch or the last note (the assignee); a new note starts a new stage;
- `root_cause`: dispatched and no root cause `root_cause` minutes after the dispatch (the A
  of `purposes.incident` and the root-cause roles).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from handlers.config.team import TeamConfig
from handlers.config.workdays import working_hours
from storage.models import Ticket

OPEN = ("new", "in_progress", "dispatched")
_MAX_DAYS = 400  # a working-hours clock never looks further than this for opening hours


@dataclass(frozen=True)
class Span:
    """A stretch of a ticket's life: wall-clock time, and the clock time its rules count
    (the same for round-the-clock priorities, working time for the others). Every duration
    the bot shows is one of these, so `/queue`, `/ticket show`, the clocks and the KPIs say
    which time they mean."""

    wall: dt.timedelta
    counted: dt.timedelta
    working_time: bool


def span(config: TeamConfig, priority: str, start: dt.datetime, end: dt.datetime) -> Span:
    working = not round_the_clock(config, priority)
    return Span(max(end - start, dt.timedelta(0)), elapsed(config, priority, start, end), working)


@dataclass(frozen=True)
class ClockState:
    waited: dt.timedelta  # wall-clock time, as a person sees it
    due: dt.datetime
    breached: bool
    span: Span | None = None  # the wait in wall and counted clock time


StageKind = Literal["nudge", "breach", "progress", "root_cause"]


@dataclass(frozen=True)
class Stage:
    kind: StageKind
    key: str  # unique per ticket: the claim row's stage
    due: dt.datetime
    since: dt.datetime  # when this clock started


# -- time arithmetic ---------------------------------------------------------------------


def round_the_clock(config: TeamConfig, priority: str) -> bool:
    return priority in config.time_rules.round_the_clock_priorities


def deadline(config: TeamConfig, priority: str, start: dt.datetime, minutes: int) -> dt.datetime:
    """`minutes` of clock time after `start`: wall time, or working time for the priority."""
    budget = dt.timedelta(minutes=minutes)
    if round_the_clock(config, priority):
        return start + budget
    team = config.team
    day = start.astimezone(team.zone).date()
    for _ in range(_MAX_DAYS):
        hours = working_hours(team, day)
        if hours is not None:
            begin, end = max(hours[0], start), hours[1]
            if begin < end:
                if begin + budget <= end:
                    return begin + budget
                budget -= end - begin
        day += dt.timedelta(days=1)
    return start + dt.timedelta(minutes=minutes)  # no working hours configured at all


def elapsed(
    config: TeamConfig, priority: str, start: dt.datetime, end: dt.datetime
) -> dt.timedelta:
    """Clock time between two moments: wall time, or the working time in between."""
    if end <= start:
        return dt.timedelta(0)
    if round_the_clock(config, priority):
        return end - start
    team = config.team
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


# -- the clocks of one ticket ------------------------------------------------------------


def first_response(config: TeamConfig, ticket: Ticket, now: dt.datetime) -> ClockState:
    rules = config.time_rules
    due = deadline(config, ticket.priority, ticket.created_at, rules.first_response)
    end = ticket.first_response_at or now
    waited = span(config, ticket.priority, ticket.created_at, end)
    return ClockState(waited=end - ticket.created_at, due=due, breached=end > due, span=waited)


def root_cause(config: TeamConfig, ticket: Ticket, now: dt.datetime) -> ClockState | None:
    """L2 root cause within `root_cause` minutes of the dispatch; stops when one is recorded
    or the ticket is resolved."""
    if ticket.dispatched_at is None:
        return None
    start = ticket.dispatched_at
    due = deadline(config, ticket.priority, start, config.time_rules.root_cause)
    stops = [t for t in (ticket.root_cause_at, ticket.resolved_at) if t is not None and t >= start]
    end = min(stops) if stops else now
    return ClockState(waited=end - start, due=due, breached=end > due)


def stages(config: TeamConfig, ticket: Ticket, last_progress: dt.datetime | None) -> list[Stage]:
    """The stages still running for the ticket as it is now, in due order.

    `last_progress`: the latest progress note (or root cause) since the dispatch, if any.
    """
    rules, p = config.time_rules, ticket.priority
    found: list[Stage] = []
    if ticket.status in OPEN and ticket.first_response_at is None:
        created = ticket.created_at
        nudge = deadline(config, p, created, rules.first_response_nudge)
        breach = deadline(config, p, created, rules.first_response)
        if nudge < breach:  # a nudge at the deadline itself would only repeat the breach
            found.append(Stage("nudge", "nudge", nudge, created))
        found.append(Stage("breach", "breach", breach, created))
    if ticket.status == "dispatched" and ticket.dispatched_at is not None:
        since = max(ticket.dispatched_at, last_progress or ticket.dispatched_at)
        due = deadline(config, p, since, rules.progress_update)
        found.append(Stage("progress", f"progress:{since:%Y%m%dT%H%M%S}", due, since))
        if ticket.root_cause_at is None:
            start = ticket.dispatched_at
            due = deadline(config, p, start, rules.root_cause)
            found.append(Stage("root_cause", "root_cause", due, start))
    return sorted(found, key=lambda s: s.due)
