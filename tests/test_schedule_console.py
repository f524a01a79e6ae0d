"""The scheduler as a user meets it: `deskbot console` with `:time`, `deskbot schedule`."""

from __future__ import annotations

import datetime as dt
import io
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import Engine

from bot.console.scheduler import attach_console
from bot.console.session import Console
from handlers.config.team import TeamConfig
from handlers.desk import Desk, ManualClock
from tests.conftest import START

PLATFORM_ENV = ("DESKBOT_CONFIG", "SLACK_BOT_TOKEN", "MicrosoftAppId")


def deskbot(tmp_path: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DESKBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'deskbot.db'}"}
    for name in PLATFORM_ENV:
        env.pop(name, None)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )


def test_done_when_session_shows_the_reminder_then_the_standup(tmp_path: Path) -> None:
    script = (
        ":time 2026-11-23T08:00\n"
        "/ticket new Stale VPN #network p2\n"
        ":time 2026-11-23T09:01\n"
        ":time 2026-11-23T09:31\n"
    )
    done = deskbot(tmp_path, "console", stdin=script)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    at_0901 = out.split("> :time 2026-11-23T09:01", 1)[1].split("> :time 2026-11-23T09:31")[0]
    reminder = at_0901.split("[post → #service-desk · mentions: @Lee Wang, @Sam Okafor]:\n")[-1]
    assert reminder.startswith("  Queue check 09:00: unassigned tickets are waiting")
    assert "  - T-1 P2 #network Stale VPN · waiting 1 h · past the 30-min first response" in (
        reminder
    )
    # the clock stages fell due on the way, before the reminder, in order
    assert (
        at_0901.index("has waited 20 min")
        < at_0901.index("Breach: T-1")
        < at_0901.index("Queue check 09:00")
    )
    # the breach, with the team lead for a P2, and paged by DM before working hours
    assert "mentions: @Lee Wang, @Sam Okafor, @Grace Liu, @Mei Chen]" in at_0901
    assert "[post → DM @Raj Patel · mentions: @Raj Patel]" in at_0901
    at_0931 = out.split("> :time 2026-11-23T09:31", 1)[1]
    assert "[post → #desk-managers · mentions: @Grace Liu, @Hana Zhou]:" in at_0931
    assert "Daily standup (每日站会) · Mon 23 Nov, 09:30 · 15 min" in at_0931
    assert "Queue check" not in at_0931  # nothing posted twice


def test_schedule_list_shows_every_job_with_its_next_three_times(tmp_path: Path) -> None:
    done = deskbot(tmp_path, "schedule", "list")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.startswith("Example IT Service Desk · Asia/Shanghai")
    for job in (
        "standup",
        "weekly_review",
        "monthly_planning",
        "queue_reminder",
        "l2_weekly_report",
        "manager_digest",
    ):
        line = next(line for line in out.splitlines() if line.startswith(job + " "))
        assert line.count(" · ") == 2, line  # three times
    queue = next(line for line in out.splitlines() if line.startswith("queue_reminder"))
    assert "09:00, 14:00, 17:00" in queue


def test_schedule_run_posts_a_job_now(tmp_path: Path) -> None:
    done = deskbot(tmp_path, "schedule", "run", "manager_digest")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "manager_digest: queued 1 post(s) for console:local\n"
    shown = deskbot(tmp_path, "console", stdin=":quit\n")  # the console prints what is queued
    assert "[post → #desk-managers · mentions: nobody]:\n  Manager digest · today" in shown.stdout

    bad = deskbot(tmp_path, "schedule", "run", "coffee_break")
    assert bad.returncode == 1
    assert "no job 'coffee_break'; jobs: standup, weekly_review" in bad.stderr
    missing = deskbot(tmp_path, "schedule", "run")
    assert missing.returncode == 2 and "which job?" in missing.stderr


def test_console_catches_up_on_start_and_stops_its_scheduler(
    sample: TeamConfig, engine: Engine
) -> None:
    """Started at 09:00:30 on a Monday, the console shows the 09:00 reminder before the
    first command; the real-time scheduler runs in the background until the session ends."""
    desk = Desk(sample, engine, ManualClock(START + dt.timedelta(seconds=30)))
    out = io.StringIO()
    console = Console(desk, out, clock=None)
    stop = attach_console(console)
    try:
        assert (
            "[post → #service-desk · mentions: nobody]:\n  Queue check 09:00: the queue is empty."
            in (out.getvalue())
        )
        console.handle("/queue")  # commands run as usual, the scheduler waits for them
        assert "Unassigned queue (0)" in out.getvalue()
    finally:
        stop()
