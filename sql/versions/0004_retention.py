"""Retention: legal hold per room; outbox items found by age and by message.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "rooms", sa.Column("held", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.create_index("ix_rooms_held", "rooms", ["channel_id", "held"])
    op.create_index("ix_outbox_created", "outbox", ["created_at"])
    # Deleting a message sets its outbox items' message_id to NULL: find them by index.
    op.create_index("ix_outbox_message_id", "outbox", ["message_id"])


def downgrade() -> None:
    op.drop_index("ix_outbox_message_id", "outbox")
    op.drop_index("ix_outbox_created", "outbox")
    op.drop_index("ix_rooms_held", "rooms")
    with op.batch_alter_table("rooms") as batch:
        batch.drop_column("held")
