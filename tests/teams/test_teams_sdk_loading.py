"""Without an app id (local mode) the Bot Framework SDK is loaded at the first Teams
request or post, not at the start: a Slack-only install, which keeps the route for the
emulator, does not carry its ~20 MB. With one, Teams is expected and the SDK is ready at
the start (its first request does not wait for the import)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SERVE = """
from bot.app import build_desk
from bot.config import Settings
from bot.server import build_app, platforms_from
import sys
settings = Settings()
desk = build_desk(settings)
build_app(desk, platforms_from(settings, desk), schedule=True)
print(sorted({m.split(".")[0] for m in sys.modules if m.startswith("botbuilder")}))
"""


def _loaded_at_start(tmp_path: Path, **settings: str) -> str:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DESKBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'desk.db'}",
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": "secret",
        **settings,
    }
    done = subprocess.run(
        [sys.executable, "-c", SERVE], env=env, cwd=tmp_path, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_server_without_teams_traffic_loads_no_teams_sdk(tmp_path: Path) -> None:
    assert _loaded_at_start(tmp_path) == "[]"


def test_a_server_with_a_teams_app_has_the_sdk_ready(tmp_path: Path) -> None:
    ready = _loaded_at_start(tmp_path, MicrosoftAppId="00000000-0000-0000-0000-000000000001")
    assert ready == "['botbuilder']"
