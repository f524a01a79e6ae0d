"""How long `deskbot console` takes from a cold start to answering `/help`.

Target (issue 2): within 1.5 s. Runs the real console as a subprocess, as a user would,
on an already-created SQLite file (the first run also creates and migrates it), and times
until the answer to `/help` is printed.

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


def once(env: dict[str, str]) -> tuple[float, float]:
    """Seconds until `/help` is answered, and until the console has exited."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "console"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write("/help\n")
    proc.stdin.flush()
    for line in proc.stdout:  # the help's last line says what /help itself does
        if "/help [ticket]" in line:
            break
    answered = time.perf_counter() - start
    proc.stdin.close()
    proc.stdout.read()
    proc.wait()
    return answered, time.perf_counter() - start


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "DESKBOT_DATABASE_URL": f"sqlite:///{Path(tmp) / 'bench.db'}"}
        first, _ = once(env)
        results = [once(env) for _ in range(runs)]
    answered = sorted(a for a, _ in results)
    exited = sorted(e for _, e in results)
    print(f"first start (creates + migrates the database): /help answered in {first:.3f} s")
    print(
        f"/help answered after a cold start, {runs} runs: median "
        f"{statistics.median(answered):.3f} s, max {answered[-1]:.3f} s (target < 1.5 s)"
    )
    print(
        f"whole session (then the scheduler's catch-up, then exit): median "
        f"{statistics.median(exited):.3f} s"
    )


if __name__ == "__main__":
    main()
