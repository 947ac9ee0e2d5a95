"""Schema migrations (Alembic, scripts under sql/). Imported only by the commands that migrate."""

from importlib.resources import files

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory


def _config(connection: sa.Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(files("kchat_cli.migrations")))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    return ScriptDirectory.from_config(_config()).get_current_head()


def upgrade(engine: sa.Engine, revision: str = "head") -> None:
    with engine.connect() as connection:
        command.upgrade(_config(connection), revision)
        connection.commit()


def current_revision(engine: sa.Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


# Dialect-specific search objects the migrations make outside the models.
SEARCH_OBJECTS = ("messages_fts", "ix_messages_text_trgm")


def in_models(obj, name: str | None, type_: str, reflected: bool, compare_to) -> bool:
    """For Alembic's comparison: the search index is made by SQL, not by the models."""
    return not (name or "").startswith(SEARCH_OBJECTS)
