"""What admins do to rooms: read, complete, reopen, view, send (R-READ-1, R-DONE-1, R-SEND-1)."""

from datetime import datetime

from sqlmodel import Session

from kchat_cli.domain import listing, rooms
from kchat_cli.domain.conversation import Conversation
from kchat_cli.domain.rooms import RoomState
from kchat_cli.errors import Invalid, NotFound, Refused

TEXT_LIMIT = 1000


def read(_session: Session, room: RoomState) -> None:
    rooms.mark_read(room)


def completer(now: datetime):
    def complete(_session: Session, room: RoomState) -> None:
        if room.completed_at is None:
            rooms.complete(room, now)

    return complete


def reopen(_session: Session, room: RoomState) -> None:
    rooms.reopen(room)


def load_room(session: Session, channel_id: int, room_id: int) -> RoomState:
    found = rooms.load_rooms(session, channel_id, ids=[room_id])
    if not found:
        raise NotFound(f"no room {room_id}", "see kchat rooms list")
    return found[0]


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


def check_text(text: str) -> str:
    """R-SEND-1: text up to 1,000 characters."""
    if not text.strip():
        raise Invalid("the message is empty")
    if len(text) > TEXT_LIMIT:
        raise Refused(f"the message has {len(text)} characters; the limit is {TEXT_LIMIT}")
    return text


def sendable_room(session: Session, channel_id: int, room_id: int) -> RoomState:
    room = load_room(session, channel_id, room_id)
    if room.left_at is not None:
        raise Refused(f"room {room_id} was left", "it comes back when the user writes again")
    return room


def send_text(
    session: Session, channel_id: int, room_id: int, *, admin_id: int, text: str, now: datetime
) -> dict:
    """An admin's text to the user: recorded with its admin, queued for delivery."""
    check_text(text)
    room = sendable_room(session, channel_id, room_id)
    conversation = Conversation(session, channel_id, now)
    conversation.admin_message(room, admin_id=admin_id, ts=now, text=text)
    (message_id,) = conversation.flush()
    return listing.message_by_id(session, message_id)
