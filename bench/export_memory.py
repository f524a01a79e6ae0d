"""Peak memory of `deskbot export tickets --events` by table size: it should stay flat
(the export reads keyset pages of 500 tickets and writes each row as it goes).

Fills a SQLite file with N tickets (two events each), then runs the real command in a fresh
process per size and reads its peak resident memory.

    .venv/bin/python bench/export_memory.py [N,N,...]   (default 10000,100000)
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert

from storage.db import make_engine, upgrade
from storage.models import Ticket, TicketEvent

CHILD = r"""
import resource, sys
from bot import cli
sys.stdout = open("/dev/null", "w")
code = cli.main(["export", "tickets", "--events"])
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, file=sys.stderr)
"""


def fill(url: str, n: int) -> None:
    engine = make_engine(url)
    upgrade(engine)
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    with engine.begin() as conn:
        for first in range(1, n + 1, 5000):
            rows = []
            for number in range(first, min(first + 5000, n + 1)):
                at = start + dt.timedelta(minutes=number)
                rows.append(
                    {
                        "scope": "console:local",
                        "number": number,
                        "summary": f"Ticket {number} with a summary of ordinary length",
                        "logged_by": "lee",
                        "priority": "p3",
                        "status": "resolved",
                        "links": [],
                        "created_at": at,
                        "updated_at": at,
                        "first_response_at": at,
                        "resolved_at": at,
                        "description": "",
                        "reporter": "",
                        "intake": "chat",
                        "environment": "",
                        "tried": "",
                        "root_cause": "",
                        "resolution": "fixed",
                    }
                )
            conn.execute(insert(Ticket), rows)
        ids = [row[0] for row in conn.exec_driver_sql("select id, created_at from ticket")]
        for first in range(0, len(ids), 5000):
            events = []
            for ticket_id in ids[first : first + 5000]:
                for kind in ("created", "resolve"):
                    events.append(
                        {
                            "ticket_id": ticket_id,
                            "at": start,
                            "actor": "lee",
                            "kind": kind,
                            "detail": {},
                        }
                    )
            conn.execute(insert(TicketEvent), events)
    engine.dispose()


def main() -> None:
    sizes = [int(x) for x in (sys.argv[1] if len(sys.argv) > 1 else "10000,100000").split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            url = f"sqlite:///{Path(tmp) / f'export{n}.db'}"
            fill(url, n)
            env = {**os.environ, "DESKBOT_DATABASE_URL": url}
            began = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, check=True
            )
            seconds = time.perf_counter() - began
            peak = float(done.stderr.strip().splitlines()[-1])
            print(f"{n:>9} tickets: exported in {seconds:.1f} s, peak memory {peak:.0f} MB")


if __name__ == "__main__":
    main()
