"""Engine, sessions and schema upgrades."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Dialect, Engine, create_engine, event, inspect, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, InvalidatePoolError
from sqlmodel import Session

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")
# The newest migration. A start compares the database with this instead of loading Alembic
# (a third of a cold start); tests/test_storage.py keeps it equal to Alembic's own head.
HEAD = "0018_intake_indexes"


IN_CHUNK = 500  # values per IN list: far below SQLite's 32,766 and psycopg's 65,535


def by_other_index(column: Any) -> Any:
    """`column` as an expression no index can serve (`column || ''`): for a look-up by
    ticket id that also filters on an indexed column of many equal rows (an event's kind),
    so the planner walks the few rows of the ticket-id index instead of every event of that
    kind (SQLite, without statistics, guesses the two indexes equally selective)."""
    return column.concat("")


def chunked(values: Iterable[Any], size: int = IN_CHUNK) -> Iterator[list[Any]]:
    """`values` in lists of at most `size`: a statement per chunk binds a bounded number of
    parameters however many rows the caller has."""
    batch: list[Any] = []
    for value in values:
        batch.append(value)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def dialect_insert(session: Session, table: Any) -> Any:
    """An INSERT with the dialect's ON CONFLICT support (SQLite and PostgreSQL share it)."""
    dialect = session.get_bind().dialect.name
    return (postgresql if dialect == "postgresql" else sqlite).insert(table)


# SQLite's page cache per connection in a serving process (KiB; SQLite's default is 2,000).
# The OS caches the file anyway: bench/scale.py --serving at 1 M tickets keeps every read
# under its target (Teams' commands run there too; Slack's, in the worker process, keep the
# default), while with the default bench/slack_ack.py's server grew ~14 MB more in 3 bursts.
SERVING_CACHE_KIB = 256


def make_engine(url: str, cache_kib: int | None = None) -> Engine:
    """`cache_kib`: SQLite's page cache per connection, when not its default."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        if cache_kib is not None:
            event.listen(engine, "connect", partial(_sqlite_cache, kib=cache_kib))
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    engine = create_engine(url)
    event.listen(engine, "connect", _used)
    event.listen(engine, "checkin", _used)
    event.listen(engine, "checkout", partial(_ping_when_idle, engine.dialect))
    return engine


# A pooled connection back from use more recently than this is handed out without a ping.
# (A ping on every checkout, SQLAlchemy's `pool_pre_ping`, was a round trip per request in
# the inbox worker: 6.5 % of its time in bench/inbox_tickets.py on PostgreSQL.) A server
# restart is still found on the first checkout after a pause; under load, the statement
# that meets the broken connection fails, as one in flight at the restart would.
PING_IDLE_SECONDS = 1.0
_USED = "deskbot_used"  # in a connection record's info: when it last came back to the pool


def _used(_dbapi_connection: Any, record: Any) -> None:
    record.info[_USED] = time.monotonic()


def _ping_when_idle(dialect: Dialect, dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    if time.monotonic() - record.info.get(_USED, 0.0) < PING_IDLE_SECONDS:
        return
    try:
        dialect.do_ping(dbapi_connection)
    except dialect.loaded_dbapi.Error as exc:
        if dialect.is_disconnect(exc, dbapi_connection, None):
            # the server restarted, or the network dropped it: every pooled connection is
            # as old, so the pool opens new ones (this checkout gets one at once)
            raise InvalidatePoolError() from exc
        raise


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    # SQLAlchemy, not the driver, starts transactions (see _sqlite_begin).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")  # readers do not block the writer
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_cache(dbapi_connection, _record, kib: int) -> None:  # type: ignore[no-untyped-def]
    dbapi_connection.execute(f"PRAGMA cache_size=-{int(kib)}")  # negative: in KiB


def _sqlite_begin(conn) -> None:  # type: ignore[no-untyped-def]
    """SQLite has no row locks (`FOR UPDATE` is ignored): take the write lock when a
    transaction starts, so two use cases on one ticket run one after the other, as
    PostgreSQL's row lock makes them. A `read_scope` begins without it."""
    # On the driver's connection: every transaction starts here, and SQLAlchemy's
    # statement machinery cost more than the BEGIN itself (~25 us of ~150 for a small
    # write transaction). Begun already: a `DriverTx` began it, and a Core connection
    # for an ORM read joins it (`DriverTx.core`).
    driver = conn.connection.driver_connection
    reading = conn.info.pop(_READING, False)
    if driver.in_transaction:
        return
    if reading:
        driver.execute("BEGIN")
    else:
        _begin_immediate(driver)


_READING = "deskbot_reading"  # in a connection's info: its next transaction only reads


def _begin_immediate(driver: Any) -> None:
    driver.execute("BEGIN IMMEDIATE")


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine) -> None:
    """Apply every migration not yet applied (what `deskbot db upgrade` runs)."""
    from alembic import command

    command.upgrade(alembic_config(engine), "heads")


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def ensure_schema(engine: Engine, apart: bool = False) -> None:
    """Upgrade only when behind, so a start on an up-to-date database stays fast.

    `apart`: a long-running server upgrades in a child process, so it never holds Alembic
    and what it imports (Mako, Pygments: about 10 MB it would carry for its whole life)."""
    if current_revision(engine) == HEAD:
        return
    if apart:
        upgrade_apart(engine)
    else:
        upgrade(engine)


# The child's program: the URL comes on stdin, never in the process list.
_UPGRADE = "from storage.db import make_engine, upgrade; upgrade(make_engine(input()))"


def upgrade_apart(engine: Engine) -> None:
    """`upgrade` in a child process with this one's import path; its errors go to stderr."""
    url = engine.url.render_as_string(hide_password=False)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    done = subprocess.run([sys.executable, "-c", _UPGRADE], input=url + "\n", text=True, env=env)
    if done.returncode != 0:
        raise RuntimeError(f"the schema upgrade failed (exit status {done.returncode})")


class DriverTx:
    """A transaction begun, committed and rolled back on a pooled connection's driver, for
    a use case that runs prebuilt statements (`storage.driver`): a Core connection's own
    begin, commit and close cost about a tenth of logging a ticket. An ORM read inside it
    gets a Core connection over the same driver connection, joined to this transaction
    (`core`). It has what a prebuilt statement uses of a `Connection`: `dialect`,
    `connection` (the pool's proxy of the driver's) and `invalidate`."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect
        try:
            self.connection = engine.raw_connection()
        except self.dialect.loaded_dbapi.Error as exc:
            raise translated_error(None, self.dialect, "(connect)", None, exc) from exc
        self._core: Connection | None = None

    def begin(self) -> None:
        # SQLite: the write lock at once, as for every transaction (`_sqlite_begin`);
        # psycopg begins by itself at the first statement
        if self.dialect.name == "sqlite":
            self._on_driver("BEGIN IMMEDIATE", _begin_immediate)

    def core(self) -> Connection:
        """A Core connection in this transaction (for an ORM session), made at first use."""
        if self._core is None:
            self._core = Connection(self.engine, connection=self.connection)
            self._core.begin()  # joins: the driver's transaction is under way
        return self._core

    def invalidate(self, exc: BaseException) -> None:
        self.connection.invalidate(exc)

    def commit(self) -> None:
        if self._core is not None:
            self._core.commit()
        else:
            self._on_driver("COMMIT", lambda driver: driver.commit())

    def rollback(self) -> None:
        if self._core is not None:
            self._core.rollback()
        else:
            self._on_driver("ROLLBACK", lambda driver: driver.rollback())

    def close(self) -> None:
        """Back to the pool (the Core connection made over it returns it)."""
        (self._core or self.connection).close()

    def _on_driver(self, sql: str, call: Callable[[Any], None]) -> None:
        try:
            call(self.connection.driver_connection)
        except self.dialect.loaded_dbapi.Error as exc:
            raise translated_error(self, self.dialect, sql, None, exc) from exc


@contextmanager
def connection_scope(engine: Engine) -> Iterator[DriverTx]:
    """`session_scope` without the ORM session nor a Core connection: a `DriverTx`, for a
    use case that runs only prebuilt statements (`storage.driver`). A session's own begin,
    commit and close cost about as much as logging a ticket's SQL."""
    tx = DriverTx(engine)
    try:
        tx.begin()
        yield tx
        tx.commit()
    except BaseException:
        with suppress(DBAPIError):  # lost with its connection: the error raised says why
            tx.rollback()
        raise
    finally:
        tx.close()


def translated_error(
    connection: Any, dialect: Dialect, sql: str, params: Any, exc: Exception, cursor: Any = None
) -> DBAPIError:
    """The driver's error as SQLAlchemy raises it; a lost connection is invalidated, so the
    pool does not hand it out again. `connection`: a `Connection` or a `DriverTx` (None
    before there is one)."""
    dbapi = connection.connection.dbapi_connection if connection is not None else None
    lost = dialect.is_disconnect(exc, dbapi, cursor)
    if lost and connection is not None:
        connection.invalidate(exc)
    return DBAPIError.instance(  # type: ignore[no-any-return]
        sql,
        params,
        exc,
        dialect.loaded_dbapi.Error,
        connection_invalidated=lost,
        dialect=dialect,
    )


@contextmanager
def read_scope(bind: Engine | Connection) -> Iterator[Session]:
    """A unit that only reads (it must not write). On SQLite it is a snapshot that does
    not take the write lock: a scheduler's read of a few hundred tickets held every writer
    back for up to 80 ms, and a writer that waits sleeps in SQLite's coarse steps (up to
    100 ms) after the lock is free. Elsewhere it is `session_scope`."""
    with ExitStack() as stack:
        conn = bind if isinstance(bind, Connection) else stack.enter_context(bind.connect())
        conn.info[_READING] = True  # read by `_sqlite_begin` for the next BEGIN only
        try:
            with session_scope(conn) as session:
                yield session
        finally:
            conn.info.pop(_READING, None)  # a unit that ran no statement began nothing


@contextmanager
def session_scope(bind: Engine | Connection) -> Iterator[Session]:
    """One unit of work: committed together, or not at all. On a `Connection`: a
    transaction of its own there (a job running many units checks a connection out once)."""
    with Session(bind, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
