"""On-call overrides: written by `/oncall take|give`, read when a rota is asked who is on."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import bindparam, select
from sqlmodel import Session

from storage.models import OncallOverride


def add(session: Session, row: OncallOverride) -> OncallOverride:
    session.add(row)
    session.flush()
    return row


def active(
    session: Session, at: dt.datetime, until: dt.datetime | None = None
) -> list[OncallOverride]:
    """Overrides in force at `at` (or at some moment up to `until`), oldest first: a later
    one wins over an earlier one for the same person."""
    # Read for every ticket logged, and there are usually none: a prebuilt Core statement,
    # objects only for the rows there are.
    rows = session.connection().execute(_active, {"at": at, "end": until or at})
    return [OncallOverride(**row._mapping) for row in rows]


_table = OncallOverride.__table__  # type: ignore[attr-defined]
_active = (
    select(_table)
    .where(_table.c.ends_at > bindparam("at"), _table.c.starts_at <= bindparam("end"))
    .order_by(_table.c.created_at, _table.c.id)
)
