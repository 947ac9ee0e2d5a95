"""Sessions: one per command or job run. Every write is one transaction, retried whole on a
lock or serialization conflict for up to WRITE_PATIENCE seconds (a PostgreSQL lock wait
ends there too), so no user ever sees "database is locked". Whatever stops a transaction,
Ctrl-C included, rolls it back at once: no lock outlives the work that took it."""

import contextlib
import random
import time
from collections.abc import Callable
from typing import TypeVar

import sqlalchemy as sa
from sqlmodel import Session

from kchat_cli.store.engine import WRITE, is_transient

T = TypeVar("T")
WRITE_PATIENCE = 15.0  # seconds


def read_session(engine: sa.Engine) -> Session:
    return Session(engine, expire_on_commit=False)


def snapshot_session(engine: sa.Engine) -> Session:
    """A read session whose statements all see one snapshot: PostgreSQL's REPEATABLE READ
    (SQLite's read transactions always do)."""
    if engine.dialect.name == "postgresql":
        engine = engine.execution_options(isolation_level="REPEATABLE READ")
    return Session(engine, expire_on_commit=False)


def run_write(
    engine: sa.Engine | sa.Connection,
    work: Callable[[Session], T],
    *,
    commit: bool = True,
    patience: float = WRITE_PATIENCE,
) -> T:
    """Run `work` in one write transaction and commit it; retry the whole of it on conflict
    for up to `patience` seconds.

    With `commit=False` the transaction is rolled back: a dry run sees exactly what would
    change, and changes nothing."""
    bind = engine.execution_options(**WRITE)
    deadline = time.monotonic() + patience
    attempt = 0
    while True:
        attempt += 1
        with Session(bind, expire_on_commit=False) as session:
            try:
                _wait_for_locks_until(session, deadline)
                result = work(session)
                if commit:
                    session.commit()
                else:
                    session.rollback()
                return result
            except BaseException as exc:
                _roll_back(session, engine)
                if not (isinstance(exc, Exception) and is_transient(exc)):
                    raise
                if time.monotonic() > deadline:
                    raise
        time.sleep(min(0.25, 0.005 * 2**attempt) * random.uniform(0.5, 1.0))


def _wait_for_locks_until(session: Session, deadline: float) -> None:
    """PostgreSQL waits for a row lock as long as its holder keeps it: not past the
    deadline, after which the wait fails as a conflict (55P03) like any other."""
    if session.get_bind().dialect.name == "postgresql":
        wait = max(int((deadline - time.monotonic()) * 1000), 1)
        session.connection().exec_driver_sql(f"SET LOCAL lock_timeout = {wait}")


def _roll_back(session: Session, engine: sa.Engine | sa.Connection) -> None:
    """Undo the transaction now, whatever broke it (a lost connection cannot fail this)."""
    with contextlib.suppress(Exception):
        session.rollback()
    if isinstance(engine, sa.Connection):
        # A failed COMMIT leaves the driver's transaction open though SQLAlchemy has let go
        # of it; the next attempt would begin inside it.
        with contextlib.suppress(Exception):
            engine.connection.driver_connection.rollback()
