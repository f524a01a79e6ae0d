"""DESKBOT_LOG_FORMAT=json: one JSON object per line, with the context fields, no secrets."""

from __future__ import annotations

import io
import json
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import logs


@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    level = root.level
    out = io.StringIO()
    logs.setup("json", logging.INFO, out)
    yield out
    for handler in [h for h in root.handlers if h.get_name() == logs.HANDLER]:
        root.removeHandler(handler)
    root.setLevel(level)


# Fresh logger names: import-linter's run (test_architecture) configures logging and so
# disables every logger that existed before it, bot.delivery included.


def lines(out: io.StringIO) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]


def test_a_json_line_has_time_level_logger_event_and_context(json_logs: io.StringIO) -> None:
    logging.getLogger("bot.test.delivery").warning(
        "outbox %s: retry in %.1fs: %s",
        7,
        2.0,
        "ratelimited",
        extra={"outbox_id": 7, "workspace": "slack:T0SAMPLE", "ticket": "T-3"},
    )
    [line] = lines(json_logs)
    assert line["level"] == "WARNING" and line["logger"] == "bot.test.delivery"
    assert line["event"] == "outbox 7: retry in 2.0s: ratelimited"
    assert line["outbox_id"] == 7 and line["workspace"] == "slack:T0SAMPLE"
    assert line["ticket"] == "T-3" and line["time"].startswith("20")


def test_tokens_never_reach_a_line(json_logs: io.StringIO) -> None:
    log = logging.getLogger("bot.test")
    log.info("calling with %s", "xoxb-1234-5678-abcdefSECRET")
    log.error("auth header Bearer eyJhbGciOiJSUzI1NiJ9.SECRET and app xapp-1-A0-SECRET")
    text = json.dumps(lines(json_logs))
    assert "SECRET" not in text and "xoxb-" in text


def test_library_chatter_below_warning_is_not_logged(json_logs: io.StringIO) -> None:
    logging.getLogger("slack_sdk.web.async_base_client").info("Sending a request - body: secret")
    logging.getLogger("bot.test.server").info("started")
    assert [line["event"] for line in lines(json_logs)] == ["started"]


def test_deskbot_serve_logs_json_lines_when_asked(tmp_path: Path) -> None:
    """A real `deskbot serve`: each line it logs while starting is one JSON object."""
    env = {
        **os.environ,
        "DESKBOT_LOG_FORMAT": "json",
        "DESKBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'd.db'}",
        "MicrosoftAppPassword": "pw-SECRET",
    }
    for name in ("SLACK_BOT_TOKEN", "MicrosoftAppId", "DESKBOT_CONFIG"):
        env.pop(name, None)
    child = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--port", "0"],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    try:
        assert child.stderr is not None
        first = []
        while not any('"bot.teams"' in line for line in first) and len(first) < 40:
            first.append(child.stderr.readline())
    finally:
        child.send_signal(signal.SIGTERM)
        child.wait(timeout=30)
    parsed = [json.loads(line) for line in first]  # each line one JSON object
    assert all({"time", "level", "logger", "event"} <= set(p) for p in parsed)
    assert parsed[-1]["logger"] == "bot.teams" and parsed[-1]["level"] == "WARNING"
    assert not any(p["logger"].startswith("alembic.runtime.plugins") for p in parsed)
    assert "SECRET" not in "".join(first)
