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
from kchat_cli.store.bulk import bulk_insert
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


def view_room(actor: Actor, room_id: int, *, limit: int, after_seq: int | None = None) -> dict:
    """The room record and up to `limit` (0: all) of its messages, in the order they came,
    each with its number `seq` and marked `new` when unread till now. The new ones come
    first: with more new messages than `limit`, the first `limit` of them are shown
    (`newer_not_shown` counts the rest); older ones fill what is left (`older_not_shown`
    counts those left out). With `after_seq`, only what came after that message number
    (what arrived since an earlier view).

    Viewing changes nothing. `read_through` is the number to pass to `mark_shown` once the
    messages have been shown: the shown new messages are exactly those up to it, so marking
    them never covers a message that was not shown (R-READ-1). `last_seq` numbers the last
    message shown (or where the look began, when none was)."""
    db, channel_id = actor.db, actor.channel_id
    room = rooms.load_room(db, channel_id, room_id, for_update=False)
    start = room.read_seq if after_seq is None else after_seq
    new = listing.room_messages(db, channel_id, room_id, limit, after_seq=start)
    last = new[-1]["seq"] if new else start
    older = []
    if after_seq is None and (not limit or len(new) < limit):
        room_left = limit - len(new) if limit else 0
        older = listing.room_messages(db, channel_id, room_id, room_left, upto_seq=start)
    shown = older + new
    record = listing.room_record(db, channel_id, room_id)
    record["older_not_shown"] = (
        0
        if after_seq is not None
        else listing.visible_count(db, channel_id, room_id, upto_seq=start) - len(older)
    )
    record["newer_not_shown"] = listing.visible_count(db, channel_id, room_id, after_seq=last)
    record["read_through"] = last if last > room.read_seq else None
    record["last_seq"] = last
    record["messages"] = [_shown(message, room.read_seq) for message in shown]
    return record


def room_record(actor: Actor, room_id: int) -> dict:
    """The room record alone, as `rooms list` has it."""
    return listing.room_record(actor.db, actor.channel_id, room_id)


def earlier_messages(actor: Actor, room_id: int, *, before_seq: int, limit: int) -> dict:
    """The `limit` messages that came just before message number `before_seq`, in the order
    they came (scrolling back in a room); reading nothing."""
    db, channel_id = actor.db, actor.channel_id
    room = rooms.load_room(db, channel_id, room_id, for_update=False)
    shown = listing.room_messages(db, channel_id, room_id, limit, upto_seq=before_seq - 1)
    return {
        "messages": [_shown(message, room.read_seq) for message in shown],
        "older_not_shown": listing.visible_count(db, channel_id, room_id, upto_seq=before_seq - 1)
        - len(shown),
    }


def mark_shown(actor: Actor, room_id: int, through: int | None) -> int:
    """R-READ-1 for what an admin has been shown: the room's messages numbered up to
    `through` are read, for every admin (R-UNR-2); later ones stay unread; None reads
    nothing (a peek). Returns how many messages became read."""
    room = rooms.load_room(actor.db, actor.channel_id, room_id)
    if through is None:
        return 0
    before = room.unread
    rooms.mark_read_through(
        room, through, listing.unread_after(actor.db, actor.channel_id, room_id, through)
    )
    rooms.save_rooms(actor.db, actor.channel_id, [room])
    return before - room.unread


def _shown(message: dict, read_seq: int) -> dict:
    """The message record (with its number, `seq`), marked new when it came after what had
    been read."""
    return {**message, "new": message["seq"] > read_seq}


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
