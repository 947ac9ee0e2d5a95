"""The channel's schedule version: a random name, new with every write of its hours or
holidays, by which a process keeps a schedule it has read (the receiver read them again in
every transaction). Each existing channel gets a version of its own.

Revision ID: 0018
Revises: 0017
"""

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "channels",
        sa.Column("schedule_version", sa.String(), nullable=False, server_default=""),
    )
    channels = sa.table("channels", sa.column("id"), sa.column("schedule_version"))
    connection = op.get_bind()
    for (channel_id,) in connection.execute(sa.select(channels.c.id)).all():
        connection.execute(
            channels.update()
            .where(channels.c.id == channel_id)
            .values(schedule_version=secrets.token_hex(16))
        )


def downgrade() -> None:
    # Not a batch: SQLite would copy the channels table, which every other table refers to.
    op.execute("ALTER TABLE channels DROP COLUMN schedule_version")
