"""Rooms: their state, the one place status is derived (R-STATUS-1/2), and the transitions
every message, read and completion goes through.

A room's state is loaded as a plain `RoomState`, changed only by the functions here, and
written back by `save_rooms`, which also keeps the channel's unread total (R-UNR-1) in step.
"""

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session

from kchat_cli.store.models import Channel, Room, User

STATUSES = ("unread", "unanswered", "answered", "completed")
ROOM_FIELDS = (
    "unread",
    "status",
    "completed_at",
    "last_message_at",
    "last_user_at",
    "last_admin_at",
    "legacy",
    "left_at",
    "starred",
)
USER_FIELDS = ("nickname", "friend", "blocked_at")


@dataclass(slots=True, eq=False)
class RoomState:
    id: int
    user_id: int
    user_key: str
    nickname: str | None
    friend: bool
    blocked_at: datetime | None
    unread: int
    status: str
    completed_at: datetime | None
    last_message_at: datetime | None
    last_user_at: datetime | None
    last_admin_at: datetime | None
    legacy: bool
    left_at: datetime | None
    starred: bool
    loaded: dict = field(default_factory=dict)

    def snapshot(self) -> dict:
        return {name: getattr(self, name) for name in ROOM_FIELDS + USER_FIELDS}

    @property
    def counted_unread(self) -> int:
        """What this room adds to the channel total: left rooms add nothing (R-UNR-1)."""
        return 0 if self.left_at else self.unread


def derive_status(room: RoomState) -> str:
    """R-STATUS-1, in its order; R-STATUS-2 for legacy rooms."""
    if room.completed_at is not None:
        return "completed"
    if room.unread > 0:
        return "unread"
    if room.legacy or room.last_admin_at is None:
        return "unanswered"
    if room.last_user_at is not None and room.last_admin_at < room.last_user_at:
        return "unanswered"
    return "answered"


def _later(current: datetime | None, ts: datetime) -> datetime:
    return ts if current is None or ts > current else current


def _reopen_if_after_completion(room: RoomState, ts: datetime) -> None:
    """R-DONE-1: a message after completion puts the room back in progress."""
    if room.completed_at is not None and ts >= room.completed_at:
        room.completed_at = None


def on_user_message(room: RoomState, ts: datetime) -> None:
    """A user message: one more unread (R-UNR-1); a left room comes back (R-LEAVE-1)."""
    room.unread += 1
    room.left_at = None
    room.last_user_at = _later(room.last_user_at, ts)
    room.last_message_at = _later(room.last_message_at, ts)
    _reopen_if_after_completion(room, ts)


def on_admin_message(room: RoomState, ts: datetime) -> None:
    """An admin message. The admin answering has read the room."""
    room.unread = 0
    room.last_admin_at = _later(room.last_admin_at, ts)
    room.last_message_at = _later(room.last_message_at, ts)
    _reopen_if_after_completion(room, ts)


def mark_read(room: RoomState) -> None:
    """R-READ-1, R-UNR-2: shared by every admin of the channel."""
    room.unread = 0


def complete(room: RoomState, now: datetime) -> None:
    """R-DONE-1. A completed legacy room starts over under the completion rules (R-STATUS-2)."""
    room.completed_at = now
    room.legacy = False


def reopen(room: RoomState) -> None:
    room.completed_at = None


_STATE_COLUMNS = (
    Room.id,
    Room.user_id,
    User.key,
    User.nickname,
    User.friend,
    User.blocked_at,
    Room.unread,
    Room.status,
    Room.completed_at,
    Room.last_message_at,
    Room.last_user_at,
    Room.last_admin_at,
    Room.legacy,
    Room.left_at,
    Room.starred,
)


def load_rooms(
    session: Session, channel_id: int, *, ids=None, user_keys=None, for_update: bool = True
) -> list[RoomState]:
    """Room states by id or by user key, locked for the rest of the transaction."""
    query = (
        sa.select(*_STATE_COLUMNS)
        .join(User, User.id == Room.user_id)
        .where(Room.channel_id == channel_id)
        .order_by(Room.id)
    )
    if ids is not None:
        query = query.where(Room.id.in_(list(ids)))
    if user_keys is not None:
        query = query.where(User.key.in_(list(user_keys)))
    if for_update:
        query = query.with_for_update(of=Room)
    states = []
    for row in session.execute(query):
        state = RoomState(*row)
        state.loaded = state.snapshot()
        states.append(state)
    return states


def save_rooms(session: Session, channel_id: int, rooms) -> int:
    """Write back what changed, derive each status, and move the channel total. Returns the
    number of rooms changed."""
    room_rows, user_rows, unread_delta, changed = [], [], 0, 0
    for room in rooms:
        room.status = derive_status(room)
        now = room.snapshot()
        if now == room.loaded:
            continue
        changed += 1
        was_counted = 0 if room.loaded["left_at"] else room.loaded["unread"]
        unread_delta += room.counted_unread - was_counted
        if any(now[name] != room.loaded[name] for name in ROOM_FIELDS):
            room_rows.append({"id": room.id, **{name: now[name] for name in ROOM_FIELDS}})
        if any(now[name] != room.loaded[name] for name in USER_FIELDS):
            user_rows.append({"id": room.user_id, **{name: now[name] for name in USER_FIELDS}})
        room.loaded = now
    if room_rows:
        session.execute(sa.update(Room), room_rows)
    if user_rows:
        session.execute(sa.update(User), user_rows)
    if unread_delta:
        session.execute(
            sa.update(Channel)
            .where(Channel.id == channel_id)
            .values(unread_total=Channel.unread_total + unread_delta)
        )
    return changed
