"""Scale: the 1 M-ticket data set through `deskbot import tickets`, then every user-facing read.

Builds the stress set of `bench/dataset.py` as a JSON-lines export file, loads it with the
importer the CLI runs (`handlers.transfer.importing.import_tickets`, in-process), then times
each read the way the bot makes it: commands through `router.handle_text`, posts through the
scheduled jobs' own builders, the response-clock tick through `ResponseClocks`. Each read:
min/median/max of 3 runs (wall ms; CPU ms beside it, the machine may be shared).

    .venv/bin/python bench/scale.py [--database-url URL] [--count N] [--keep FILE]
                                    [--no-import | --import-only] [--only REGEX]

--keep FILE keeps the data file (and reuses it when it is already there); --no-import times
the reads on a database that already holds the data set; --import-only times the import
alone; --only REGEX times some of the reads.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import dataset

from bot.config import load_team
from handlers import router
from handlers.chat.model import Actor, Place, Ref
from handlers.desk import Desk, SystemClock
from handlers.kpis import facts
from handlers.transfer import importing
from schedules.fire import Fire
from schedules.jobs import jobs_for
from storage.db import SERVING_CACHE_KIB, make_engine, session_scope, upgrade

RUNS = 3
WORKSPACE = dataset.SCOPE.split(":", 1)[1]
# (label, target ms)
TARGETS = {"command": 20.0, "kpi": 50.0, "post": 250.0, "tick": 20.0, "reminder": 20.0}


def timed(run: Callable[[], object]) -> tuple[list[float], list[float]]:
    walls, cpus = [], []
    for _ in range(RUNS):
        start, cpu = time.perf_counter(), time.process_time()
        run()
        walls.append((time.perf_counter() - start) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    return walls, cpus


def row(name: str, target: float, walls: list[float], cpus: list[float]) -> str:
    verdict = "ok" if statistics.median(walls) < target else "SLOW"
    figures = f"{min(walls):9.1f} {statistics.median(walls):9.1f} {max(walls):9.1f}"
    return f"| {name:<34} | {figures} | {statistics.median(cpus):9.1f} | < {target:>5.0f} {verdict}"


def load(desk: Desk, path: Path) -> None:
    size = path.stat().st_size
    start, cpu = time.perf_counter(), _cpu()
    with open(path, encoding="utf-8-sig", newline="") as source:
        outcome = importing.import_tickets(desk, source, "jsonl", dataset.SCOPE, False)
    wall, cpu = time.perf_counter() - start, _cpu() - cpu
    assert outcome.written and not outcome.problems, outcome.problems[:5]
    limit = 300 if desk.engine.dialect.name == "postgresql" else 180
    print(
        f"import: {outcome.added} added, {outcome.unchanged} already there, {size >> 20} MiB "
        f"in {wall:.1f} s ({outcome.added / wall:,.0f} tickets/s; CPU {cpu:.1f} s); "
        f"target < {limit} s: {'ok' if wall < limit else 'SLOW'}"
    )


def _cpu() -> float:
    """CPU seconds of this process and of its children that have ended (the importer's
    checking processes)."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def work_out_facts(desk: Desk) -> None:
    """The KPI facts of every marked ticket (what the scheduler's refresh does in the
    background after an import or an upgrade), timed: the figures sum them."""
    start, cpu, done = time.perf_counter(), time.process_time(), 0
    with session_scope(desk.engine) as session:
        facts.follow_rules(desk.config, session, desk.now())
    while True:
        with session_scope(desk.engine) as session:
            step = facts.refresh(desk.config, session, limit=10 * facts.BATCH)
        done += step
        if step < 10 * facts.BATCH:
            break
    if desk.engine.dialect.name == "postgresql":
        # the planner's statistics of the new rows, and the visibility map their index-only
        # scans need (autovacuum would get there, later)
        with desk.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    rate = done / wall if wall else 0
    print(f"KPI facts: {done} tickets worked out in {wall:.1f} s ({rate:,.0f}/s; CPU {cpu:.1f} s)")


def reads(desk: Desk, only: str | None = None) -> list[str]:
    config = desk.config
    lee = Actor(Ref("slack", WORKSPACE, "U0LEE"), config.person("lee"))
    tom = Actor(Ref("slack", WORKSPACE, "U0TOM"), config.person("tom"))
    place = Place(Ref("slack", WORKSPACE, "C0DESK"))
    with session_scope(desk.engine) as session:
        from storage.tickets import queue

        sample = queue(session, dataset.SCOPE, unassigned_only=False, limit=1)
    number = sample[0].number if sample else 1

    def command(actor: Actor, text: str) -> Callable[[], object]:
        def run() -> object:
            reply = router.handle_text(desk, actor, place, text)
            assert reply.ok, (text, reply.message.fallback)
            return reply

        return run

    commands = [
        ("/queue", lee, "command"),
        ("/queue all", lee, "command"),
        ("/queue mine", lee, "command"),
        ("/queue #network", lee, "command"),
        (f"/ticket show T-{number}", lee, "command"),
        ("/ticket new Printer on floor 3 jams #network p3", lee, "command"),
        ("/kpi day", tom, "kpi"),
        ("/kpi week", tom, "kpi"),
        ("/kpi month", tom, "kpi"),
    ]

    def wanted_read(name: str) -> bool:
        return only is None or re.search(only, name) is not None

    out = []
    for text, actor, kind in commands:
        if not wanted_read(text):
            continue
        out.append(row(text, TARGETS[kind], *timed(command(actor, text))))
        print(out[-1], flush=True)  # a slow read further down should not hide the rest

    at = desk.now()
    wanted = {"queue_reminder": "reminder", "manager_digest": "post"}
    for job in jobs_for(config):
        kind = "post" if job.id in {m.id for m in config.meetings} else wanted.get(job.kind)
        if kind is None or not wanted_read(f"{job.id} build"):
            continue

        def build(job=job) -> object:  # type: ignore[no-untyped-def]
            with session_scope(desk.engine) as session, desk.for_channel():
                return job.build(desk, session, dataset.SCOPE, Fire(at, scopes=(dataset.SCOPE,)))

        out.append(row(f"{job.id} build", TARGETS[kind], *timed(build)))
        print(out[-1], flush=True)

    if not wanted_read("clock tick"):
        return out
    # the set's open tickets are years overdue: their stages are claimed in bulk first (what
    # the catch-up would do, minus 100 k posts), as bench/clock_tick.py does
    import clock_tick

    clock_tick.quiet(desk, at)
    for line in clock_tick.measure(desk, at):
        out.append(f"| clock {line}   (target < {TARGETS['tick']:.0f})")
        print(out[-1], flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="the data file, kept and reused")
    parser.add_argument("--no-import", action="store_true")
    parser.add_argument("--import-only", action="store_true")
    parser.add_argument("--only", help="a regular expression: time only the reads it finds")
    parser.add_argument(
        "--serving",
        action="store_true",
        help="SQLite's page cache as `deskbot serve` sets it (storage.db.SERVING_CACHE_KIB)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'scale.db'}"
        engine = make_engine(url, SERVING_CACHE_KIB if args.serving else None)
        upgrade(engine)
        desk = Desk(config=load_team(None), engine=engine, clock=SystemClock())
        if not args.no_import:
            path = args.keep or Path(tmp) / "tickets.jsonl"
            if not path.exists():
                start = time.perf_counter()
                dataset.write_file(str(path), args.count)
                print(f"data file: {args.count} tickets in {time.perf_counter() - start:.1f} s")
            load(desk, path)
        if args.import_only:
            engine.dispose()
            return
        work_out_facts(desk)
        print(f"\n{engine.dialect.name}, {RUNS} runs each (ms)\n")
        print(f"| {'read':<34} | {'min':>9} {'median':>9} {'max':>9} | {'CPU med':>9} | target")
        print(f"| {'-' * 34} | {'-' * 29} | {'-' * 9} | ------")
        reads(desk, args.only)
        engine.dispose()


if __name__ == "__main__":
    main()
