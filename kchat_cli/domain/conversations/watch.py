"""Following the channel live (R-SYNC-1, R-UNR-3): new user messages and room changes, for
any number of admins at once.

The cursor is the channel's revision and the newest message id seen. Both follow commit
order (see rooms.save_rooms), so reading past the cursor after any wait, or after a lost
connection, misses nothing and repeats no message.
"""

import threading
from collections.abc import Iterator
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session

from kchat_cli.domain.conversations.listing import message_record, message_select, records_of
from kchat_cli.store import tables
from kchat_cli.store.batches import Batches
from kchat_cli.store.wakeups import change_channel

EVENT_FIELDS = (
    "type",
    "id",
    "room",
    "user",
    "name",
    "from",
    "text",
    "ts",
    "status",
    "unread",
    "assignee",
    "by",
)


@dataclass
class Cursor:
    revision: int
    message_id: int


def start(session: Session, channel_id: int) -> Cursor:
    revision = session.scalar(
        sa.select(tables.channels.c.revision).where(tables.channels.c.id == channel_id)
    )
    newest = session.scalar(
        sa.select(sa.func.max(tables.messages.c.id)).where(
            tables.messages.c.channel_id == channel_id
        )
    )
    return Cursor(revision, newest or 0)


def changes(session: Session, channel_id: int, cursor: Cursor) -> tuple[list[dict], Cursor]:
    """What happened after `cursor`, read in one snapshot: user messages, then rooms."""
    revision = session.scalar(
        sa.select(tables.channels.c.revision).where(tables.channels.c.id == channel_id)
    )
    if revision <= cursor.revision:
        return [], cursor
    rows = session.execute(
        message_select()
        .where(
            tables.messages.c.channel_id == channel_id,
            tables.messages.c.id > cursor.message_id,
            tables.messages.c.sender == "user",
            tables.messages.c.hidden.is_(False),
        )
        .order_by(tables.messages.c.id)
    ).all()
    changed = {
        room_id: (changed_at, changed_by)
        for room_id, changed_at, changed_by in session.execute(
            sa.select(tables.rooms.c.id, tables.rooms.c.changed_at, tables.rooms.c.changed_by)
            .where(
                tables.rooms.c.channel_id == channel_id,
                tables.rooms.c.revision > cursor.revision,
                tables.rooms.c.revision <= revision,
            )
            .order_by(tables.rooms.c.revision, tables.rooms.c.id)
        )
    }
    rooms = records_of(session, channel_id, list(changed))
    names = {room["id"]: room["name"] for room in rooms}
    events = [
        _event("message", message, name=names.get(message["room"]))
        for message in map(message_record, rows)
    ]
    events += [_room_event(room, *changed[room["id"]]) for room in rooms]
    newest = rows[-1][0] if rows else cursor.message_id
    return events, Cursor(revision, newest)


def _room_event(room: dict, changed_at, changed_by: str | None) -> dict:
    """A room that changed: when and by whom (rooms last changed before kchat kept that:
    as of their last message, by no one known)."""
    return _event(
        "room", room, room=room["id"], ts=changed_at or room["last_message_at"], by=changed_by
    )


def _event(kind: str, record: dict, **extra) -> dict:
    """An event with every field of EVENT_FIELDS, those it lacks as None."""
    values = {**record, **extra}
    return {"type": kind, **{name: values.get(name) for name in EVENT_FIELDS[1:]}}


def follow(batches: Batches, channel_id: int, *, wait: float = 5.0) -> Iterator[dict]:
    """Events as they happen, forever. A lost store is waited for and read from where it
    was left."""
    for batch in follow_batches(batches, channel_id, wait=wait):
        yield from batch


def follow_batches(
    batches: Batches,
    channel_id: int,
    *,
    wait: float = 5.0,
    cursor: Cursor | None = None,
    stop: threading.Event | None = None,
) -> Iterator[list]:
    """What happened after `cursor` (by default, now), a batch of events per look at the
    store (never an empty one), for a reader that acts once per batch, as the console
    redraws once after a burst; until `stop` is set (within `wait` seconds)."""
    listener = batches.listener(change_channel(channel_id))
    if cursor is None:
        with batches.read() as session:
            cursor = start(session, channel_id)
    try:
        while stop is None or not stop.is_set():
            try:
                with batches.snapshot() as session:
                    events, cursor = changes(session, channel_id, cursor)
            except sa.exc.OperationalError:
                listener.close()
                listener.wait(wait)
                continue
            if events:
                yield events
            listener.wait(wait)
    finally:
        listener.close()
