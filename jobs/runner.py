"""Running a job: under its lock (so cron and the scheduler never run it twice at once),
recorded from start to end, whatever happens."""

from datetime import datetime

import sqlalchemy as sa

from jobs.context import JobContext, JobSettings
from jobs.registry import JOBS
from kchat_cli.domain import clock, jobruns, locks
from kchat_cli.errors import NotFound, describe
from kchat_cli.store.session import run_write


class Stopped(Exception):
    """A job asked to stop (the scheduler got SIGTERM) ends after its current batch."""


def lock_name(job: str) -> str:
    return f"job:{job}"


def run_job(engine: sa.Engine, name: str, *, settings: JobSettings,
            as_of: datetime | None = None, dry_run: bool = False,
            checkpoint=None) -> dict:  # fmt: skip
    """Run the job `name` once and return its run record. Raises Busy when it is already
    running elsewhere; a job's own error is recorded, then raised."""
    job = JOBS.get(name)
    if job is None:
        raise NotFound(f"no job {name!r}", f"jobs: {', '.join(JOBS)}")
    lock = lock_name(name)
    locks.acquire(engine, lock)
    try:
        as_of = as_of or clock.now()
        run_id = run_write(
            engine,
            lambda session: jobruns.start(
                session, name, as_of=as_of, dry_run=dry_run, holder=locks.me(), now=clock.now()
            ),
        )

        def between_batches() -> None:
            locks.renew(engine, lock)
            if checkpoint is not None:
                checkpoint()

        context = JobContext(
            engine=engine,
            as_of=as_of,
            dry_run=dry_run,
            settings=settings,
            checkpoint=between_batches,
        )
        try:
            counts = job.run(context)
        except Stopped:
            run_write(engine, lambda session: jobruns.finish(
                session, run_id, outcome="stopped", now=clock.now()))  # fmt: skip
            raise
        except BaseException as exc:
            error = describe(exc)
            run_write(engine, lambda session: jobruns.finish(
                session, run_id, outcome="error", now=clock.now(), error=error))  # fmt: skip
            raise
        return run_write(
            engine,
            lambda session: jobruns.finish(
                session, run_id, outcome="ok", now=clock.now(), counts=counts
            ),
        )
    finally:
        locks.release(engine, lock)
