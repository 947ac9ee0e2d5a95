"""SQL expressions compiled for each dialect: a timestamp as Korea-time text, and text made
safe for a spreadsheet, both computed by the database for exports of millions of rows; and
the store's clock, which decides when outbox items are due."""

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from kchat_cli.store.types import UTCDateTime


class korea_time_text(FunctionElement):
    """A UTC timestamp as Korea-time ISO 8601 text (`2026-11-25T17:30:00+09:00`), formatted
    by the database: exports format millions of timestamps, several times faster in SQL.
    Korea has kept UTC+9 without daylight saving since 1988."""

    type = sa.String()
    inherit_cache = True


@compiles(korea_time_text, "sqlite")
def _korea_time_sqlite(element, compiler, **kw) -> str:
    column = compiler.process(element.clauses, **kw)
    # The column holds microseconds since 1970 (UTCDateTime). datetime() + replace runs
    # faster than the equivalent strftime() format.
    return f"replace(datetime({column} / 1000000, 'unixepoch', '+9 hours'), ' ', 'T') || '+09:00'"


@compiles(korea_time_text, "postgresql")
def _korea_time_postgresql(element, compiler, **kw) -> str:
    column = compiler.process(element.clauses, **kw)
    return f"""to_char({column} AT TIME ZONE 'Asia/Seoul', 'YYYY-MM-DD"T"HH24:MI:SS"+09:00"')"""


class spreadsheet_text(FunctionElement):
    """`spreadsheet_text(column, starts)`: the text with a ' before a leading character of
    `starts`, which would make a spreadsheet run it as a formula; done by the database, for
    exports of millions of rows (by the first character's code, the cheapest test)."""

    type = sa.String()
    inherit_cache = False  # `starts` is no clause: compiled afresh, once an export

    def __init__(self, column, starts: tuple[str, ...]):
        self.codes = ", ".join(str(ord(start)) for start in starts)
        super().__init__(column)


@compiles(spreadsheet_text)
def _spreadsheet_text(element, compiler, **kw) -> str:
    column = compiler.process(element.clauses, **kw)
    first = "unicode" if compiler.dialect.name == "sqlite" else "ascii"
    return (
        f"CASE WHEN {first}({column}) IN ({element.codes}) THEN '''' || {column} ELSE {column} END"
    )


class store_now(FunctionElement):
    """`store_now(seconds)`: the store's clock, `seconds` ahead. PostgreSQL's is the one
    every machine of a team shares, so that machines whose clocks differ agree on what is
    due; SQLite's is its one machine's."""

    type = UTCDateTime()
    inherit_cache = True


@compiles(store_now, "sqlite")
def _store_now_sqlite(element, compiler, **kw) -> str:
    seconds = compiler.process(element.clauses, **kw)
    # Microseconds since 1970, as UTCDateTime keeps times on SQLite.
    return f"CAST(((julianday('now') - 2440587.5) * 86400 + {seconds}) * 1000000 AS INTEGER)"


@compiles(store_now, "postgresql")
def _store_now_postgresql(element, compiler, **kw) -> str:
    seconds = compiler.process(element.clauses, **kw)
    return f"(now() + make_interval(secs => {seconds}))"
