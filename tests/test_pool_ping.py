"""PostgreSQL connections are pinged on checkout only after a pause: a connection the
server dropped (a restart, a failover) is replaced before anyone uses it, while a busy
worker's connections cost no round trip per request."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text

from storage import db
from tests.conftest import PG_URL

pytestmark = pytest.mark.skipif(not PG_URL, reason="needs DESKBOT_TEST_DATABASE_URL")


@pytest.fixture
def pg() -> Iterator[Engine]:
    assert PG_URL
    engine = db.make_engine(PG_URL)
    yield engine
    engine.dispose()


def _backend(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _terminate(pid: int) -> None:
    """As a server restart does to one connection, from another session."""
    assert PG_URL
    admin = create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    with admin.connect() as conn:
        assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
    admin.dispose()


def test_a_connection_dropped_by_the_server_is_replaced_after_a_pause(
    pg: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _backend(pg)
    _terminate(first)
    monkeypatch.setattr(db, "PING_IDLE_SECONDS", 0.0)  # every checkout comes after a pause
    second = _backend(pg)  # no error: the ping found it dead, the pool opened a new one
    assert second != first
    assert _backend(pg) == second  # and keeps it


def test_a_connection_back_from_use_just_now_is_not_pinged(
    pg: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    pings: list[object] = []
    ping = pg.dialect.do_ping
    monkeypatch.setattr(pg.dialect, "do_ping", lambda c: pings.append(c) or ping(c))
    monkeypatch.setattr(db, "PING_IDLE_SECONDS", 3600.0)
    for _ in range(5):
        _backend(pg)
    assert pings == []
    monkeypatch.setattr(db, "PING_IDLE_SECONDS", 0.0)
    _backend(pg)
    assert len(pings) == 1
