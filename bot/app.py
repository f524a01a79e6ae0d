"""Building the running pieces from the environment: configuration, database, clock."""

from __future__ import annotations

from bot.config import Settings
from handlers.desk import Clock, Desk, SystemClock
from storage.db import ensure_schema, make_engine


def build_desk(settings: Settings, clock: Clock | None = None, serving: bool = False) -> Desk:
    """A ready Desk: configuration checked, database created and upgraded if behind (by a
    child process when `serving`: see `storage.db.ensure_schema`)."""
    engine = make_engine(settings.database_url)
    ensure_schema(engine, apart=serving)
    return Desk(config=settings.team, engine=engine, clock=clock or SystemClock())
