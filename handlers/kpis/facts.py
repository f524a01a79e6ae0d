"""The KPI facts of a ticket (stored by `storage.kpi_facts`): the one place that works them
out from the ticket and its counted events, and the refresh that keeps them.

Each fact is what a definition (`handlers.kpis.definitions`) computes per ticket or event
without looking at the window: a deadline, a wait in clock time, the first dispatch, the
first resolution and how soon a reopen followed it, when a dispatch's root-cause clock
stopped. `handlers.kpis.stored` sums them over a window; tests check both forms agree.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from typing import Any

from sqlmodel import Session

from handlers.config.team import TeamConfig
from handlers.kpis import days
from handlers.tickets import clocks
from storage import clock_due
from storage import kpi_days as day_sums
from storage import kpi_facts as store
from storage.kpi_facts import CountedEvent, MarkedTicket

log = logging.getLogger(__name__)

BATCH = 1_000  # tickets a refresh works out per statement set (a bounded IN list)
INLINE = 500  # marked tickets a figure's read refreshes itself before using the facts
_US = dt.timedelta(microseconds=1)


# the facts' and day sums' shape: another (a new kind of fact) works every ticket out again
SHAPE = "2: day sums"


def fingerprint(config: TeamConfig) -> str:
    """What the stored facts and day sums depend on besides the tickets: the time rules, the
    working hours, zone and holidays (the deadlines, clock-time waits and local days), and
    how soon a reopen spoils a first-contact resolution."""
    parts = (
        SHAPE,
        config.time_rules.model_dump_json(),
        config.team.model_dump_json(),
        str(config.kpi_rules.fcr_reopen_days),
    )
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def ticket_facts(
    config: TeamConfig, t: MarkedTicket, events: list[CountedEvent]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A ticket's fact row and its counted events' rows; `events` in time order."""
    rules = config.time_rules
    due = clocks.deadline(
        config, t.priority, t.created_at, rules.target(t.priority, "first_response")
    )
    wait = None
    if t.first_response_at is not None:
        wait = clocks.elapsed(config, t.priority, t.created_at, t.first_response_at) // _US
    dispatches = [e for e in events if e.kind == "dispatch"]
    resolves = [e for e in events if e.kind == "resolve"]
    first = resolves[0] if resolves else None
    gap = None
    if first is not None:
        later = [e.at for e in events if e.kind == "reopen" and e.at >= first.at]
        gap = (min(later) - first.at) // _US if later else None
    # knowledge reuse counts the entry the latest resolution named
    latest = max(resolves, key=lambda e: e.id) if resolves else None
    knowledge = latest is not None and bool((latest.detail or {}).get("knowledge"))
    fact = {
        "ticket_id": t.id,
        "scope": t.scope,
        "number": t.number,
        "priority": t.priority,
        "close_reason": t.close_reason,
        "created_at": t.created_at,
        "first_response_at": t.first_response_at,
        "first_response_due": due,
        "first_response_wait_us": wait,
        "first_dispatched_at": dispatches[0].at if dispatches else None,
        "first_resolved_at": first.at if first is not None else None,
        "first_resolver": first.actor if first is not None else None,
        "reopen_gap_us": gap,
        "late_answer_at": days.later_day(config, t.created_at, t.first_response_at),
        "late_dispatch_at": days.later_day(
            config, t.created_at, dispatches[0].at if dispatches else None
        ),
        "day_rest_us": (
            days.rest_of_day(config, t.priority, t.created_at)
            if t.first_response_at is None
            else None
        ),
    }
    stops = [t.root_cause_at, *(e.at for e in resolves)]
    rows = []
    previous: dict[str, dt.datetime] = {}
    for e in events:
        row: dict[str, Any] = {
            "event_id": e.id,
            "ticket_id": t.id,
            "scope": t.scope,
            "kind": e.kind,
            "at": e.at,
            "close_reason": t.close_reason,
            "due": None,
            "stopped": None,
            "knowledge": e.kind == "resolve" and knowledge,
            "previous_at": previous.get(e.kind),
        }
        previous[e.kind] = e.at
        if e.kind == "dispatch":
            # the root-cause clock: from the dispatch to the root cause or a resolution
            minutes = rules.target(t.priority, "root_cause")
            row["due"] = clocks.deadline(config, t.priority, e.at, minutes)
            row["stopped"] = min((s for s in stops if s is not None and s >= e.at), default=None)
        rows.append(row)
    return fact, rows


def refresh(
    config: TeamConfig, session: Session, scope: str | None = None, limit: int = BATCH
) -> int:
    """Work out up to `limit` marked tickets' facts (of one scope, or any), in batches, in
    the session's transaction; returns how many."""
    done = 0
    while done < limit:
        size = min(BATCH, limit - done)
        batch = Batch(*store.marked_batch(session, size, scope))
        if not batch.tickets:
            break
        batch.write(config, session, *batch.worked_out(config))
        done += len(batch.tickets)
        if len(batch.tickets) < size:
            break
    return done


class Batch:
    """Marked tickets with their counted events: worked out, then written. The two halves
    may run in different transactions (`schedules.kpi_facts` on SQLite: worked out from a
    snapshot, written under the lock), since the write clears only marks still as read."""

    def __init__(self, tickets: list[MarkedTicket], events: dict[int, list[CountedEvent]]):
        self.tickets, self.events = tickets, events

    def worked_out(self, config: TeamConfig) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        facts, rows = [], []
        for t in self.tickets:
            fact, trail = ticket_facts(config, t, self.events.get(t.id, []))
            facts.append(fact)
            rows += trail
        return facts, rows

    def write(
        self,
        config: TeamConfig,
        session: Session,
        facts: list[dict[str, Any]],
        rows: list[dict[str, Any]],
    ) -> None:
        # the days the old facts and the new ones count on, worked out again after
        times = store.stored_times(session, [t.id for t in self.tickets])
        times += _times(facts, rows)
        store.store(session, self.tickets, facts, rows)
        days.recompute(config, session, days.touched(config, times))


def _times(
    facts: list[dict[str, Any]], rows: list[dict[str, Any]]
) -> list[tuple[str, dt.datetime]]:
    """(scope, time) of the times a day sums the facts by (`store.stored_times`' columns)."""
    found = []
    for f in facts:
        for name in ("created_at", "first_resolved_at", "first_response_due"):
            if f[name] is not None:
                found.append((f["scope"], f[name]))
    for r in rows:
        for name in ("at", "due"):
            if r[name] is not None:
                found.append((r["scope"], r[name]))
    return found


def follow_rules(config: TeamConfig, session: Session, at: dt.datetime) -> bool:
    """If the stored facts were worked out under other rules, mark every ticket (the
    refresh redoes them) and record the rules; True when it did."""
    fingerprint_now = fingerprint(config)
    if clock_due.rules(session, store.RULES) == fingerprint_now:
        return False
    marked = store.mark_all(session, at)
    day_sums.clear(session)  # the refresh writes every day again
    clock_due.set_rules(session, fingerprint_now, at, store.RULES)
    log.info("KPI rules changed: %d tickets' facts to work out again", marked)
    return True


def ready(config: TeamConfig, session: Session, scope: str, at: dt.datetime) -> bool:
    """Whether the scope's stored facts can be summed: worked out under the configuration's
    rules (other rules mark every ticket), and none marked after this read refreshed a few
    itself (a figure read soon after a change); else the figures are computed from the
    tickets."""
    follow_rules(config, session, at)
    marked = store.marked_in(session, scope, INLINE + 1)
    if marked == 0:
        return True
    if marked > INLINE:
        return False
    refresh(config, session, scope, INLINE)
    return store.marked_in(session, scope, 1) == 0
