"""Korean full-text search over message text (R-SEARCH-1), with the filters of `rooms list`."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session

from kchat_cli.domain.actor import Actor
from kchat_cli.domain.conversations.listing import (
    MESSAGE_FIELDS,
    RoomFilter,
    message_record,
    message_select,
    rooms_query,
)
from kchat_cli.domain.paging import Page
from kchat_cli.errors import Invalid
from kchat_cli.store import tables
from kchat_cli.store.search_index import search_spans, text_contains

SEARCH_LIMIT = 200  # characters: longer patterns are too complex for SQLite's LIKE
# A hit is a message record, as everywhere, and names its room's customer, so that it can
# be acted on.
SEARCH_FIELDS = (*MESSAGE_FIELDS, "name")


def search(
    actor: Actor,
    text: str,
    *,
    rooms: RoomFilter | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    room: int | None = None,
) -> Page:
    """Messages whose text contains `text`, newest first (in one room, with `room`); hidden
    ones never. The spans of the search index are read newest first, until `limit` messages
    are found, and one more to learn whether the limit cuts them; those left out are not
    counted (a common word matches a million messages: the first page must not read them)."""
    session, channel_id = actor.db, actor.channel_id
    text = text.strip()
    if not text:
        raise Invalid("nothing to search for")
    if len(text) > SEARCH_LIMIT:
        raise Invalid(
            f"the text to search for has {len(text):,} characters; the limit is {SEARCH_LIMIT}"
        )
    spans = search_spans(session, since, until)
    found: list[dict] = []
    for first, last in spans:
        query = _query(session, channel_id, text, rooms, room, first, last)
        if limit:
            query = query.limit(limit + 1 - len(found))
        found += [message_record(row) for row in session.execute(query)]
        if limit and len(found) > limit:
            break
    cut = bool(limit) and len(found) > limit
    found = found[:limit] if cut else found
    names = _customer_names(session, {hit["room"] for hit in found})
    return Page([{**hit, "name": names.get(hit["room"])} for hit in found], cut=cut)


def _customer_names(session: Session, room_ids: set[int]) -> dict[int, str]:
    """Each room's name for admins, or else its customer's nickname."""
    if not room_ids:
        return {}
    rooms, users = tables.rooms.c, tables.users.c
    query = (
        sa.select(rooms.id, sa.func.coalesce(rooms.name, users.nickname))
        .join(tables.users, users.id == rooms.user_id)
        .where(rooms.id.in_(room_ids))
    )
    return dict(session.execute(query).all())


def _query(
    session: Session,
    channel_id: int,
    text: str,
    rooms: RoomFilter | None,
    room: int | None,
    since: datetime | None,
    until: datetime | None,
) -> sa.Select:
    query = (
        message_select()
        .where(
            tables.messages.c.channel_id == channel_id,
            tables.messages.c.hidden.is_(False),
            text_contains(
                session,
                tables.messages.c.id,
                tables.messages.c.text,
                text,
                since=since,
                until=until,
            ),
        )
        .order_by(tables.messages.c.ts.desc(), tables.messages.c.id.desc())
    )
    if rooms is not None:
        query = query.where(
            tables.messages.c.room_id.in_(
                rooms_query(session, channel_id, rooms, sa.select(tables.rooms.c.id))
            )
        )
    if room is not None:
        query = query.where(tables.messages.c.room_id == room)
    if since is not None:
        query = query.where(tables.messages.c.ts >= since)
    if until is not None:
        query = query.where(tables.messages.c.ts < until)
    return query
