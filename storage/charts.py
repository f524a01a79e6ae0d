"""Charts: stored once with a random token (what to draw, or the PNG), read back by whoever
delivers them; the PNG is kept once drawn."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from sqlalchemy import delete, update
from sqlmodel import Session, col

from storage.models import Chart


def save(
    session: Session,
    scope: str,
    title: str,
    png: bytes | None,
    now: dt.datetime,
    keep: dt.timedelta,
    drawing: dict[str, Any] | None = None,
) -> str:
    """Store a PNG, or what to draw one from; returns its token (unguessable: it is also
    the chart's URL). Charts past their expiry are dropped on the way."""
    session.execute(delete(Chart).where(col(Chart.expires_at) < now))
    token = secrets.token_urlsafe(24)
    session.add(
        Chart(
            id=token,
            scope=scope,
            title=title[:300],
            png=png,
            drawing=drawing,
            created_at=now,
            expires_at=now + keep,
        )
    )
    session.flush()
    return token


def keep_png(session: Session, token: str, png: bytes) -> None:
    """The PNG drawn from a chart's drawing (whoever draws first; each draws the same)."""
    session.execute(update(Chart).where(col(Chart.id) == token).values(png=png))


def load(session: Session, token: str, now: dt.datetime) -> Chart | None:
    """The chart of a token, unless it has expired."""
    chart = session.get(Chart, token)
    return chart if chart is not None and chart.expires_at > now else None
