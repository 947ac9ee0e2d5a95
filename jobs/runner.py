"""Running a job: under its lock (so cron and the scheduler never run it twice at once),
recorded from start to end, whatever happens, with who started it; what a destructive job
deleted is in each channel's audit log, and one that would delete as of a time ahead of now
must be confirmed."""

import contextlib
import getpass
import os
from datetime import datetime, timedelta

import sqlalchemy as sa

from jobs.context import JobContext
from jobs.registry import JOBS, Job
from kchat_cli import clock, collector
from kchat_cli.domain.access import admins, audit
from kchat_cli.domain.actor import Home
from kchat_cli.domain.conversations import rooms
from kchat_cli.domain.upkeep import runs as jobruns
from kchat_cli.errors import NotFound, Refused, describe
from kchat_cli.store import locks
from kchat_cli.store.batches import Batches
from kchat_cli.store.session import WRITE_PATIENCE, run_write

# Clocks of machines sharing a store disagree by this much at most.
CLOCK_SKEW = timedelta(minutes=1)
CLEANUP_PATIENCE = 0.3  # seconds an interrupted run waits to record itself and let go


class Stopped(Exception):
    """A job asked to stop (the scheduler got SIGTERM) ends after its current batch."""


class LeaseLost(Stopped):
    """A job whose lock expired and went to another run stops after its current batch:
    two runs of one job never go on at once."""


def lock_name(job: str) -> str:
    return f"job:{job}"


def os_user_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid {os.getuid()}"


def run_job(
    engine: sa.Engine,
    name: str,
    *,
    home: Home,
    as_of: datetime | None = None,
    dry_run: bool = False,
    checkpoint=None,
    admin: str | None = None,
    confirmed: bool = False,
    progress=lambda done: None,
) -> dict:
    """Run the job `name` once and return its run record. `admin` is the login of the admin
    who started it, if one is named. Raises Busy when it is already running elsewhere; a
    job's own error is recorded, then raised."""
    job = JOBS.get(name)
    if job is None:
        raise NotFound(f"no job {name!r}", f"jobs: {', '.join(JOBS)}")
    if as_of is not None and not (dry_run or confirmed):
        _refuse_deleting_ahead(job, as_of)
    lock = lock_name(name)
    locks.acquire(engine, lock)
    patience = WRITE_PATIENCE
    try:
        as_of_given = as_of is not None
        as_of = as_of or clock.now()
        run_id = run_write(
            engine,
            lambda session: jobruns.start(
                session,
                name,
                as_of=as_of,
                dry_run=dry_run,
                holder=locks.me(),
                now=clock.now(),
                started_by=os_user_name(),
                admin=admins.named(session, admin),
            ),
        )

        collected = []  # the collector's pause, once the job runs

        def between_batches() -> None:
            if not locks.renew(engine, lock):
                raise LeaseLost(f"{name} lost its lock to another run")
            for collect in collected:
                collect()
            if checkpoint is not None:
                checkpoint()

        context = JobContext(
            batches=Batches(engine),
            as_of=as_of,
            dry_run=dry_run,
            home=home,
            as_of_given=as_of_given,
            checkpoint=between_batches,
            progress=progress,
        )

        def finish(session, counts: dict) -> dict:
            record = jobruns.finish(session, run_id, outcome="ok", now=clock.now(), counts=counts)
            _audit_deletions(session, job, record, admin, context.deleted)
            return record

        try:
            with rooms.running_as(name), collector.paused() as collect:
                collected.append(collect)
                counts = job.run(context)
            return run_write(engine, lambda session: finish(session, counts))
        except LeaseLost as exc:
            _cut_short(engine, run_id, "error", error=str(exc))
            raise
        except Stopped:
            _cut_short(engine, run_id, "stopped")
            raise
        except KeyboardInterrupt:
            # Cleanup after Ctrl-C waits for nobody; what it cannot do, the next run does.
            patience = CLEANUP_PATIENCE
            _cut_short(engine, run_id, "interrupted", patience=patience)
            raise
        except BaseException as exc:
            _cut_short(engine, run_id, "error", error=describe(exc))
            raise
    finally:
        _let_go(engine, lock, patience)


def _let_go(engine: sa.Engine, lock: str, patience: float) -> None:
    """Release the job's lock, even when Ctrl-C comes while it is being released (the run
    itself is over by then); a lock left by a process that died is taken over at once."""
    for _ in range(2):
        try:
            locks.release(engine, lock, patience=patience)
            return
        except KeyboardInterrupt:
            continue
        except Exception:
            return


def _cut_short(
    engine: sa.Engine,
    run_id: int,
    outcome: str,
    *,
    error: str | None = None,
    patience: float = WRITE_PATIENCE,
) -> None:
    """Record how a run that did not finish ended (unless it did finish, just before); a
    failure to record it must not hide why it ended."""
    with contextlib.suppress(Exception):
        run_write(
            engine,
            lambda session: jobruns.cut_short(
                session, run_id, outcome=outcome, now=clock.now(), error=error
            ),
            patience=patience,
        )


def _refuse_deleting_ahead(job: Job, as_of: datetime) -> None:
    """A destructive job as of a time ahead of now deletes what has not yet expired: only
    when confirmed (a typo in --as-of must not empty the store)."""
    if job.deletes and as_of > clock.now() + CLOCK_SKEW:
        raise Refused(
            f"{job.name} as of {clock.kst_iso(as_of)}, ahead of now, would delete "
            "what has not yet expired",
            "check --as-of, or add --yes if you mean it",
        )


def _audit_deletions(
    session, job: Job, record: dict, admin: str | None, deleted: dict[int, dict[str, int]]
) -> None:
    """Each channel's audit log holds each run that deleted some of its data."""
    for channel_id, counts in deleted.items():
        admin_id = admins.admin_ids_by_login(session, channel_id, [admin]).get(admin)
        audit.record(
            session,
            channel_id,
            admin_id,
            f"jobs.{job.name}",
            target=f"run {record['id']}",
            details={
                "as_of": clock.kst_iso(record["as_of"]),
                "started_by": record["started_by"],
                **counts,
            },
            now=clock.now(),
        )
