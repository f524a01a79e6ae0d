"""On-call overrides: written by `/oncall take|give`, read when a rota is asked who is on."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, col, select

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
    end = until or at
    query = (
        select(OncallOverride)
        .where(col(OncallOverride.ends_at) > at, col(OncallOverride.starts_at) <= end)
        .order_by(col(OncallOverride.created_at), col(OncallOverride.id))
    )
    return list(session.exec(query))
