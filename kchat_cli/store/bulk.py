"""Writing and reading many rows at once, on either dialect: multi-row INSERTs and UPDATEs
handed straight to the driver, thousands of ids bound as one parameter, rows streamed as the
driver returns them, and the connection a job writes its batches through."""

from __future__ import annotations

import contextlib
import itertools
import json
import re
from collections.abc import Iterator, Sequence
from datetime import datetime
from operator import itemgetter
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSON

from kchat_cli.store.engine import SQLITE_AUTOCHECKPOINT_PAGES

if TYPE_CHECKING:  # sqlmodel (with pydantic) would double `kchat unread`'s import time
    from sqlmodel import Session


# Ingest writes a million rows in a run, and SQLAlchemy's per-row parameter handling costs
# a tenth of it. These helpers hand rows straight to the driver, converting each value with
# its column type's own bind processor, so they stay correct on both dialects. Table and
# column names come from the models; every value is a bound parameter.


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


# Fewer rows go in as one INSERT: a COPY takes two round trips to the server, not one,
# which a webhook's transaction of a few events felt (its p50 acknowledgement 6 -> 9 ms).
COPY_FROM_ROWS = 100

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
    """INSERT rows (dicts with the same keys) in few statements. PostgreSQL: a COPY of many
    rows, or one INSERT of the rows bound as JSON (a few rows, or to skip rows clashing with
    a unique key, or to return columns). SQLite: as many rows in one multi-row VALUES
    statement as the parameter limit allows. `skip_conflicts` skips rows clashing with a
    unique key (ON CONFLICT DO NOTHING); returns the `returning` columns of the rows
    inserted."""
    if not rows:
        return []
    names = list(rows[0])
    connection, quote, marker, processors = _statement_parts(session, table, names)
    head = f"INSERT INTO {quote(table.name)} ({', '.join(map(quote, names))}) "  # noqa: S608
    tail = " ON CONFLICT DO NOTHING" if skip_conflicts else ""
    if returning:
        tail += f" RETURNING {', '.join(map(quote, returning))}"
    if connection.dialect.name != "postgresql":
        values = _converted(rows, names, processors)
        return _insert_values(connection, head, tail, values, marker, returning=bool(returning))
    if not tail and len(rows) >= COPY_FROM_ROWS:
        _copy_in(connection, table, names, _converted(rows, names, processors))
        return []
    selected = ", ".join(f"new.{quote(name)}" for name in names)
    sql = f"{head}SELECT {selected} FROM {_recordset(connection, table, names)}{tail}"  # noqa: S608
    result = connection.exec_driver_sql(sql, (_ROWS_ENCODER.encode(rows),))
    return list(map(tuple, result)) if returning else []


def _insert_values(
    connection: sa.Connection,
    head: str,
    tail: str,
    values: list[tuple],
    marker: str,
    *,
    returning: bool,
) -> list[tuple]:
    """SQLite: multi-row VALUES statements. Not one statement per row: SQLite's full-text
    index flushes what it gathered at every statement, which makes row-at-a-time inserts
    five times slower."""
    width = len(values[0])
    row_markers = f"({', '.join([marker] * width)})"
    per_statement = min(500, STATEMENT_PARAMETERS // width)
    inserted = []
    for start in range(0, len(values), per_statement):
        chunk = values[start : start + per_statement]
        sql = head + "VALUES " + ", ".join([row_markers] * len(chunk)) + tail
        result = connection.exec_driver_sql(sql, tuple(itertools.chain.from_iterable(chunk)))
        if returning:
            inserted += map(tuple, result)
    return inserted


def _recordset(connection: sa.Connection, table: sa.Table, names: list[str]) -> str:
    """PostgreSQL: the rows, bound as one JSON array of objects, as a table `new`. Encoding
    rows as JSON is done in C; psycopg builds an array parameter (or a statement with a
    marker a value) in Python, a value at a time, which cost more than the statement."""
    dialect, quote = connection.dialect, connection.dialect.identifier_preparer.quote
    columns = ", ".join(f"{quote(name)} {table.c[name].type.compile(dialect)}" for name in names)
    return f"json_to_recordset(%s::json) AS new ({columns})"


def _copy_in(connection: sa.Connection, table: sa.Table, names: list[str], values) -> None:
    """PostgreSQL: COPY the rows in, in binary: a microsecond a row, where an INSERT of the
    same rows as JSON took twenty (most of it the server's parsing). Only for rows that
    cannot clash with a key; COPY has no ON CONFLICT. psycopg's errors are raised as
    SQLAlchemy's, as every other statement's are."""
    import psycopg

    dialect, quote = connection.dialect, connection.dialect.identifier_preparer.quote
    sql = f"COPY {quote(table.name)} ({', '.join(map(quote, names))}) FROM STDIN (FORMAT BINARY)"
    types = [_BASE_TYPE.sub("", table.c[name].type.compile(dialect)).lower() for name in names]
    cursor = connection.connection.driver_connection.cursor()
    try:
        with cursor, cursor.copy(sql) as copy:
            copy.set_types(types)
            for row in values:
                copy.write_row(row)
    except psycopg.Error as exc:
        raise sa.exc.DBAPIError.instance(sql, None, exc, psycopg.Error) from exc


_BASE_TYPE = re.compile(r"\(.*\)")  # VARCHAR(64): the name psycopg knows is varchar


def _json_time(value: object) -> str:
    """A time as ISO 8601 with its offset; naive times are refused, as the column type does."""
    if isinstance(value, datetime) and value.utcoffset() is not None:
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} cannot be written in bulk")


_ROWS_ENCODER = json.JSONEncoder(ensure_ascii=False, check_circular=False, default=_json_time)


def bulk_update(session: Session, table: sa.Table, rows: list[dict]) -> None:
    """UPDATE rows by primary key: each dict holds its `id` (each id once) and the new
    values. PostgreSQL: one statement joining the rows bound as JSON; SQLite: executemany."""
    if not rows:
        return
    names = [name for name in rows[0] if name != "id"]
    connection, quote, marker, processors = _statement_parts(session, table, [*names, "id"])
    target = quote(table.name)
    if connection.dialect.name == "postgresql":
        assignments = ", ".join(f"{quote(name)} = new.{quote(name)}" for name in names)
        sql = (
            f"UPDATE {target} SET {assignments} "  # noqa: S608
            f"FROM {_recordset(connection, table, [*names, 'id'])} WHERE {target}.id = new.id"
        )
        connection.exec_driver_sql(sql, (_ROWS_ENCODER.encode(rows),))
        return
    assignments = ", ".join(f"{quote(name)} = {marker}" for name in names)
    sql = f"UPDATE {target} SET {assignments} WHERE id = {marker}"  # noqa: S608
    connection.exec_driver_sql(sql, _converted(rows, [*names, "id"], processors))


def among(
    db: Session | sa.Connection, column: sa.ColumnElement, values: list[int] | list[str]
) -> sa.ColumnElement:
    """`column IN values` for thousands of values (ids, user keys), bound as one parameter."""
    dialect = db.dialect if isinstance(db, sa.Connection) else db.get_bind().dialect
    return one_of(column, sa.bindparam(None, json.dumps(values)), dialect.name)


def one_of(column: sa.ColumnElement, values: sa.BindParameter, dialect: str) -> sa.ColumnElement:
    """`column IN values`, where `values` binds a JSON array: SQLAlchemy renders and binds
    an IN list a value at a time, psycopg parses such a statement again on every call and
    dumps an array a value at a time, and each cost more than the query for a batch's
    values (5,000 user keys: 12.6 ms as an IN list, 4.2 as an array, 1.0 as JSON).
    PostgreSQL gets `= ANY(ARRAY(…))`, which its planner takes to an index: as a join
    with the JSON rows it guessed a hundred of them and scanned the whole table instead (a
    page's labels read every labelled room)."""
    if dialect == "sqlite":
        elements = sa.func.json_each(values).table_valued("value")
        return column.in_(sa.select(elements.c.value))
    elements = sa.func.json_array_elements_text(sa.cast(values, JSON)).table_valued("value")
    typed = sa.select(sa.cast(elements.c.value, column.type)).scalar_subquery()
    return column == sa.any_(sa.func.array(typed))


def driver_rows(session: Session, query: sa.Select, size: int) -> Iterator[list[tuple]]:
    """The query's rows, `size` at a time, as the driver returns them: no result processing
    (a third of an export's time), so only for columns whose driver values are final (text,
    numbers). Streamed: PostgreSQL sends the rows in chunks as it finds them, so that it
    reads the next while this process writes the last (a cursor's FETCH of each chunk left
    one side idle while the other worked)."""
    connection = session.connection()
    dialect = connection.dialect
    compiled = query.compile(dialect=dialect)
    values = compiled.construct_params()
    for name, value in values.items():
        process = compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
        values[name] = process(value) if process else value
    params = tuple(values[name] for name in compiled.positiontup) if compiled.positional else values
    driver = connection.connection.driver_connection
    with contextlib.closing(driver.cursor()) as cursor:
        if dialect.name == "postgresql":
            rows = cursor.stream(str(compiled), params, size=size)
            while chunk := list(itertools.islice(rows, size)):
                yield chunk
            return
        cursor.execute(str(compiled), params)
        while chunk := cursor.fetchmany(size):
            yield chunk


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
