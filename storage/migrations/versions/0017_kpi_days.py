"""the KPI facts summed per local day (kpi_logged_day, kpi_resolver_day, kpi_event_day,
kpi_breach_day); a fact's answer and dispatch on a later day than its logging
(kpi_ticket_fact.late_answer_at, late_dispatch_at), a waiting ticket's clock time to the end
of its day (day_rest_us), and the small indexes a window's end reads

Revision ID: 0017_kpi_days
Revises: 0016_kpi_store
Create Date: 2026-11-26

The facts' fingerprint changed with them (`handlers.kpis.facts.SHAPE`): the scheduler's
refresh works every ticket out again, writing the day sums as it goes, and until it is done
a scope's figures are computed from the tickets.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = "0017_kpi_days"
down_revision: str | Sequence[str] | None = "0016_kpi_store"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# written out: a migration keeps the schema it made
UNANSWERED = "first_response_at IS NULL"
LATE_ANSWER = "late_answer_at IS NOT NULL"
LATE_DISPATCH = "late_dispatch_at IS NOT NULL"
REPEAT = "previous_at IS NOT NULL"


def _when(name: str) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, storage.models.UTCDateTime(timezone=True), nullable=True)


def _sums(*names: str) -> list[sa.Column]:  # type: ignore[type-arg]
    return [sa.Column(name, sa.BigInteger(), nullable=False) for name in names]


def _partial(name: str, table: str, where: str, columns: list[str]) -> None:
    op.create_index(
        name, table, columns, sqlite_where=sa.text(where), postgresql_where=sa.text(where)
    )


def _day() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("scope", sa.String(length=200), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "kpi_logged_day",
        *_day(),
        sa.Column("priority", sa.String(length=2), nullable=False),
        *_sums("logged", "answered", "in_time", "wait_us", "dispatched", "waiting", "waiting_us"),
        sa.PrimaryKeyConstraint("scope", "day", "priority"),
    )
    op.create_table(
        "kpi_resolver_day",
        *_day(),
        sa.Column("resolver", sa.String(length=200), nullable=False),
        sa.Column("close_reason", sa.String(length=20), nullable=False),
        *_sums("total", "clean"),
        sa.PrimaryKeyConstraint("scope", "day", "resolver", "close_reason"),
    )
    op.create_table(
        "kpi_event_day",
        *_day(),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("close_reason", sa.String(length=20), nullable=False),
        *_sums("events", "knowledge", "stopped_in_time"),
        sa.PrimaryKeyConstraint("scope", "day", "kind", "close_reason"),
    )
    op.create_table(
        "kpi_breach_day",
        *_day(),
        *_sums("response", "root_cause"),
        sa.PrimaryKeyConstraint("scope", "day"),
    )
    with op.batch_alter_table("kpi_ticket_fact") as batch:
        batch.add_column(_when("late_answer_at"))
        batch.add_column(_when("late_dispatch_at"))
        batch.add_column(sa.Column("day_rest_us", sa.BigInteger(), nullable=True))
    _partial(
        "ix_kpi_fact_late_answer",
        "kpi_ticket_fact",
        LATE_ANSWER,
        [
            *("scope", "late_answer_at", "created_at", "first_response_due"),
            *("first_response_wait_us", "priority"),
        ],
    )
    _partial(
        "ix_kpi_fact_late_dispatch",
        "kpi_ticket_fact",
        LATE_DISPATCH,
        ["scope", "late_dispatch_at", "created_at"],
    )
    _partial(
        "ix_kpi_fact_unanswered_due",
        "kpi_ticket_fact",
        UNANSWERED,
        ["scope", "first_response_due", "created_at", "priority"],
    )
    _partial(
        "ix_kpi_event_repeat",
        "kpi_event_fact",
        REPEAT,
        ["scope", "previous_at", "kind", "at", "close_reason", "knowledge"],
    )


def downgrade() -> None:
    op.drop_index("ix_kpi_event_repeat", table_name="kpi_event_fact")
    for name in (
        "ix_kpi_fact_unanswered_due",
        "ix_kpi_fact_late_dispatch",
        "ix_kpi_fact_late_answer",
    ):
        op.drop_index(name, table_name="kpi_ticket_fact")
    with op.batch_alter_table("kpi_ticket_fact") as batch:
        batch.drop_column("day_rest_us")
        batch.drop_column("late_dispatch_at")
        batch.drop_column("late_answer_at")
    for table in ("kpi_breach_day", "kpi_event_day", "kpi_resolver_day", "kpi_logged_day"):
        op.drop_table(table)
