"""partial indexes on the open tickets' running clocks: the digest's and standup's backlog

Revision ID: 0014_kpi_facts
Revises: 0013_kpis
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_kpi_facts"
down_revision: str | Sequence[str] | None = "0013_kpis"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out (not imported from storage.models): a migration keeps the schema it made.
WAITING = "status IN ('new', 'in_progress', 'dispatched') AND first_response_at IS NULL"
UNEXPLAINED = "status IN ('dispatched') AND root_cause_at IS NULL AND dispatched_at IS NOT NULL"
INDEXES = (
    ("ix_ticket_waiting", WAITING, ["scope", "priority", "created_at", "id"]),
    (
        "ix_ticket_unexplained",
        UNEXPLAINED,
        ["scope", "priority", "dispatched_at", "id", "resolved_at", "created_at"],
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
