"""Logging for the command line and the server: text on a terminal, or one JSON object per
line (`DESKBOT_LOG_FORMAT=json`) for a log collector.

A JSON line carries time, level, logger and event, plus whatever the call site passes in
`extra` (ticket, platform, workspace, outbox_id). Tokens never reach a line: anything that
looks like a Slack token or a bearer credential is masked, whatever logged it.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import TextIO

from pythonjsonlogger.json import JsonFormatter

HANDLER = "deskbot"
TEXT_FORMAT = "%(levelname)s %(name)s: %(message)s"
JSON_FIELDS = ["asctime", "levelname", "name", "message"]
RENAMED = {"asctime": "time", "levelname": "level", "name": "logger", "message": "event"}
SECRET = re.compile(r"\b(xox[abposr]-[\w-]+|xapp-[\w-]+|Bearer\s+[\w.~+/=-]+)")
# Libraries that log request and response bodies below WARNING (slack_sdk at DEBUG, bolt's
# "unsuccessful execution" at INFO with the body): never at INFO here.
QUIET = (
    "slack_sdk",
    "slack_bolt",
    "botbuilder",
    "msrest",
    "apscheduler",
    "alembic.runtime.plugins",
)


class Redact(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = SECRET.sub(lambda m: m.group(0)[:5] + "…", message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


def json_formatter() -> logging.Formatter:
    return JsonFormatter(
        JSON_FIELDS, rename_fields=RENAMED, datefmt="%Y-%m-%dT%H:%M:%S%z", json_ensure_ascii=False
    )


def setup(
    log_format: str | None, level: int = logging.WARNING, stream: TextIO | None = None
) -> None:
    """`log_format`: "json" or "text"; unset: text (JSON only when asked for)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    fmt = (log_format or "text").strip().lower()
    handler.setFormatter(json_formatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    handler.addFilter(Redact())
    handler.set_name(HANDLER)
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == HANDLER]:  # a second setup
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in QUIET:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
