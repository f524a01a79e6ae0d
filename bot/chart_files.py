"""Charts as files, for the console (which prints a chart's path) and anyone who wants
the PNG on disk: written once per chart under `DESKBOT_CHART_DIR` (default: a
`deskbot-charts` folder in the system's temporary directory)."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path

from sqlalchemy import Engine

from storage import charts
from storage.db import session_scope


def chart_dir() -> Path:
    configured = os.environ.get("DESKBOT_CHART_DIR")
    return Path(configured) if configured else Path(tempfile.gettempdir()) / "deskbot-charts"


def chart_png(engine: Engine, token: str, now: dt.datetime) -> bytes | None:
    with session_scope(engine) as session:
        chart = charts.load(session, token, now)
        return None if chart is None else chart.png


def chart_file(engine: Engine, token: str, now: dt.datetime) -> Path | None:
    """The chart's PNG on disk, or None when it has expired."""
    path = chart_dir() / f"{token}.png"
    if not path.exists():
        png = chart_png(engine, token, now)
        if png is None:
            return None
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(png)
    return path
