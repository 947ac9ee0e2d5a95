"""When jobs run under the scheduler: each job's default schedule, overridable with
KCHAT_SCHEDULE_<JOB> (e.g. KCHAT_SCHEDULE_RETENTION="0 4 * * *" or "every 30 seconds").
Cron expressions are in Korea time."""

import os
import re

from jobs.registry import JOBS, Job
from kchat_cli import clock
from kchat_cli.clock import KST
from kchat_cli.domain.actor import Actor
from kchat_cli.domain.upkeep import runs as jobruns
from kchat_cli.errors import Invalid

_EVERY = re.compile(r"^every ([0-9]+) ?(s|sec|seconds?|m|min|minutes?)$")
LONGEST_EVERY = 86_400  # seconds


def schedule_of(job: Job) -> str:
    return os.environ.get(f"KCHAT_SCHEDULE_{job.name.upper().replace('-', '_')}", job.schedule)


def trigger_for(job: Job):
    """The APScheduler trigger of a job's schedule."""
    from apscheduler.triggers.cron import CronTrigger
    from apscheduler.triggers.interval import IntervalTrigger

    text = schedule_of(job).strip()
    every = _EVERY.match(text)
    if every:
        amount, unit = every.group(1), every.group(2)
        seconds = int(amount[:9]) * (60 if unit.startswith("m") else 1)
        if len(amount) > 9 or not 1 <= seconds <= LONGEST_EVERY:
            raise Invalid(
                f"bad schedule for {job.name}: {text!r}",
                "every N seconds runs a job every 1 second to 24 hours",
            )
        return IntervalTrigger(seconds=seconds, timezone=KST)
    try:
        return CronTrigger.from_crontab(text, timezone=KST)
    except ValueError as exc:
        raise Invalid(
            f"bad schedule for {job.name}: {text!r} ({exc})",
            "use a 5-field cron expression or 'every N seconds'",
        ) from None


def job_table(actor: Actor) -> list[dict]:
    last = jobruns.last_runs(actor.db)
    now = clock.now()
    return [
        {
            "name": job.name,
            "schedule": schedule_of(job),
            "summary": job.summary,
            "last_run": last[job.name]["started_at"] if job.name in last else None,
            "last_outcome": last[job.name]["outcome"] if job.name in last else None,
            "next_run": trigger_for(job).get_next_fire_time(None, now),
        }
        for job in JOBS.values()
    ]
