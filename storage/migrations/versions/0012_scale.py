"""partial indexes on the open tickets: the queue views at a million tickets

Revision ID: 0012_scale
Revises: 0011_clocks
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_scale"
down_revision: str | Sequence[str] | None = "0011_clocks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out (not imported from storage.models): a migration keeps the schema it made.
OPEN = "status IN ('new', 'in_progress', 'dispatched')"
POOL = "status IN ('new', 'in_progress') AND assignee IS NULL"
INDEXES = (
    ("ix_ticket_pool", POOL, ["scope", "created_at", "id"]),
    ("ix_ticket_open", OPEN, ["scope", "created_at", "id"]),
    ("ix_ticket_open_assignee", OPEN, ["scope", "assignee", "created_at", "id"]),
    (
        "ix_ticket_open_category",
        f"{OPEN} AND assignee IS NULL",
        ["scope", "category", "created_at", "id"],
    ),
)


def upgrade() -> None:
    for name, where, columns in INDEXES:
        op.create_index(
            name,
            "ticket",
            columns,
            unique=False,
            sqlite_where=sa.text(where),
            postgresql_where=sa.text(where),
        )


def downgrade() -> None:
    for name, _, _ in reversed(INDEXES):
        op.drop_index(name, table_name="ticket")
