"""How a long-running server starts on its database: it upgrades the schema in a child
process (the database comes up to date, and the server never imports Alembic, nor Mako and
Pygments, which it pulls in), and its SQLite connections keep a small page cache."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sqlalchemy import text

from storage.db import HEAD, SERVING_CACHE_KIB, current_revision, make_engine

SERVER_START = """
import sys
from storage.db import ensure_schema, make_engine
ensure_schema(make_engine(sys.argv[1]), apart=True)
print(sorted(m for m in ("alembic", "mako", "pygments") if m in sys.modules))
"""


def _start(url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", SERVER_START, url], capture_output=True, text=True, timeout=120
    )


def test_a_server_start_upgrades_an_empty_database_without_holding_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    started = _start(url)
    assert started.returncode == 0, started.stderr
    assert started.stdout.strip() == "[]"
    engine = make_engine(url)
    try:
        assert current_revision(engine) == HEAD
        with engine.connect() as conn:  # the tables are there, not only the version
            assert conn.execute(text("SELECT count(*) FROM ticket")).scalar() == 0
    finally:
        engine.dispose()


def test_a_failed_upgrade_stops_the_start(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    engine = make_engine(url)
    with engine.begin() as conn:  # a revision this version does not know: Alembic refuses
        conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32))"))
        conn.execute(text("INSERT INTO alembic_version VALUES ('9999_from_the_future')"))
    engine.dispose()
    started = _start(url)
    assert started.returncode != 0
    assert "9999_from_the_future" in started.stderr  # the child's own error, passed on
    assert "RuntimeError: the schema upgrade failed (exit status 1)" in started.stderr


def test_a_server_keeps_a_small_sqlite_page_cache_and_the_console_the_default(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    for cache_kib, expected in ((SERVING_CACHE_KIB, -SERVING_CACHE_KIB), (None, -2000)):
        engine = make_engine(url, cache_kib)
        try:
            with engine.connect() as conn:
                assert conn.execute(text("PRAGMA cache_size")).scalar() == expected
        finally:
            engine.dispose()
