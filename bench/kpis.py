"""`/kpi`, the managers' digest and the three agendas at a million tickets.

Targets (issue 16): `/kpi day|week|month` < 50 ms; digest and agenda builds < 250 ms, on
SQLite and PostgreSQL. Each line: wall-clock min/median/max of 3 runs, and the median CPU
time of this process (the machine may be shared; CPU time is what the code costs here).

    .venv/bin/python bench/kpis.py [--database-url URL] [--count N]

Without a URL the data set goes into a SQLite file under the system's temp directory and
is kept there for the next run (1 M tickets take minutes to fill). A database that already
holds the data set's workspace is reused as it is.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).parent))

import dataset
import scale

from bot.config import load_team
from handlers import router
from handlers.chat.model import Actor, Place, Ref
from handlers.desk import Desk, SystemClock
from schedules import agendas
from schedules.fire import Fire
from storage.db import make_engine, session_scope, upgrade
from storage.models import Ticket


def timed(name: str, run: Callable[[], object]) -> None:
    walls, cpus = scale.timed(run)
    print(
        f"{name:<22} {min(walls):9.1f} {statistics.median(walls):9.1f} {max(walls):9.1f}"
        f"   cpu {statistics.median(cpus):9.1f} ms",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--count", type=int, default=1_000_000)
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{Path(tempfile.gettempdir()) / 'deskbot-kpis.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with engine.connect() as conn:
        held = conn.execute(
            select(func.count()).select_from(Ticket).where(Ticket.scope == dataset.SCOPE)
        ).scalar_one()
    if held == 0:
        start = time.perf_counter()
        dataset.fill(engine, args.count)
        print(f"filled {args.count} tickets in {time.perf_counter() - start:.0f} s")
        held = args.count
    config = load_team(None)
    desk = Desk(config=config, engine=engine, clock=SystemClock())
    scale.work_out_facts(desk)
    platform, workspace = dataset.SCOPE.split(":", 1)
    manager = config.person("grace")  # the service desk manager
    actor = Actor(Ref(platform, workspace, manager.id), manager)
    place = Place(Ref(platform, workspace, "service-desk"))
    print(f"{held} tickets in {dataset.SCOPE}; {url.split('@')[-1]}")
    print(f"{'(ms)':<22} {'min':>9} {'median':>9} {'max':>9}")

    for period in ("day", "week", "month"):

        def kpi(period: str = period) -> None:
            reply = router.handle_text(desk, actor, place, f"/kpi {period}")
            assert reply.ok, reply

        timed(f"/kpi {period}", kpi)

    now = desk.now()

    def digest() -> None:
        # the first digest of a day covers it from midnight; rolled back: nothing is posted
        with session_scope(engine) as session:
            agendas.digest(desk, session, dataset.SCOPE, Fire(now))
            session.rollback()

    timed("digest", digest)
    for meeting in config.meetings:
        if meeting.figures is None:
            continue

        def build(meeting: object = meeting) -> None:
            with session_scope(engine) as session:
                agendas.meeting(desk, session, dataset.SCOPE, meeting, now, False)  # type: ignore[arg-type]
                session.rollback()  # the chart it stores

        timed(f"{meeting.id} ({meeting.figures})", build)
    engine.dispose()


if __name__ == "__main__":
    main()
