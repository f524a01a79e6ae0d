"""huddles and their timers

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.models

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN_ONLY = sa.text("outcome_at IS NULL")


def upgrade() -> None:
    op.create_table(
        "huddle",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("scope", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("topic", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("caller", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("participants", sa.JSON(), nullable=False),
        sa.Column("link", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("link_kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("external_id", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.Column("started_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("outcome", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("outcome_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("outcome_at", storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["ticket_id"], ["ticket.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ticket_id", "number", name="uq_huddle_ticket_number"),
    )
    with op.batch_alter_table("huddle", schema=None) as batch_op:
        batch_op.create_index(
            "uq_huddle_open",
            ["ticket_id"],
            unique=True,
            sqlite_where=OPEN_ONLY,
            postgresql_where=OPEN_ONLY,
        )

    op.create_table(
        "huddle_timer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("huddle_id", sa.Integer(), nullable=False),
        sa.Column("stage", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("due_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("done_at", storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("result", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.ForeignKeyConstraint(["huddle_id"], ["huddle.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("huddle_id", "stage", name="uq_huddle_timer_stage"),
    )
    with op.batch_alter_table("huddle_timer", schema=None) as batch_op:
        batch_op.create_index("ix_huddle_timer_due", ["done_at", "due_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("huddle_timer", schema=None) as batch_op:
        batch_op.drop_index("ix_huddle_timer_due")
    op.drop_table("huddle_timer")
    with op.batch_alter_table("huddle", schema=None) as batch_op:
        batch_op.drop_index("uq_huddle_open")
    op.drop_table("huddle")
