"""Rooms: their state, the one place status is derived (R-STATUS-1/2), and the transitions
every message, read and completion goes through.

A room's state is loaded as a plain `RoomState`, changed only by the functions here, and
written back by `save_rooms`, which also keeps the channel's unread total (R-UNR-1) in step.
"""

import json
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from operator import attrgetter

import sqlalchemy as sa
from sqlmodel import Session

from kchat_cli import clock
from kchat_cli.errors import NotFound, Refused
from kchat_cli.store.bulk import among, bulk_update, one_of
from kchat_cli.store.models import Channel, Room, RoomCount, User
from kchat_cli.store.wakeups import change_told

# The fields a RoomState carries from its user, then from its room, in RoomState's order.
USER_FIELDS = ("nickname", "friend", "blocked_at", "entered_at", "block_permanent")
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
    "assignee_id",
    "seq",
    "read_seq",
    "opened_at",
    "waiting_since",
)
STATE_FIELDS = USER_FIELDS + ROOM_FIELDS
_snapshot = attrgetter(*STATE_FIELDS)
_UNREAD, _LEFT_AT = STATE_FIELDS.index("unread"), STATE_FIELDS.index("left_at")
_STATUS, _LAST_MESSAGE_AT = STATE_FIELDS.index("status"), STATE_FIELDS.index("last_message_at")
_BLOCKED_AT = STATE_FIELDS.index("blocked_at")

# Who a transaction's room changes are by, kept on each room it changes for `watch`: the
# login of the admin acting in it (noted on its session), else what the thread runs as
# (ingest, a job).
_AUTHOR = "kchat_author"
_running_as: ContextVar[str] = ContextVar("kchat_running_as", default="kchat")


def sign(session: Session, login: str) -> None:
    """The room changes of this session's transaction are by the admin `login`."""
    session.info[_AUTHOR] = login


@contextmanager
def running_as(name: str) -> Iterator[None]:
    """Room changes made within are by `name` (ingest, a job), unless an admin signs them."""
    token = _running_as.set(name)
    try:
        yield
    finally:
        _running_as.reset(token)


def author(session: Session) -> str:
    return session.info.get(_AUTHOR) or _running_as.get()


@dataclass(slots=True, eq=False)
class RoomState:
    id: int
    user_id: int
    user_key: str
    nickname: str | None
    friend: bool
    blocked_at: datetime | None
    entered_at: datetime | None
    block_permanent: bool
    unread: int
    status: str
    completed_at: datetime | None
    last_message_at: datetime | None
    last_user_at: datetime | None
    last_admin_at: datetime | None
    legacy: bool
    left_at: datetime | None
    starred: bool
    assignee_id: int | None
    seq: int  # messages the room has had; the next one gets seq + 1
    read_seq: int  # unread user messages are those numbered after this
    opened_at: datetime | None  # when the consultation in progress began
    waiting_since: datetime | None  # the oldest unanswered user message, in progress
    loaded: tuple = ()

    def snapshot(self) -> tuple:
        """The values of STATE_FIELDS, to tell what changed since `loaded`."""
        return _snapshot(self)

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


def numbered(room: RoomState) -> int:
    """The number of the room's next message (every message, of every kind, has one)."""
    room.seq += 1
    return room.seq


def on_user_message(room: RoomState, ts: datetime) -> int:
    """A user message: one more unread (R-UNR-1); a left room comes back (R-LEAVE-1); a
    consultation begins if none is going on. Returns the message's number."""
    room.unread += 1
    room.left_at = None
    room.last_user_at = _later(room.last_user_at, ts)
    room.last_message_at = _later(room.last_message_at, ts)
    _reopen_if_after_completion(room, ts)
    if room.opened_at is None:
        room.opened_at = ts
    if room.completed_at is None and (room.last_admin_at is None or ts > room.last_admin_at):
        room.waiting_since = ts if room.waiting_since is None else min(room.waiting_since, ts)
    return numbered(room)


def on_admin_message(room: RoomState, ts: datetime) -> int:
    """An admin message. The admin answering has read the room. Returns its number."""
    room.last_admin_at = _later(room.last_admin_at, ts)
    room.last_message_at = _later(room.last_message_at, ts)
    _reopen_if_after_completion(room, ts)
    if room.waiting_since is not None and ts >= room.waiting_since:
        room.waiting_since = _still_waiting_since(room)
    seq = numbered(room)
    mark_read(room)
    return seq


def _still_waiting_since(room: RoomState) -> datetime | None:
    """After an answer, while in progress: a customer whose last message is newer than the
    last answer still waits (since that message: the ones between are not kept apart)."""
    if room.completed_at is not None or room.last_user_at is None:
        return None
    if room.last_admin_at is None or room.last_user_at > room.last_admin_at:
        return room.last_user_at
    return None


def mark_read(room: RoomState) -> None:
    """R-READ-1, R-UNR-2: shared by every admin of the channel; up to the newest message."""
    room.unread = 0
    room.read_seq = room.seq


def mark_read_through(room: RoomState, seq: int, unread_after: int) -> None:
    """R-READ-1 for what an admin has seen: messages up to number `seq` are read; the
    `unread_after` user messages after it stay unread."""
    if seq > room.read_seq:
        room.read_seq = seq
        room.unread = unread_after


def complete(room: RoomState, now: datetime) -> None:
    """R-DONE-1. A completed legacy room starts over under the completion rules (R-STATUS-2).
    The next user message begins a new consultation."""
    room.completed_at = now
    room.legacy = False
    room.opened_at = None
    room.waiting_since = None


def reopen(room: RoomState) -> None:
    room.completed_at = None
    room.waiting_since = _still_waiting_since(room)


def block(room: RoomState, now: datetime) -> None:
    """R-BLOCK-1; blocking removes the star (R-STAR-1)."""
    if room.blocked_at is None:
        room.blocked_at = now
    room.starred = False


def unblock(room: RoomState) -> None:
    """R-BLOCK-3, unless the room was left while blocked (R-LEAVE-2)."""
    if room.block_permanent:
        raise Refused(
            "the block is permanent: the room was left while the user was blocked",
            "it cannot be undone",
        )
    room.blocked_at = None


def leave(room: RoomState, now: datetime, *, confirmed: bool) -> None:
    """R-LEAVE-1: the room leaves every list until the user writes again. Leaving a blocked
    user's room makes the block permanent (R-LEAVE-2), so it needs confirmation."""
    if room.blocked_at is not None and not room.block_permanent:
        if not confirmed:
            raise Refused(
                "the user is blocked: leaving makes the block permanent", "pass --yes to confirm"
            )
        room.block_permanent = True
    if room.left_at is None:
        room.left_at = now


def star(room: RoomState, on: bool) -> None:
    """R-STAR-1; a blocked user's room cannot be starred."""
    if on and room.blocked_at is not None:
        raise Refused("the user is blocked", "unblock first: kchat users unblock ROOM")
    room.starred = on


# Core constructs, not ORM entities: ingest moves thousands of rooms a second through here.
_rooms = Room.__table__
_users = User.__table__
# In RoomState's field order.
_STATE_COLUMNS = (
    _rooms.c.id,
    _rooms.c.user_id,
    _users.c.key,
    *(_users.c[name] for name in USER_FIELDS),
    *(_rooms.c[name] for name in ROOM_FIELDS),
)
# Ordered by id: locks are always taken in one order.
_STATE_QUERY = (
    sa.select(*_STATE_COLUMNS).join(_users, _users.c.id == _rooms.c.user_id).order_by(_rooms.c.id)
)
# Built once (the receiver loads rooms in every transaction, and building the query cost more
# than running it); by the users' unique (channel_id, key) index, not a scan of the rooms.
_BY_USER_KEYS = {
    dialect: _STATE_QUERY.where(
        _users.c.channel_id == sa.bindparam("channel_id"),
        one_of(_users.c.key, sa.bindparam("user_keys"), dialect),
    )
    for dialect in ("sqlite", "postgresql")
}
_BY_USER_KEYS_LOCKED = {
    dialect: query.with_for_update(of=_rooms) for dialect, query in _BY_USER_KEYS.items()
}


def load_rooms(
    session: Session, channel_id: int, *, ids=None, user_keys=None, for_update: bool = True
) -> list[RoomState]:
    """Room states by id or by user key, locked for the rest of the transaction."""
    if ids is not None:
        # By primary key. `channel_id + 0` keeps SQLite's planner (without statistics) from
        # scanning the channel's rooms by its index instead.
        query = _STATE_QUERY.where(
            among(session, _rooms.c.id, list(ids)), _rooms.c.channel_id + 0 == channel_id
        )
        query = query.with_for_update(of=_rooms) if for_update else query
        rows = session.connection().execute(query)
    else:
        connection = session.connection()
        queries = _BY_USER_KEYS_LOCKED if for_update else _BY_USER_KEYS
        rows = connection.execute(
            queries[connection.dialect.name],
            {"channel_id": channel_id, "user_keys": json.dumps(list(user_keys))},
        )
    states = []
    for row in rows:
        state = RoomState(*row)
        state.loaded = _snapshot(state)
        states.append(state)
    return states


def load_room(
    session: Session, channel_id: int, room_id: int, *, for_update: bool = True
) -> RoomState:
    found = load_rooms(session, channel_id, ids=[room_id], for_update=for_update)
    if not found:
        raise NotFound(f"no room {room_id}", "see kchat rooms list")
    return found[0]


def _is_listed(state: tuple) -> bool:
    """Whether a room is on the lists: it has a message, is not left, and its user is not
    blocked (R-LEAVE-1, R-BLOCK-3)."""
    return (
        state[_LAST_MESSAGE_AT] is not None
        and state[_LEFT_AT] is None
        and state[_BLOCKED_AT] is None
    )


_channels, _counts = Channel.__table__, RoomCount.__table__
# The statements every write of rooms runs, built once.
_MOVE_COUNT = (
    _counts.update()
    .where(
        _counts.c.channel_id == sa.bindparam("channel"),
        _counts.c.status == sa.bindparam("of_status"),
    )
    .values(rooms=_counts.c.rooms + sa.bindparam("delta"))
)
_NEXT_REVISION = (
    _channels.update()
    .where(_channels.c.id == sa.bindparam("channel"))
    .values(
        revision=_channels.c.revision + 1,
        unread_total=_channels.c.unread_total + sa.bindparam("unread_delta"),
    )
    .returning(_channels.c.revision)
)


def _count_listed(session: Session, channel_id: int, changes: Counter[str]) -> None:
    """Move the channel's counts of listed rooms by status (store table room_counts)."""
    rows = [
        {"channel": channel_id, "of_status": status, "delta": delta}
        for status, delta in sorted(changes.items())
        if delta
    ]
    if rows:
        session.connection().execute(_MOVE_COUNT, rows)


_NEXT_REVISION_TOLD = _NEXT_REVISION.returning(change_told(_channels.c.id, _channels.c.revision))


def _bump_revision(session: Session, channel_id: int, unread_delta: int) -> int:
    """Take the channel's next revision, move its unread total, and (PostgreSQL) tell those
    watching the channel once this commits. The channel row stays locked until commit, so
    revisions, and the ids of messages inserted after this, follow commit order: `watch`
    reads them as a cursor without gaps."""
    told = session.get_bind().dialect.name == "postgresql"
    return (
        session.connection()
        .execute(
            _NEXT_REVISION_TOLD if told else _NEXT_REVISION,
            {"channel": channel_id, "unread_delta": unread_delta},
        )
        .scalar_one()
    )


_USER_RANGE = range(len(USER_FIELDS))
_ROOM_RANGE = range(len(USER_FIELDS), len(STATE_FIELDS))


def save_rooms(session: Session, channel_id: int, rooms, *, revise: bool = False) -> None:
    """Write back what changed, derive each status, move the channel total, and mark the
    changed rooms with the transaction's revision, taken here when a room changed or when
    `revise` (messages inserted after it follow commit order). Only the columns that
    changed in some room are written."""
    touched: list[RoomState] = []
    users_touched: list[RoomState] = []
    user_moved: set[int] = set()
    room_moved: set[int] = set()
    unread_delta = 0
    listed: Counter[str] = Counter()
    for room in rooms:
        room.status = derive_status(room)
        now, before = _snapshot(room), room.loaded
        if now == before:
            continue
        touched.append(room)
        unread_delta += room.counted_unread - (0 if before[_LEFT_AT] else before[_UNREAD])
        listed[before[_STATUS]] -= _is_listed(before)
        listed[now[_STATUS]] += _is_listed(now)
        moved = [index for index in _USER_RANGE if now[index] != before[index]]
        if moved:
            user_moved.update(moved)
            users_touched.append(room)
        room_moved.update(index for index in _ROOM_RANGE if now[index] != before[index])
        room.loaded = now
    if not (touched or revise):
        return
    revision = _bump_revision(session, channel_id, unread_delta)
    if not touched:
        return
    _count_listed(session, channel_id, listed)
    if users_touched:
        names = {index: STATE_FIELDS[index] for index in sorted(user_moved)}
        bulk_update(
            session,
            _users,
            [
                {"id": room.user_id, **{name: room.loaded[index] for index, name in names.items()}}
                for room in users_touched
            ],
        )
    # Every touched room gets the revision, who changed it and when, with the room columns
    # that changed in any.
    names = {index: STATE_FIELDS[index] for index in sorted(room_moved)}
    changed_at, changed_by = clock.now(), author(session)
    bulk_update(
        session,
        _rooms,
        [
            {
                "id": room.id,
                "revision": revision,
                "changed_at": changed_at,
                "changed_by": changed_by,
                **{name: room.loaded[index] for index, name in names.items()},
            }
            for room in touched
        ],
    )
