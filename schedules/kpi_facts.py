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
from storage.db import session_scope

BUDGET = 2.0  # seconds of a tick (every 15 s; the timers share the scheduler's one thread)


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
        while time.monotonic() - started < BUDGET:
            # a transaction a batch: writers in between wait for one batch at most
            with session_scope(desk.engine) as session:
                if facts.refresh(desk.config, session, limit=facts.BATCH) < facts.BATCH:
                    break
        return 0


KPI_FACTS = KpiFacts()  # registered in schedules.timers
