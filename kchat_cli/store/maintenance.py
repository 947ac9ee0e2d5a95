"""Keeping the store's files and statistics in order after bulk work: SQLite's WAL settled
between a job's batches and emptied of deleted content, PostgreSQL's planner statistics
refreshed."""

import time

import sqlalchemy as sa


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
    SQLite keeps no statistics here: its indexes are made so that the one that fits a query
    is the one its planner takes without them."""
    if engine.dialect.name != "postgresql":
        return
    quote = engine.dialect.identifier_preparer.quote
    names = ", ".join(quote(table.name) for table in tables)
    command = "VACUUM (ANALYZE)" if reclaim else "ANALYZE"
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql(f"{command} {names}")
