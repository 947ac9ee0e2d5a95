"""Dialect details the domain needs without knowing which database it talks to."""

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Session


def insert_ignoring_conflicts(session: Session, table: sa.Table):
    """An INSERT that skips rows clashing with a unique key (ON CONFLICT DO NOTHING)."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(table).on_conflict_do_nothing()


class korea_time_text(FunctionElement):
    """A UTC timestamp as Korea-time ISO 8601 text (`2026-11-25T17:30:00+09:00`), formatted
    by the database: exports format millions of timestamps, several times faster in SQL.
    Korea has kept UTC+9 without daylight saving since 1988."""

    type = sa.String()
    inherit_cache = True


@compiles(korea_time_text, "sqlite")
def _korea_time_sqlite(element, compiler, **kw) -> str:
    column = compiler.process(element.clauses, **kw)
    return f"strftime('%Y-%m-%dT%H:%M:%S+09:00', {column}, '+9 hours')"


@compiles(korea_time_text, "postgresql")
def _korea_time_postgresql(element, compiler, **kw) -> str:
    column = compiler.process(element.clauses, **kw)
    return f"""to_char({column} AT TIME ZONE 'Asia/Seoul', 'YYYY-MM-DD"T"HH24:MI:SS"+09:00"')"""
