"""Exports, streamed: rows are read in chunks and written as they come, never all at once."""

from collections.abc import Iterator
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session

from kchat_cli.domain.listing import MESSAGE_COLUMNS, MESSAGE_FIELDS
from kchat_cli.store.dialect import korea_time_text
from kchat_cli.store.models import Admin, Message, Room, User

EXPORT_CHUNK = 5000
EXPORT_MESSAGE_FIELDS = (*MESSAGE_FIELDS, "hidden")


def message_rows(
    session: Session,
    channel_id: int,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Iterator[tuple]:
    """Every message of the channel in time order, hidden ones (R-BLOCK-1) marked: tuples in
    the order of EXPORT_MESSAGE_FIELDS, with `ts` already Korea-time text."""
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
    messages = Message.__table__
    columns = [korea_time_text(column) if column.name == "ts" else column
               for column in MESSAGE_COLUMNS]  # fmt: skip
    query = (
        sa.select(*columns, messages.c.admin_id, messages.c.hidden)
        .where(messages.c.channel_id == channel_id)
        .order_by(messages.c.ts, messages.c.id)
        .execution_options(yield_per=EXPORT_CHUNK)
    )
    if since is not None:
        query = query.where(messages.c.ts >= since)
    if until is not None:
        query = query.where(messages.c.ts < until)
    for (message_id, room_id, sender, kind, text, ts, file_name, file_size, file_mime,
         file_sha256, admin_id, hidden) in session.connection().execute(query):  # fmt: skip
        file = None if file_name is None else {
            "name": file_name, "size": file_size, "mime": file_mime, "sha256": file_sha256,
        }  # fmt: skip
        yield (message_id, room_id, users.get(room_id), sender, logins.get(admin_id), kind,
               text, ts, file, hidden)  # fmt: skip
