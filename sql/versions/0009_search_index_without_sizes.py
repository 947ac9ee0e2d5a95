"""SQLite's search index keeps no column sizes (FTS5 `columnsize=0`). PostgreSQL: nothing.

FTS5 keeps each message's token count in a table of its own, for ranking functions kchat
does not use (search finds every match, newest first). Every message written and deleted
wrote and deleted a row there: dropping it saves ingest and retention a row per message,
and the store twelve megabytes per million messages. The index is rebuilt from the
messages; its triggers name it only, so they stay.

Revision ID: 0009
Revises: 0008
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

OPTIONS = "content='messages', content_rowid='id', tokenize='trigram', detail=none"


def upgrade() -> None:
    _rebuild(f"{OPTIONS}, columnsize=0")


def downgrade() -> None:
    _rebuild(OPTIONS)


def _rebuild(options: str) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("DROP TABLE messages_fts")
    op.execute(f"CREATE VIRTUAL TABLE messages_fts USING fts5(text, {options})")
    op.execute("INSERT INTO messages_fts(messages_fts) VALUES ('rebuild')")
