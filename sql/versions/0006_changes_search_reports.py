"""A change cursor for watch, read marks for exact unread counts, completions for reports,
and the Korean full-text search index (SQLite FTS5 trigram; PostgreSQL pg_trgm GIN).

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _counter(name: str) -> sa.Column:
    return sa.Column(name, sa.Integer(), nullable=False, server_default="0")


def upgrade() -> None:
    op.add_column("channels", _counter("revision"))
    for column in ("seq", "read_seq", "revision"):
        op.add_column("rooms", _counter(column))
    op.add_column("rooms", sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_rooms_revision", "rooms", ["channel_id", "revision"])
    op.add_column("messages", sa.Column("seq", sa.Integer(), nullable=True))
    op.create_table(
        "completions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("channel_id", sa.Integer(), sa.ForeignKey("channels.id"), nullable=False),
        sa.Column("room_id", sa.Integer(), sa.ForeignKey("rooms.id"), nullable=False, index=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Index("ix_completions_channel_at", "channel_id", "completed_at"),
    )
    _number_existing_messages()
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_search()
    else:
        _postgresql_search()


def _number_existing_messages() -> None:
    """Messages get their number in the room, in arrival order; a room's read mark goes
    just before its unread user messages (the newest `unread` of them)."""
    op.execute("""
        UPDATE messages SET seq = numbered.n
        FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY room_id ORDER BY id) AS n
              FROM messages) AS numbered
        WHERE messages.id = numbered.id""")
    op.execute("""
        UPDATE rooms SET seq = counted.n, read_seq = counted.n
        FROM (SELECT room_id, MAX(seq) AS n FROM messages GROUP BY room_id) AS counted
        WHERE rooms.id = counted.room_id""")
    op.execute("""
        UPDATE rooms SET read_seq = ranked.seq - 1
        FROM (SELECT room_id, seq, ROW_NUMBER() OVER (PARTITION BY room_id ORDER BY seq DESC)
                     AS k
              FROM messages WHERE sender = 'user' AND hidden = false) AS ranked
        WHERE rooms.id = ranked.room_id AND rooms.unread > 0 AND ranked.k = rooms.unread""")


def _sqlite_search() -> None:
    # External content (the text stays in messages), trigram tokens (Korean has no spaces to
    # split on), no positions (substring search checks candidates against the text).
    op.execute("""
        CREATE VIRTUAL TABLE messages_fts USING fts5(
            text, content='messages', content_rowid='id', tokenize='trigram', detail=none)""")
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


def _postgresql_search() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema = (
        op.get_bind()
        .exec_driver_sql("""
        SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
        WHERE e.extname = 'pg_trgm'""")
        .scalar()
    )
    op.execute(
        f'CREATE INDEX ix_messages_text_trgm ON messages USING gin (text "{schema}".gin_trgm_ops)'
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("messages_fts_insert", "messages_fts_delete", "messages_fts_update"):
            op.execute(f"DROP TRIGGER {trigger}")
        op.execute("DROP TABLE messages_fts")
    else:
        op.execute("DROP INDEX ix_messages_text_trgm")
    op.drop_table("completions")
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("seq")
    op.drop_index("ix_rooms_revision", "rooms")
    with op.batch_alter_table("rooms") as batch:
        for column in ("opened_at", "revision", "read_seq", "seq"):
            batch.drop_column(column)
    with op.batch_alter_table("channels") as batch:
        batch.drop_column("revision")
