"""Prebuilt statements run straight on the database driver's cursor.

For the few statements every logged ticket runs (its number, the ticket, its audit event,
its queue post, the look-ups of overrides and knowledge), SQLAlchemy's per-execution
machinery cost several times the database's own work: ~48 us against ~9 us for a small
INSERT on SQLite. A `Prepared` is a Core statement compiled once per dialect, with each
parameter's bind processing (UTC times, JSON) and each result column's processing looked
up once; `run`/`rows` execute it on the driver's cursor inside the session's transaction,
and `insert_all` writes many rows in one multi-row INSERT.

Errors still come out as SQLAlchemy's exceptions (`bot.inbox` tells a request that can
never succeed from a passing failure by them), and a lost connection is invalidated as
SQLAlchemy would. Unlike `Connection.execute`, these statements fire no engine events.

They run on a `Tx`: an ORM session's transaction, a Core connection's, or, for a use case
that needs no session, a transaction on the driver itself (`storage.db.connection_scope`:
logging a ticket, whose session's own begin and commit cost about as much as its SQL, and
a Core connection's about a tenth of it).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from operator import itemgetter
from typing import Any

from sqlalchemy import JSON, Connection, Dialect, Table, bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.expression import ReturnsRows
from sqlmodel import Session

from storage.db import DriverTx, translated_error

Processor = Callable[[Any], Any] | None


class JsonText(str):
    """A JSON column's value serialized already (pydantic's `dump_json`), which a prebuilt
    statement stores as is where SQLAlchemy would `json.dumps` a dict (a ticket card as a
    dict, then encoded, cost 40 % more). Only for `run`, `rows` and `insert_all`:
    SQLAlchemy's own statements would encode it once more."""

    __slots__ = ()


# Where a prebuilt statement runs (see the module's docstring).
Tx = Session | Connection | DriverTx


def connection_of(tx: Tx) -> Connection | DriverTx:
    """The connection of `tx` (a session's begins its transaction if need be)."""
    return tx.connection() if isinstance(tx, Session) else tx


def dialect_of(tx: Tx) -> Dialect:
    return tx.get_bind().dialect if isinstance(tx, Session) else tx.dialect


@contextmanager
def orm(tx: Tx) -> Iterator[Session]:
    """An ORM session in `tx`'s transaction, for a read that wants model objects: the
    session itself, or one joined to the connection's transaction (which it leaves to
    its owner to commit)."""
    if isinstance(tx, Session):
        yield tx
        return
    bind = tx.core() if isinstance(tx, DriverTx) else tx
    with Session(bind=bind, join_transaction_mode="rollback_only") as session:
        yield session


@dataclass(frozen=True)
class Prepared:
    sql: str
    names: tuple[str, ...]  # the parameters, in the statement's order
    # A run's values in that order, from its dict (one `itemgetter` call, not a loop over
    # the names: a ticket has 28), with the values compiled into the statement (`last + 1`)
    pick: Callable[[dict[str, Any]], list[Any]]
    processing: tuple[tuple[int, Callable[[Any], Any]], ...]  # (position, bind processor)
    named: bool  # the driver takes a dict (psycopg's %(name)s), else a list in order
    results: tuple[Processor, ...]  # per selected column; () for a statement without rows
    # PostgreSQL's own $1 placeholders, run on psycopg's RawCursor: psycopg parses a
    # %(name)s statement on every run when it is long or has many parameters (a multi-row
    # INSERT: about 1.3 ms each, most of a clock tick's CPU)
    raw: bool = False


def prepare(dialect: Dialect, stmt: ClauseElement, keys: Sequence[str] = ()) -> Prepared:
    """Compile `stmt` for `dialect`; `keys`: the parameters each run passes (an INSERT's
    columns). Refuses a statement that needs values SQLAlchemy would compute at run time
    (Python-side column defaults), so nothing is silently left out."""
    raw = dialect.name == "postgresql" and dialect.driver == "psycopg"
    compiled = stmt.compile(
        dialect=_numbered(dialect) if raw else dialect, column_keys=list(keys) or None
    )
    if getattr(compiled, "insert_prefetch", None) or getattr(compiled, "update_prefetch", None):
        raise ValueError(f"a column default would be left out: {compiled.string}")
    names = tuple(compiled.positiontup or compiled.binds)
    fixed: dict[int, Any] = {}
    processing = []
    for at, name in enumerate(names):
        bind = compiled.binds[name]
        if bind.expanding:
            raise ValueError(f"an expanding parameter cannot be prebuilt: {name}")
        if name not in keys and not bind.required:
            fixed[at] = bind.effective_value
        process = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None and isinstance(bind.type, JSON):
            process = _passing_json_text(process)
        if process is not None:
            processing.append((at, process))
    columns = stmt.exported_columns if isinstance(stmt, ReturnsRows) else ()  # RETURNING too
    results = tuple(c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns)
    named = compiled.positiontup is None
    pick = _picker(names, fixed)
    return Prepared(compiled.string, names, pick, tuple(processing), named, results, raw)


def _picker(names: tuple[str, ...], fixed: dict[int, Any]) -> Callable[[dict[str, Any]], list[Any]]:
    given = [name for at, name in enumerate(names) if at not in fixed]
    if len(given) == 1:
        one = given[0]

        def get(values: dict[str, Any]) -> tuple[Any, ...]:
            return (values[one],)
    else:
        get = itemgetter(*given) if given else (lambda _values: ())
    if not fixed:
        return lambda values: list(get(values))

    def pick(values: dict[str, Any]) -> list[Any]:
        found = iter(get(values))
        return [fixed[at] if at in fixed else next(found) for at in range(len(names))]

    return pick


def _passing_json_text(process: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A JSON column's bind processing that leaves a `JsonText` as it is (a text value:
    SQLite stores it, PostgreSQL casts it to the column's json)."""

    def bind(value: Any) -> Any:
        return str(value) if type(value) is JsonText else process(value)

    return bind


_NUMBERED: dict[type[Dialect], Dialect] = {}


def _numbered(dialect: Dialect) -> Dialect:
    """The dialect compiling $1, $2 ... in place of %(name)s (types still `dialect`'s)."""
    found = _NUMBERED.get(type(dialect))
    if found is None:
        found = _NUMBERED[type(dialect)] = type(dialect)(paramstyle="numeric_dollar")
    return found


_PREPARED: dict[tuple[str, Hashable], Prepared] = {}


def prepared(
    session: Tx,
    key: Hashable,
    build: Callable[[str], tuple[ClauseElement, Sequence[str]]],
) -> Prepared:
    """The statement `build(dialect name)` makes, with the keys of the parameters each run
    passes, prepared once per dialect."""
    dialect = dialect_of(session)
    found = _PREPARED.get((dialect.name, key))
    if found is None:
        stmt, keys = build(dialect.name)
        found = _PREPARED[(dialect.name, key)] = prepare(dialect, stmt, keys)
    return found


def run(session: Tx, prepared: Prepared, values: dict[str, Any]) -> Any:
    """Execute; the first column of the first row returned (RETURNING), else None."""
    found = _execute(session, prepared, values, one=True)
    return found[0][0] if found else None


def rows(session: Tx, prepared: Prepared, values: dict[str, Any]) -> list[tuple[Any, ...]]:
    """Execute a SELECT; its rows, each column processed as SQLAlchemy would."""
    return _execute(session, prepared, values, one=False)


def insert_all(
    session: Tx,
    table: Table,
    rows: Sequence[dict[str, Any]],
    unique: Sequence[str],
    returning: Sequence[str] = (),
) -> list[tuple[Any, ...]]:
    """INSERT `rows` (dicts with the same keys) ... ON CONFLICT (`unique`) DO NOTHING, up to
    `MANY_ROWS` rows a statement, in their order; the `returning` columns of the rows that
    landed. One round trip where an executemany was several (or one insertmanyvalues
    statement compiled anew each time). A statement is prebuilt per number of rows."""
    found: list[tuple[Any, ...]] = []
    keys = tuple(rows[0]) if rows else ()
    for start in range(0, len(rows), MANY_ROWS):
        chunk = rows[start : start + MANY_ROWS]
        names = _row_names(keys, len(chunk))
        shape = (table.name, keys, tuple(unique), tuple(returning), len(chunk))

        def build(
            dialect: str, names: tuple[tuple[str, ...], ...] = names
        ) -> tuple[ClauseElement, Sequence[str]]:
            values = [
                {k: bindparam(n, type_=table.c[k].type) for k, n in zip(keys, row, strict=True)}
                for row in names
            ]
            insert = (postgresql if dialect == "postgresql" else sqlite).insert
            stmt = insert(table).values(values).on_conflict_do_nothing(index_elements=unique)
            return (stmt.returning(*(table.c[c] for c in returning)) if returning else stmt), ()

        if len(chunk) == 1:
            values = chunk[0]  # one row's parameters are named as its keys
        else:
            values = {
                name: row[k]
                for row, row_names in zip(chunk, names, strict=True)
                for k, name in zip(keys, row_names, strict=True)
            }
        found += _execute(session, prepared(session, ("insert_all", shape), build), values, False)
    return found


@cache
def _row_names(keys: tuple[str, ...], count: int) -> tuple[tuple[str, ...], ...]:
    """The parameter names of each row of a multi-row INSERT: `key_n` (a single row's are
    its keys, so its dict is the statement's parameters as it is)."""
    if count == 1:
        return (keys,)
    return tuple(tuple(f"{k}_{n}" for k in keys) for n in range(count))


MANY_ROWS = 50  # rows per multi-row INSERT: a few hundred bound values, a few shapes cached


def _execute(
    session: Tx, prepared: Prepared, values: dict[str, Any], one: bool
) -> list[tuple[Any, ...]]:
    connection = connection_of(session)
    dialect = connection.dialect
    processed = prepared.pick(values)
    # A value given for several parameters (a new ticket's time: logged, updated, due,
    # marked; the NULLs of the columns not yet set) is processed once per processor: the
    # processors are pure, and the values are alive (in `values`) while their ids are keys.
    done: dict[tuple[int, int], Any] = {}
    for at, process in prepared.processing:
        value = processed[at]
        key = (id(process), id(value))
        found = done.get(key, _UNSEEN)
        if found is _UNSEEN:
            found = done[key] = process(value)
        processed[at] = found
    params: Any = dict(zip(prepared.names, processed, strict=True)) if prepared.named else processed
    driver = connection.connection.driver_connection
    assert driver is not None
    if prepared.raw:
        from psycopg import RawCursor  # only where psycopg is the driver

        cursor = RawCursor(driver)
    else:
        cursor = driver.cursor()
    try:
        cursor.execute(prepared.sql, params)
        if not prepared.results:
            return []
        raw = [cursor.fetchone()] if one else cursor.fetchall()
    except dialect.loaded_dbapi.Error as exc:
        raise translated_error(connection, dialect, prepared.sql, params, exc, cursor) from exc
    finally:
        cursor.close()
    return [_processed(prepared.results, row) for row in raw if row is not None]


_UNSEEN = object()


def _processed(results: tuple[Processor, ...], row: Sequence[Any]) -> tuple[Any, ...]:
    return tuple(v if p is None else p(v) for p, v in zip(results, row, strict=True))


def insert_rows(
    conn: Connection, table: Table, names: tuple[str, ...], rows: list[tuple[Any, ...]]
) -> None:
    """A plain executemany of rows (tuples in the order of `names`), each value passed
    through its column type's own bind processing (UTC times, JSON): what
    `conn.execute(insert(t), rows)` does, without SQLAlchemy's per-row parameter
    bookkeeping, which cost twice the database's own work at a million tickets."""
    insert_bound(conn, table, names, bound_rows(conn.dialect, table, names, rows))


def bound_rows(
    dialect: Dialect, table: Table, names: tuple[str, ...], rows: list[tuple[Any, ...]]
) -> list[tuple[Any, ...]]:
    """Rows with each value as `dialect`'s driver takes it (its column type's bind
    processing), for `insert_bound`; plain values, so another process can work them out.
    The values are processed a column at a time, and only in the columns whose type has
    processing."""
    if not rows:
        return []
    columns = list(zip(*rows, strict=True))
    for i, name in enumerate(names):
        process = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None:
            columns[i] = tuple(map(process, columns[i]))
    return list(zip(*columns, strict=True))


def insert_bound(
    conn: Connection, table: Table, names: tuple[str, ...], rows: list[tuple[Any, ...]]
) -> None:
    """An executemany of rows already bound by `bound_rows` for this connection's dialect."""
    dialect = conn.dialect
    quote = dialect.identifier_preparer.quote
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    sql = (
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(n) for n in names)}) "
        f"VALUES ({', '.join(mark for _ in names)})"
    )
    conn.exec_driver_sql(sql, rows)
