"""Attachments: where the bytes of each file admins sent are (the sending machine's home
folder, or chunks in the store, so that any machine of a team can deliver them), and until
when a send in progress holds them. The files already sent are registered as in the home
folder; `kchat db upgrade` with the database backend then moves them in.

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

REGISTER = """
INSERT INTO attachments (channel_id, sha256, size, place, held_until)
SELECT channel_id, file_sha256, max(file_size), 'home', {long_past}
FROM messages
WHERE sender = 'admin' AND file_sha256 IS NOT NULL AND file_size IS NOT NULL
GROUP BY channel_id, file_sha256
"""


def upgrade() -> None:
    op.create_table(
        "attachments",
        sa.Column("channel_id", sa.Integer(), sa.ForeignKey("channels.id"), nullable=False),
        sa.Column("sha256", sa.String(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("place", sa.String(), nullable=False),
        sa.Column("held_until", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("channel_id", "sha256", name="pk_attachments"),
    )
    op.create_table(
        "attachment_chunks",
        sa.Column("channel_id", sa.Integer(), sa.ForeignKey("channels.id"), nullable=False),
        sa.Column("sha256", sa.String(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("channel_id", "sha256", "seq", name="pk_attachment_chunks"),
    )
    if op.get_bind().dialect.name == "postgresql":
        # Images and files are compressed already: storing them as they are spares the
        # database compressing every chunk in vain.
        op.execute("ALTER TABLE attachment_chunks ALTER COLUMN data SET STORAGE EXTERNAL")
    # Long past: nothing in progress holds them. SQLite keeps times as microseconds since
    # 1970 (migration 0008).
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.execute(REGISTER.format(long_past="0" if sqlite else "TIMESTAMPTZ 'epoch'"))


def downgrade() -> None:
    op.drop_table("attachment_chunks")
    op.drop_table("attachments")
