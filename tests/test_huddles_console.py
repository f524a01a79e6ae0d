"""The issue's "Done when", typed into `deskbot console` in a subprocess: a huddle, its
warning and time's-up as the clock moves, and the outcome on the ticket."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SESSION = [
    ":time 2026-11-23T09:00",
    "/ticket new DB failover #system",
    "/huddle T-1 split the work",
    ":time 2026-11-23T09:04",
    ":time 2026-11-23T09:05",
    "/huddle end T-1 Dana owns failover, Lee checks backups",
    "/ticket show T-1",
]


def run_console(tmp_path: Path, lines: list[str]) -> dict[str, str]:
    """What the console printed after each line typed, by that line."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DESKBOT_", "SLACK_"))}
    env["DESKBOT_DATABASE_URL"] = f"sqlite:///{tmp_path / 'deskbot.db'}"
    done = subprocess.run(
        [sys.executable, "-m", "bot", "console"],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
        check=True,
    )
    out: dict[str, str] = {}
    current = ""
    for line in done.stdout.splitlines():
        if line.startswith("> "):
            current = line[2:]
            out[current] = ""
        else:
            out[current] += line + "\n"
    return out


def test_done_when(tmp_path: Path) -> None:
    out = run_console(tmp_path, SESSION)
    started = out["/huddle T-1 split the work"]
    assert "Huddle on T-1 until 09:05" in started
    assert "[post → #service-desk (in thread) · mentions: @Dana Li, @Sofia Rossi, @Mei Chen]" in (
        started
    )
    assert "Who's in: @Dana Li, @Sofia Rossi, @Mei Chen, Lee Wang" in started
    assert "Join: https://meet.jit.si/deskbot-T-1-1-" in started

    warning = out[":time 2026-11-23T09:04"]
    assert "1 minute left in the T-1 huddle (split the work)" in warning
    assert "Time's up" not in warning

    times_up = out[":time 2026-11-23T09:05"]
    assert "Time's up for the T-1 huddle (split the work)" in times_up
    assert "/huddle end T-1 OUTCOME" in times_up and "[1] Record outcome" in times_up
    assert "minute left" not in times_up  # the warning went out once

    ended = out["/huddle end T-1 Dana owns failover, Lee checks backups"]
    assert "Huddle outcome on T-1 from Lee Wang: Dana owns failover, Lee checks backups" in ended

    shown = out["/ticket show T-1"]
    assert "huddle called by Lee Wang: split the work" in shown
    assert "huddle outcome by Lee Wang: Dana owns failover, Lee checks backups" in shown
