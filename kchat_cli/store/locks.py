"""Leases in the store: a job or the scheduler holds one until it lets go, or until it
expires because its holder died. A holder on this machine whose process is gone is known
dead at once, so a job killed with SIGKILL can be run again straight away."""

import os
import socket
from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import Session

from kchat_cli import clock
from kchat_cli.errors import Busy
from kchat_cli.store.bulk import bulk_insert
from kchat_cli.store.catalog import holder_gone
from kchat_cli.store.models import Lock
from kchat_cli.store.session import WRITE_PATIENCE, run_write

LEASE = timedelta(minutes=2)


def me() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def acquire(engine: sa.Engine, name: str, *, lease: timedelta = LEASE) -> bool:
    """Take the lease `name` or raise Busy. Returns True when it was taken over from a holder
    that died (its work may have been cut short)."""
    holder = me()

    def work(session: Session) -> bool:
        now = clock.now()
        bulk_insert(
            session,
            Lock.__table__,
            [{"name": name, "holder": holder, "acquired_at": now, "expires_at": now + lease}],
            skip_conflicts=True,
        )
        lock = session.scalars(sa.select(Lock).where(Lock.name == name).with_for_update()).one()
        taken_over = lock.holder != holder
        if taken_over and lock.expires_at > now and not holder_gone(lock.holder):
            raise Busy(
                f"{name} is held by {lock.holder} since {clock.kst_iso(lock.acquired_at)}",
                "it is running; try again later",
            )
        lock.holder, lock.acquired_at, lock.expires_at = holder, now, now + lease
        return taken_over

    return run_write(engine, work)


def renew(engine: sa.Engine, name: str, *, lease: timedelta = LEASE) -> bool:
    """Extend this process's lease; False when it holds it no longer (it expired and
    another took it over)."""
    holder = me()
    renewed = run_write(
        engine,
        lambda session: (
            session.execute(
                sa.update(Lock)
                .where(Lock.name == name, Lock.holder == holder)
                .values(expires_at=clock.now() + lease)
            ).rowcount
        ),
    )
    return renewed == 1


def release(engine: sa.Engine, name: str, *, patience: float = WRITE_PATIENCE) -> None:
    holder = me()
    run_write(
        engine,
        lambda session: session.execute(
            sa.delete(Lock).where(Lock.name == name, Lock.holder == holder)
        ),
        patience=patience,
    )
