"""The rooms' listing orders, ties included: the indexes behind the newest-first pages (of
all rooms and by status) and the longest-waiting-first page end with the room id, which
the listings order ties by.

PostgreSQL read every room sharing the boundary time before it could cut the first page (a
history import gives thousands of rooms one time); SQLite's indexes already end with the
row id, so there the new ones only say so.

Revision ID: 0016
Revises: 0015
"""

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

ORDERS = {
    "ix_rooms_recent": ("channel_id", "last_message_at"),
    "ix_rooms_status_recent": ("channel_id", "status", "last_message_at"),
    "ix_rooms_waiting": ("channel_id", "waiting_since"),
}


def upgrade() -> None:
    for name, columns in ORDERS.items():
        op.drop_index(name, "rooms")
        op.create_index(name, "rooms", [*columns, "id"])


def downgrade() -> None:
    for name, columns in ORDERS.items():
        op.drop_index(name, "rooms")
        op.create_index(name, "rooms", list(columns))
