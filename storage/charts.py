"""Rendered charts: stored once with a random token, read back by whoever delivers them."""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import delete
from sqlmodel import Session, col

from storage.models import Chart


def save(
    session: Session, scope: str, title: str, png: bytes, now: dt.datetime, keep: dt.timedelta
) -> str:
    """Store a PNG; returns its token (unguessable: it is also the chart's URL). Charts past
    their expiry are dropped on the way."""
    session.execute(delete(Chart).where(col(Chart.expires_at) < now))
    token = secrets.token_urlsafe(24)
    session.add(
        Chart(
            id=token, scope=scope, title=title[:300], png=png, created_at=now, expires_at=now + keep
        )
    )
    session.flush()
    return token


def load(session: Session, token: str, now: dt.datetime) -> Chart | None:
    """The chart of a token, unless it has expired."""
    chart = session.get(Chart, token)
    return chart if chart is not None and chart.expires_at > now else None
