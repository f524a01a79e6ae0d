"""teams conversations the bot was removed from

Revision ID: 0005_faults
Revises: 0004
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.models

revision: str = "0005_faults"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("teams_conversation") as batch:
        batch.add_column(
            sa.Column("inactive_since", storage.models.UTCDateTime(timezone=True), nullable=True)
        )
        batch.add_column(
            sa.Column(
                "inactive_reason",
                sqlmodel.sql.sqltypes.AutoString(length=500),
                nullable=False,
                server_default="",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("teams_conversation") as batch:
        batch.drop_column("inactive_reason")
        batch.drop_column("inactive_since")
