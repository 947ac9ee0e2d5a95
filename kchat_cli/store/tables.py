"""The tables as SQLAlchemy Core sees them, for the read paths of light commands (`rooms
list`, `status`, the access check): no ORM and no pydantic on their way, which would double
their start-up. Each column mirrors models.py (a test holds them equal); only the tables
those paths read are here.
"""

import sqlalchemy as sa

from kchat_cli.store.types import UTCDateTime

metadata = sa.MetaData()

channels = sa.Table(
    "channels",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String, nullable=False),
    sa.Column("unread_total", sa.Integer, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("chat_on", sa.Boolean, nullable=False),
    sa.Column("revision", sa.Integer, nullable=False),
    sa.Column("offhours_text", sa.Text),
    sa.Column("guide_on", sa.Boolean, nullable=False),
    sa.Column("guide_text", sa.Text),
    sa.Column("schedule_version", sa.String, nullable=False),
)

room_counts = sa.Table(
    "room_counts",
    metadata,
    sa.Column("channel_id", sa.Integer, sa.ForeignKey("channels.id"), primary_key=True),
    sa.Column("status", sa.String, primary_key=True),
    sa.Column("rooms", sa.Integer, nullable=False),
)

admins = sa.Table(
    "admins",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("channel_id", sa.Integer, nullable=False),
    sa.Column("login", sa.String, nullable=False),
    sa.Column("name", sa.String, nullable=False),
    sa.Column("phone", sa.String),
    sa.Column("role", sa.String, nullable=False),
    sa.Column("additional_auth", sa.Boolean, nullable=False),
    sa.Column("notifications", sa.Boolean, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("removed_at", UTCDateTime),
)

auth_sessions = sa.Table(
    "auth_sessions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("admin_id", sa.Integer, nullable=False),
    sa.Column("token_hash", sa.String, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
    sa.Column("ended_at", UTCDateTime),
    sa.Column("os_user", sa.String),
)

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("channel_id", sa.Integer, nullable=False),
    sa.Column("key", sa.String, nullable=False),
    sa.Column("nickname", sa.String),
    sa.Column("friend", sa.Boolean, nullable=False),
    sa.Column("blocked_at", UTCDateTime),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("entered_at", UTCDateTime),
    sa.Column("block_permanent", sa.Boolean, nullable=False),
)

rooms = sa.Table(
    "rooms",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("channel_id", sa.Integer, nullable=False),
    sa.Column("user_id", sa.Integer, nullable=False),
    sa.Column("name", sa.String),
    sa.Column("memo", sa.Text),
    sa.Column("status", sa.String, nullable=False),
    sa.Column("unread", sa.Integer, nullable=False),
    sa.Column("completed_at", UTCDateTime),
    sa.Column("last_message_at", UTCDateTime),
    sa.Column("last_user_at", UTCDateTime),
    sa.Column("last_admin_at", UTCDateTime),
    sa.Column("legacy", sa.Boolean, nullable=False),
    sa.Column("left_at", UTCDateTime),
    sa.Column("starred", sa.Boolean, nullable=False),
    sa.Column("assignee_id", sa.Integer),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("held", sa.Boolean, nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("read_seq", sa.Integer, nullable=False),
    sa.Column("opened_at", UTCDateTime),
    sa.Column("waiting_since", UTCDateTime),
    sa.Column("revision", sa.Integer, nullable=False),
    sa.Column("changed_at", UTCDateTime),
    sa.Column("changed_by", sa.String),
)

labels = sa.Table(
    "labels",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("channel_id", sa.Integer, nullable=False),
    sa.Column("name", sa.String, nullable=False),
)

room_labels = sa.Table(
    "room_labels",
    metadata,
    sa.Column("room_id", sa.Integer, primary_key=True),
    sa.Column("label_id", sa.Integer, primary_key=True),
)

messages = sa.Table(
    "messages",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("channel_id", sa.Integer, nullable=False),
    sa.Column("room_id", sa.Integer, nullable=False),
    sa.Column("sender", sa.String, nullable=False),
    sa.Column("admin_id", sa.Integer),
    sa.Column("kind", sa.String, nullable=False),
    sa.Column("text", sa.Text),
    sa.Column("ts", UTCDateTime, nullable=False),
    sa.Column("event_id", sa.String),
    sa.Column("file_name", sa.String),
    sa.Column("file_size", sa.BigInteger),
    sa.Column("file_mime", sa.String),
    sa.Column("file_sha256", sa.String),
    sa.Column("hidden", sa.Boolean, nullable=False),
    sa.Column("seq", sa.Integer),
)

outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("channel_id", sa.Integer, nullable=False),
    sa.Column("room_id", sa.Integer),
    sa.Column("message_id", sa.Integer),
    sa.Column("kind", sa.String, nullable=False),
    sa.Column("text", sa.Text),
    sa.Column("status", sa.String, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("last_error", sa.String),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("next_attempt_at", UTCDateTime),
    sa.Column("sent_at", UTCDateTime),
    sa.Column("admin_id", sa.Integer),
    sa.Column("sealed_text", sa.Text),
)

chat_hours = sa.Table(
    "chat_hours",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("channel_id", sa.Integer, nullable=False),
    sa.Column("weekday", sa.Integer, nullable=False),
    sa.Column("start_minute", sa.Integer, nullable=False),
    sa.Column("end_minute", sa.Integer, nullable=False),
)

holidays = sa.Table(
    "holidays",
    metadata,
    sa.Column("channel_id", sa.Integer, primary_key=True),
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("note", sa.String),
)

job_runs = sa.Table(
    "job_runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String, nullable=False),
    sa.Column("as_of", UTCDateTime, nullable=False),
    sa.Column("dry_run", sa.Boolean, nullable=False),
    sa.Column("started_at", UTCDateTime, nullable=False),
    sa.Column("finished_at", UTCDateTime),
    sa.Column("outcome", sa.String, nullable=False),
    sa.Column("counts", sa.Text),
    sa.Column("error", sa.Text),
    sa.Column("holder", sa.String, nullable=False),
    sa.Column("started_by", sa.String),
    sa.Column("admin", sa.String),
)

locks = sa.Table(
    "locks",
    metadata,
    sa.Column("name", sa.String, primary_key=True),
    sa.Column("holder", sa.String, nullable=False),
    sa.Column("acquired_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
)
