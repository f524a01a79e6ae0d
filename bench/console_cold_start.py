"""How long `deskbot console` takes from a cold start to answering `/help`.

Target (issue 2): within 1.5 s. Runs the real console as a subprocess, as a user would,
on an already-created SQLite file (the first run also creates and migrates it).

    .venv/bin/python bench/console_cold_start.py [RUNS]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def once(env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "bot", "console"],
        input="/help\n",
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    elapsed = time.perf_counter() - start
    assert "deskbot" in done.stdout and "/ticket" in done.stdout, done.stdout
    return elapsed


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "DESKBOT_DATABASE_URL": f"sqlite:///{Path(tmp) / 'bench.db'}"}
        first = once(env)
        times = sorted(once(env) for _ in range(runs))
    print(f"first start (creates + migrates the database): {first:.3f} s")
    print(
        f"/help after a cold start, {runs} runs: median {statistics.median(times):.3f} s, "
        f"max {times[-1]:.3f} s (target < 1.5 s)"
    )


if __name__ == "__main__":
    main()
