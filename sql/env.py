"""Alembic environment: kchat runs migrations in-process on its own connection."""

from alembic import context
from sqlmodel import SQLModel

import kchat_cli.store.models  # noqa: F401  (registers the tables)
from kchat_cli.store.migrate import in_models

config = context.config
connection = config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    include_object=in_models,
)
with context.begin_transaction():
    context.run_migrations()
