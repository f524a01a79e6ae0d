"""ticket indexes a new ticket need not enter: resolved, assigned and dispatched ones only

Revision ID: 0018_intake_indexes
Revises: 0017_kpi_days
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018_intake_indexes"
down_revision: str | Sequence[str] | None = "0017_kpi_days"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out (not imported from storage.models): a migration keeps the schema it made.
OPEN = "status IN ('new', 'in_progress', 'dispatched')"
# (name, columns, partial-index condition before, after); None: a full index, or none.
CHANGES: tuple[tuple[str, list[str], str | None, str | None], ...] = (
    # read only for resolutions in a window (`resolved_at` compared: never NULL)
    ("ix_ticket_scope_resolved", ["scope", "resolved_at"], None, "resolved_at IS NOT NULL"),
    # read only for one assignee's open tickets (`assignee = ...`: never NULL)
    (
        "ix_ticket_open_assignee",
        ["scope", "assignee", "created_at", "id"],
        OPEN,
        f"{OPEN} AND assignee IS NOT NULL",
    ),
    # the open escalations' count read the queue index (scope, status, assignee, created):
    # a partial index of the dispatched tickets serves it, and their list, alone
    ("ix_ticket_queue", ["scope", "status", "assignee", "created_at"], None, ""),
    (
        "ix_ticket_dispatched",
        ["scope", "status", "created_at", "id"],
        "",
        "status IN ('dispatched')",
    ),
)


def _create(name: str, columns: list[str], where: str | None) -> None:
    if where == "":
        return  # no such index on this side
    partial = {} if where is None else {"sqlite_where": sa.text(where)}
    if where is not None:
        partial["postgresql_where"] = sa.text(where)
    op.create_index(name, "ticket", columns, unique=False, **partial)


def _drop(name: str, where: str | None) -> None:
    if where != "":
        op.drop_index(name, table_name="ticket")


def upgrade() -> None:
    for name, columns, before, after in CHANGES:
        _drop(name, before)
        _create(name, columns, after)


def downgrade() -> None:
    for name, columns, before, after in reversed(CHANGES):
        _drop(name, after)
        _create(name, columns, before)
