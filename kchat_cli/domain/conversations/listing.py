"""Reading rooms and messages: filters (R-FILTER-1), room and message records.

SQLAlchemy Core over store.tables only, on an ORM session or a bare connection alike:
`rooms list` reads through here without the ORM on its way.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa

from kchat_cli.domain.actor import Actor
from kchat_cli.domain.paging import Page
from kchat_cli.errors import NotFound
from kchat_cli.store import tables
from kchat_cli.store.bulk import among

if TYPE_CHECKING:
    from sqlmodel import Session

ROOM_FIELDS = (
    "id",
    "user",
    "name",
    "friend",
    "status",
    "unread",
    "starred",
    "assignee",
    "labels",
    "last_message_at",
    "waiting_since",
    "blocked",
    "left",
    "legacy",
    "memo",
)
MESSAGE_FIELDS = ("id", "room", "user", "from", "admin", "kind", "text", "ts", "file")


@dataclass
class RoomFilter:
    status: str | None = None  # None: in-progress, or all for the left/blocked lists
    labels: list[str] = field(default_factory=list)
    assignee: str | None = None  # a login, or "none"
    since: datetime | None = None
    until: datetime | None = None
    starred: bool = False
    blocked: bool = False
    left: bool = False
    who: str | None = None  # in the customer's nickname, the room's name or the user key
    # How `who` matches: "contains" it, "exact"ly it, or "loose" (its characters in order,
    # others between them, as a room switcher finds)
    who_match: str = "contains"
    limit: int = 50  # 0: no limit

    @property
    def chosen(self) -> bool:
        """Whether it chooses some rooms rather than all of them."""
        return bool(
            self.labels
            or self.assignee
            or self.starred
            or self.blocked
            or self.left
            or self.status not in (None, "all")
            or self.since
            or self.until
            or self.who
        )

    @property
    def counted(self) -> bool:
        """Whether the channel's counts of listed rooms by status (room_counts) say how many
        rooms it chooses: it chooses by status alone."""
        return not (
            self.labels
            or self.assignee
            or self.starred
            or self.blocked
            or self.left
            or self.since
            or self.until
            or self.who
        )

    @property
    def effective_status(self) -> str:
        if self.status:
            return self.status
        return "all" if self.blocked or self.left else "in-progress"


_ROOM_COLUMNS = (
    tables.rooms.c.id,
    tables.users.c.key,
    tables.rooms.c.name,
    tables.users.c.nickname,
    tables.users.c.friend,
    tables.rooms.c.status,
    tables.rooms.c.unread,
    tables.rooms.c.starred,
    tables.rooms.c.assignee_id,
    tables.rooms.c.last_message_at,
    tables.rooms.c.waiting_since,
    tables.users.c.blocked_at,
    tables.rooms.c.left_at,
    tables.rooms.c.legacy,
    tables.rooms.c.memo,
)


def _filtered(query, session: Session, channel_id: int, filt: RoomFilter):
    """Apply a RoomFilter to a query over rooms joined with users."""
    query = query.where(
        tables.rooms.c.channel_id == channel_id, tables.rooms.c.last_message_at.is_not(None)
    )
    status = filt.effective_status
    if status == "in-progress":
        query = query.where(tables.rooms.c.status != "completed")
    elif status != "all":
        query = query.where(tables.rooms.c.status == status)
    query = query.where(
        tables.rooms.c.left_at.is_not(None) if filt.left else tables.rooms.c.left_at.is_(None)
    )
    query = query.where(
        tables.users.c.blocked_at.is_not(None)
        if filt.blocked
        else tables.users.c.blocked_at.is_(None)
    )
    if filt.starred:
        query = query.where(tables.rooms.c.starred.is_(True))
    if filt.since is not None:
        query = query.where(tables.rooms.c.last_message_at >= filt.since)
    if filt.until is not None:
        query = query.where(tables.rooms.c.last_message_at < filt.until)
    if filt.assignee == "none":
        query = query.where(tables.rooms.c.assignee_id.is_(None))
    elif filt.assignee is not None:
        query = query.where(
            tables.rooms.c.assignee_id == _admin_id(session, channel_id, filt.assignee)
        )
    if filt.who:
        query = query.where(_who(filt.who, filt.who_match))
    for label_id in _label_ids(session, channel_id, filt.labels):
        query = query.where(
            sa.exists().where(
                tables.room_labels.c.room_id == tables.rooms.c.id,
                tables.room_labels.c.label_id == label_id,
            )
        )
    return query


def _who(text: str, match: str):
    """The condition on the customer's nickname, the room's name or the user key."""
    columns = (tables.users.c.nickname, tables.rooms.c.name, tables.users.c.key)
    if match == "exact":
        return sa.or_(*(column == text for column in columns))
    escaped = [re.sub(r"([\\%_])", r"\\\1", char) for char in text]
    pattern = "%" + ("%" if match == "loose" else "").join(escaped) + "%"
    return sa.or_(*(column.ilike(pattern, escape="\\") for column in columns))


def _admin_id(session: Session, channel_id: int, login: str) -> int:
    admin_id = session.scalar(
        sa.select(tables.admins.c.id).where(
            tables.admins.c.channel_id == channel_id, tables.admins.c.login == login
        )
    )
    if admin_id is None:
        raise NotFound(f"no admin {login!r} in this channel", "see kchat admins list")
    return admin_id


def _label_ids(session: Session, channel_id: int, names: list[str]) -> list[int]:
    if not names:
        return []
    found = dict(
        session.execute(
            sa.select(tables.labels.c.name, tables.labels.c.id).where(
                tables.labels.c.channel_id == channel_id, tables.labels.c.name.in_(names)
            )
        ).all()
    )
    missing = [name for name in names if name not in found]
    if missing:
        raise NotFound(f"no label {missing[0]!r}", "see kchat labels list")
    return [found[name] for name in names]


def list_rooms(actor: Actor, filt: RoomFilter, *, sort: str = "newest") -> Page:
    """Rooms as room records: newest first (by their last message), or with sort "waiting"
    the longest-waiting first (by their oldest user message not yet answered), rooms
    nobody waits in last; with the count of all that match when the limit cuts them."""
    session, channel_id = actor.db, actor.channel_id
    query = sa.select(*_ROOM_COLUMNS).join(
        tables.users, tables.users.c.id == tables.rooms.c.user_id
    )
    query = _filtered(query, session, channel_id, filt)
    if sort == "waiting":
        query = query.order_by(tables.rooms.c.waiting_since.asc().nulls_last(), tables.rooms.c.id)
    else:
        query = query.order_by(tables.rooms.c.last_message_at.desc(), tables.rooms.c.id.desc())
    rows = list(session.execute(query.limit(filt.limit + 1) if filt.limit else query))
    cut = bool(filt.limit) and len(rows) > filt.limit
    total = _listed(session, channel_id, filt.effective_status) if cut and filt.counted else None
    return Page(_room_records(session, rows[: filt.limit or None]), total, cut=cut)


def _listed(session: Session, channel_id: int, status: str) -> int:
    """How many listed rooms the channel has in `status` (or in progress, or all), from the
    counts every change of a room keeps: nothing is counted here."""
    counts = tables.room_counts.c
    query = sa.select(sa.func.coalesce(sa.func.sum(counts.rooms), 0)).where(
        counts.channel_id == channel_id
    )
    if status == "in-progress":
        query = query.where(counts.status != "completed")
    elif status != "all":
        query = query.where(counts.status == status)
    return session.execute(query).scalar_one()


def rooms_query(session: Session, channel_id: int, filt: RoomFilter, query):
    """`query` (a select over rooms) restricted to the rooms `filt` chooses."""
    return _filtered(
        query.join(tables.users, tables.users.c.id == tables.rooms.c.user_id),
        session,
        channel_id,
        filt,
    )


def room_ids(session: Session, channel_id: int, filt: RoomFilter) -> list[int]:
    query = rooms_query(session, channel_id, filt, sa.select(tables.rooms.c.id)).order_by(
        tables.rooms.c.last_message_at.desc(), tables.rooms.c.id.desc()
    )
    if filt.limit:
        query = query.limit(filt.limit)
    return list(session.scalars(query))


def _room_records(session: Session, rows) -> list[dict]:
    ids = [row.id for row in rows]
    labels = _labels_of(session, ids)
    logins = _logins(session, {row.assignee_id for row in rows} - {None})
    # Unpacked in _ROOM_COLUMNS' order: a row's attributes cost a lookup each, and the
    # console draws two hundred rooms at every change.
    return [
        {
            "id": room_id,
            "user": key,
            "name": name or nickname,
            "friend": friend,
            "status": status,
            "unread": unread,
            "starred": starred,
            "assignee": logins.get(assignee_id),
            "labels": labels.get(room_id, []),
            "last_message_at": last_message_at,
            "waiting_since": waiting_since,
            "blocked": blocked_at is not None,
            "left": left_at is not None,
            "legacy": legacy,
            "memo": memo,
        }
        for (
            room_id,
            key,
            name,
            nickname,
            friend,
            status,
            unread,
            starred,
            assignee_id,
            last_message_at,
            waiting_since,
            blocked_at,
            left_at,
            legacy,
            memo,
        ) in rows
    ]


def _labels_of(session: Session, room_ids: list[int]) -> dict[int, list[str]]:
    labels: dict[int, list[str]] = defaultdict(list)
    if room_ids:
        query = (
            sa.select(tables.room_labels.c.room_id, tables.labels.c.name)
            .join(tables.labels, tables.labels.c.id == tables.room_labels.c.label_id)
            .where(among(session, tables.room_labels.c.room_id, room_ids))
            .order_by(tables.labels.c.name)
        )
        for room_id, name in session.execute(query):
            labels[room_id].append(name)
    return labels


def _logins(session: Session, admin_ids) -> dict[int, str]:
    if not admin_ids:
        return {}
    query = sa.select(tables.admins.c.id, tables.admins.c.login).where(
        tables.admins.c.id.in_(list(admin_ids))
    )
    return dict(session.execute(query).all())


def room_record(session: Session, channel_id: int, room_id: int) -> dict:
    query = (
        sa.select(*_ROOM_COLUMNS)
        .join(tables.users, tables.users.c.id == tables.rooms.c.user_id)
        .where(tables.rooms.c.channel_id == channel_id, tables.rooms.c.id == room_id)
    )
    rows = list(session.execute(query))
    if not rows:
        raise NotFound(f"no room {room_id}", "see kchat rooms list")
    return _room_records(session, rows)[0]


def room_messages(
    session: Session,
    channel_id: int,
    room_id: int,
    limit: int,
    *,
    after_seq: int | None = None,
    upto_seq: int | None = None,
) -> list[dict]:
    """The room's messages in the order they came (by their number, `seq`, which each record
    carries): the first `limit` (0: all) numbered after `after_seq`, or the last `limit`
    numbered up to `upto_seq`. Hidden ones (R-BLOCK-1) stay out."""
    messages = tables.messages.c
    query = message_select().add_columns(messages.seq)
    query = query.where(
        messages.room_id == room_id, messages.channel_id == channel_id, messages.hidden.is_(False)
    )
    if after_seq is not None:
        query = query.where(messages.seq > after_seq).order_by(messages.seq)
    else:
        query = query.where(messages.seq <= upto_seq).order_by(messages.seq.desc())
    if limit:
        query = query.limit(limit)
    rows = list(session.execute(query))
    if after_seq is None:
        rows.reverse()
    return [{**message_record(row), "seq": row.seq} for row in rows]


def visible_count(
    session: Session,
    channel_id: int,
    room_id: int,
    *,
    after_seq: int = 0,
    upto_seq: int | None = None,
) -> int:
    """How many of the room's messages (hidden ones left out) are numbered after `after_seq`
    (and up to `upto_seq`)."""
    messages = tables.messages.c
    query = sa.select(sa.func.count()).where(
        messages.room_id == room_id,
        messages.channel_id == channel_id,
        messages.hidden.is_(False),
        messages.seq > after_seq,
    )
    if upto_seq is not None:
        query = query.where(messages.seq <= upto_seq)
    return session.scalar(query)


def unread_after(session: Session, channel_id: int, room_id: int, seq: int) -> int:
    """How many user messages (hidden ones left out) are numbered after `seq` (R-UNR-1)."""
    messages = tables.messages.c
    return session.scalar(
        sa.select(sa.func.count()).where(
            messages.room_id == room_id,
            messages.channel_id == channel_id,
            messages.hidden.is_(False),
            messages.sender == "user",
            messages.seq > seq,
        )
    )


MESSAGE_COLUMNS = tuple(
    tables.messages.c[name]
    for name in (
        "id",
        "room_id",
        "sender",
        "kind",
        "text",
        "ts",
        "file_name",
        "file_size",
        "file_mime",
        "file_sha256",
    )
)


def message_select():
    return (
        sa.select(*MESSAGE_COLUMNS, tables.users.c.key, tables.admins.c.login)
        .join(tables.rooms, tables.rooms.c.id == tables.messages.c.room_id)
        .join(tables.users, tables.users.c.id == tables.rooms.c.user_id)
        .outerjoin(tables.admins, tables.admins.c.id == tables.messages.c.admin_id)
    )


def file_record(name: str | None, size: int | None, mime: str | None, sha256: str | None):
    """A message's file as its record nests it, or None for a message without one."""
    return None if name is None else {"name": name, "size": size, "mime": mime, "sha256": sha256}


def message_record(row, user_key: str | None = None, login: str | None = None) -> dict:
    """A message record from a row of MESSAGE_COLUMNS (then the user key and admin login,
    unless given)."""
    (message_id, room_id, sender, kind, text, ts, file_name, file_size, file_mime, file_sha256) = (
        row[:10]
    )
    if len(row) > 10:
        user_key, login = row[10], row[11]
    file = file_record(file_name, file_size, file_mime, file_sha256)
    return {
        "id": message_id,
        "room": room_id,
        "user": user_key,
        "from": sender,
        "admin": login,
        "kind": kind,
        "text": text,
        "ts": ts,
        "file": file,
    }


def message_by_id(session: Session, message_id: int) -> dict:
    query = message_select().where(tables.messages.c.id == message_id)
    return message_record(session.execute(query).one())


def records_of(session: Session, channel_id: int, ids: list[int]) -> list[dict]:
    """Room records of these rooms, in the order given."""
    query = (
        sa.select(*_ROOM_COLUMNS)
        .join(tables.users, tables.users.c.id == tables.rooms.c.user_id)
        .where(tables.rooms.c.id.in_(ids), tables.rooms.c.channel_id + 0 == channel_id)
    )
    by_id = {
        record["id"]: record for record in _room_records(session, list(session.execute(query)))
    }
    return [by_id[room_id] for room_id in ids if room_id in by_id]
