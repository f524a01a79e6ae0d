"""Keeping the stored KPI facts (`handlers.kpis.facts`) as a `Timer`: each real-time tick
works out the facts of the tickets changed since the last, within a time budget, so a
figure's read finds at most a few to do itself. It posts nothing; what it writes is the
same whoever writes it, so replicas may share the work (PostgreSQL hands each its own
batch)."""

from __future__ import annotations

import datetime as dt
import time

from handlers.desk import Desk
from handlers.kpis import facts
from storage import kpi_facts as store
from storage.db import read_scope, session_scope

BUDGET = 2.0  # seconds of a tick (every 15 s; the timers share the scheduler's one thread)
# SQLite: tickets a write transaction stores (~25 ms under the lock for 1,000)
APART_BATCH = 500


class KpiFacts:
    name = "kpi_facts"

    def next_due(self, desk: Desk, after: dt.datetime) -> dt.datetime | None:
        return None  # nothing falls due at a moment: each tick does what is marked

    def fire_due(self, desk: Desk, now: dt.datetime) -> int:
        # checked every tick (one row read): a process-wide "already checked" went stale
        # when the database under it was replaced (a restore, a test's fresh tables)
        with session_scope(desk.engine) as session:
            facts.follow_rules(desk.config, session, now)
        started = time.monotonic()
        apart = desk.engine.dialect.name == "sqlite"
        while time.monotonic() - started < BUDGET:
            # a transaction a batch: writers in between wait for one batch at most
            done, full = (_apart(desk), APART_BATCH) if apart else (_together(desk), facts.BATCH)
            if done < full:
                break
        return 0


def _together(desk: Desk) -> int:
    """A batch read (PostgreSQL: rows locked, skipping another replica's), worked out and
    written in one transaction."""
    with session_scope(desk.engine) as session:
        return facts.refresh(desk.config, session, limit=facts.BATCH)


def _apart(desk: Desk) -> int:
    """SQLite: the batch read and worked out from a snapshot, then only its writes under
    the database's one write lock (reading and working out 1,000 tickets held every other
    writer back for up to 130 ms, the inbox's acks and worker included), half a batch a time."""
    with read_scope(desk.engine) as session:
        batch = facts.Batch(*store.marked_batch(session, APART_BATCH))
    if batch.tickets:
        worked_out = batch.worked_out(desk.config)
        with session_scope(desk.engine) as session:
            batch.write(desk.config, session, *worked_out)
    return len(batch.tickets)


KPI_FACTS = KpiFacts()  # registered in schedules.timers
