"""The record of job runs: every run of every job, with its counts and outcome. SQLAlchemy
Core only, on a session or a bare connection: `status` reads the last runs without the ORM."""

import json
from datetime import datetime

import sqlalchemy as sa

from kchat_cli.domain.actor import Actor
from kchat_cli.domain.paging import Page, first_rows
from kchat_cli.store.tables import job_runs

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
    session,
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
        sa.update(job_runs)
        .where(job_runs.c.name == name, job_runs.c.outcome == "running")
        .values(outcome="interrupted", finished_at=now)
    )
    started = sa.insert(job_runs).values(
        name=name,
        as_of=as_of,
        dry_run=dry_run,
        started_at=now,
        outcome="running",
        holder=holder,
        started_by=started_by,
        admin=admin,
    )
    return session.execute(started.returning(job_runs.c.id)).scalar_one()


def finish(
    session,
    run_id: int,
    *,
    outcome: str,
    now: datetime,
    counts: dict | None = None,
    error: str | None = None,
) -> dict:
    session.execute(
        sa.update(job_runs)
        .where(job_runs.c.id == run_id)
        .values(
            outcome=outcome,
            finished_at=now,
            error=error,
            counts=None if counts is None else json.dumps(counts, sort_keys=True),
        )
    )
    return record(session.execute(sa.select(job_runs).where(job_runs.c.id == run_id)).one())


def cut_short(
    session, run_id: int, *, outcome: str, now: datetime, error: str | None = None
) -> None:
    """A run that stopped before its end: recorded so unless it was recorded finished."""
    session.execute(
        sa.update(job_runs)
        .where(job_runs.c.id == run_id, job_runs.c.outcome == "running")
        .values(outcome=outcome, finished_at=now, error=error)
    )


def record(run: sa.Row) -> dict:
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


def history(actor: Actor, name: str | None, limit: int) -> Page:
    session = actor.db
    query = sa.select(job_runs).order_by(job_runs.c.started_at.desc(), job_runs.c.id.desc())
    if name is not None:
        query = query.where(job_runs.c.name == name)
    rows, cut = first_rows(session, query, limit)
    return Page([record(run) for run in rows], cut=cut)


def last_runs(db) -> dict[str, dict]:
    """Each job's latest run, by name."""
    latest = sa.select(sa.func.max(job_runs.c.id).label("id")).group_by(job_runs.c.name).subquery()
    runs = db.execute(sa.select(job_runs).join(latest, latest.c.id == job_runs.c.id))
    return {run.name: record(run) for run in runs}


def record_missed(session, name: str, *, as_of: datetime, now: datetime, holder: str) -> None:
    """A scheduled run that could not start within its grace time."""
    session.execute(
        sa.insert(job_runs).values(
            name=name,
            as_of=as_of,
            dry_run=False,
            started_at=now,
            finished_at=now,
            outcome="missed",
            holder=holder,
        )
    )
