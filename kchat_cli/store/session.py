"""Sessions: one per command or job run. Every write is one transaction, retried whole on a
lock or serialization conflict, so no user ever sees "database is locked"."""

import random
import time
from collections.abc import Callable
from typing import TypeVar

import sqlalchemy as sa
from sqlmodel import Session

from kchat_cli.store.engine import WRITE, is_transient

T = TypeVar("T")
WRITE_ATTEMPTS = 12


def read_session(engine: sa.Engine) -> Session:
    return Session(engine, expire_on_commit=False)


def snapshot_session(engine: sa.Engine) -> Session:
    """A read session whose statements all see one snapshot: PostgreSQL's REPEATABLE READ
    (SQLite's read transactions always do)."""
    if engine.dialect.name == "postgresql":
        engine = engine.execution_options(isolation_level="REPEATABLE READ")
    return Session(engine, expire_on_commit=False)


def run_write(
    engine: sa.Engine | sa.Connection, work: Callable[[Session], T], *, commit: bool = True
) -> T:
    """Run `work` in one write transaction and commit it; retry the whole of it on conflict.

    With `commit=False` the transaction is rolled back: a dry run sees exactly what would
    change, and changes nothing."""
    bind = engine.execution_options(**WRITE)
    for attempt in range(1, WRITE_ATTEMPTS + 1):
        with Session(bind, expire_on_commit=False) as session:
            try:
                result = work(session)
                if commit:
                    session.commit()
                else:
                    session.rollback()
                return result
            except Exception as exc:
                session.rollback()
                if isinstance(engine, sa.Connection):
                    # A failed COMMIT leaves the driver's transaction open though SQLAlchemy
                    # has let go of it; the next attempt would begin inside it.
                    engine.connection.driver_connection.rollback()
                if attempt == WRITE_ATTEMPTS or not is_transient(exc):
                    raise
        time.sleep(min(2.0, 0.01 * 2**attempt) * random.uniform(0.5, 1.0))
    raise AssertionError("unreachable")
