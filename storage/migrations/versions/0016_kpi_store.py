"""the tickets' KPI facts stored (kpi_ticket_fact, kpi_event_fact) and the mark that says
a ticket's are to be worked out again (ticket.kpi_marked_at); a chart kept as what to draw
until first delivered (chart.drawing, chart.png nullable)

Revision ID: 0016_kpi_store
Revises: 0015_inbox
Create Date: 2026-11-26

Every existing ticket is marked: the scheduler's refresh works their facts out in batches,
and until a scope has none marked its figures are computed from the tickets as before.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = "0016_kpi_store"
down_revision: str | Sequence[str] | None = "0015_inbox"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# written out: a migration keeps the schema it made
MARKED = "kpi_marked_at IS NOT NULL"
UNANSWERED = "first_response_at IS NULL"


def _when(name: str, nullable: bool = True) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, storage.models.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "kpi_ticket_fact",
        sa.Column("ticket_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("scope", sa.String(length=200), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("priority", sa.String(length=2), nullable=False),
        sa.Column("close_reason", sa.String(length=20), nullable=False),
        _when("created_at", nullable=False),
        _when("first_response_at"),
        _when("first_response_due", nullable=False),
        sa.Column("first_response_wait_us", sa.BigInteger(), nullable=True),
        _when("first_dispatched_at"),
        _when("first_resolved_at"),
        sa.Column("first_resolver", sa.String(length=200), nullable=True),
        sa.Column("reopen_gap_us", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("ticket_id"),
    )
    op.create_index(
        "ix_kpi_fact_logged",
        "kpi_ticket_fact",
        [
            *("scope", "created_at", "first_response_at", "first_response_due"),
            *("first_response_wait_us", "first_dispatched_at", "priority"),
        ],
    )
    op.create_index(
        "ix_kpi_fact_resolved",
        "kpi_ticket_fact",
        [
            *("scope", "first_resolved_at", "first_resolver", "close_reason"),
            *("first_dispatched_at", "reopen_gap_us"),
        ],
    )
    op.create_index(
        "ix_kpi_fact_response_due",
        "kpi_ticket_fact",
        ["scope", "first_response_due", "first_response_at"],
    )
    op.create_index(
        "ix_kpi_fact_unanswered",
        "kpi_ticket_fact",
        ["scope", "created_at", "first_response_due", "priority"],
        sqlite_where=sa.text(UNANSWERED),
        postgresql_where=sa.text(UNANSWERED),
    )
    op.create_index(
        "ix_kpi_fact_answered",
        "kpi_ticket_fact",
        ["scope", "first_response_at", "created_at", "first_response_due", "priority"],
    )
    op.create_table(
        "kpi_event_fact",
        sa.Column("event_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        _when("at", nullable=False),
        sa.Column("close_reason", sa.String(length=20), nullable=False),
        _when("due"),
        _when("stopped"),
        sa.Column("knowledge", sa.Boolean(), nullable=False),
        _when("previous_at"),
        sa.PrimaryKeyConstraint("event_id"),
    )
    op.create_index("ix_kpi_event_ticket", "kpi_event_fact", ["ticket_id"])
    op.create_index(
        "ix_kpi_event_at",
        "kpi_event_fact",
        [
            *("scope", "kind", "at", "close_reason", "due", "stopped", "previous_at"),
            "knowledge",
        ],
    )
    op.create_index("ix_kpi_event_due", "kpi_event_fact", ["scope", "due", "at", "stopped"])
    with op.batch_alter_table("chart") as batch:
        batch.add_column(sa.Column("drawing", sa.JSON(), nullable=True))
        batch.alter_column("png", existing_type=sa.LargeBinary(), nullable=True)
    with op.batch_alter_table("ticket") as batch:
        batch.add_column(_when("kpi_marked_at"))
    op.execute("UPDATE ticket SET kpi_marked_at = created_at")
    for name, columns in (
        ("ix_ticket_kpi_marked", ["kpi_marked_at", "id"]),
        ("ix_ticket_kpi_marked_scope", ["scope", "id"]),
    ):
        op.create_index(
            name,
            "ticket",
            columns,
            sqlite_where=sa.text(MARKED),
            postgresql_where=sa.text(MARKED),
        )


def downgrade() -> None:
    op.drop_index("ix_ticket_kpi_marked_scope", table_name="ticket")
    op.drop_index("ix_ticket_kpi_marked", table_name="ticket")
    with op.batch_alter_table("ticket") as batch:
        batch.drop_column("kpi_marked_at")
    op.execute("DELETE FROM chart WHERE png IS NULL")
    with op.batch_alter_table("chart") as batch:
        batch.alter_column("png", existing_type=sa.LargeBinary(), nullable=False)
        batch.drop_column("drawing")
    op.drop_table("kpi_event_fact")
    op.drop_table("kpi_ticket_fact")
