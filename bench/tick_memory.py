"""Benchmark: what the scheduler's first tick after a burst adds to a server's memory.

Every ticket logged is due for the response clocks at once, so the tick after a burst of
`/ticket new` re-evaluates all of them (in batches). Logs COUNT p2 tickets through the use
cases into a fresh SQLite file, then, in a process of its own loaded like `deskbot serve`,
runs one `Scheduler.tick` and reads VmRSS/VmHWM before and after (3 runs, each on a copy of
the file). Issue 16's serve target: < 150 MB after a burst, from ~130 MB idle.

    .venv/bin/python bench/tick_memory.py [COUNT]
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def fill(url: str, count: int) -> None:
    from bot.config import load_team
    from handlers import router
    from handlers.chat.model import Actor, Place, Ref
    from handlers.desk import Desk, SystemClock
    from storage.db import make_engine, upgrade

    engine = make_engine(url)
    upgrade(engine)
    config = load_team(None)
    desk = Desk(config=config, engine=engine, clock=SystemClock())
    actor = Actor(Ref("slack", "T0SAMPLE", "lee"), config.person("lee"))
    place = Place(Ref("slack", "T0SAMPLE", "C0QUEUE"))
    for i in range(count):
        text = f"/ticket new Printer {i} jams #network p2"
        assert router.handle_text(desk, actor, place, text).ok
    engine.dispose()


def memory() -> tuple[int, int]:
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    return int(fields["VmHWM"].split()[0]) // 1024, int(fields["VmRSS"].split()[0]) // 1024


def tick(url: str) -> None:
    """One tick in a process loaded as the server is; prints 'HWM RSS HWM RSS seconds'."""
    import bot.server  # what the serving process has imported
    import bot.slack  # noqa: F401
    from bot.config import load_team
    from bot.scheduling import outlets_for
    from handlers.desk import Desk, SystemClock
    from schedules.driver import Scheduler
    from storage.db import make_engine

    desk = Desk(config=load_team(None), engine=make_engine(url), clock=SystemClock())
    scheduler = Scheduler(desk, outlets_for(desk.config, ["slack"]))
    before = memory()
    start = time.perf_counter()
    scheduler.tick()
    print(*before, *memory(), time.perf_counter() - start)


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    with tempfile.TemporaryDirectory() as tmp:
        filled = Path(tmp) / "filled.db"
        fill(f"sqlite:///{filled}", count)
        grown, hwm, seconds = [], [], []
        for run in range(3):
            copy = Path(tmp) / f"run{run}.db"
            shutil.copy(filled, copy)
            env = {**os.environ, "PYTHONPATH": str(ROOT)}
            out = subprocess.run(
                [sys.executable, __file__, "--tick", f"sqlite:///{copy}"],
                env=env,
                check=True,
                capture_output=True,
                text=True,
            ).stdout.split()
            hwm0, rss0, hwm1, rss1 = map(int, out[:4])
            grown.append(rss1 - rss0)
            hwm.append(hwm1 - hwm0)
            seconds.append(float(out[4]))
    print(f"the first tick over {count} new tickets, min / median / max of 3 runs")
    for name, values, unit in (
        ("VmRSS grew", grown, "MB"),
        ("VmHWM grew", hwm, "MB"),
        ("tick", seconds, "s"),
    ):
        low, mid, high = min(values), statistics.median(values), max(values)
        print(f"  {name:<12} {low:.1f} / {mid:.1f} / {high:.1f} {unit}")
    print(f"  load average {os.getloadavg()[0]:.2f} (2 cores, shared)")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--tick"]:
        tick(sys.argv[2])
    else:
        main()
