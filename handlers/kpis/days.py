"""A window's KPI sums from the per-day sums (`storage.kpi_days`), and the rewrite of the
days a refresh touched.

A window [start, end) splits into its whole local days, summed from the day rows, and at
most two part days (before the first midnight, after the last), summed from the facts as
before (`storage.kpi_sums`). The day rows count everything the facts hold ("as now"); for a
window ending earlier, what happened at or after its end comes off: the answers and
dispatches that came later (on a later day than the logging: a small index), the never
answered tickets whose deadline was still ahead, the root-cause clocks still running, and
the events of a ticket already counted earlier in the window. `tests/test_kpi_stored.py`
checks the result equals the definitions' over the tickets, window by window.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import NamedTuple

from sqlmodel import Session

from handlers.config.team import TeamConfig
from handlers.config.workdays import local_day_bounds
from handlers.kpis.windows import Window, local_date
from handlers.tickets import clocks
from storage import kpi_day_reads as reads
from storage import kpi_days as store
from storage.kpi_day_reads import Days
from storage.kpi_sums import Events, Logged, Part

_US = dt.timedelta(microseconds=1)
DAY_US = 86_400_000_000


def rest_of_day(config: TeamConfig, priority: str, logged_at: dt.datetime) -> int:
    """The clock time from `logged_at` to the end of its local day, in microseconds (a
    waiting ticket's wait on its logging day: the day sums add it up)."""
    _, end = local_day_bounds(config.team, local_date(config, logged_at))
    return clocks.elapsed(config, priority, logged_at, end) // _US


def later_day(
    config: TeamConfig, logged_at: dt.datetime, at: dt.datetime | None
) -> dt.datetime | None:
    """`at` when it falls on a later local day than `logged_at` (a fact's late answer or
    dispatch), else None."""
    if at is None:
        return None
    return at if local_date(config, at) > local_date(config, logged_at) else None


# -- the touched days, worked out again -----------------------------------------------------


def reopen_within_us(config: TeamConfig) -> int:
    """How soon after a first resolution a reopen spoils it (`kpi_rules.fcr_reopen_days`)."""
    return config.kpi_rules.fcr_reopen_days * DAY_US


def touched(
    config: TeamConfig, times: Iterable[tuple[str, dt.datetime]]
) -> dict[str, set[dt.date]]:
    """The local days of (scope, time) pairs, per scope."""
    days: dict[str, set[dt.date]] = defaultdict(set)
    for scope, at in times:
        days[scope].add(local_date(config, at))
    return days


def recompute(config: TeamConfig, session: Session, days: dict[str, set[dt.date]]) -> None:
    """Work each given day's sums out again from the facts (in the session's transaction)."""
    if not days:
        return
    store.lock(session)
    within = reopen_within_us(config)
    for scope, dates in days.items():
        rows: dict[dt.date, dict[str, list[tuple[object, ...]]]] = {}
        for day in sorted(dates):
            start, end = local_day_bounds(config.team, day)
            totals = store.day_totals(session, scope, start, end, within)
            rows[day] = {
                "kpi_logged_day": totals.logged,
                "kpi_resolver_day": totals.resolvers,
                "kpi_event_day": totals.events,
                "kpi_breach_day": [totals.breaches] if any(totals.breaches) else [],
            }
        store.replace_days(session, scope, rows)


# -- a window: whole days and part days -----------------------------------------------------


def split(config: TeamConfig, window: Window) -> tuple[list[Part], Days | None]:
    """The window's part days (summed from the facts) and its whole days, if any."""
    team = config.team
    s, e = window.start, window.end
    first = local_date(config, s)
    first_start, _ = local_day_bounds(team, first)
    if first_start < s:
        first += dt.timedelta(days=1)
        first_start, _ = local_day_bounds(team, first)
    last = local_date(config, e)
    last_start, _ = local_day_bounds(team, last)
    if first >= last:
        return [Part(s, e, e, s)], None
    parts = []
    if s < first_start:
        parts.append(Part(s, first_start, e, s))
    if last_start < e:
        parts.append(Part(last_start, e, e, s))
    return parts, Days(first, last, first_start, last_start, e, s)


class Totals(NamedTuple):
    """A window's sums, or part of them (`handlers.kpis.stored.Sums` without the window)."""

    logged: Logged
    overdue_us: int
    first_resolutions: dict[str, tuple[int, int]]
    events: Events
    breaches: int

    def __add__(self, other: object) -> Totals:  # type: ignore[override]
        assert isinstance(other, Totals)
        first = dict(self.first_resolutions)
        for who, (total, clean) in other.first_resolutions.items():
            was = first.get(who, (0, 0))
            first[who] = (was[0] + total, was[1] + clean)
        return Totals(
            Logged(*(a + b for a, b in zip(self.logged, other.logged, strict=True))),
            self.overdue_us + other.overdue_us,
            first,
            Events(*(a + b for a, b in zip(self.events, other.events, strict=True))),
            self.breaches + other.breaches,
        )


def _seen_at(
    config: TeamConfig,
    rows: list[reads.LoggedDay],
    late: list[reads.LateAnswer],
    ahead: list[tuple[str, dt.datetime]],
    late_dispatches: int,
    at: dt.datetime,
) -> tuple[Logged, int]:
    """`Logged` and the overdue waits of whole days' rows seen at `at` (at or after their
    end): `late`, their answers at or after `at`; `ahead`, (priority, logged at) of their
    never-answered tickets whose deadline was still ahead then; `late_dispatches`, their
    first dispatches after `at`."""
    overdue_late = [x for x in late if x.due < at]

    def waited(priority: str, logged_at: dt.datetime) -> int:
        return clocks.elapsed(config, priority, logged_at, at) // _US

    # a never-answered ticket's wait at `at`: its logging day's part (stored) and the rest
    rest: dict[tuple[dt.date, bool], int] = {}
    overdue_us = 0
    for r in rows:
        if r.waiting:
            key = (r.day, clocks.round_the_clock(config, r.priority))
            if key not in rest:
                _, day_end = local_day_bounds(config.team, r.day)
                rest[key] = clocks.elapsed(config, r.priority, day_end, at) // _US
            overdue_us += r.waiting_us + r.waiting * rest[key]
    overdue_us -= sum(waited(p, logged_at) for p, logged_at in ahead)
    overdue_us += sum(waited(x.priority, x.created_at) for x in overdue_late)
    waiting = sum(r.waiting for r in rows)
    logged = Logged(
        logged=sum(r.logged for r in rows),
        answered=sum(r.answered for r in rows) - len(late),
        in_time=sum(r.in_time for r in rows) - sum(x.answered_at <= x.due for x in late),
        overdue=waiting - len(ahead) + len(overdue_late),
        pending=len(ahead) + len(late) - len(overdue_late),
        wait_us=sum(r.wait_us for r in rows) - sum(x.wait_us for x in late),
        dispatched=sum(r.dispatched for r in rows) - late_dispatches,
    )
    return logged, overdue_us


def whole_days(config: TeamConfig, session: Session, scope: str, days: Days) -> Totals:
    """The sums of a window's whole days, as seen at its end."""
    at = days.at
    left_out = tuple(config.kpi_rules.excluded_close_reasons)
    rows = reads.logged_days(session, scope, days)
    ahead = [(p, logged_at) for p, logged_at, _ in reads.pending_unanswered(session, scope, days)]
    late_dispatches = reads.late_dispatches(session, scope, days)
    logged, overdue_us = _seen_at(
        config, rows, reads.late_answers(session, scope, days), ahead, late_dispatches, at
    )

    ev = reads.event_days(session, scope, days, left_out)
    again = reads.repeats(session, scope, days, left_out)
    running, stopped_later = reads.open_root_causes(session, scope, days)
    events = Events(
        resolved=ev.resolved,
        resolved_tickets=ev.resolved - again.resolved,
        with_knowledge=ev.knowledge - again.knowledge,
        reopened=ev.reopened,
        dispatched_tickets=ev.dispatched - again.dispatched,
        root_cause_settled=ev.dispatched - running,
        root_cause_in_time=ev.stopped_in_time - stopped_later,
    )
    return Totals(
        logged,
        overdue_us,
        reads.resolver_days(session, scope, days, left_out),
        events,
        sum(reads.breach_days(session, scope, days).values()),
    )


def each_day(
    config: TeamConfig, session: Session, scope: str, dates: list[dt.date]
) -> dict[dt.date, Totals]:
    """Whole days each seen at its own end (a chart's): what was logged and its first
    responses, the counted resolutions and the breaches; the rest left empty (the
    dispatches counted as now: a chart draws none)."""
    if not dates:
        return {}
    first, last = min(dates), max(dates) + dt.timedelta(days=1)
    start, end = local_day_bounds(config.team, first)[0], local_day_bounds(config.team, last)[0]
    # seen at the first day's start: every late answer, every pending deadline of the days
    days = Days(first, last, start, end, start, start)
    left_out = tuple(config.kpi_rules.excluded_close_reasons)
    rows: dict[dt.date, list[reads.LoggedDay]] = defaultdict(list)
    for r in reads.logged_days(session, scope, days):
        rows[r.day].append(r)
    late: dict[dt.date, list[reads.LateAnswer]] = defaultdict(list)
    for x in reads.late_answers(session, scope, days):
        late[local_date(config, x.created_at)].append(x)  # answered after its day's end: late
    pending: dict[dt.date, list[tuple[str, dt.datetime, dt.datetime]]] = defaultdict(list)
    for p in reads.pending_unanswered(session, scope, days):
        pending[local_date(config, p[1])].append(p)
    resolved = reads.resolved_by_day(session, scope, days, left_out)
    breached = reads.breach_days(session, scope, days)
    found = {}
    for day in set(dates):
        _, day_end = local_day_bounds(config.team, day)
        ahead = [(p, at) for p, at, due in pending.get(day, []) if due >= day_end]
        # the chart draws no dispatches: their late ones are not read
        logged, overdue_us = _seen_at(
            config, rows.get(day, []), late.get(day, []), ahead, 0, day_end
        )
        events = Events(resolved.get(day, 0), 0, 0, 0, 0, 0, 0)
        found[day] = Totals(logged, overdue_us, {}, events, breached.get(day, 0))
    return found
