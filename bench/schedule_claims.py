"""Benchmark: claim and queue the 09:00 queue reminder for 1,000 teams.

Each team is one workspace scope (`slack:T0000`...) with two unassigned tickets, all in one
database; the scheduler's catch-up at 09:00:05 claims the 09:00 fire of each (a unique
`schedule_fire` row) and queues its post in the outbox. Run a second time it must queue
nothing (every fire is claimed). Target: under 2 s for the 1,000.

    .venv/bin/python bench/schedule_claims.py            # SQLite in a temporary directory
    .venv/bin/python bench/schedule_claims.py postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.config import load_team  # noqa: E402
from handlers.desk import Desk, ManualClock  # noqa: E402
from schedules.driver import Outlet, Scheduler  # noqa: E402
from storage.db import make_engine, session_scope, upgrade  # noqa: E402
from storage.models import Ticket  # noqa: E402
from tests.support import scratch_database  # noqa: E402

TEAMS = 1000
MONDAY_0900 = dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC)  # 09:00 Asia/Shanghai


def seed(engine, outlets: list[Outlet]) -> None:  # type: ignore[no-untyped-def]
    logged = MONDAY_0900 - dt.timedelta(hours=1)
    with session_scope(engine) as session:
        for outlet in outlets:
            for number in (1, 2):
                session.add(
                    Ticket(
                        scope=outlet.scope,
                        number=number,
                        summary=f"VPN drops {number}",
                        logged_by="lee",
                        category="network",
                        priority="p2",
                        created_at=logged,
                        updated_at=logged,
                    )
                )


def run(url: str) -> None:
    engine = make_engine(url)
    upgrade(engine)
    config = load_team(None)
    clock = ManualClock(MONDAY_0900 - dt.timedelta(hours=1))
    desk = Desk(config, engine, clock)
    outlets = [Outlet("slack", f"slack:T{n:04d}") for n in range(TEAMS)]
    seed(engine, outlets)
    scheduler = Scheduler(desk, outlets, timers=[])
    reminder = scheduler.job("queue_reminder")
    clock.set(MONDAY_0900 + dt.timedelta(seconds=5))

    started = time.perf_counter()
    first = scheduler.fire(reminder, MONDAY_0900, "posted")
    took = time.perf_counter() - started
    posted = sum(o.posts for o in first if o.status == "posted")

    started = time.perf_counter()
    again = scheduler.fire(reminder, MONDAY_0900, "posted")
    took_again = time.perf_counter() - started
    duplicates = sum(o.posts for o in again if o.status != "taken")

    with engine.connect() as conn:
        rows = conn.execute(text("select count(*) from outbox_message")).scalar_one()
    print(f"{engine.dialect.name}: {TEAMS} teams")
    print(f"  claim + queue the 09:00 reminder: {took:.2f} s ({took / TEAMS * 1000:.2f} ms/team)")
    print(f"  second run (all claimed):          {took_again:.2f} s, {duplicates} new posts")
    print(f"  outbox rows: {rows} (expected {TEAMS})")
    ok = posted == TEAMS and rows == TEAMS and duplicates == 0 and took < 2.0
    print("  " + ("OK: under 2 s" if ok else "FAILED"))
    engine.dispose()
    if not ok:
        sys.exit(1)


def main() -> None:
    if len(sys.argv) > 1:
        with scratch_database(sys.argv[1], "deskbot_bench") as url:
            run(url)
        return
    with tempfile.TemporaryDirectory() as tmp:
        run(f"sqlite:///{Path(tmp) / 'bench.db'}")


if __name__ == "__main__":
    main()
