"""The seam for work over many transactions: ingest, the jobs, a room action over many rooms,
the demo, `watch`. Its caller (the runtime for a command, the job runner for a job) makes a
Batches for the store and hands it to the domain, which asks it for every transaction and
never opens one on an engine itself; so the caller decides how long a write waits for the
store, and the domain cannot forget the retry, the rollback on Ctrl-C or the WAL's upkeep."""

import contextlib
import dataclasses
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

import sqlalchemy as sa
from sqlmodel import Session

from kchat_cli.store import bulk, maintenance, opening, session, wakeups

T = TypeVar("T")


@dataclass(frozen=True)
class Batches:
    """Transactions on one store. A write is retried whole on a conflict for up to
    `patience` seconds; inside `dedicated()` writes go through a connection of their own."""

    engine: sa.Engine
    patience: float = session.WRITE_PATIENCE
    bind: sa.Engine | sa.Connection | None = None

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def read(self) -> Session:
        """A read session (use it in a `with`)."""
        return session.read_session(self.engine)

    def snapshot(self) -> Session:
        """A read session whose statements all see one snapshot."""
        return session.snapshot_session(self.engine)

    def write(self, work: Callable[[Session], T], *, commit: bool = True) -> T:
        """`work(session)` in one write transaction; with `commit=False` nothing is kept."""
        return session.run_write(
            self.bind or self.engine, work, commit=commit, patience=self.patience
        )

    @contextlib.contextmanager
    def dedicated(self) -> Iterator["Batches"]:
        """These batches writing through a connection of their own, for a job's many
        deleting batches (see store.bulk.batch_writer); settle() between them."""
        with bulk.batch_writer(self.engine) as bind:
            yield dataclasses.replace(self, bind=bind)

    def settle(self) -> None:
        """SQLite: copy the WAL into the database file now, between batches."""
        maintenance.settle_wal(self.engine)

    def scrub(self, job: str) -> None:
        """After deleting data: leave none of it in SQLite's WAL, or fail the run."""
        opening.leave_nothing_in_wal(self.engine, job)

    def analyze(self, tables: list[sa.Table], *, reclaim: bool = False) -> None:
        """After a bulk change: PostgreSQL's planner statistics brought up to date."""
        maintenance.refresh_statistics(self.engine, tables, reclaim=reclaim)

    def listener(self, name: str, *, poll: float = 0.5) -> wakeups.ChangeListener:
        """What waits for a change to the rooms of a channel or to the outbox."""
        return wakeups.ChangeListener(self.engine, name, poll=poll)
