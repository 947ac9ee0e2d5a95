"""Ingested event ids kept once, as the key alone: on SQLite a WITHOUT ROWID table keyed by
(channel_id, event_id); the unread ingested_at column goes on both stores.

A rowid table kept each id twice (the row and its primary-key index), and ingest writes
one id per event: keeping just the key is a tenth of ingest's write work. Downgrading
fills ingested_at with the time of the downgrade.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite(downgrading=False)
    else:
        op.drop_column("ingested_events", "ingested_at")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite(downgrading=True)
    else:
        op.add_column("ingested_events", _ingested_at())
        op.execute("UPDATE ingested_events SET ingested_at = now()")
        op.alter_column("ingested_events", "ingested_at", nullable=False)


def _ingested_at() -> sa.Column:
    return sa.Column("ingested_at", sa.DateTime(timezone=True), nullable=True)


def _rebuild_sqlite(*, downgrading: bool) -> None:
    op.create_table(
        "ingested_events_new",
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(), nullable=False),
        *([_ingested_at()] if downgrading else []),
        sa.PrimaryKeyConstraint("channel_id", "event_id", name="pk_ingested_events"),
        sa.ForeignKeyConstraint(
            ["channel_id"], ["channels.id"], name="fk_ingested_events_channel_id_channels"
        ),
        sqlite_with_rowid=downgrading,
    )
    taken = ", strftime('%Y-%m-%d %H:%M:%f', 'now')" if downgrading else ""
    op.execute(f"""
        INSERT INTO ingested_events_new (channel_id, event_id{", ingested_at" if taken else ""})
        SELECT channel_id, event_id{taken} FROM ingested_events""")  # noqa: S608
    op.drop_table("ingested_events")
    op.rename_table("ingested_events_new", "ingested_events")
