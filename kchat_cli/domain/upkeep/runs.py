"""The record of job runs: every run of every job, with its counts and outcome."""

import json
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session

from kchat_cli.domain.actor import Actor
from kchat_cli.store.models import JobRun

RUN_FIELDS = (
    "id",
    "name",
    "as_of",
    "dry_run",
    "started_at",
    "finished_at",
    "outcome",
    "counts",
    "error",
    "started_by",
    "admin",
)


def start(
    session: Session,
    name: str,
    *,
    as_of: datetime,
    dry_run: bool,
    holder: str,
    now: datetime,
    started_by: str | None = None,
    admin: str | None = None,
) -> int:
    """A new run, with who started it (the OS user, and the admin if one is named); runs of
    this job still marked running were cut short (their holder is gone, since the caller now
    holds the job's lock)."""
    session.execute(
        sa.update(JobRun)
        .where(JobRun.name == name, JobRun.outcome == "running")
        .values(outcome="interrupted", finished_at=now)
    )
    run = JobRun(
        name=name,
        as_of=as_of,
        dry_run=dry_run,
        started_at=now,
        holder=holder,
        started_by=started_by,
        admin=admin,
    )
    session.add(run)
    session.flush()
    return run.id


def finish(
    session: Session,
    run_id: int,
    *,
    outcome: str,
    now: datetime,
    counts: dict | None = None,
    error: str | None = None,
) -> dict:
    run = session.get(JobRun, run_id)
    run.outcome, run.finished_at, run.error = outcome, now, error
    run.counts = None if counts is None else json.dumps(counts, sort_keys=True)
    return record(run)


def cut_short(
    session: Session, run_id: int, *, outcome: str, now: datetime, error: str | None = None
) -> None:
    """A run that stopped before its end: recorded so unless it was recorded finished."""
    session.execute(
        sa.update(JobRun)
        .where(JobRun.id == run_id, JobRun.outcome == "running")
        .values(outcome=outcome, finished_at=now, error=error)
    )


def record(run: JobRun) -> dict:
    return {
        "id": run.id,
        "name": run.name,
        "as_of": run.as_of,
        "dry_run": run.dry_run,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "outcome": run.outcome,
        "counts": json.loads(run.counts) if run.counts else None,
        "error": run.error,
        "started_by": run.started_by,
        "admin": run.admin,
    }


def history(actor: Actor, name: str | None, limit: int) -> list[dict]:
    session = actor.db
    query = sa.select(JobRun).order_by(JobRun.started_at.desc(), JobRun.id.desc())
    if name is not None:
        query = query.where(JobRun.name == name)
    if limit:
        query = query.limit(limit)
    return [record(run) for run in session.scalars(query)]


def last_runs(session: Session) -> dict[str, dict]:
    """Each job's latest run, by name."""
    latest = (
        sa.select(JobRun.name, sa.func.max(JobRun.id).label("id")).group_by(JobRun.name).subquery()
    )
    runs = session.scalars(sa.select(JobRun).join(latest, latest.c.id == JobRun.id))
    return {run.name: record(run) for run in runs}


def record_missed(
    session: Session, name: str, *, as_of: datetime, now: datetime, holder: str
) -> None:
    """A scheduled run that could not start within its grace time."""
    session.add(
        JobRun(
            name=name, as_of=as_of, started_at=now, finished_at=now, outcome="missed", holder=holder
        )
    )
