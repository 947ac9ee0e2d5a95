"""Korean full-text search over message text (SPEC §7), with the filters of `rooms list`."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session

from kchat_cli.domain.listing import RoomFilter, message_record, message_select, rooms_query
from kchat_cli.errors import Invalid
from kchat_cli.store.dialect import text_contains
from kchat_cli.store.models import Message, Room


def search(session: Session, channel_id: int, text: str, *, rooms: RoomFilter | None,
           since: datetime | None, until: datetime | None, limit: int) -> list[dict]:  # fmt: skip
    """Messages whose text contains `text`, newest first; hidden ones never."""
    text = text.strip()
    if not text:
        raise Invalid("nothing to search for")
    query = (message_select()
             .where(Message.channel_id == channel_id, Message.hidden.is_(False),
                    text_contains(session, Message.id, Message.text, text, since=since,
                                  until=until))
             .order_by(Message.ts.desc(), Message.id.desc()))  # fmt: skip
    if rooms is not None:
        query = query.where(
            Message.room_id.in_(rooms_query(session, channel_id, rooms, sa.select(Room.id)))
        )
    if since is not None:
        query = query.where(Message.ts >= since)
    if until is not None:
        query = query.where(Message.ts < until)
    if limit:
        query = query.limit(limit)
    return [message_record(row) for row in session.execute(query)]
