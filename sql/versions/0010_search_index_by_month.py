"""SQLite's search index: one FTS5 table per calendar month (UTC) of message time instead
of one for all messages (see kchat_cli.store.search_index). PostgreSQL: nothing.

Retention drops a month's table whole once its messages have gone, instead of tokenizing
every deleted text again and merging the index. Triggers cannot pick a table by date, so
they go: kchat indexes the messages it writes itself. The tables are filled from the
messages, a month at a time.

Revision ID: 0010
Revises: 0009
"""

from datetime import UTC, datetime, timedelta

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

OPTIONS = "content='messages', content_rowid='id', tokenize='trigram', detail=none"
TRIGGERS = ("messages_fts_insert", "messages_fts_delete", "messages_fts_update")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for trigger in TRIGGERS:
        op.execute(f"DROP TRIGGER {trigger}")
    op.execute("DROP TABLE messages_fts")
    months = (
        op.get_bind()
        .exec_driver_sql(
            "SELECT DISTINCT strftime('%Y%m', ts / 1000000, 'unixepoch') FROM messages "
            "WHERE text IS NOT NULL"
        )
        .scalars()
    )
    for month in list(months):
        _fill_month(month)


def _fill_month(month: str) -> None:
    """`month` is YYYYMM; messages.ts holds microseconds since 1970 UTC (0008)."""
    start = datetime.strptime(month, "%Y%m").replace(tzinfo=UTC)
    end = start.replace(year=start.year + start.month // 12, month=start.month % 12 + 1)
    name = f"messages_fts_{month}"
    op.execute(f"CREATE VIRTUAL TABLE {name} USING fts5(text, {OPTIONS}, columnsize=0)")
    op.get_bind().exec_driver_sql(
        f"INSERT INTO {name} (rowid, text) SELECT id, text FROM messages "  # noqa: S608
        "WHERE channel_id IN (SELECT id FROM channels) AND ts >= ? AND ts < ? "
        "AND text IS NOT NULL",  # by channel: the messages' time index starts with it
        tuple((instant - EPOCH) // MICROSECOND for instant in (start, end)),
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    names = (
        op.get_bind()
        .exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name GLOB ?",
            ("messages_fts_" + "[0-9]" * 6,),
        )
        .scalars()
    )
    for name in list(names):
        op.execute(f"DROP TABLE {name}")
    op.execute(f"CREATE VIRTUAL TABLE messages_fts USING fts5(text, {OPTIONS}, columnsize=0)")
    op.execute("""
        CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages WHEN new.text IS NOT NULL
        BEGIN INSERT INTO messages_fts(rowid, text) VALUES (new.id, new.text); END""")
    op.execute("""
        CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages WHEN old.text IS NOT NULL
        BEGIN
            INSERT INTO messages_fts(messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
        END""")
    op.execute("""
        CREATE TRIGGER messages_fts_update AFTER UPDATE OF text ON messages BEGIN
            INSERT INTO messages_fts(messages_fts, rowid, text)
                SELECT 'delete', old.id, old.text WHERE old.text IS NOT NULL;
            INSERT INTO messages_fts(rowid, text)
                SELECT new.id, new.text WHERE new.text IS NOT NULL;
        END""")
    op.execute("INSERT INTO messages_fts(messages_fts) VALUES ('rebuild')")
