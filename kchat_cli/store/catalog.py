"""Queries light commands need before (or without) the models: schema version, channels,
the unread counter, who holds a lease. SQLAlchemy Core only, so `kchat unread` and `kchat
status` start fast."""

import os
import socket
from datetime import datetime

import sqlalchemy as sa

from kchat_cli.store.tables import channels, locks

SCHEDULER = "scheduler"  # the lease of the one `kchat scheduler run` a store may have

# The newest migration under sql/versions (a test keeps them equal).
SCHEMA_HEAD = "0019"

_alembic_version = sa.table("alembic_version", sa.column("version_num"))


def schema_revision(connection: sa.Connection) -> str | None:
    if not sa.inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(sa.select(_alembic_version.c.version_num)).scalar()


def channel_names(connection: sa.Connection) -> dict[str, int]:
    """The store's channels by name, oldest first."""
    rows = connection.execute(sa.select(channels.c.name, channels.c.id).order_by(channels.c.id))
    return dict(rows.all())


def unread_total(connection: sa.Connection, channel_id: int) -> int:
    query = sa.select(channels.c.unread_total).where(channels.c.id == channel_id)
    return connection.execute(query).scalar_one()


def live_lease(db, name: str, now: datetime) -> sa.Row | None:
    """The lease `name`, if its holder is alive: it has not expired, and on this machine
    its process is still there."""
    lease = db.execute(sa.select(locks).where(locks.c.name == name)).first()
    if lease is None or lease.expires_at <= now or holder_gone(lease.holder):
        return None
    return lease


def holder_gone(holder: str) -> bool:
    """A holder (host:pid) on this machine whose process has ended."""
    host, _, pid = holder.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False
