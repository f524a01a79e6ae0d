"""Response clocks: how long a ticket has waited against the team's time rules.

The one place that says when a clock is due, so the queue, reminders, nudges and KPIs agree.

Clocks of the priorities in `time_rules.round_the_clock_priorities` (p1 and p2 by default)
run around the clock; the others run only in working hours (`team.working_hours` on working
days: holidays off, make-up working days on). A p3 ticket logged at 17:50 on a Friday has
its 30-min first-response deadline at 09:20 on Monday.

A clock that stopped at or before its deadline is kept, one that stopped after it is
breached: a ticket answered or resolved one second before the deadline has no breach.

Stages come from the escalation policies (`handlers.config.escalation`): each level of the
policy that applies to the ticket's clock, then its repeats, each a stage fired at most once
per ticket (see `schedules.response_clocks`). The clocks:
- `first_response`: from logging until the first take, note, dispatch, root cause or
  resolution;
- `progress`: dispatched, from the dispatch or the last progress note (or root cause, or
  huddle outcome); a new note starts a new clock, so its stage keys carry its start;
- `root_cause`: from the dispatch until L2 records the root cause;
- `common_problem`: from logging while the ticket is with L1 (not dispatched, not resolved).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import heapq
from collections.abc import Iterator
from dataclasses import dataclass

from handlers.config.escalation import ClockKind, Level, Policy, pick
from handlers.config.team import TeamConfig
from handlers.tickets.worktime import worktime
from storage.models import Ticket

OPEN = ("new", "in_progress", "dispatched")


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


# A clock's target in `time_rules` (per priority through `TimeRules.target`).
TARGETS: dict[str, str] = {
    "first_response": "first_response",
    "progress": "progress_update",
    "root_cause": "root_cause",
    "common_problem": "common_problem_resolution",
}


@dataclass(frozen=True)
class Stage:
    kind: ClockKind  # the clock
    key: str  # unique per ticket: the claim row's stage
    due: dt.datetime
    since: dt.datetime  # when this clock started
    level: Level
    notice: int = 1  # the how-many-th notice of this clock this stage is
    target: int = 0  # the clock's target in minutes, for the message


def fingerprint(config: TeamConfig) -> str:
    """A digest of everything a stage's due time depends on besides the ticket: the time
    rules, the escalation policies, the working hours, zone and holidays. The stored due
    times (`ticket.clock_due_at`) were computed under one; another means recompute them."""
    parts = [
        config.time_rules.model_dump_json(),
        config.team.model_dump_json(),
        *(policy.model_dump_json() for policy in config.policies),
    ]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


# -- time arithmetic ---------------------------------------------------------------------


def round_the_clock(config: TeamConfig, priority: str) -> bool:
    return priority in config.time_rules.round_the_clock_priorities


def deadline(config: TeamConfig, priority: str, start: dt.datetime, minutes: int) -> dt.datetime:
    """`minutes` of clock time after `start`: wall time, or working time for the priority."""
    if round_the_clock(config, priority):
        return start + dt.timedelta(minutes=minutes)
    return worktime(config.team).deadline(start, minutes)


def elapsed(
    config: TeamConfig, priority: str, start: dt.datetime, end: dt.datetime
) -> dt.timedelta:
    """Clock time between two moments: wall time, or the working time in between."""
    if end <= start:
        return dt.timedelta(0)
    if round_the_clock(config, priority):
        return end - start
    return worktime(config.team).elapsed(start, end)


# -- the clocks of one ticket ------------------------------------------------------------


def first_response_due(config: TeamConfig, ticket: Ticket) -> dt.datetime:
    """When the ticket's first response is due (its logging plus the priority's target)."""
    minutes = config.time_rules.target(ticket.priority, "first_response")
    return deadline(config, ticket.priority, ticket.created_at, minutes)


def first_response(config: TeamConfig, ticket: Ticket, now: dt.datetime) -> ClockState:
    due = first_response_due(config, ticket)
    end = ticket.first_response_at or now
    waited = span(config, ticket.priority, ticket.created_at, end)
    return ClockState(waited=end - ticket.created_at, due=due, breached=end > due, span=waited)


def root_cause(config: TeamConfig, ticket: Ticket, now: dt.datetime) -> ClockState | None:
    """L2 root cause within `root_cause` minutes of the dispatch; stops when one is recorded
    or the ticket is resolved."""
    if ticket.dispatched_at is None:
        return None
    start = ticket.dispatched_at
    due = deadline(
        config, ticket.priority, start, config.time_rules.target(ticket.priority, "root_cause")
    )
    stops = [t for t in (ticket.root_cause_at, ticket.resolved_at) if t is not None and t >= start]
    end = min(stops) if stops else now
    return ClockState(waited=end - start, due=due, breached=end > due)


def clock_start(kind: str, ticket: Ticket, last_progress: dt.datetime | None) -> dt.datetime | None:
    """When the ticket's clock of this kind started, or None while it is not running
    (never started, or acknowledged: the thing that stops it has happened)."""
    open_ = ticket.status in OPEN
    if kind == "first_response":
        return ticket.created_at if open_ and ticket.first_response_at is None else None
    if kind == "common_problem":
        return ticket.created_at if open_ and ticket.dispatched_at is None else None
    if ticket.status != "dispatched" or ticket.dispatched_at is None:
        return None
    if kind == "progress":
        return max(ticket.dispatched_at, last_progress or ticket.dispatched_at)
    if kind == "root_cause":
        return ticket.dispatched_at if ticket.root_cause_at is None else None
    return None


def stages(config: TeamConfig, ticket: Ticket, last_progress: dt.datetime | None) -> list[Stage]:
    """The stages still running for the ticket as it is now, in due order.

    `last_progress`: the latest progress note (or root cause, or huddle outcome), if any.
    """
    return list(stages_in_order(config, ticket, last_progress))


def stages_in_order(
    config: TeamConfig, ticket: Ticket, last_progress: dt.datetime | None
) -> Iterator[Stage]:
    """`stages`, worked out as they are taken: a reader that stops at the first stage
    after a moment (the clock tick) computes a few deadlines, not an urgent clock's 60
    repeats (~180 us for each ticket a burst logged). Ties keep the order of `TARGETS`,
    then of the levels, then the repeats."""
    clocks = []
    for kind, target_name in TARGETS.items():
        since = clock_start(kind, ticket, last_progress)
        if since is None:
            continue
        policy = pick(config.policies, kind, ticket.priority, ticket.category)
        if policy is None:
            continue
        target = config.time_rules.target(ticket.priority, target_name)
        clocks.append(_clock(config, ticket, kind, since, policy, target))
    return heapq.merge(*clocks, key=_due)


def _clock(
    config: TeamConfig,
    ticket: Ticket,
    kind: str,
    since: dt.datetime,
    policy: Policy,
    target: int,
) -> Iterator[Stage]:
    """One clock's stages in due order: its levels, merged with its repeats (each later
    than the one before)."""
    # a progress clock restarts with each note: its claims carry the start
    prefix = f":{since:%Y%m%dT%H%M%S}" if kind == "progress" else ""

    def due(minutes: int) -> dt.datetime:
        return deadline(config, ticket.priority, since, max(minutes, 0))

    levels = [
        Stage(kind, f"{level.id}{prefix}", due(target + level.after), since, level, n, target)
        for n, level in enumerate(policy.levels, start=1)
    ]

    def repeats() -> Iterator[Stage]:
        if policy.repeat is None:
            return
        last, count = policy.levels[-1], len(policy.levels)
        for r in range(1, policy.repeat.limit + 1):
            at = due(target + last.after + r * (policy.repeat.every or target))
            yield Stage(kind, f"{last.id}{prefix}#{r + 1}", at, since, last, count + r, target)

    return heapq.merge(sorted(levels, key=_due), repeats(), key=_due)


def _due(stage: Stage) -> dt.datetime:
    return stage.due
