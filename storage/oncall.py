"""On-call overrides: written by `/oncall take|give`, read when a rota is asked who is on."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import bindparam, select
from sqlmodel import Session

from storage import driver
from storage.models import OncallOverride


def add(session: Session, row: OncallOverride) -> OncallOverride:
    session.add(row)
    session.flush()
    return row


def active(
    session: driver.Tx, at: dt.datetime, until: dt.datetime | None = None
) -> list[OncallOverride]:
    """Overrides in force at `at` (or at some moment up to `until`), oldest first: a later
    one wins over an earlier one for the same person."""
    # Read for every ticket logged, and there are usually none: prebuilt on the driver,
    # objects only for the rows there are.
    stmt = driver.prepared(session, "oncall.active", _active)
    found = driver.rows(session, stmt, {"at": at, "end": until or at})
    return [OncallOverride(**dict(zip(_COLUMNS, row, strict=True))) for row in found]


_table = OncallOverride.__table__  # type: ignore[attr-defined]
_COLUMNS = tuple(c.key for c in _table.columns)


def _active(_dialect: str) -> tuple[Any, tuple[str, ...]]:
    stmt = (
        select(_table)
        .where(_table.c.ends_at > bindparam("at"), _table.c.starts_at <= bindparam("end"))
        .order_by(_table.c.created_at, _table.c.id)
    )
    return stmt, ()
