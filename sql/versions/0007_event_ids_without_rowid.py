"""SQLite: the ingested event ids in a WITHOUT ROWID table, keyed by (channel_id, event_id).

A rowid table kept each id twice (the row and its primary-key index); ingest writes one id
per event, so keeping it once is a tenth of ingest's write work. PostgreSQL is unchanged.

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
    _rebuild(with_rowid=False)


def downgrade() -> None:
    _rebuild(with_rowid=True)


def _rebuild(*, with_rowid: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.create_table(
        "ingested_events_new",
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(), nullable=False),
        sa.Column("ingested_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("channel_id", "event_id", name="pk_ingested_events"),
        sa.ForeignKeyConstraint(
            ["channel_id"], ["channels.id"], name="fk_ingested_events_channel_id_channels"
        ),  # fmt: skip
        sqlite_with_rowid=with_rowid,
    )
    op.execute("""
        INSERT INTO ingested_events_new (channel_id, event_id, ingested_at)
        SELECT channel_id, event_id, ingested_at FROM ingested_events""")
    op.drop_table("ingested_events")
    op.rename_table("ingested_events_new", "ingested_events")
