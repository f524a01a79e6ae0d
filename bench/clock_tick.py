"""Benchmark: the response clocks' tick on the 1 M-ticket stress set (100 k open).

Times the entry points the scheduler calls (`RESPONSE_CLOCKS.fire_due` and `next_due`), min /
median / max of 3 runs, wall and CPU milliseconds: fire_due with nothing due, next_due, and
fire_due with a handful due (five tickets whose clocks were just restarted), first as a
process's first ticks, then as a running server's. Target (issue 16): under 20 ms each on
SQLite and PostgreSQL.

The first run fills the database (`bench/dataset.py`) unless it already holds tickets, then
brings it to a quiet state: the data set's open tickets are years overdue, so every stage due
by now is claimed as skipped in bulk (what the catch-up would do, minus 100 k posts), and one
tick re-evaluates every open ticket (what the first start after the 0011 migration, or a
change of the time rules, costs; printed once).

    .venv/bin/python bench/clock_tick.py [--database-url URL] [--count N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, delete, func, select, text, update

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import dataset  # noqa: E402

from bot.config import load_team  # noqa: E402
from handlers.desk import Desk, ManualClock  # noqa: E402
from handlers.tickets import clocks  # noqa: E402
from schedules.response_clocks import RESPONSE_CLOCKS  # noqa: E402
from storage import clock_due  # noqa: E402
from storage.db import dialect_insert, make_engine, session_scope, upgrade  # noqa: E402
from storage.models import ClockStage, Ticket  # noqa: E402

DEFAULT_URL = f"sqlite:///{ROOT / 'bench-clock-tick.sqlite'}"


def fill_once(engine: Engine, count: int) -> None:
    with session_scope(engine) as session:
        if session.execute(select(func.count()).select_from(Ticket)).scalar_one():
            return
    start = time.perf_counter()
    dataset.fill(engine, count)
    print(f"filled {count:,} tickets in {time.perf_counter() - start:.0f} s")


def bench_now(engine: Engine) -> dt.datetime:
    """A moment just after the data set's newest ticket (the set is relative to its fill)."""
    with session_scope(engine) as session:
        newest = session.execute(select(func.max(Ticket.created_at))).scalar_one()
    newest = dt.datetime.fromisoformat(newest) if isinstance(newest, str) else newest
    return newest.replace(tzinfo=dt.UTC) + dt.timedelta(minutes=1)


def quiet(desk: Desk, now: dt.datetime) -> None:
    """Claim every stage due by `now` as skipped, in bulk, then let one tick store each open
    ticket's next due time (timed: the full re-evaluation). Once per database."""
    with session_scope(desk.engine) as session:
        if clock_due.rules(session) is not None:
            return  # a tick ran here already
        clock_due.recheck_open(session, now)  # as the migration leaves open tickets
    claimed, after = 0, None
    while True:
        with session_scope(desk.engine) as session:
            batch = clock_due.due_batch(session, now, after, 5000)
            if not batch.tickets:
                break
            rows = [
                {"ticket_id": t.id, "stage": s.key, "due_at": s.due, "status": "skipped"}
                | {"fired_at": now}
                for t in batch.tickets
                for s in clocks.stages(desk.config, t, batch.progress.get(t.id or 0))
                if s.due <= now and (t.id, s.key) not in batch.claimed
            ]
            for start in range(0, len(rows), 2000):
                stmt = dialect_insert(session, ClockStage).values(rows[start : start + 2000])
                session.execute(stmt.on_conflict_do_nothing(index_elements=["ticket_id", "stage"]))
            claimed += len(rows)
        last = batch.tickets[-1]
        after = (last.clock_due_at or now, last.id or 0)
    if claimed:
        print(f"claimed {claimed:,} overdue stages as skipped (the set's years of backlog)")
    start, cpu = time.perf_counter(), time.process_time()
    RESPONSE_CLOCKS.fire_due(desk, now)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(f"first tick, every marked ticket re-evaluated: {wall:.1f} s wall, {cpu:.1f} s CPU")
    if desk.engine.dialect.name == "postgresql":
        # what autovacuum does in time: planned on the fill's statistics, the claims read
        # scanned all of clock_stage (the fill left every open ticket due)
        with desk.engine.connect() as conn:
            conn.execute(text("ANALYZE ticket, clock_stage, ticket_event"))
            conn.commit()


def restart_clocks(engine: Engine, how_many: int, offset: int) -> None:
    """Forget the claims of a few of the newest unanswered tickets and mark them changed:
    their first-response stages are due again at the next tick. (Years-old tickets would
    time the catch-up instead: dozens of skipped levels each, claimed in one statement.)"""
    with session_scope(engine) as session:
        ids = list(
            session.execute(
                select(Ticket.id)
                .where(Ticket.status == "new", Ticket.first_response_at.is_(None))  # type: ignore[union-attr]
                .order_by(Ticket.id.desc())  # type: ignore[union-attr]
                .offset(offset)
                .limit(how_many)
            ).scalars()
        )
        session.execute(delete(ClockStage).where(ClockStage.ticket_id.in_(ids)))  # type: ignore[attr-defined]
        session.execute(
            update(Ticket).where(Ticket.id.in_(ids)).values(clock_due_at=Ticket.created_at)  # type: ignore[union-attr]
        )


def timed(runs: list[Callable[[], Any]]) -> tuple[list[float], list[float]]:
    walls, cpus = [], []
    for run in runs:
        start, cpu = time.perf_counter(), time.process_time()
        run()
        walls.append((time.perf_counter() - start) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    return walls, cpus


def line(name: str, walls: list[float], cpus: list[float]) -> str:
    def mmm(values: list[float]) -> str:
        return f"{min(values):8.1f} {statistics.median(values):8.1f} {max(values):8.1f}"

    return f"{name:<34} wall {mmm(walls)}   cpu {mmm(cpus)}"


def measure(desk: Desk, now: dt.datetime) -> list[str]:
    """The figures, 3 runs each (what `bench/scale.py` can call on its own desk). The 5-due
    runs twice over the same tickets: the first pass is a process's first ticks with posts
    (they build the working-time calendar, ~30 ms at 1 M, and compile statements and
    message templates: paid once per process); the second is what a running server's tick
    costs every 15 s."""
    out = [line("fire_due, nothing due", *timed([lambda: RESPONSE_CLOCKS.fire_due(desk, now)] * 3))]
    out.append(line("next_due", *timed([lambda: RESPONSE_CLOCKS.next_due(desk, now)] * 3)))
    out.append(line("fire_due, 5 due, first in process", *five_due(desk, now)))
    out.append(line("fire_due, 5 tickets due", *five_due(desk, now)))
    return out


def five_due(desk: Desk, now: dt.datetime) -> tuple[list[float], list[float]]:
    walls, cpus = [], []
    for run in range(3):
        restart_clocks(desk.engine, 5, offset=5 * run)
        w, c = timed([lambda: RESPONSE_CLOCKS.fire_due(desk, now)])
        walls += w
        cpus += c
    return walls, cpus


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--count", type=int, default=1_000_000)
    args = parser.parse_args()
    engine = make_engine(args.database_url)
    upgrade(engine)
    fill_once(engine, args.count)
    now = bench_now(engine)
    desk = Desk(config=load_team(None), engine=engine, clock=ManualClock(now))
    quiet(desk, now)
    print(f"{engine.dialect.name}, ms: min / median / max of 3 runs")
    for row in measure(desk, now):
        print(row)


if __name__ == "__main__":
    main()
