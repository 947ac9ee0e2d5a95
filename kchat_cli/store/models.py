"""The tables. Changing one means a new migration under sql/versions (a test compares them)."""

import secrets
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Text,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from kchat_cli.store.types import UTCDateTime

# Named constraints, so that migrations can alter them on SQLite too.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _when(*, nullable: bool = False, index: bool = False):
    return Field(
        default=None if nullable else ..., sa_type=UTCDateTime, nullable=nullable, index=index
    )


def _ref(target: str, *, nullable: bool = False, ondelete: str | None = None, index=False):
    return Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey(target, ondelete=ondelete), nullable=nullable, index=index
        ),
    )


class Channel(SQLModel, table=True):
    __tablename__ = "channels"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    unread_total: int = Field(default=0)
    created_at: datetime = _when()
    chat_on: bool = True
    revision: int = 0  # bumped by every transaction that changes rooms: a change cursor
    offhours_text: str | None = Field(default=None, sa_type=Text)
    guide_on: bool = True
    guide_text: str | None = Field(default=None, sa_type=Text)
    # New with every change of the hours or holidays: a schedule read once is kept by it.
    schedule_version: str = Field(default_factory=lambda: secrets.token_hex(16))


class Admin(SQLModel, table=True):
    __tablename__ = "admins"
    __table_args__ = (UniqueConstraint("channel_id", "login"),)
    id: int | None = Field(default=None, primary_key=True)
    channel_id: int = _ref("channels.id")
    login: str
    name: str
    phone: str | None = None
    role: str = "manager"
    additional_auth: bool = True
    notifications: bool = True
    created_at: datetime = _when()
    removed_at: datetime | None = _when(nullable=True)


class User(SQLModel, table=True):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("channel_id", "key"),)
    id: int | None = Field(default=None, primary_key=True)
    channel_id: int = _ref("channels.id")
    key: str
    nickname: str | None = None
    friend: bool = False
    blocked_at: datetime | None = _when(nullable=True)
    created_at: datetime = _when()
    entered_at: datetime | None = _when(nullable=True)
    block_permanent: bool = False


class Room(SQLModel, table=True):
    __tablename__ = "rooms"
    __table_args__ = (
        Index("ix_rooms_status_recent", "channel_id", "status", "last_message_at", "id"),
        Index("ix_rooms_recent", "channel_id", "last_message_at", "id"),
        Index("ix_rooms_held", "channel_id", "held"),
        Index("ix_rooms_revision", "channel_id", "revision"),
        Index("ix_rooms_waiting", "channel_id", "waiting_since", "id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    channel_id: int = _ref("channels.id")
    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("users.id"), nullable=False, unique=True)
    )
    name: str | None = None
    memo: str | None = Field(default=None, sa_type=Text)
    status: str = "unanswered"
    unread: int = 0
    completed_at: datetime | None = _when(nullable=True)
    last_message_at: datetime | None = _when(nullable=True)
    last_user_at: datetime | None = _when(nullable=True)
    last_admin_at: datetime | None = _when(nullable=True)
    legacy: bool = False
    left_at: datetime | None = _when(nullable=True)
    starred: bool = False
    assignee_id: int | None = _ref("admins.id", nullable=True)
    created_at: datetime = _when()
    held: bool = False  # legal hold: retention skips the room
    seq: int = 0  # how many messages the room has had; each message carries its number
    read_seq: int = 0  # the number of the newest message read: unread ones come after it
    opened_at: datetime | None = _when(nullable=True)  # when this consultation began
    # The oldest user message not yet answered, while in progress: the queue's order.
    waiting_since: datetime | None = _when(nullable=True)
    revision: int = 0  # the channel revision of the room's last change
    # When the room last changed, and by whom: an admin's login, `ingest` or a job's name.
    changed_at: datetime | None = _when(nullable=True)
    changed_by: str | None = None


class RoomCount(SQLModel, table=True):
    """How many of a channel's listed rooms (with a message, not left, their user not
    blocked) are in each status, kept by every change of a room: a listing says how many
    rooms match without counting them."""

    __tablename__ = "room_counts"
    channel_id: int = Field(sa_column=Column(Integer, ForeignKey("channels.id"), primary_key=True))
    status: str = Field(primary_key=True)
    rooms: int = 0


class Label(SQLModel, table=True):
    __tablename__ = "labels"
    __table_args__ = (UniqueConstraint("channel_id", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    channel_id: int = _ref("channels.id")
    name: str


class RoomLabel(SQLModel, table=True):
    __tablename__ = "room_labels"
    room_id: int = Field(
        sa_column=Column(Integer, ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True)
    )
    label_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("labels.id", ondelete="CASCADE"), primary_key=True, index=True
        )
    )


class Message(SQLModel, table=True):
    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_room_ts", "room_id", "ts"),
        Index("ix_messages_room_seq", "room_id", "seq"),
        Index("ix_messages_channel_ts", "channel_id", "ts"),
    )
    id: int | None = Field(default=None, primary_key=True)
    channel_id: int = _ref("channels.id")
    room_id: int = _ref("rooms.id")
    sender: str
    admin_id: int | None = _ref("admins.id", nullable=True)
    kind: str = "text"
    text: str | None = Field(default=None, sa_type=Text)
    ts: datetime = _when()
    event_id: str | None = None
    file_name: str | None = None
    file_size: int | None = Field(default=None, sa_type=BigInteger)
    file_mime: str | None = None
    file_sha256: str | None = None
    hidden: bool = False
    seq: int | None = None  # its number in the room


class Attachment(SQLModel, table=True):
    """The bytes of a file admins sent, once per content per channel: where they are
    (`place`: "home", the sending machine's folder; "database", chunks below; "incoming",
    chunks still being written) and until when a send in progress holds them."""

    __tablename__ = "attachments"
    channel_id: int = Field(sa_column=Column(Integer, ForeignKey("channels.id"), primary_key=True))
    sha256: str = Field(primary_key=True)
    size: int = Field(sa_type=BigInteger)
    place: str
    held_until: datetime = _when()


class AttachmentChunk(SQLModel, table=True):
    """A piece of an attachment's bytes kept in the store, `seq` from 0."""

    __tablename__ = "attachment_chunks"
    channel_id: int = Field(sa_column=Column(Integer, ForeignKey("channels.id"), primary_key=True))
    sha256: str = Field(primary_key=True)
    seq: int = Field(primary_key=True)
    data: bytes = Field(sa_type=LargeBinary)


class OutboxItem(SQLModel, table=True):
    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "status", "next_attempt_at"),
        Index("ix_outbox_created", "created_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    channel_id: int = _ref("channels.id")
    room_id: int | None = _ref("rooms.id", nullable=True)
    message_id: int | None = _ref("messages.id", nullable=True, ondelete="SET NULL", index=True)
    kind: str
    text: str | None = Field(default=None, sa_type=Text)
    status: str = "pending"
    attempts: int = 0
    last_error: str | None = None
    created_at: datetime = _when()
    next_attempt_at: datetime | None = _when(nullable=True)
    sent_at: datetime | None = _when(nullable=True)
    # A verification code goes to one admin; its text is sealed, and wiped once sent.
    admin_id: int | None = _ref("admins.id", nullable=True)
    sealed_text: str | None = Field(default=None, sa_type=Text)


class IngestedEvent(SQLModel, table=True):
    """Event ids already applied: ingest is idempotent by id."""

    __tablename__ = "ingested_events"
    __table_args__ = {"sqlite_with_rowid": False}  # the key is the row (migration 0007)
    channel_id: int = Field(sa_column=Column(Integer, ForeignKey("channels.id"), primary_key=True))
    event_id: str = Field(primary_key=True)


class Comment(SQLModel, table=True):
    """A comment a user left on a home post (R-BLOCK-2)."""

    __tablename__ = "comments"
    id: int | None = Field(default=None, primary_key=True)
    channel_id: int = _ref("channels.id")
    user_id: int = _ref("users.id", index=True)
    post: str
    text: str = Field(sa_type=Text)
    ts: datetime = _when()
    hidden: bool = False
    event_id: str | None = None


class Consent(SQLModel, table=True):
    """Customer info a user consented to give (R-PII-1); `data` is encrypted, never plain."""

    __tablename__ = "consents"
    id: int | None = Field(default=None, primary_key=True)
    channel_id: int = _ref("channels.id")
    user_id: int = _ref("users.id", index=True)
    ts: datetime = _when()
    data: str = Field(sa_type=Text)
    event_id: str | None = None
    request_id: int | None = _ref("info_requests.id", nullable=True)


class ChatHours(SQLModel, table=True):
    """An available-hours window (R-SET-2, R-SET-3), in Korea time."""

    __tablename__ = "chat_hours"
    __table_args__ = (UniqueConstraint("channel_id", "weekday", "start_minute", "end_minute"),)
    id: int | None = Field(default=None, primary_key=True)
    channel_id: int = _ref("channels.id")
    weekday: int
    start_minute: int
    end_minute: int


class Holiday(SQLModel, table=True):
    """A Korea-time day on which chat is closed."""

    __tablename__ = "holidays"
    channel_id: int = Field(sa_column=Column(Integer, ForeignKey("channels.id"), primary_key=True))
    day: date = Field(primary_key=True)
    note: str | None = None


class NoticeClaim(SQLModel, table=True):
    """One automatic notice of a kind per user and period, whoever sends it first (R-SET-5,
    R-SET-6): the primary key makes a second one impossible."""

    __tablename__ = "notice_claims"
    user_id: int = Field(sa_column=Column(Integer, ForeignKey("users.id"), primary_key=True))
    kind: str = Field(primary_key=True)
    period: str = Field(primary_key=True)
    claimed_at: datetime = _when()


class JobRun(SQLModel, table=True):
    """A run of a batch job: what it did, never whose data (no personal data here)."""

    __tablename__ = "job_runs"
    __table_args__ = (Index("ix_job_runs_name_started", "name", "started_at"),)
    id: int | None = Field(default=None, primary_key=True)
    name: str
    as_of: datetime = _when()
    dry_run: bool = False
    started_at: datetime = _when()
    finished_at: datetime | None = _when(nullable=True)
    outcome: str = "running"
    counts: str | None = Field(default=None, sa_type=Text)
    error: str | None = Field(default=None, sa_type=Text)
    holder: str
    started_by: str | None = None  # the OS user
    admin: str | None = None  # the admin named (--as), if any


class Lock(SQLModel, table=True):
    """A lease: a job or the scheduler holds it until it lets go or it expires."""

    __tablename__ = "locks"
    name: str = Field(primary_key=True)
    holder: str
    acquired_at: datetime = _when()
    expires_at: datetime = _when()


class Reply(SQLModel, table=True):
    """A saved reply (자주 쓰는 답변, R-SEND-3)."""

    __tablename__ = "replies"
    __table_args__ = (UniqueConstraint("channel_id", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    channel_id: int = _ref("channels.id")
    name: str
    text: str = Field(sa_type=Text)
    created_at: datetime = _when()
    updated_at: datetime = _when()


class Coupon(SQLModel, table=True):
    """A coupon (R-COUPON-1): sent in a room, to friends only, until it expires."""

    __tablename__ = "coupons"
    id: int | None = Field(default=None, primary_key=True)
    channel_id: int = _ref("channels.id")
    name: str
    benefit: str
    valid_until: datetime = _when()
    created_at: datetime = _when()


class FriendGroup(SQLModel, table=True):
    """A friend group (친구그룹, R-GROUP-1)."""

    __tablename__ = "friend_groups"
    __table_args__ = (UniqueConstraint("channel_id", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    channel_id: int = _ref("channels.id")
    name: str
    created_at: datetime = _when()


class GroupMember(SQLModel, table=True):
    __tablename__ = "group_members"
    group_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("friend_groups.id", ondelete="CASCADE"), primary_key=True
        )
    )
    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("users.id"), primary_key=True, index=True)
    )


class AuthCode(SQLModel, table=True):
    """A verification code (R-AUTH-2), kept only under a keyed hash (R-AUTH-5)."""

    __tablename__ = "auth_codes"
    __table_args__ = (Index("ix_auth_codes_admin_created", "admin_id", "created_at"),)
    id: int | None = Field(default=None, primary_key=True)
    admin_id: int = _ref("admins.id", index=True)
    code_hash: str
    via: str
    created_at: datetime = _when()
    expires_at: datetime = _when()
    attempts: int = 0
    used_at: datetime | None = _when(nullable=True)


class AuthSession(SQLModel, table=True):
    """A verified session (R-AUTH-1/2): its token is kept only as a hash."""

    __tablename__ = "auth_sessions"
    id: int | None = Field(default=None, primary_key=True)
    admin_id: int = _ref("admins.id", index=True)
    token_hash: str = Field(unique=True)
    created_at: datetime = _when()
    expires_at: datetime = _when()
    ended_at: datetime | None = _when(nullable=True)
    os_user: str | None = None  # the OS user (uid@host) who verified: the session is theirs


class AuthFailure(SQLModel, table=True):
    """A wrong verification code entered, when: at most ten an hour (R-AUTH-5)."""

    __tablename__ = "auth_failures"
    __table_args__ = (Index("ix_auth_failures_admin_at", "admin_id", "at"),)
    id: int | None = Field(default=None, primary_key=True)
    admin_id: int = _ref("admins.id")
    at: datetime = _when()


class StoreFact(SQLModel, table=True):
    """What the store knows about itself, by name (the id of the key its data is sealed with)."""

    __tablename__ = "store_facts"
    name: str = Field(primary_key=True)
    value: str


class AuditEntry(SQLModel, table=True):
    """Who did what to which, when: every admin write and every view of personal data."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_channel_at", "channel_id", "at"),)
    id: int | None = Field(default=None, primary_key=True)
    channel_id: int = _ref("channels.id")
    admin_id: int | None = _ref("admins.id", nullable=True)
    at: datetime = _when()
    action: str
    target: str | None = None
    details: str | None = Field(default=None, sa_type=Text)


class Plugin(SQLModel, table=True):
    """The personal-info plugin (비즈플러그인 '개인정보이용') linked to a channel (R-PII-1)."""

    __tablename__ = "plugins"
    id: int | None = Field(default=None, primary_key=True)
    channel_id: int = Field(
        sa_column=Column(Integer, ForeignKey("channels.id"), nullable=False, unique=True)
    )
    biz_app: str
    fields: str
    status: str = "available"
    registered_at: datetime = _when()


class InfoRequest(SQLModel, table=True):
    """A request for a user's consent to give their customer info (R-PII-2: once each)."""

    __tablename__ = "info_requests"
    id: int | None = Field(default=None, primary_key=True)
    channel_id: int = _ref("channels.id")
    room_id: int = _ref("rooms.id", index=True)
    admin_id: int = _ref("admins.id")
    fields: str
    requested_at: datetime = _when()
    answered_at: datetime | None = _when(nullable=True)


class Completion(SQLModel, table=True):
    """A consultation completed (R-DONE-1): when it began and when it ended, for reports."""

    __tablename__ = "completions"
    __table_args__ = (Index("ix_completions_channel_at", "channel_id", "completed_at"),)
    id: int | None = Field(default=None, primary_key=True)
    channel_id: int = _ref("channels.id")
    room_id: int = _ref("rooms.id", index=True)
    opened_at: datetime | None = _when(nullable=True)
    completed_at: datetime = _when()
