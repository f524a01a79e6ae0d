"""response clocks: a due time stored on the ticket, the fingerprint of the rules

Revision ID: 0011_clocks
Revises: 0010_kpis
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.models

revision: str = "0011_clocks"
down_revision: str | Sequence[str] | None = "0010_kpis"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "ticket",
        sa.Column("clock_due_at", storage.models.UTCDateTime(timezone=True), nullable=True),
    )
    # Every open ticket due for re-evaluation at its logging time: the first tick computes
    # its real next stage (the rules are configuration, not in the database). One UPDATE.
    op.execute(
        "UPDATE ticket SET clock_due_at = created_at"
        " WHERE status IN ('new', 'in_progress', 'dispatched')"
    )
    op.create_index(
        "ix_ticket_clock_due",
        "ticket",
        ["clock_due_at", "id"],
        unique=False,
        sqlite_where=sa.text("clock_due_at IS NOT NULL"),
        postgresql_where=sa.text("clock_due_at IS NOT NULL"),
    )
    op.create_table(
        "clock_rules",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("fingerprint", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("changed_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("clock_rules")
    op.drop_index("ix_ticket_clock_due", table_name="ticket")
    op.drop_column("ticket", "clock_due_at")
