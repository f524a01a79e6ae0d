"""Building the running pieces from the environment: configuration, database, clock."""

from __future__ import annotations

from bot.config import Settings
from handlers.desk import Clock, Desk, SystemClock
from storage.db import SERVING_CACHE_KIB, ensure_schema, make_engine


def build_desk(settings: Settings, clock: Clock | None = None, serving: bool = False) -> Desk:
    """A ready Desk: configuration checked, database created and upgraded if behind.
    `serving`: a long-running server's (upgraded by a child process, a smaller SQLite page
    cache: see `storage.db`)."""
    engine = make_engine(settings.database_url, SERVING_CACHE_KIB if serving else None)
    ensure_schema(engine, apart=serving)
    return Desk(config=settings.team, engine=engine, clock=clock or SystemClock())
