"""Foundation: channels, admins, users, rooms, labels, messages, outbox, ingested events,
comments and consents.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _when(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _id() -> sa.Column:
    return sa.Column("id", sa.Integer(), primary_key=True)


def _channel() -> sa.Column:
    return sa.Column("channel_id", sa.Integer(), sa.ForeignKey("channels.id"), nullable=False)


def upgrade() -> None:
    op.create_table(
        "channels",
        _id(),
        sa.Column("name", sa.String(), nullable=False, unique=True),
        sa.Column("unread_total", sa.Integer(), nullable=False),
        _when("created_at"),
    )
    op.create_table(
        "admins",
        _id(),
        _channel(),
        sa.Column("login", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("phone", sa.String(), nullable=True),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("additional_auth", sa.Boolean(), nullable=False),
        sa.Column("notifications", sa.Boolean(), nullable=False),
        _when("created_at"),
        sa.UniqueConstraint("channel_id", "login"),
    )
    op.create_table(
        "ingested_events",
        sa.Column("channel_id", sa.Integer(), sa.ForeignKey("channels.id"), primary_key=True),
        sa.Column("event_id", sa.String(), primary_key=True),
        _when("ingested_at"),
    )
    op.create_table(
        "labels",
        _id(),
        _channel(),
        sa.Column("name", sa.String(), nullable=False),
        sa.UniqueConstraint("channel_id", "name"),
    )
    op.create_table(
        "users",
        _id(),
        _channel(),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("nickname", sa.String(), nullable=True),
        sa.Column("friend", sa.Boolean(), nullable=False),
        _when("blocked_at", nullable=True),
        _when("created_at"),
        sa.UniqueConstraint("channel_id", "key"),
    )
    op.create_table(
        "comments",
        _id(),
        _channel(),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False, index=True),
        sa.Column("post", sa.String(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        _when("ts"),
        sa.Column("hidden", sa.Boolean(), nullable=False),
        sa.Column("event_id", sa.String(), nullable=True),
    )
    op.create_table(
        "consents",
        _id(),
        _channel(),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False, index=True),
        _when("ts"),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("event_id", sa.String(), nullable=True),
    )
    op.create_table(
        "rooms",
        _id(),
        _channel(),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False, unique=True),
        sa.Column("name", sa.String(), nullable=True),
        sa.Column("memo", sa.Text(), nullable=True),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("unread", sa.Integer(), nullable=False),
        _when("completed_at", nullable=True),
        _when("last_message_at", nullable=True),
        _when("last_user_at", nullable=True),
        _when("last_admin_at", nullable=True),
        sa.Column("legacy", sa.Boolean(), nullable=False),
        _when("left_at", nullable=True),
        sa.Column("starred", sa.Boolean(), nullable=False),
        sa.Column("assignee_id", sa.Integer(), sa.ForeignKey("admins.id"), nullable=True),
        _when("created_at"),
        sa.Index("ix_rooms_recent", "channel_id", "last_message_at"),
        sa.Index("ix_rooms_status_recent", "channel_id", "status", "last_message_at"),
    )
    op.create_table(
        "messages",
        _id(),
        _channel(),
        sa.Column("room_id", sa.Integer(), sa.ForeignKey("rooms.id"), nullable=False),
        sa.Column("sender", sa.String(), nullable=False),
        sa.Column("admin_id", sa.Integer(), sa.ForeignKey("admins.id"), nullable=True),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        _when("ts"),
        sa.Column("event_id", sa.String(), nullable=True),
        sa.Column("file_name", sa.String(), nullable=True),
        sa.Column("file_size", sa.BigInteger(), nullable=True),
        sa.Column("file_mime", sa.String(), nullable=True),
        sa.Column("file_sha256", sa.String(), nullable=True),
        sa.Column("hidden", sa.Boolean(), nullable=False),
        sa.Index("ix_messages_channel_ts", "channel_id", "ts"),
        sa.Index("ix_messages_room_ts", "room_id", "ts"),
    )
    op.create_table(
        "room_labels",
        sa.Column(
            "room_id", sa.Integer(), sa.ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column(
            "label_id",
            sa.Integer(),
            sa.ForeignKey("labels.id", ondelete="CASCADE"),
            primary_key=True,
            index=True,
        ),
    )
    op.create_table(
        "outbox",
        _id(),
        _channel(),
        sa.Column("room_id", sa.Integer(), sa.ForeignKey("rooms.id"), nullable=True),
        sa.Column(
            "message_id",
            sa.Integer(),
            sa.ForeignKey("messages.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(), nullable=True),
        _when("created_at"),
        _when("next_attempt_at", nullable=True),
        _when("sent_at", nullable=True),
        sa.Index("ix_outbox_due", "status", "next_attempt_at"),
    )


def downgrade() -> None:
    for table in (
        "outbox",
        "room_labels",
        "messages",
        "rooms",
        "consents",
        "comments",
        "users",
        "labels",
        "ingested_events",
        "admins",
        "channels",
    ):
        op.drop_table(table)
