"""the quality half: satisfaction scores, QA results, suggestions, knowledge entries and
their full-text index

Revision ID: 0006_quality
Revises: 0005_faults
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.models

revision: str = "0006_quality"
down_revision: str | Sequence[str] | None = "0005_faults"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "knowledge_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("problem", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("steps", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("solution", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("prevention", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("related", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("system", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("problem_type", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("ticket_number", sa.Integer(), nullable=True),
        sa.Column("author", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("review_comment", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("reviewer", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("search_text", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("submitted_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reviewed_at", storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("published_at", storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("scope", "number", name="uq_knowledge_scope_number"),
    )
    with op.batch_alter_table("knowledge_entry", schema=None) as batch_op:
        batch_op.create_index(
            "ix_knowledge_scope_status", ["scope", "status", "submitted_at"], unique=False
        )

    op.create_table(
        "suggestion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("author", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("created_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("scope", "number", name="uq_suggestion_scope_number"),
    )
    with op.batch_alter_table("suggestion", schema=None) as batch_op:
        batch_op.create_index("ix_suggestion_scope_created", ["scope", "created_at"], unique=False)

    op.create_table(
        "qa_result",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("scope", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("check", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["ticket.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ticket_id", "check", name="uq_qa_result"),
    )
    with op.batch_alter_table("qa_result", schema=None) as batch_op:
        batch_op.create_index("ix_qa_result_scope_at", ["scope", "at"], unique=False)

    op.create_table(
        "satisfaction_score",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("scope", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("resolved_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("comment", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("given_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("via", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("answered_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["ticket.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ticket_id", "resolved_at", name="uq_satisfaction_resolution"),
    )
    with op.batch_alter_table("satisfaction_score", schema=None) as batch_op:
        batch_op.create_index(
            "ix_satisfaction_scope_resolved", ["scope", "resolved_at"], unique=False
        )

    op.create_table(
        "weekly_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("person", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("tickets", sa.JSON(), nullable=False),
        sa.Column("suggestions", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("filed_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("scope", "person", "week", name="uq_weekly_report"),
    )
    # the full-text index (see storage.knowledge): FTS5 on SQLite, GIN on PostgreSQL
    if op.get_bind().dialect.name == "sqlite":
        op.execute("CREATE VIRTUAL TABLE knowledge_fts USING fts5(entry_id UNINDEXED, body)")
    else:
        op.execute(
            "CREATE INDEX knowledge_fts ON knowledge_entry "
            "USING gin (to_tsvector('simple', search_text))"
        )


def downgrade() -> None:
    op.drop_table("weekly_report")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE knowledge_fts")
    else:
        op.execute("DROP INDEX knowledge_fts")
    with op.batch_alter_table("satisfaction_score", schema=None) as batch_op:
        batch_op.drop_index("ix_satisfaction_scope_resolved")

    op.drop_table("satisfaction_score")
    with op.batch_alter_table("qa_result", schema=None) as batch_op:
        batch_op.drop_index("ix_qa_result_scope_at")

    op.drop_table("qa_result")
    with op.batch_alter_table("suggestion", schema=None) as batch_op:
        batch_op.drop_index("ix_suggestion_scope_created")

    op.drop_table("suggestion")
    with op.batch_alter_table("knowledge_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_knowledge_scope_status")

    op.drop_table("knowledge_entry")
