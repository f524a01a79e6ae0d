"""Logging 10,000 tickets through the use-case layer on SQLite.

Target (issue 2): under 10 s. Each ticket is one full use case: parse, transaction with the
numbering upsert, the ticket, its audit event and the queue-card post in the outbox.

    .venv/bin/python bench/log_tickets.py [COUNT] [DATABASE_URL]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from bot.config import load_team
from handlers import router
from handlers.chat.model import Actor, Place, Ref
from handlers.desk import Desk, SystemClock
from storage.db import make_engine, upgrade


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    with tempfile.TemporaryDirectory() as tmp:
        url = sys.argv[2] if len(sys.argv) > 2 else f"sqlite:///{Path(tmp) / 'bench.db'}"
        engine = make_engine(url)
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
    print(
        f"{count} tickets logged in {elapsed:.2f} s ({count / elapsed:.0f}/s, target < 10 s); "
        f"CPU {cpu:.2f} s, the rest waiting on the disk"
    )
    print(f"/queue over {count} open tickets: {queue_time * 1000:.1f} ms")


if __name__ == "__main__":
    main()
