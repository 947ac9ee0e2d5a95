"""Column types shared by the models and the migrations."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


class UTCDateTime(TypeDecorator):
    """An aware UTC datetime on every dialect.

    PostgreSQL keeps `timestamptz`. SQLite has no time type: the value is stored as an
    integer, microseconds since 1970-01-01 UTC, and given its zone back when read. Eight
    bytes instead of 26 of text: the messages' time indexes are half the size, and
    retention, which deletes from them in time order but a room's entries at random, has
    half the pages to write. The conversions are done here, faster than the generic
    processors, because ingest and export move millions of timestamps.
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


def _sqlite_bind(value: datetime | None) -> int | None:
    if value is None:
        return None
    if value.utcoffset() is None:
        raise ValueError("naive datetime given to a UTC column")
    return (value - EPOCH) // MICROSECOND


def _sqlite_result(value: int | None) -> datetime | None:
    # Exact: the microseconds are exact in a double, and the quotient within half a
    # microsecond of the time (until the year 2242), which fromtimestamp rounds to.
    return None if value is None else datetime.fromtimestamp(value / 1e6, UTC)
