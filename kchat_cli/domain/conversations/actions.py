"""What admins do to rooms: read, complete, star, assign, block, leave, view, rename, memo
and send (R-READ-1, R-DONE-1, R-STAR-1, R-ASSIGN-1, R-BLOCK-*, R-LEAVE-*, R-ROOM-1,
R-SEND-*, R-COUPON-1, R-ADDREQ-1)."""

from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session

from kchat_cli import clock
from kchat_cli.domain.access import admins
from kchat_cli.domain.conversations import attachments, listing, replies, rooms
from kchat_cli.domain.conversations.conversation import Conversation
from kchat_cli.domain.conversations.rooms import RoomState
from kchat_cli.domain.hostile import storable
from kchat_cli.errors import Invalid, NotFound, Refused
from kchat_cli.store.dialect import bulk_insert
from kchat_cli.store.models import Completion, Coupon, Room

TEXT_LIMIT = 1000
MEMO_LIMIT = 1000
NAME_LIMIT = 50
ADD_REQUEST_TEXT = "채널을 추가하고 새 소식과 혜택을 받아보세요!"


def read(_session: Session, room: RoomState) -> None:
    rooms.mark_read(room)


class Complete:
    """R-DONE-1 for many rooms; each completion is kept (when the consultation began and
    ended) for reply-time reports."""

    def __init__(self, channel_id: int, now: datetime):
        self.channel_id, self.now = channel_id, now

    def prepare(self, _session: Session, _rooms: list[RoomState]) -> None:
        self.completed: list[dict] = []

    def __call__(self, _session: Session, room: RoomState) -> None:
        if room.completed_at is None:
            self.completed.append(
                {
                    "channel_id": self.channel_id,
                    "room_id": room.id,
                    "opened_at": room.opened_at,
                    "completed_at": self.now,
                }
            )
            rooms.complete(room, self.now)

    def finish(self, session: Session) -> None:
        bulk_insert(session, Completion.__table__, self.completed)


def reopen(_session: Session, room: RoomState) -> None:
    rooms.reopen(room)


def starrer(on: bool):
    return lambda _session, room: rooms.star(room, on)


class Assign:
    """R-ASSIGN-1: rooms to one admin of the channel, or to no one (login None). An unknown
    admin fails the whole command before any room changes."""

    def __init__(self, channel_id: int, login: str | None):
        self.channel_id, self.login = channel_id, login

    def prepare(self, session: Session, _rooms: list[RoomState]) -> None:
        self.admin_id = (
            None
            if self.login is None
            else admins.active_admin(session, self.channel_id, self.login).id
        )

    def __call__(self, _session: Session, room: RoomState) -> None:
        room.assignee_id = self.admin_id


def holder(on: bool):
    """Legal hold: retention skips a held room's messages."""

    def hold(session: Session, room: RoomState) -> bool:
        row = session.get(Room, room.id)
        if row.held == on:
            return False
        row.held = on
        return True

    return hold


def leaver(now: datetime, *, confirmed: bool):
    return lambda _session, room: rooms.leave(room, now, confirmed=confirmed)


def load_room(session: Session, channel_id: int, room_id: int) -> RoomState:
    found = rooms.load_rooms(session, channel_id, ids=[room_id])
    if not found:
        raise NotFound(f"no room {room_id}", "see kchat rooms list")
    return found[0]


def block(session: Session, channel_id: int, room_id: int, now: datetime) -> bool:
    """R-BLOCK-1: block the room's user. Returns False when they already were."""
    room = load_room(session, channel_id, room_id)
    was = room.blocked_at is not None
    rooms.block(room, now)
    rooms.save_rooms(session, channel_id, [room])
    return not was


def unblock(session: Session, channel_id: int, room_id: int) -> bool:
    room = load_room(session, channel_id, room_id)
    if room.blocked_at is None:
        return False
    rooms.unblock(room)
    rooms.save_rooms(session, channel_id, [room])
    return True


def view_room(
    session: Session, channel_id: int, room_id: int, *, limit: int, mark_read: bool
) -> dict:
    """The room record with its latest messages; viewing reads it unless told not to."""
    if mark_read:
        room = load_room(session, channel_id, room_id)
        rooms.mark_read(room)
        rooms.save_rooms(session, channel_id, [room])
    record = listing.room_record(session, channel_id, room_id)
    record["messages"] = listing.room_messages(session, channel_id, room_id, limit)
    return record


def rename(session: Session, channel_id: int, room_id: int, name: str) -> None:
    """R-ROOM-1: a name for admins; an empty one goes back to the user's nickname."""
    if len(name) > NAME_LIMIT:
        raise Invalid(f"the name has {len(name)} characters; the limit is {NAME_LIMIT}")
    _room_row(session, channel_id, room_id).name = storable(name.strip()) or None


def memo(session: Session, channel_id: int, room_id: int, text: str) -> None:
    """R-ROOM-1: a memo that survives retention; an empty one clears it."""
    if len(text) > MEMO_LIMIT:
        raise Invalid(f"the memo has {len(text)} characters; the limit is {MEMO_LIMIT}")
    _room_row(session, channel_id, room_id).memo = storable(text.strip()) or None


def _room_row(session: Session, channel_id: int, room_id: int) -> Room:
    room = session.scalar(sa.select(Room).where(Room.id == room_id, Room.channel_id == channel_id))
    if room is None:
        raise NotFound(f"no room {room_id}", "see kchat rooms list")
    return room


def check_text(text: str) -> str:
    """R-SEND-1: text up to 1,000 characters."""
    if not text.strip():
        raise Invalid("the message is empty")
    if len(text) > TEXT_LIMIT:
        raise Refused(f"the message has {len(text)} characters; the limit is {TEXT_LIMIT}")
    return storable(text)


def sendable_room(session: Session, channel_id: int, room_id: int) -> RoomState:
    room = load_room(session, channel_id, room_id)
    if room.blocked_at is not None:
        raise Refused(f"the user of room {room_id} is blocked", "unblock first, if you may")
    if room.left_at is not None:
        raise Refused(f"room {room_id} was left", "it comes back when the user writes again")
    return room


class Outgoing:
    """What an admin sends: exactly one of a text, a saved reply, an image, a file, a
    coupon or a channel-add request."""

    def __init__(
        self,
        *,
        text: str | None = None,
        reply: str | None = None,
        image: Path | None = None,
        file: Path | None = None,
        coupon: int | None = None,
        add_request: bool = False,
    ):
        given = [value for value in (text, reply, image, file, coupon) if value is not None]
        if len(given) + add_request != 1:
            raise Invalid("send one thing: a TEXT, --reply, --image, --file or --coupon")
        self.text, self.reply, self.image, self.file = text, reply, image, file
        self.coupon, self.add_request = coupon, add_request


def send(
    session: Session,
    channel_id: int,
    room_id: int,
    outgoing: Outgoing,
    *,
    admin_id: int,
    home: Path,
    now: datetime,
) -> dict:
    """An admin's message to the user: recorded with its admin (R-SEND-2), queued for
    delivery; a completed room is back in progress (R-DONE-1)."""
    room = sendable_room(session, channel_id, room_id)
    kind, text, file = "text", outgoing.text, None
    if outgoing.reply is not None:
        text = replies.text_of(session, channel_id, outgoing.reply)
    elif outgoing.image is not None or outgoing.file is not None:
        kind = "image" if outgoing.image is not None else "file"
        file = attachments.store(home, outgoing.image or outgoing.file, image=kind == "image")
    elif outgoing.coupon is not None:
        kind, text = "coupon", coupon_text(session, channel_id, room, outgoing.coupon, now)
    elif outgoing.add_request:
        if room.friend:
            raise Refused(
                f"{room.user_key} is already a friend of the channel",
                "R-ADDREQ-1: an add request goes to non-friends only",
            )
        kind, text = "add_request", ADD_REQUEST_TEXT
    if kind == "text":
        text = check_text(text)
    conversation = Conversation(session, channel_id, now)
    conversation.admin_message(room, admin_id=admin_id, ts=now, kind=kind, text=text, file=file)
    (message_id,) = conversation.flush()
    return listing.message_by_id(session, message_id)


def coupon_text(
    session: Session, channel_id: int, room: RoomState, coupon_id: int, now: datetime
) -> str:
    """R-COUPON-1: to a friend, while the coupon is valid."""
    coupon = session.scalar(
        sa.select(Coupon).where(Coupon.id == coupon_id, Coupon.channel_id == channel_id)
    )
    if coupon is None:
        raise NotFound(f"no coupon {coupon_id}", "see kchat coupons list")
    if coupon.valid_until < now:
        raise Refused(f"coupon {coupon_id} expired on {clock.kst_iso(coupon.valid_until)}")
    if not room.friend:
        raise Refused(
            f"{room.user_key} is not a friend of the channel: coupons go to friends",
            f"ask them to add the channel first: kchat rooms request-add {room.id}",
        )
    return f"[쿠폰] {coupon.name} · {coupon.benefit} · {_until(coupon.valid_until)}까지"


def _until(moment: datetime) -> str:
    """`2026-12-31` for a validity that ends at a Korea midnight (the day is included)."""
    local = clock.to_kst(moment)
    if (local.hour, local.minute, local.second) == (0, 0, 0):
        return (local - timedelta(days=1)).strftime("%Y-%m-%d")
    return local.strftime("%Y-%m-%d %H:%M")
