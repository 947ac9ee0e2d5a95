"""Since when a room's customer waits for an answer: the time of the oldest user message
after the last admin message, while the room is in progress (None when nobody waits).

The queue (`rooms list --sort waiting`, the console) orders a hundred thousand rooms by it;
computed per room from the messages it took seconds. Kept on the room by the same
transitions as its status, and indexed for the queue's order.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

# Times compare the same way in both dialects' storage (integers on SQLite, timestamptz on
# PostgreSQL), so one statement fills the column on either.
BACKFILL = """
UPDATE rooms SET waiting_since = (
    SELECT min(messages.ts) FROM messages
    WHERE messages.room_id = rooms.id AND messages.sender = 'user'
      AND (rooms.last_admin_at IS NULL OR messages.ts > rooms.last_admin_at)
)
WHERE rooms.completed_at IS NULL
  AND (rooms.last_admin_at IS NULL OR rooms.last_user_at > rooms.last_admin_at)
"""


def upgrade() -> None:
    op.add_column("rooms", sa.Column("waiting_since", sa.DateTime(timezone=True), nullable=True))
    op.execute(BACKFILL)
    op.create_index("ix_rooms_waiting", "rooms", ["channel_id", "waiting_since"])


def downgrade() -> None:
    op.drop_index("ix_rooms_waiting", "rooms")
    # In place on both dialects: a rebuilt rooms table would break the messages' references.
    op.drop_column("rooms", "waiting_since")
