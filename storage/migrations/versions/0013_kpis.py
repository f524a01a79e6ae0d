"""ticket events by kind and time, for the KPI windows

Revision ID: 0013_kpis
Revises: 0012_scale
Create Date: 2026-11-26
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013_kpis"
down_revision: str | Sequence[str] | None = "0012_scale"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # one CREATE INDEX over the existing events: set-based, a few seconds at 4 M events
    op.create_index("ix_ticket_event_kind_at", "ticket_event", ["kind", "at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_ticket_event_kind_at", table_name="ticket_event")
