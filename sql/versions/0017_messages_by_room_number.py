"""A room's messages by their number: the index behind opening a room, the console's view of
what arrived in it since, and the counts around them (`seq` after or up to a number).

Without it SQLite, which keeps no statistics here, read the room's messages through the
channel's time index, every message of the channel: 0.6 s per look at a store of a million
messages, so the console showed a new message late under a burst.

Revision ID: 0017
Revises: 0016
"""

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_messages_room_seq", "messages", ["room_id", "seq"])


def downgrade() -> None:
    op.drop_index("ix_messages_room_seq", "messages")
