"""inbound work keeps the answer committed with it until it is sent

Revision ID: 0009_inbox
Revises: 0008_escalation
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = "0009_inbox"
down_revision: str | Sequence[str] | None = "0008_escalation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("inbound_event") as batch:
        batch.add_column(sa.Column("answer", sa.JSON(), nullable=True))
        batch.add_column(
            sa.Column("answered_at", storage.models.UTCDateTime(timezone=True), nullable=True)
        )
    # work finished before this revision was answered then
    op.execute("UPDATE inbound_event SET answered_at = done_at WHERE done_at IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table("inbound_event") as batch:
        batch.drop_column("answered_at")
        batch.drop_column("answer")
