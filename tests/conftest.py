"""Shared fixtures: the sample team, a migrated database per test, an injected clock.

Every storage-touching test runs on SQLite, and on PostgreSQL too when
DESKBOT_TEST_DATABASE_URL names a server. Each test run gets its own PostgreSQL database
(created from that URL and dropped at the end), so parallel runs never share tables.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlmodel import SQLModel

from bot.config import load_team
from handlers.chat.model import Actor, Place, Ref
from handlers.config.team import TeamConfig
from handlers.desk import Desk, ManualClock
from storage.db import make_engine, upgrade

PG_URL = os.environ.get("DESKBOT_TEST_DATABASE_URL")
# A Monday morning in the sample team's zone (Asia/Shanghai), 09:00 local.
START = dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC)

BACKENDS = ["sqlite", *(["postgresql"] if PG_URL else [])]


@pytest.fixture(scope="session")
def sample() -> TeamConfig:
    return load_team(None)


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file; each test copies it (migrating each time is slow)."""
    path = tmp_path_factory.mktemp("template") / "deskbot.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def _pg_engine() -> Iterator[Engine | None]:
    if not PG_URL:
        yield None
        return
    name = f"deskbot_test_{uuid.uuid4().hex[:10]}"
    admin_url = PG_URL.replace("postgresql://", "postgresql+psycopg://", 1)
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    base, _, _ = PG_URL.rpartition("/")
    engine = make_engine(f"{base}/{name}")
    upgrade(engine)
    yield engine
    engine.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate(engine: Engine) -> None:
    tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=BACKENDS)
def engine(
    request: pytest.FixtureRequest, tmp_path: Path, _sqlite_template: Path
) -> Iterator[Engine]:
    """A migrated, empty database: a SQLite copy, or the run's PostgreSQL database emptied."""
    if request.param == "sqlite":
        path = tmp_path / "deskbot.db"
        shutil.copy(_sqlite_template, path)
        eng = make_engine(f"sqlite:///{path}")
        yield eng
        eng.dispose()
    else:
        pg: Engine = request.getfixturevalue("_pg_engine")
        _truncate(pg)
        yield pg


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def desk(sample: TeamConfig, engine: Engine, clock: ManualClock) -> Desk:
    return Desk(config=sample, engine=engine, clock=clock)


def actor_of(config: TeamConfig, person_id: str, platform: str = "console") -> Actor:
    person = config.person(person_id)
    assert person is not None, person_id
    return Actor(Ref(platform, "local", person_id), person)


PLACE = Place(Ref("console", "local", "service-desk"))


@pytest.fixture(autouse=True)
def _no_cli_log_handler() -> Iterator[None]:
    """`cli.main` installs its log handler on the root logger (bound to this test's captured
    stderr); later tests must not write to it."""
    import logging

    from bot import logs

    yield
    root = logging.getLogger()
    for handler in [h for h in root.handlers if h.get_name() == logs.HANDLER]:
        root.removeHandler(handler)
