"""Exports, streamed: rows are read in chunks and written as they come, never all at once."""

import itertools
from collections.abc import Iterator
from datetime import datetime
from functools import partial

import sqlalchemy as sa

from kchat_cli import collector
from kchat_cli.domain.actor import Actor
from kchat_cli.domain.conversations.listing import (
    MESSAGE_FIELDS,
    ROOM_FIELDS,
    RoomFilter,
    file_record,
    records_of,
    room_ids,
)
from kchat_cli.domain.hostile import FORMULA_STARTS
from kchat_cli.domain.personal_data import pii
from kchat_cli.store.bulk import driver_rows
from kchat_cli.store.expressions import korea_time_text, spreadsheet_text
from kchat_cli.store.models import Admin, Message, Room, User

EXPORT_CHUNK = 5000
FILE_FIELDS = ("name", "size", "mime", "sha256")
# Flat, for spreadsheets: the message record's fields, its file's in columns of their own.
FLAT_MESSAGE_FIELDS = (*MESSAGE_FIELDS[:-1], *(f"file_{name}" for name in FILE_FIELDS))


def message_fields(*, include_hidden: bool, spreadsheet: bool) -> tuple[str, ...]:
    """The message record's fields (its file nested), or flat for a spreadsheet."""
    fields = FLAT_MESSAGE_FIELDS if spreadsheet else MESSAGE_FIELDS
    return (*fields, "hidden") if include_hidden else fields


def message_rows(
    actor: Actor,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    rooms: RoomFilter | None = None,
    include_hidden: bool = False,
    spreadsheet: bool = False,
) -> Iterator[tuple]:
    """The channel's messages in time order as tuples in the order of `message_fields`, the
    time as Korea-time text from the database; only those of the rooms `rooms` chooses, when
    given. Hidden messages (a blocked user's, R-BLOCK-1) only with `include_hidden`. For a
    `spreadsheet`, the file's fields are flat and text that would run as a formula is
    defused (R-INPUT-1); otherwise the file is nested, as in every message record."""
    session, channel_id = actor.db, actor.channel_id
    text = (
        (lambda column: spreadsheet_text(column, FORMULA_STARTS))
        if spreadsheet
        else (lambda column: column)
    )
    user_keys = dict(
        itertools.chain.from_iterable(
            driver_rows(
                session,
                sa.select(Room.id, text(User.key))
                .join(User, User.id == Room.user_id)
                .where(Room.channel_id == channel_id),
                EXPORT_CHUNK,
            )
        )
    )
    logins = dict(
        session.execute(
            sa.select(Admin.id, Admin.login).where(Admin.channel_id == channel_id)
        ).all()
    )
    messages = Message.__table__
    query = (
        sa.select(
            messages.c.id,
            messages.c.room_id,
            messages.c.sender,
            messages.c.admin_id,
            messages.c.kind,
            text(messages.c.text),
            korea_time_text(messages.c.ts),
            text(messages.c.file_name),
            messages.c.file_size,
            text(messages.c.file_mime),
            messages.c.file_sha256,
            messages.c.hidden,
        )
        .where(messages.c.channel_id == channel_id)
        .order_by(messages.c.ts, messages.c.id)
    )
    if not include_hidden:
        query = query.where(messages.c.hidden.is_(False))
    if since is not None:
        query = query.where(messages.c.ts >= since)
    if until is not None:
        query = query.where(messages.c.ts < until)
    chosen = None if rooms is None else set(room_ids(session, channel_id, rooms))
    chunks = driver_rows(session, query, EXPORT_CHUNK)
    shape = partial(
        _shaped, user_keys=user_keys, logins=logins, flat=spreadsheet, hidden=include_hidden
    )
    return itertools.chain.from_iterable(_chosen_chunks(chunks, chosen, shape))  # no frame a row


def _chosen_chunks(chunks, chosen: set | None, shape) -> Iterator:
    """Each chunk's rows of the `chosen` rooms (all, for None), shaped."""
    with collector.paused():
        for chunk in chunks:
            if chosen is not None:
                chunk = [row for row in chunk if row[1] in chosen]
            if chunk:
                yield shape(chunk)


def _shaped(chunk: list[tuple], *, user_keys: dict, logins: dict, flat: bool, hidden: bool):
    """A chunk of message rows in the order of `message_fields`, built a column at a time
    (in C loops: a Python loop over each row's values took a tenth of an export)."""
    ids, rooms, senders, admins, kinds, texts, times, *file, hiddens = zip(*chunk, strict=True)
    files = file if flat else (map(file_record, *file),)
    extra = (map(bool, hiddens),) if hidden else ()
    keys, names = map(user_keys.get, rooms), map(logins.get, admins)
    return zip(ids, rooms, keys, senders, names, kinds, texts, times, *files, *extra, strict=True)


def room_fields(*, include_pii: bool) -> tuple[str, ...]:
    return (*ROOM_FIELDS, "customer_info") if include_pii else ROOM_FIELDS


def room_rows(actor: Actor, filt: RoomFilter, include_pii: bool = False) -> Iterator[dict]:
    """Room records chosen by `filt`, newest first, read a chunk at a time; with
    `include_pii`, each with the customer info its user gave, opened (personal data:
    audited by the caller)."""
    session, channel_id = actor.db, actor.channel_id
    sealer = actor.sealer() if include_pii else None
    ids = room_ids(session, channel_id, filt)
    info = {} if sealer is None else pii.opened_by_room(session, channel_id, sealer)
    for start in range(0, len(ids), EXPORT_CHUNK):
        for record in records_of(session, channel_id, ids[start : start + EXPORT_CHUNK]):
            if sealer is not None:
                record["customer_info"] = info.get(record["id"])
            yield record
