"""Two replicas starting together on an empty PostgreSQL database: both come up.

Real processes, each with its own engine, released at the same moment into the same start-up
path `deskbot serve` takes (`storage.db.ensure_schema`).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest

from storage.db import HEAD, current_revision, make_engine
from tests.conftest import PG_URL
from tests.support import scratch_database

pytestmark = pytest.mark.skipif(not PG_URL, reason="needs DESKBOT_TEST_DATABASE_URL")

# Waits for a line on stdin, so both processes start migrating at the same moment.
REPLICA = """
import sys
from storage.db import ensure_schema, make_engine
engine = make_engine(sys.argv[1])
engine.connect().close()
print("ready", flush=True)
sys.stdin.readline()
ensure_schema(engine)
print("up", flush=True)
"""


@pytest.fixture
def empty_database() -> Iterator[str]:
    assert PG_URL is not None
    with scratch_database(PG_URL, "deskbot_replicas") as url:
        yield url


@pytest.mark.parametrize("replicas", [2, 3])
def test_replicas_starting_together_on_an_empty_database_all_come_up(
    empty_database: str, replicas: int
) -> None:
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", REPLICA, empty_database],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(replicas)
    ]
    try:
        for proc in procs:
            assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        for proc in procs:  # go, all at once
            assert proc.stdin is not None
            proc.stdin.write("\n")
            proc.stdin.flush()
        results = [proc.communicate(timeout=60) for proc in procs]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
    for proc, (out, err) in zip(procs, results, strict=True):
        assert proc.returncode == 0, err
        assert out.strip() == "up"
    engine = make_engine(empty_database)
    try:
        assert current_revision(engine) == HEAD
    finally:
        engine.dispose()
