"""How many listed rooms each channel has in each status (`room_counts`), kept by every
change of a room (rooms.save_rooms): `rooms list` and the console's queue say how many rooms
match without counting a hundred thousand rows on every look.

A room is listed when it has a message, is not left, and its user is not blocked.

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

STATUSES = ("unread", "unanswered", "answered", "completed")
BACKFILL = """
INSERT INTO room_counts (channel_id, status, rooms)
SELECT channels.id, statuses.status, (
    SELECT count(*) FROM rooms JOIN users ON users.id = rooms.user_id
    WHERE rooms.channel_id = channels.id AND rooms.status = statuses.status
      AND rooms.last_message_at IS NOT NULL AND rooms.left_at IS NULL
      AND users.blocked_at IS NULL
)
FROM channels CROSS JOIN ({statuses}) AS statuses
"""


def upgrade() -> None:
    op.create_table(
        "room_counts",
        sa.Column("channel_id", sa.Integer(), sa.ForeignKey("channels.id"), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("rooms", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("channel_id", "status"),
    )
    statuses = " UNION ALL ".join(f"SELECT '{status}' AS status" for status in STATUSES)
    op.execute(BACKFILL.format(statuses=statuses))


def downgrade() -> None:
    op.drop_table("room_counts")
