"""Exports, streamed: rows are read in chunks and written as they come, never all at once."""

from collections.abc import Iterator
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session

from kchat_cli.domain.listing import MESSAGE_COLUMNS, MESSAGE_FIELDS, message_record
from kchat_cli.store.models import Admin, Message, Room, User

EXPORT_CHUNK = 5000
EXPORT_MESSAGE_FIELDS = (*MESSAGE_FIELDS, "hidden")


def message_rows(
    session: Session,
    channel_id: int,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Iterator[dict]:
    """Every message of the channel in time order, hidden ones (R-BLOCK-1) marked."""
    users = dict(
        session.execute(
            sa.select(Room.id, User.key)
            .join(User, User.id == Room.user_id)
            .where(Room.channel_id == channel_id)
        ).all()
    )
    logins = dict(
        session.execute(
            sa.select(Admin.id, Admin.login).where(Admin.channel_id == channel_id)
        ).all()
    )
    query = (
        sa.select(*MESSAGE_COLUMNS, Message.admin_id, Message.hidden)
        .where(Message.channel_id == channel_id)
        .order_by(Message.ts, Message.id)
        .execution_options(yield_per=EXPORT_CHUNK)
    )
    if since is not None:
        query = query.where(Message.ts >= since)
    if until is not None:
        query = query.where(Message.ts < until)
    for row in session.execute(query):
        record = message_record(row[:10], users.get(row[1]), logins.get(row[10]))
        record["hidden"] = row[11]
        yield record
