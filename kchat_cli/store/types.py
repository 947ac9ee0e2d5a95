"""Column types shared by the models and the migrations."""

from datetime import UTC, datetime

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator):
    """An aware UTC datetime on every dialect.

    PostgreSQL keeps `timestamptz`. SQLite has no zones: the value is stored as naive UTC
    text, `YYYY-MM-DD HH:MM:SS.ffffff` (SQLAlchemy's own layout, so text order is time
    order), and given its zone back when read. The SQLite conversions are done here with
    the C `isoformat`/`fromisoformat`, several times faster than the generic processors,
    because ingest and export move millions of timestamps.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def bind_processor(self, dialect):
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)
        return _sqlite_bind

    def result_processor(self, dialect, coltype):
        if dialect.name != "sqlite":
            return super().result_processor(dialect, coltype)
        return _sqlite_result

    def process_bind_param(self, value: datetime | None, dialect):
        if value is not None and value.utcoffset() is None:
            raise ValueError("naive datetime given to a UTC column")
        return value

    def process_result_value(self, value: datetime | None, dialect):
        return None if value is None else value.astimezone(UTC)


def _sqlite_bind(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is not UTC:
        if value.utcoffset() is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
    return value.isoformat(" ", "microseconds")[:26]


def _sqlite_result(value: str | None) -> datetime | None:
    # Parsing the offset is several times faster than .replace(tzinfo=UTC) afterwards.
    return None if value is None else datetime.fromisoformat(value + "+00:00")
