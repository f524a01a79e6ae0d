"""Logging 10,000 tickets through the use-case layer on SQLite.

Target (issue 16): under 6 s, CPU-bound (CPU time about the wall time). Each ticket is
one full use case: parse, one transaction with the numbering upsert, the ticket, its audit
event and the queue-card post in the outbox, the on-call rota as it stands and the
knowledge suggestions. Three runs, each on a fresh SQLite file (or all on DATABASE_URL).

    .venv/bin/python bench/log_tickets.py [COUNT] [DATABASE_URL]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

from bot.config import load_team
from handlers import router
from handlers.chat.model import Actor, Place, Ref
from handlers.desk import Desk, SystemClock
from storage.db import make_engine, upgrade

RUNS = 3


def once(count: int, url: str | None) -> tuple[float, float, float]:
    """Seconds (wall, CPU) to log `count` tickets, and the `/queue` after them."""
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(url or f"sqlite:///{Path(tmp) / 'bench.db'}")
        upgrade(engine)
        config = load_team(None)
        desk = Desk(config=config, engine=engine, clock=SystemClock())
        lee = config.person("lee")
        actor = Actor(Ref("console", "bench", "lee"), lee)
        place = Place(Ref("console", "bench", "service-desk"))
        categories = ["#network", "#system", "#application"]
        start, cpu = time.perf_counter(), time.process_time()
        for i in range(count):
            text = f"/ticket new Printer {i} jams {categories[i % 3]} p{1 + i % 4} via:phone"
            reply = router.handle_text(desk, actor, place, text)
            assert reply.ok
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        start = time.perf_counter()
        queue = router.handle_text(desk, actor, place, "/queue")
        queue_time = time.perf_counter() - start
        assert queue.ok
        engine.dispose()
    return elapsed, cpu, queue_time


def spread(values: list[float], scale: float = 1.0) -> str:
    low, mid, high = min(values), statistics.median(values), max(values)
    return f"{low * scale:.2f} / {mid * scale:.2f} / {high * scale:.2f}"


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    url = sys.argv[2] if len(sys.argv) > 2 else None  # else a fresh SQLite file per run
    runs = [once(count, url) for _ in range(RUNS)]
    walls, cpus, queues = ([r[i] for r in runs] for i in range(3))
    print(f"{count} tickets logged, min / median / max of {len(runs)} runs (target < 6 s):")
    print(f"  wall {spread(walls)} s; CPU {spread(cpus)} s")
    print(f"  per ticket: CPU {spread(cpus, 1000 / count)} ms")
    print(f"/queue over {count} open tickets: {spread(queues, 1000)} ms")


if __name__ == "__main__":
    main()
