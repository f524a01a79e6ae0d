"""Keeping the stored KPI facts (`handlers.kpis.facts`) as a `Timer`: each real-time tick
works out the facts of the tickets changed since the last, within a time budget, so a
figure's read finds at most a few to do itself. It posts nothing; what it writes is the
same whoever writes it, so replicas may share the work (PostgreSQL hands each its own
batch)."""

from __future__ import annotations

import datetime as dt
import threading
import time
import weakref

from sqlalchemy import Engine

from handlers.config.team import TeamConfig
from handlers.desk import Desk
from handlers.kpis import facts
from storage.db import session_scope

BUDGET = 2.0  # seconds of a tick (every 15 s; the timers share the scheduler's one thread)

# The configuration each database's facts were last checked against, in this process.
_checked: weakref.WeakKeyDictionary[Engine, TeamConfig] = weakref.WeakKeyDictionary()
_checking = threading.Lock()


class KpiFacts:
    name = "kpi_facts"

    def next_due(self, desk: Desk, after: dt.datetime) -> dt.datetime | None:
        return None  # nothing falls due at a moment: each tick does what is marked

    def fire_due(self, desk: Desk, now: dt.datetime) -> int:
        with _checking:
            if _checked.get(desk.engine) is not desk.config:
                with session_scope(desk.engine) as session:
                    facts.follow_rules(desk.config, session, now)
                _checked[desk.engine] = desk.config
        started = time.monotonic()
        while time.monotonic() - started < BUDGET:
            # a transaction a batch: writers in between wait for one batch at most
            with session_scope(desk.engine) as session:
                if facts.refresh(desk.config, session, limit=facts.BATCH) < facts.BATCH:
                    break
        return 0


KPI_FACTS = KpiFacts()  # registered in schedules.timers
