"""What admins do to rooms besides sending: read, complete, reopen, star, assign, hold and
leave them, many at a time (R-READ-1, R-DONE-1, R-STAR-1, R-ASSIGN-1, R-LEAVE-1/2); view,
rename and keep a memo on one (R-ROOM-1); block and unblock its user (R-BLOCK-1…3)."""

import sqlalchemy as sa

from kchat_cli.domain.access import admins
from kchat_cli.domain.actor import Actor
from kchat_cli.domain.conversations import listing, rooms
from kchat_cli.domain.conversations.bulk import RoomAction, parse_room_ids
from kchat_cli.domain.conversations.rooms import RoomState
from kchat_cli.domain.hostile import storable
from kchat_cli.errors import Invalid, NotFound
from kchat_cli.store.dialect import bulk_insert
from kchat_cli.store.models import Completion, Room

MEMO_LIMIT = 1000
NAME_LIMIT = 50


class Read(RoomAction):
    """R-READ-1, R-UNR-2: read for every admin."""

    def __call__(self, actor: Actor, room: RoomState) -> None:
        rooms.mark_read(room)


class Complete(RoomAction):
    """R-DONE-1; each completion is kept (when the consultation began and ended) for
    reply-time reports."""

    def prepare(self, actor: Actor, batch: list[RoomState]) -> None:
        self.completed: list[dict] = []

    def __call__(self, actor: Actor, room: RoomState) -> None:
        if room.completed_at is None:
            self.completed.append(
                {
                    "channel_id": actor.channel_id,
                    "room_id": room.id,
                    "opened_at": room.opened_at,
                    "completed_at": actor.now,
                }
            )
            rooms.complete(room, actor.now)

    def finish(self, actor: Actor) -> None:
        bulk_insert(actor.db, Completion.__table__, self.completed)


class Reopen(RoomAction):
    def __call__(self, actor: Actor, room: RoomState) -> None:
        rooms.reopen(room)


class Star(RoomAction):
    """R-STAR-1: the important mark, on or off."""

    def __init__(self, on: bool):
        self.on = on

    def __call__(self, actor: Actor, room: RoomState) -> None:
        rooms.star(room, self.on)


class Assign(RoomAction):
    """R-ASSIGN-1: to one admin of the channel, or to no one (login None). An unknown admin
    fails the whole command before any room changes."""

    def __init__(self, login: str | None):
        self.login = login

    def prepare(self, actor: Actor, batch: list[RoomState]) -> None:
        self.admin_id = (
            None
            if self.login is None
            else admins.active_admin(actor.db, actor.channel_id, self.login).id
        )

    def __call__(self, actor: Actor, room: RoomState) -> None:
        room.assignee_id = self.admin_id


class Hold(RoomAction):
    """Legal hold, on or off: retention skips a held room's messages."""

    def __init__(self, on: bool):
        self.on = on

    def __call__(self, actor: Actor, room: RoomState) -> bool:
        row = actor.db.get(Room, room.id)
        if row.held == self.on:
            return False
        row.held = self.on
        return True


class Leave(RoomAction):
    """R-LEAVE-1; leaving a blocked user's room makes the block permanent, only when
    `confirmed` (R-LEAVE-2)."""

    def __init__(self, *, confirmed: bool):
        self.confirmed = confirmed

    def __call__(self, actor: Actor, room: RoomState) -> None:
        rooms.leave(room, actor.now, confirmed=self.confirmed)


def blocked_among(actor: Actor, tokens: list[str]) -> int:
    """How many of the rooms named are blocked users' rooms not yet left for good: leaving
    them would make their blocks permanent (R-LEAVE-2)."""
    ids, _ = parse_room_ids(tokens)
    found = rooms.load_rooms(actor.db, actor.channel_id, ids=ids, for_update=False)
    return sum(room.blocked_at is not None and not room.block_permanent for room in found)


def block(actor: Actor, room_id: int) -> bool:
    """R-BLOCK-1: block the room's user. Returns False when they already were."""
    room = rooms.load_room(actor.db, actor.channel_id, room_id)
    was = room.blocked_at is not None
    rooms.block(room, actor.now)
    rooms.save_rooms(actor.db, actor.channel_id, [room])
    return not was


def unblock(actor: Actor, room_id: int) -> bool:
    room = rooms.load_room(actor.db, actor.channel_id, room_id)
    if room.blocked_at is None:
        return False
    rooms.unblock(room)
    rooms.save_rooms(actor.db, actor.channel_id, [room])
    return True


def view_room(actor: Actor, room_id: int, *, limit: int, mark_read: bool) -> dict:
    """The room record and its messages, each marked `new` when unread till now. Viewing
    reads what it shows, and only that, unless told not to (R-READ-1): with more unread
    messages than `limit`, the oldest unread ones are shown and the newer stay unread
    (`newer_not_shown`); otherwise the latest `limit` (`older_not_shown` counts the rest)."""
    db, channel_id = actor.db, actor.channel_id
    room = rooms.load_room(db, channel_id, room_id)
    read_seq, unread = room.read_seq, room.unread
    if limit and unread > limit:
        messages = listing.room_messages(db, channel_id, room_id, limit, after_seq=read_seq)
        older, newer = 0, listing.visible_count(db, channel_id, room_id, after_seq=_last(messages))
    else:
        messages = listing.room_messages(db, channel_id, room_id, limit)
        older = listing.visible_count(db, channel_id, room_id) - len(messages)
        newer = 0
    if mark_read and unread:
        rooms.mark_read_through(
            room, _last(messages), listing.unread_after(db, channel_id, room_id, _last(messages))
        )
        rooms.save_rooms(db, channel_id, [room])
    record = listing.room_record(db, channel_id, room_id)
    record["messages"] = [_shown(message, read_seq) for message in messages]
    record["older_not_shown"], record["newer_not_shown"] = older, newer
    return record


def _shown(message: dict, read_seq: int) -> dict:
    """The message record, marked new when it came after what had been read."""
    seq = message.pop("seq")
    return {**message, "new": seq > read_seq}


def _last(messages: list[dict]) -> int:
    return max((message["seq"] for message in messages), default=0)


def rename(actor: Actor, room_id: int, name: str) -> None:
    """R-ROOM-1: a name for admins; an empty one goes back to the user's nickname."""
    if len(name) > NAME_LIMIT:
        raise Invalid(f"the name has {len(name)} characters; the limit is {NAME_LIMIT}")
    _room_row(actor, room_id).name = storable(name.strip()) or None


def memo(actor: Actor, room_id: int, text: str) -> None:
    """R-ROOM-1: a memo that survives retention; an empty one clears it."""
    if len(text) > MEMO_LIMIT:
        raise Invalid(f"the memo has {len(text)} characters; the limit is {MEMO_LIMIT}")
    _room_row(actor, room_id).memo = storable(text.strip()) or None


def _room_row(actor: Actor, room_id: int) -> Room:
    room = actor.db.scalar(
        sa.select(Room).where(Room.id == room_id, Room.channel_id == actor.channel_id)
    )
    if room is None:
        raise NotFound(f"no room {room_id}", "see kchat rooms list")
    return room
