"""`deskbot console` as a user runs it: a subprocess with piped standard input."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def run_console(
    tmp_path: Path,
    script: str,
    db: str = "deskbot.db",
    *args: str,
    config: Path | None = None,
) -> str:
    """A piped session; the bundled sample team unless `config` names another."""
    env = {**os.environ, "DESKBOT_DATABASE_URL": f"sqlite:///{tmp_path / db}"}
    env.pop("DESKBOT_CONFIG", None)
    if config is not None:
        env["DESKBOT_CONFIG"] = str(config)
    done = subprocess.run(
        [sys.executable, "-m", "bot", "console", *args],
        input=script,
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr, done.stderr  # e.g. a scheduler tick at exit
    return done.stdout


def test_piped_session_logs_posts_and_lists(tmp_path: Path) -> None:
    out = run_console(tmp_path, "/ticket new VPN down #network\n/queue\n")
    assert "Logged T-1: VPN down. Posted to #service-desk." in out
    assert "[post → #service-desk · mentions: @Sam Okafor]" in out
    assert "T-1 · VPN down" in out
    queue = out.split("> /queue", 1)[1]
    assert "Unassigned queue (1)" in queue
    assert "T-1 P3 #network VPN down" in queue


def test_the_database_keeps_tickets_across_runs(tmp_path: Path) -> None:
    run_console(tmp_path, "/ticket new First\n")
    out = run_console(tmp_path, "/ticket new Second\n/queue\n")
    assert "Logged T-2: Second" in out
    assert "T-1 P3 First" in out and "T-2 P3 Second" in out


def test_meta_commands_act_as_someone_else_and_press_buttons(tmp_path: Path) -> None:
    out = run_console(
        tmp_path,
        "/ticket new Mail bounces #application\n"
        ":as omar\n"
        ":click 1\n"
        ":in l2-application\n"
        "/ticket show T-1\n"
        ":json neutral\n"
        ":as nobody\n"
        ":click 9\n"
        ":frob\n",
    )
    assert "(you are now Omar Haddad: l2)" in out
    assert "(pressed Take on T-1)" in out
    assert "T-1 is yours now." in out
    assert "[edit] #service-desk: T-1: Mail bounces (in progress)" in out
    assert "Assignee: Omar Haddad" in out
    assert '"fallback": "T-1: Mail bounces (in progress)"' in out
    assert "? no person 'nobody'" in out
    assert "? usage: :click N" in out
    assert "? unknown meta-command :frob" in out


def test_dispatch_shows_who_is_pinged_and_the_dms(tmp_path: Path) -> None:
    out = run_console(
        tmp_path,
        "/ticket new Wi-Fi drops #network | env: floor 3\n/ticket dispatch T-1 moved AP channel\n",
    )
    assert "[post → DM @Raj Patel" in out and "[post → DM @Kim Park" in out
    assert "(in thread) · mentions: @Raj Patel, @Kim Park" in out
    assert "What was tried: moved AP channel" in out


def test_bad_input_answers_one_line_and_the_usage(tmp_path: Path) -> None:
    out = run_console(tmp_path, "/ticket show\n/ticket new x #printers\n/queue\n")
    assert "Which ticket? Give its id, like T-12.\n  Usage: /ticket show T-<n>" in out
    assert "Unknown category #printers; known: #network, #system, #application." in out
    assert "Unassigned queue (0)" in out


@pytest.mark.parametrize("cmd", [["check-config"], ["db", "upgrade"]])
def test_other_cli_commands_run(tmp_path: Path, cmd: list[str]) -> None:
    env = {**os.environ, "DESKBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    done = subprocess.run(
        [sys.executable, "-m", "bot", *cmd], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 0, done.stderr
