"""Each KPI's definition: one small function, with the rule it follows in its docstring.

`docs/kpis.md` says the same in prose; keep the two together. A new figure (satisfaction,
knowledge reuse, ...) is one more function and one `register(Definition(...))` with its
target read from the configuration: `/kpi`, the digest, the agendas, the comparisons and
the charts then show it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from handlers.config.team import TeamConfig
from handlers.kpis.basis import Basis, Breach
from handlers.kpis.stored import Sums
from handlers.tickets import clocks

Unit = Literal["share", "minutes", "count"]


@dataclass(frozen=True)
class Measure:
    """A figure's unrounded value (a share from 0 to 1, minutes, or a count) and its parts."""

    value: float | None
    hits: int = 0
    total: int = 0
    left_out: int = 0  # tickets the figure does not (yet) count, said next to it


def share(hits: int, total: int) -> Measure:
    return Measure(hits / total if total else None, hits, total)


@dataclass(frozen=True)
class Definition:
    key: str  # phrases `kpi.label.<key>` name it
    unit: Unit
    better: Literal["higher", "lower"]  # at least / at most the target
    measure: Callable[[Basis], Measure]
    target: Callable[[TeamConfig], float | None]
    # the same measure summed over the stored facts (`handlers.kpis.stored`); a figure
    # without one makes every report walk the tickets
    stored: Callable[[Sums], Measure] | None = None


def avg_first_response(b: Basis) -> Measure:
    """Average first response, in minutes of clock time (working time for the priorities
    whose clocks run in working hours), over the tickets logged in the window: answered ones
    at their wait, unanswered ones past their deadline at their age so far (at the window's
    end). Unanswered tickets still within their deadline are left out, and counted."""
    waits: list[dt.timedelta] = []
    left_out = 0
    for t in b.logged:
        answered = b.known(t.first_response_at)
        if answered is None and b.first_response_due(t) >= b.window.end:
            left_out += 1
            continue
        waits.append(clocks.elapsed(b.config, t.priority, t.created_at, answered or b.window.end))
    return _average(sum(waits, dt.timedelta(0)), len(waits), left_out)


def _average(total: dt.timedelta, count: int, left_out: int) -> Measure:
    if not count:
        return Measure(None, left_out=left_out)
    return Measure((total / count).total_seconds() / 60, total=count, left_out=left_out)


def avg_first_response_stored(s: Sums) -> Measure:
    waits = dt.timedelta(microseconds=s.logged.wait_us + s.overdue_us)
    return _average(waits, s.logged.answered + s.logged.overdue, s.logged.pending)


def answered_in_time(b: Basis) -> Measure:
    """Of the tickets logged in the window whose first-response clock has stopped or run out
    by the window's end, the share answered by the deadline."""
    hits = total = 0
    for t in b.logged:
        answered, due = b.known(t.first_response_at), b.first_response_due(t)
        if answered is not None or due < b.window.end:
            total += 1
            hits += answered is not None and answered <= due
    return share(hits, total)


def answered_in_time_stored(s: Sums) -> Measure:
    return share(s.logged.in_time, s.logged.answered + s.logged.overdue)


def first_contact_resolution(b: Basis) -> Measure:
    """Of the tickets first resolved in the window (closed as duplicate, cancelled or not
    reproducible left out), the share resolved by someone holding a
    `kpi_rules.first_contact_roles` role (L1), never dispatched before, and not reopened
    within `kpi_rules.fcr_reopen_days` days of that resolution."""
    rules = b.config.kpi_rules
    hits = total = 0
    for t in b.tickets:
        resolutions = b.events_of(t, "resolve")
        if not resolutions or not b.within(resolutions[0].at) or not b.counted(t):
            continue
        first = resolutions[0]
        total += 1
        by_l1 = _first_contact(b.config, first.actor)
        horizon = first.at + dt.timedelta(days=rules.fcr_reopen_days)
        reopened = any(first.at <= e.at <= horizon for e in b.events_of(t, "reopen"))
        hits += by_l1 and not b.dispatched_by(t, first.at) and not reopened
    return share(hits, total)


def _first_contact(config: TeamConfig, actor: str) -> bool:
    person = config.person(actor)
    roles = config.kpi_rules.first_contact_roles
    return person is not None and any(person.holds(r) for r in roles)


def first_contact_resolution_stored(s: Sums) -> Measure:
    counts = s.first_resolutions
    hits = sum(h for who, (_, h) in counts.items() if _first_contact(s.config, who))
    return share(hits, sum(total for total, _ in counts.values()))


def dispatched_share(b: Basis) -> Measure:
    """Of the tickets logged in the window, the share dispatched to L2 by the window's end
    (a maximum)."""
    logged = b.logged
    return share(sum(b.dispatched_by(t, b.window.end) for t in logged), len(logged))


def dispatched_share_stored(s: Sums) -> Measure:
    return share(s.logged.dispatched, s.logged.logged)


def root_cause_in_time(b: Basis) -> Measure:
    """Of the dispatches in the window whose root-cause clock has stopped (root cause
    recorded, or resolved) or run out by the window's end, the share stopped in time."""
    hits = total = 0
    for t, event in b.in_window("dispatch"):
        due = b.root_cause_due(t, event.at)
        stopped = b.root_cause_stop(t, event.at)
        if stopped is not None or due < b.window.end:
            total += 1
            hits += stopped is not None and stopped <= due
    return share(hits, total)


def root_cause_in_time_stored(s: Sums) -> Measure:
    return share(s.events.root_cause_in_time, s.events.root_cause_settled)


def breaches(b: Basis) -> list[Breach]:
    """Deadlines that fell in the window and were missed: first responses not given by their
    deadline, and L2 root causes not recorded within `time_rules.root_cause` of a dispatch."""
    key = f"breaches:{b.window}:{id(b.tickets)}"  # a copy with another window or tickets
    known = b.memo.get(key)
    if known is None:
        known = b.memo[key] = _breaches(b)
    return known  # type: ignore[return-value]


def _breaches(b: Basis) -> list[Breach]:
    found: list[Breach] = []
    for t in b.tickets:
        answered, due = b.known(t.first_response_at), b.first_response_due(t)
        if b.within(due) and (answered is None or answered > due):
            found.append(Breach.of(b.config, t, "first_response", answered, due))
        for event in b.events_of(t, "dispatch"):
            if b.known(event.at) is None:
                continue
            due = b.root_cause_due(t, event.at)
            stopped = b.root_cause_stop(t, event.at)
            if b.within(due) and (stopped is None or stopped > due):
                found.append(Breach.of(b.config, t, "root_cause", stopped, due))
    return sorted(found, key=lambda x: (x.due, x.ticket.number, x.kind))


def breach_count(b: Basis) -> Measure:
    """The number of breaches (see `breaches`); the target is none."""
    return Measure(float(len(breaches(b))))


def breach_count_stored(s: Sums) -> Measure:
    return Measure(float(s.breaches))


DEFINITIONS: list[Definition] = [
    Definition(
        "avg_first_response",
        "minutes",
        "lower",
        avg_first_response,
        lambda c: float(c.time_rules.average_response_target),
        avg_first_response_stored,
    ),
    Definition(
        "answered_in_time",
        "share",
        "higher",
        answered_in_time,
        lambda c: c.kpi_targets.answered_within_first_response,
        answered_in_time_stored,
    ),
    Definition(
        "first_contact_resolution",
        "share",
        "higher",
        first_contact_resolution,
        lambda c: c.kpi_targets.first_contact_resolution,
        first_contact_resolution_stored,
    ),
    Definition(
        "dispatched_share",
        "share",
        "lower",
        dispatched_share,
        lambda c: c.kpi_targets.dispatched_share_max,
        dispatched_share_stored,
    ),
    Definition(
        "root_cause_in_time",
        "share",
        "higher",
        root_cause_in_time,
        lambda c: c.kpi_targets.l2_root_cause_in_time,
        root_cause_in_time_stored,
    ),
    Definition("breaches", "count", "lower", breach_count, lambda c: 0.0, breach_count_stored),
]
# Satisfaction, knowledge reuse, entries, suggestions and QA read their own tables:
# `handlers.quality.figures`, shown after these (`Kpis.quality`, kpi_quality.md).


def register(definition: Definition, before: str | None = None) -> None:
    """Add a figure (once), before the one named `before` or at the end."""
    if any(d.key == definition.key for d in DEFINITIONS):
        return
    keys = [d.key for d in DEFINITIONS]
    DEFINITIONS.insert(keys.index(before) if before in keys else len(DEFINITIONS), definition)
