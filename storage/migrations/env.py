"""Alembic environment: runs on the engine deskbot hands over (see storage.db)."""

from alembic import context
from sqlalchemy import text
from sqlmodel import SQLModel

from storage import huddles, knowledge, kpi_days, kpi_facts, models, quality  # noqa: F401  (registers the tables)

# One key for every deskbot database: replicas starting together upgrade one at a time.
MIGRATION_LOCK = 0x6465736B626F74  # "deskbot"

config = context.config
engine = config.attributes["engine"]

with engine.begin() as connection:
    if connection.dialect.name == "postgresql":
        # Held until this transaction ends. A replica that waited here then reads the version
        # the first one committed and has nothing left to do (instead of creating the same
        # tables again and dying on a unique violation). SQLite's BEGIN IMMEDIATE already
        # serialises writers (storage.db).
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=knowledge.not_search_index,
    )
    context.run_migrations()
