"""SQLite keeps times as integers, microseconds since 1970-01-01 UTC, instead of text
(`YYYY-MM-DD HH:MM:SS.ffffff`, naive UTC). PostgreSQL keeps `timestamptz`: nothing to do.

Eight bytes instead of 26 halve the messages' time indexes, and with them what retention
writes (it deletes a room's index entries at random). Every column declared DATETIME is
converted in place, so its indexes are rebuilt; a store of a million messages takes seconds.

Revision ID: 0008
Revises: 0007
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# Only values still in the other form are converted: a half-converted store (impossible in
# one transaction, but cheap to allow) converts the rest.
TO_INTEGER = (
    "CAST(strftime('%s', {c}) AS INTEGER) * 1000000"
    " + CAST(substr(substr({c}, 21) || '000000', 1, 6) AS INTEGER)",  # any digits of fraction
    "text",
)
TO_TEXT = (
    "strftime('%Y-%m-%d %H:%M:%S', {c} / 1000000, 'unixepoch') || '.' "
    "|| printf('%06d', {c} % 1000000)",
    "integer",
)


def upgrade() -> None:
    _convert(*TO_INTEGER)


def downgrade() -> None:
    _convert(*TO_TEXT)


def _convert(expression: str, stored_as: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    columns = bind.exec_driver_sql("""
        SELECT m.name, p.name FROM sqlite_master AS m, pragma_table_info(m.name) AS p
        WHERE m.type = 'table' AND p.type = 'DATETIME'""").all()
    quote = bind.dialect.identifier_preparer.quote
    for table, column in columns:
        c = quote(column)
        value = expression.format(c=c)
        op.execute(
            f"UPDATE {quote(table)} SET {c} = {value} "  # noqa: S608 (names from the schema)
            f"WHERE typeof({c}) = '{stored_as}'"
        )
