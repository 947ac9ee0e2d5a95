"""SQLite's search index: one FTS5 trigram table per calendar month (UTC) of message time,
`messages_fts_YYYYMM`, holding that month's message texts. PostgreSQL needs none of this:
its pg_trgm index on the text follows the messages by itself, so every function here does
nothing there.

Why by month: retention deletes messages oldest first, and a month whose messages have all
gone is dropped whole. Deleting a message from an FTS5 index otherwise means tokenizing its
text again, writing a delete entry for every piece, and merging the index so that no trace
of the text stays in the file: half of what retention spent. Triggers cannot choose a table
by date, so the one path that writes messages (Conversation.flush) indexes them through
`add`, and retention unindexes through `remove`, `restart` and `drop_or_rebuild`.

Invariant: every entry of a month's table is a message that exists, with that text, in
every committed state (search reads a match's text from the message): a table is changed
only in the transaction that changes its messages.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa

from kchat_cli.store.bulk import among
from kchat_cli.store.types import UTCDateTime

if TYPE_CHECKING:
    from sqlmodel import Session

PREFIX = "messages_fts_"
OPTIONS = "content='messages', content_rowid='id', tokenize='trigram', detail=none, columnsize=0"
# Pages of FTS5 merge work in one transaction: about 0.1 s.
MERGE_PAGES = 500


def month_of(ts: datetime) -> datetime:
    """The first instant of `ts`'s calendar month in UTC: the key of its table."""
    ts = ts.astimezone(UTC)
    return datetime(ts.year, ts.month, 1, tzinfo=UTC)


def next_month(start: datetime) -> datetime:
    if start.month == 12:
        return start.replace(year=start.year + 1, month=1)
    return start.replace(month=start.month + 1)


def table_name(month: datetime) -> str:
    """Made from a month, never from input: safe to put in SQL text."""
    return f"{PREFIX}{month:%Y%m}"


def _in_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def months(session: Session) -> list[datetime]:
    """The months that have a table, oldest first."""
    if not _in_sqlite(session):
        return []
    names = (
        session.connection()
        .exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name GLOB ?",
            (PREFIX + "[0-9]" * 6,),
        )
        .scalars()
    )
    return sorted(
        datetime.strptime(name.removeprefix(PREFIX), "%Y%m").replace(tzinfo=UTC) for name in names
    )


def _create(session: Session, month: datetime) -> None:
    session.connection().exec_driver_sql(
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {table_name(month)} USING fts5(text, {OPTIONS})"
    )


def _fill(session: Session, month: datetime, after_id: int = 0) -> None:
    """Index the month's messages with ids above `after_id`."""
    _create(session, month)
    session.connection().exec_driver_sql(
        f"INSERT INTO {table_name(month)} (rowid, text) SELECT id, text FROM messages "  # noqa: S608
        "WHERE id > ? AND ts >= ? AND ts < ? AND text IS NOT NULL",
        (after_id, *_bounds(session, month)),
    )


def _bounds(session: Session, month: datetime) -> tuple:
    """The month as stored values of `messages.ts`: its start, the next month's."""
    stored = UTCDateTime().bind_processor(session.get_bind().dialect)
    return stored(month), stored(next_month(month))


def last_id(session: Session) -> int:
    """The highest message id: messages inserted after this (in this write transaction)
    have higher ones."""
    if not _in_sqlite(session):
        return 0
    return session.connection().exec_driver_sql("SELECT max(id) FROM messages").scalar() or 0


def add(session: Session, after_id: int, times: Iterable[datetime]) -> None:
    """Index the messages just inserted (ids above `after_id`), whose times are `times`."""
    if _in_sqlite(session):
        for month in sorted({month_of(ts) for ts in times}):
            _fill(session, month, after_id)


def remove(session: Session, rows: Iterable[tuple[int, datetime, str]]) -> set[datetime]:
    """Unindex deleted messages, given as (id, ts, text); returns the months touched, whose
    tables keep delete entries until `merge`d."""
    if not _in_sqlite(session):
        return set()
    by_month: dict[datetime, list[tuple[int, str]]] = defaultdict(list)
    for message_id, ts, text in rows:
        by_month[month_of(ts)].append((message_id, text))
    existing = set(months(session))
    for month, entries in by_month.items():
        if month in existing:
            name = table_name(month)
            session.connection().exec_driver_sql(
                f"INSERT INTO {name} ({name}, rowid, text) VALUES ('delete', ?, ?)",  # noqa: S608
                entries,
            )
    return set(by_month) & existing


def drop_or_rebuild(session: Session, month: datetime) -> str:
    """After messages of `month` were deleted without `remove`: drop its table if no text
    is left, else index what is left afresh. Returns 'dropped' or 'rebuilt'. With secure_delete
    the freed pages are zeroed, so no trace of the deleted text stays."""
    connection = session.connection()
    connection.exec_driver_sql(f"DROP TABLE IF EXISTS {table_name(month)}")
    # By channel: the messages' time index starts with it.
    left = connection.exec_driver_sql(
        "SELECT 1 FROM messages WHERE channel_id IN (SELECT id FROM channels) "
        "AND ts >= ? AND ts < ? AND text IS NOT NULL LIMIT 1",
        _bounds(session, month),
    ).first()
    if left is None:
        return "dropped"
    _fill(session, month)
    return "rebuilt"


def restart(session: Session, month: datetime, rooms: list[int]) -> None:
    """Before deleting a month's messages without `remove`: drop its table, and index afresh
    only the messages of `rooms` (those kept), all in the deleting transaction. The index
    then never holds a message that is gone, whatever stops the work after."""
    connection = session.connection()
    connection.exec_driver_sql(f"DROP TABLE IF EXISTS {table_name(month)}")
    if not rooms:
        return
    _create(session, month)
    connection.exec_driver_sql(
        f"INSERT INTO {table_name(month)} (rowid, text) SELECT id, text FROM messages "  # noqa: S608
        "WHERE room_id IN (SELECT value FROM json_each(?)) AND ts >= ? AND ts < ? "
        "AND text IS NOT NULL",
        (json.dumps(rooms), *_bounds(session, month)),
    )


def merge(session: Session, month: datetime, pages: int = MERGE_PAGES) -> int:
    """One step of merging the month's table into one segment, about `pages` pages of work;
    returns the changes it made (under 2: it is one segment). FTS5 only marks deleted
    entries deleted; merging drops them, and secure_delete zeroes the pages they were on. A
    negative merge puts every segment on one level, so repeated steps leave what 'optimize'
    would, without one long transaction."""
    driver = session.connection().connection.driver_connection
    before = driver.total_changes
    name = table_name(month)
    step = f"INSERT INTO {name} ({name}, rank) VALUES ('merge', ?)"  # noqa: S608
    session.connection().exec_driver_sql(step, (-pages,))
    return driver.total_changes - before


def spans(
    session: Session, since: datetime | None, until: datetime | None
) -> list[tuple[datetime, datetime]]:
    """The months that have a table, newest first, as spans of time cut to `since` and
    `until`: a search reads them in turn and stops when it has found enough."""
    return [
        (max(month, since or month), min(next_month(month), until or next_month(month)))
        for month in reversed(_months_between(session, since, until))
    ]


def _months_between(
    session: Session, since: datetime | None, until: datetime | None
) -> list[datetime]:
    """The months that have a table and overlap the time from `since` to before `until`."""
    first = month_of(since) if since is not None else None
    return [
        month
        for month in months(session)
        if month >= (first or month) and month < (until or next_month(month))
    ]


def matching_ids(
    session: Session, text: str, *, since: datetime | None = None, until: datetime | None = None
) -> list[int]:
    """The ids of messages whose text contains `text` (three characters or more, no LIKE
    wildcards), from the tables of the months from `since` to before `until`."""
    tables = [
        sa.table(table_name(month), sa.column("rowid"), sa.column("text"))
        for month in _months_between(session, since, until)
    ]
    if not tables:
        return []
    query = sa.union_all(
        *(sa.select(table.c.rowid).where(table.c.text.like(f"%{text}%")) for table in tables)
    )
    return list(session.connection().execute(query).scalars())


def like_pattern(text: str) -> str:
    """`%text%` with LIKE's own wildcards escaped (by backslash)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_spans(
    session: Session, since: datetime | None, until: datetime | None
) -> list[tuple[datetime | None, datetime | None]]:
    """The spans of time a search reads in turn, newest first, each served by one piece of
    the search index: SQLite's months that have messages with text (search_index), or
    PostgreSQL's whole range."""
    if session.get_bind().dialect.name == "sqlite":
        return spans(session, since, until)
    return [(since, until)]


def text_contains(
    session: Session,
    id_column,
    text_column,
    text: str,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
):
    """A condition: the text contains `text`, ignoring case, by the search index where it
    can help. SQLite: the FTS5 trigram tables (search_index) answer three characters or
    more (they hold three-character pieces), those of the months from `since` to `until`
    only; shorter text (`환불`) is looked for by LIKE over the messages. PostgreSQL: ILIKE,
    which the pg_trgm GIN index serves."""
    pattern = like_pattern(text)
    if session.get_bind().dialect.name == "postgresql":
        return text_column.ilike(pattern, escape="\\")
    if len(text) >= 3 and not any(char in text for char in "%_\\"):
        # The index's matches first, as a list: given them as a subquery, SQLite walks the
        # whole time index probing each message (a third of a second for a rare word).
        ids = matching_ids(session, text, since=since, until=until)
        return among(session, id_column, ids) if ids else sa.false()
    return text_column.like(pattern, escape="\\")
