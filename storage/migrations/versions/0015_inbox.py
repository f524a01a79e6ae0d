"""inbound work leased by its runner (taken_at), and a partial index on the waiting rows

Revision ID: 0015_inbox
Revises: 0014_kpi_facts
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = "0015_inbox"
down_revision: str | Sequence[str] | None = "0014_kpi_facts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WAITING = "answered_at IS NULL"


def upgrade() -> None:
    with op.batch_alter_table("inbound_event") as batch:
        batch.add_column(
            sa.Column("taken_at", storage.models.UTCDateTime(timezone=True), nullable=True)
        )
    # work in progress before the upgrade was taken when it was received
    op.execute("UPDATE inbound_event SET taken_at = received_at WHERE done_at IS NULL")
    op.create_index(
        "ix_inbound_waiting",
        "inbound_event",
        ["source", "id"],
        unique=False,
        sqlite_where=sa.text(WAITING),
        postgresql_where=sa.text(WAITING),
    )


def downgrade() -> None:
    op.drop_index("ix_inbound_waiting", table_name="inbound_event")
    with op.batch_alter_table("inbound_event") as batch:
        batch.drop_column("taken_at")
