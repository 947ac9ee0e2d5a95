"""Queries light commands need before (or without) the models: schema version, channels,
the unread counter. SQLAlchemy Core only, so `kchat unread` starts fast."""

import sqlalchemy as sa

# The newest migration under sql/versions (a test keeps them equal).
SCHEMA_HEAD = "0011"

_alembic_version = sa.table("alembic_version", sa.column("version_num"))
_channels = sa.table("channels", sa.column("id"), sa.column("name"), sa.column("unread_total"))


def schema_revision(connection: sa.Connection) -> str | None:
    if not sa.inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(sa.select(_alembic_version.c.version_num)).scalar()


def channel_names(connection: sa.Connection) -> dict[str, int]:
    rows = connection.execute(sa.select(_channels.c.name, _channels.c.id))
    return dict(rows.all())


def unread_total(connection: sa.Connection, channel_id: int) -> int:
    query = sa.select(_channels.c.unread_total).where(_channels.c.id == channel_id)
    return connection.execute(query).scalar_one()
