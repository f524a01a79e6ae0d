"""Building the running pieces from the environment: configuration, database, clock."""

from __future__ import annotations

from bot.config import Settings
from handlers.desk import Clock, Desk, SystemClock
from storage.db import ensure_schema, make_engine


def build_desk(settings: Settings, clock: Clock | None = None) -> Desk:
    """A ready Desk: configuration checked, database created and upgraded if behind."""
    engine = make_engine(settings.database_url)
    ensure_schema(engine)
    return Desk(config=settings.team, engine=engine, clock=clock or SystemClock())
