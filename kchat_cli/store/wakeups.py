"""Waking those who wait for a change: `watch` and the console for a channel's rooms, the
scheduler for the outbox. PostgreSQL: NOTIFY at commit and LISTEN; SQLite: a short poll."""

from __future__ import annotations

import contextlib
import time
from typing import TYPE_CHECKING

import sqlalchemy as sa

if TYPE_CHECKING:
    from sqlmodel import Session


def change_told(channel_id: sa.ColumnElement, revision: sa.ColumnElement) -> sa.ColumnElement:
    """PostgreSQL, in the RETURNING of the statement that takes a channel's revision: tell
    `watch` processes listening on the channel of `revision`, when this commits (in the same
    round trip, not one of its own). SQLite has no NOTIFY; watchers there poll the revision."""
    name = sa.literal(CHANGE_PREFIX) + sa.cast(channel_id, sa.Text)
    return sa.func.pg_notify(name, sa.cast(revision, sa.Text))


OUTBOX_CHANNEL = "kchat_outbox"


def notify_outbox(session: Session) -> None:
    """PostgreSQL: tell a scheduler waiting on the outbox, when this commits, that there is
    something to send. SQLite: the scheduler polls."""
    if session.get_bind().dialect.name == "postgresql":
        session.connection().exec_driver_sql(f"NOTIFY {OUTBOX_CHANNEL}")


CHANGE_PREFIX = "kchat_changes_"


def change_channel(channel_id: int) -> str:
    return f"{CHANGE_PREFIX}{channel_id}"


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
