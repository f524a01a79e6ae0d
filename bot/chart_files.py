"""Stored charts as the adapters deliver them: a file for the console (written once under
`DESKBOT_CHART_DIR`, default a `deskbot-charts` folder in the temporary directory), the
bytes for a Slack upload, and for Teams a data URI when it keeps the card small enough or
else a URL that `deskbot serve` answers (`GET /charts/<token>.png`, unguessable, expires
with the chart)."""

from __future__ import annotations

import base64
import datetime as dt
import logging
import os
import tempfile
from pathlib import Path

from sqlalchemy import Engine

from storage import charts
from storage.db import session_scope

log = logging.getLogger(__name__)


def chart_dir() -> Path:
    configured = os.environ.get("DESKBOT_CHART_DIR")
    return Path(configured) if configured else Path(tempfile.gettempdir()) / "deskbot-charts"


def chart_png(engine: Engine, token: str, now: dt.datetime) -> bytes | None:
    """The chart's PNG, drawn and kept on its first delivery; None when it has expired."""
    with session_scope(engine) as session:
        chart = charts.load(session, token, now)
        if chart is None:
            return None
        png, drawing = chart.png, chart.drawing
    if png is None:
        if drawing is None:
            return None
        # imported here: the KPI charts (and matplotlib) stay off the console's cold start
        from handlers.kpis.charts import draw

        png = draw(drawing)  # outside a transaction: it takes a while
        with session_scope(engine) as session:
            charts.keep_png(session, token, png)
    return png


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


# Teams refuses activities over about 28 KB: a chart goes inline only well below that.
DATA_URI_MAX = 20_000
ROUTE = "/charts/{token}.png"


def image_source(engine: Engine, token: str, now: dt.datetime, public_url: str) -> str | None:
    """What a Teams card's `Image` shows: a data URI for a small chart, else the served
    URL (when `DESKBOT_PUBLIC_URL` says where the server is), else nothing."""
    png = chart_png(engine, token, now)
    if png is None:
        return None
    inline = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    if len(inline) <= DATA_URI_MAX:
        return inline
    if public_url:
        return public_url.rstrip("/") + ROUTE.format(token=token)
    log.warning("chart %s… too big to inline and DESKBOT_PUBLIC_URL is not set", token[:6])
    return None
