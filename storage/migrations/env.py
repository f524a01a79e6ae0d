"""Alembic environment: runs on the engine deskbot hands over (see storage.db)."""

from alembic import context
from sqlmodel import SQLModel

from storage import huddles, knowledge, models, quality  # noqa: F401  (registers the tables)

config = context.config
engine = config.attributes["engine"]

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=knowledge.not_search_index,
    )
    context.run_migrations()
