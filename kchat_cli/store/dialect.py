"""Dialect details the domain needs without knowing which database it talks to."""

from __future__ import annotations

import contextlib
import itertools
import json
import time
from collections.abc import Iterator, Sequence
from datetime import datetime
from operator import itemgetter
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from kchat_cli.store import search_index
from kchat_cli.store.engine import SQLITE_AUTOCHECKPOINT_PAGES

if TYPE_CHECKING:  # sqlmodel (with pydantic) would double `kchat unread`'s import time
    from sqlmodel import Session


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


# Ingest writes a million rows in a run, and SQLAlchemy's per-row parameter handling costs
# a tenth of it. These helpers hand rows straight to the driver's executemany, converting each
# value with its column type's own bind processor, so they stay correct on both dialects.
# Table and column names come from the models; every value is a bound parameter.


def _statement_parts(session: Session, table: sa.Table, names: list[str]):
    connection = session.connection()
    dialect = connection.dialect
    quote = dialect.identifier_preparer.quote
    marker = "?" if dialect.paramstyle == "qmark" else "%s"
    processors = [
        table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names
    ]
    return connection, quote, marker, processors


def _converted(rows, names, processors) -> list[tuple]:
    """The rows as tuples of driver values, converted a column at a time (in C loops)."""
    columns = []
    for name, process in zip(names, processors, strict=True):
        values = map(itemgetter(name), rows)
        columns.append(list(map(process, values) if process else values))
    return list(zip(*columns, strict=True))


# Parameters in one statement: SQLite's limit since 3.32 (kchat needs 3.35 for RETURNING).
STATEMENT_PARAMETERS = 32766


def bulk_insert(
    session: Session,
    table: sa.Table,
    rows: list[dict],
    *,
    skip_conflicts: bool = False,
    returning: Sequence[str] = (),
) -> list[tuple]:
    """INSERT rows (dicts with the same keys), as many in one multi-row VALUES statement as
    the parameter limit allows. Not one statement per row: SQLite's full-text index flushes
    what it gathered at every statement, which makes row-at-a-time inserts five times
    slower. `skip_conflicts` skips rows clashing with a unique key (ON CONFLICT DO NOTHING);
    returns the `returning` columns of the rows inserted."""
    if not rows:
        return []
    names = list(rows[0])
    connection, quote, marker, processors = _statement_parts(session, table, names)
    head = f"INSERT INTO {quote(table.name)} ({', '.join(map(quote, names))}) VALUES "  # noqa: S608
    row_markers = f"({', '.join([marker] * len(names))})"
    tail = " ON CONFLICT DO NOTHING" if skip_conflicts else ""
    if returning:
        tail += f" RETURNING {', '.join(map(quote, returning))}"
    per_statement = min(500, STATEMENT_PARAMETERS // len(names))
    values, inserted = _converted(rows, names, processors), []
    for start in range(0, len(values), per_statement):
        chunk = values[start : start + per_statement]
        sql = head + ", ".join([row_markers] * len(chunk)) + tail
        result = connection.exec_driver_sql(sql, tuple(itertools.chain.from_iterable(chunk)))
        if returning:
            inserted += map(tuple, result)
    return inserted


def bulk_update(session: Session, table: sa.Table, rows: list[dict]) -> None:
    """UPDATE rows by primary key: each dict holds its `id` and the new values."""
    if not rows:
        return
    names = [name for name in rows[0] if name != "id"]
    connection, quote, marker, processors = _statement_parts(session, table, [*names, "id"])
    assignments = ", ".join(f"{quote(name)} = {marker}" for name in names)
    sql = f"UPDATE {quote(table.name)} SET {assignments} WHERE id = {marker}"  # noqa: S608
    connection.exec_driver_sql(sql, _converted(rows, [*names, "id"], processors))


def among(session: Session, column: sa.ColumnElement, ids: list[int]) -> sa.ColumnElement:
    """`column IN ids` for thousands of ids, bound as one parameter (a JSON array on SQLite,
    an array on PostgreSQL): SQLAlchemy renders and binds an IN list a value at a time,
    which costs more than the query for a batch's ids."""
    if session.get_bind().dialect.name == "sqlite":
        values = sa.func.json_each(json.dumps(ids)).table_valued("value")
        return column.in_(sa.select(values.c.value))
    return column == sa.any_(sa.bindparam(None, ids, type_=sa.ARRAY(sa.Integer)))


def driver_rows(session: Session, query: sa.Select, size: int) -> Iterator[list[tuple]]:
    """The query's rows, `size` at a time, as the driver returns them: no result processing
    (a third of an export's time), so only for columns whose driver values are final (text,
    numbers). Streamed: PostgreSQL holds the rows in a server-side cursor."""
    connection = session.connection()
    dialect = connection.dialect
    compiled = query.compile(dialect=dialect)
    values = compiled.construct_params()
    for name, value in values.items():
        process = compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
        values[name] = process(value) if process else value
    params = tuple(values[name] for name in compiled.positiontup) if compiled.positional else values
    driver = connection.connection.driver_connection
    cursor = driver.cursor(name="kchat_rows") if dialect.name == "postgresql" else driver.cursor()
    with contextlib.closing(cursor):
        cursor.execute(str(compiled), params)
        while rows := cursor.fetchmany(size):
            yield rows


@contextlib.contextmanager
def batch_writer(engine: sa.Engine) -> Iterator[sa.Engine | sa.Connection]:
    """What a job writes its many batches through. SQLite: one connection whose commits
    never checkpoint the WAL; the job settles it between batches instead, so no checkpoint
    stretches a batch's commit, and a page that several batches rewrite is copied into the
    database file once, not once a batch. Its temporary tables (what DELETE … RETURNING
    collects) stay in memory. It does not enforce foreign keys: SQLite runs a parent's ON
    DELETE action as a subprogram for every deleted row, a seventh of a bulk delete, so a
    job writing through it keeps the references right itself. PostgreSQL: the engine."""
    if engine.dialect.name != "sqlite":
        yield engine
        return
    with engine.connect() as connection:
        driver = connection.connection.driver_connection
        driver.execute("PRAGMA wal_autocheckpoint=0")
        driver.execute("PRAGMA temp_store=MEMORY")
        driver.execute("PRAGMA foreign_keys=OFF")
        try:
            yield connection
        finally:
            try:
                driver.execute(f"PRAGMA wal_autocheckpoint={SQLITE_AUTOCHECKPOINT_PAGES}")
                driver.execute("PRAGMA temp_store=DEFAULT")
                driver.execute("PRAGMA foreign_keys=ON")
            except Exception:
                # Closed by Ctrl-C inside the driver, or unsure: the pool must not hand out
                # a connection that leaves foreign keys off.
                connection.invalidate()


def settle_wal(engine: sa.Engine) -> None:
    """SQLite: copy the WAL into the database file now, between a job's transactions
    (PASSIVE: it waits for no one)."""
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")


SCRUB_PATIENCE = 15.0  # seconds


def scrub_wal(engine: sa.Engine) -> bool:
    """SQLite: move what deletes wrote from the WAL into the (secure-deleted) database file
    and empty the WAL, so no copy of deleted content stays in either. False when readers
    kept part of the WAL in use for SCRUB_PATIENCE seconds."""
    if engine.dialect.name != "sqlite":
        return True
    deadline = time.monotonic() + SCRUB_PATIENCE
    with engine.connect() as connection:
        while True:
            busy, _, _ = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
            if not busy or time.monotonic() > deadline:
                return not busy
            time.sleep(0.05)


def refresh_statistics(engine: sa.Engine, tables: list[sa.Table], *, reclaim: bool = False) -> None:
    """PostgreSQL, after a bulk change: ANALYZE the tables (with `reclaim`, VACUUM them too),
    so the planner sees their real size even where autovacuum is off or has not yet come
    by; with stale counts it scans every unread room for the first page of `rooms list`.
    SQLite's planner does well here without statistics."""
    if engine.dialect.name != "postgresql":
        return
    quote = engine.dialect.identifier_preparer.quote
    names = ", ".join(quote(table.name) for table in tables)
    command = "VACUUM (ANALYZE)" if reclaim else "ANALYZE"
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql(f"{command} {names}")


def notify_change(session: Session, channel_id: int, revision: int) -> None:
    """PostgreSQL: tell `watch` processes listening on the channel, when this commits.
    SQLite has no NOTIFY; watchers there poll the channel's revision."""
    if session.get_bind().dialect.name == "postgresql":
        session.connection().execute(
            sa.text("SELECT pg_notify(:name, :revision)"),
            {"name": change_channel(channel_id), "revision": str(revision)},
        )


OUTBOX_CHANNEL = "kchat_outbox"


def notify_outbox(session: Session) -> None:
    """PostgreSQL: tell a scheduler waiting on the outbox, when this commits, that there is
    something to send. SQLite: the scheduler polls."""
    if session.get_bind().dialect.name == "postgresql":
        session.connection().exec_driver_sql(f"NOTIFY {OUTBOX_CHANNEL}")


def change_channel(channel_id: int) -> str:
    return f"kchat_changes_{channel_id}"


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
        return search_index.spans(session, since, until)
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
        ids = search_index.matching_ids(session, text, since=since, until=until)
        return among(session, id_column, ids) if ids else sa.false()
    return text_column.like(pattern, escape="\\")


class ChangeListener:
    """Waits until something may have changed: a channel's rooms (`change_channel`) or the
    outbox (OUTBOX_CHANNEL). PostgreSQL: LISTEN on a connection of its own, NOTIFY'd by every
    committing write. SQLite: a short sleep (`poll` seconds); the caller then polls the
    store, which is cheap. A lost connection is opened again on the next wait: the caller's
    cursor makes sure nothing is missed in between."""

    def __init__(self, engine: sa.Engine, name: str, *, poll: float = 0.5):
        self.engine = engine
        self.name = name
        self.poll = poll
        self.connection = None

    def wait(self, timeout: float) -> None:
        if self.engine.dialect.name != "postgresql":
            time.sleep(min(timeout, self.poll))
            return
        try:
            if self.connection is None:
                self.connection = self.engine.connect()
                self.connection.exec_driver_sql("SET application_name = 'kchat watch'")
                self.connection.exec_driver_sql(f'LISTEN "{self.name}"')
                self.connection.commit()
            driver = self.connection.connection.driver_connection
            for _ in driver.notifies(timeout=timeout, stop_after=1):
                pass
        except Exception as exc:
            if not _is_disconnect(exc):
                raise
            self.close(broken=True)
            time.sleep(min(timeout, 1.0))

    def close(self, *, broken: bool = False) -> None:
        if self.connection is not None:
            with contextlib.suppress(Exception):
                # A broken connection is dropped, not handed back to the pool.
                self.connection.invalidate() if broken else self.connection.close()
            self.connection = None


def _is_disconnect(exc: BaseException) -> bool:
    """A lost connection, from SQLAlchemy or straight from psycopg's notifies()."""
    import psycopg

    original = getattr(exc, "orig", exc)
    return isinstance(exc, OSError) or isinstance(original, psycopg.OperationalError)
